"""The workspace's event callback: recorded before, set, drift, put back exactly on destroy.

Against the stateful fake in this process, which refuses what Twilio refuses (a URL it cannot
call) and event types the Events reference does not list.
"""

from __future__ import annotations

from typing import Any

import pulumi.log
import pytest

from flexorch.errors import FlexorchError
from flexorch.resources.event_callback import (
    EventCallbackSnapshotProvider,
    WorkspaceEventCallbackProvider,
)
from flexorch.sandbox import seed
from flexorch.twilio_facts import DEFAULT_CALLBACK_EVENTS, filter_events

URL = "https://handler.example.com/taskrouter"
PATH = f"/v1/Workspaces/{seed.WORKSPACE_SID}"
TWO = "task.completed,task.canceled"


def workspace(fake: Any) -> dict[str, Any]:
    return fake.find(seed.WORKSPACES, sid=seed.WORKSPACE_SID)


def snapshot(url: Any = URL) -> dict[str, Any]:
    props = {"workspace_sid": seed.WORKSPACE_SID, "workspace_lookup": None, "url": url}
    return EventCallbackSnapshotProvider().create(props).outs


def callback(events: tuple[str, ...] = DEFAULT_CALLBACK_EVENTS, url: str = URL) -> dict[str, Any]:
    """The writer's props, with a snapshot taken now."""
    before = snapshot(url)
    return {"workspace_sid": seed.WORKSPACE_SID, "url": url, "events": list(events),
            "snapshot": before["previous"]}  # fmt: skip


def writes(http: Any) -> list[tuple[str, str, dict[str, list[str]]]]:
    return [(m, p, f) for m, p, f in http.log if m != "GET"]


@pytest.fixture
def said(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    found: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *_, **__: found.append(message))
    return found


def test_set_then_destroy_puts_back_exactly_what_the_workspace_had(http, fake, said) -> None:
    workspace(fake).update(
        event_callback_url="https://wfm.example.com/events",
        events_filter="task.created, worker.activity.update",
    )
    provider = WorkspaceEventCallbackProvider()
    http.log.clear()
    created = provider.create(callback(("task.completed", "task.canceled")))
    assert writes(http) == [("POST", PATH, {"EventCallbackUrl": [URL], "EventsFilter": [TWO]})]
    assert created.outs["previous"] == {
        "url": "https://wfm.example.com/events",
        "events": "task.created, worker.activity.update",
    }
    provider.delete(created.id, created.outs)
    provider.delete(created.id, created.outs)  # a destroy run again: the same values
    assert workspace(fake)["event_callback_url"] == "https://wfm.example.com/events"
    assert workspace(fake)["events_filter"] == "task.created, worker.activity.update"


def test_a_workspace_without_a_callback_gets_none_back(http, fake, said) -> None:
    provider = WorkspaceEventCallbackProvider()
    created = provider.create(callback())
    assert workspace(fake)["event_callback_url"] == URL
    assert filter_events(workspace(fake)["events_filter"]) == DEFAULT_CALLBACK_EVENTS
    http.log.clear()
    provider.delete(created.id, created.outs)
    assert writes(http) == [("POST", PATH, {"EventCallbackUrl": [""], "EventsFilter": [""]})]
    assert workspace(fake)["event_callback_url"] == ""
    assert workspace(fake)["events_filter"] is None
    assert said == []


def test_another_integrations_url_is_named_at_preview_and_given_back(http, fake, said) -> None:
    workspace(fake).update(event_callback_url="https://wfm.example.com/events", events_filter=None)
    provider = EventCallbackSnapshotProvider()
    props = {"workspace_sid": seed.WORKSPACE_SID, "workspace_lookup": None, "url": URL}
    http.log.clear()
    assert provider.check({}, props).failures == []
    assert [m for m, _, _ in http.log] == ["GET"]
    assert said == [
        f'Workspace event callback "{seed.WORKSPACE_SID}": the workspace sends its events '
        "(every event) to https://wfm.example.com/events, another integration's URL; a "
        "workspace has one callback, so up points it at the handler instead and that "
        "integration gets no TaskRouter events until destroy puts it back (forward them from "
        "the handler, or use Event Streams for one of the two)"
    ]


def test_a_callback_already_at_the_handler_is_said_and_left_as_found(http, fake, said) -> None:
    workspace(fake).update(event_callback_url=URL, events_filter="task.completed")
    provider = WorkspaceEventCallbackProvider()
    created = provider.create(callback())
    assert said == [
        f'Workspace event callback "{seed.WORKSPACE_SID}": the workspace already sent its '
        "events to this stack's URL when adopted, so its callback from before flexorch is "
        "unknown; destroy leaves it as found"
    ]
    provider.delete(created.id, created.outs)
    assert (workspace(fake)["event_callback_url"], workspace(fake)["events_filter"]) == (
        URL,
        "task.completed",
    )


def test_no_change_costs_nothing(http, fake) -> None:
    provider = WorkspaceEventCallbackProvider()
    props = callback(("task.completed", "task.canceled"))
    created = provider.create(props)
    http.log.clear()
    reordered = {**props, "events": ["task.canceled", "task.completed"]}
    assert provider.diff(created.id, created.outs, reordered).changes is False
    same = {"workspace_sid": seed.WORKSPACE_SID, "workspace_lookup": None, "url": URL}
    EventCallbackSnapshotProvider().check({**same, "sid": seed.WORKSPACE_SID}, same)
    assert http.log == []


def test_a_console_change_is_drift_set_back_by_up(http, fake) -> None:
    provider = WorkspaceEventCallbackProvider()
    props = callback(("task.completed",))
    created = provider.create(props)
    state = provider.read(created.id, created.outs).outs
    assert provider.diff(created.id, state, props).changes is False
    workspace(fake).update(event_callback_url="https://other.example.com/x")  # in the Console
    state = provider.read(created.id, created.outs).outs
    assert state["url"] == "https://other.example.com/x"
    assert state["previous"] == created.outs["previous"]
    assert provider.diff(created.id, state, props).changes
    provider.update(created.id, state, props)
    assert workspace(fake)["event_callback_url"] == URL


def test_a_changed_filter_is_one_write_and_keeps_what_was_recorded(http, fake) -> None:
    workspace(fake).update(event_callback_url="https://wfm.example.com/events")
    provider = WorkspaceEventCallbackProvider()
    props = callback(("task.completed",))
    created = provider.create(props)
    news = {**props, "events": ["task.completed", "task.canceled"]}
    http.log.clear()
    updated = provider.update(created.id, created.outs, news)
    assert writes(http) == [("POST", PATH, {"EventCallbackUrl": [URL], "EventsFilter": [TWO]})]
    assert updated.outs["previous"]["url"] == "https://wfm.example.com/events"


def test_the_sandbox_refuses_an_unknown_event_type(http, fake) -> None:
    with pytest.raises(FlexorchError, match="'task.complete' is not a TaskRouter event type"):
        WorkspaceEventCallbackProvider().create(callback(("task.complete",)))
    assert workspace(fake)["event_callback_url"] is None  # as seeded


def test_the_sandbox_refuses_a_url_twilio_cannot_call(http, fake) -> None:
    with pytest.raises(FlexorchError, match="is not an absolute http\\(s\\) URL"):
        WorkspaceEventCallbackProvider().create(callback(url="ftp://handler.example.com/x"))


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [("task.created, task.canceled", "task.canceled,task.created", True), (None, "", True),
     ("task.created", "", False), ("task.created", "task.created,task.canceled", False)],
)  # fmt: skip
def test_filters_read_as_sets_of_event_types(a: Any, b: Any, same: bool) -> None:
    assert (sorted(filter_events(a)) == sorted(filter_events(b))) is same
