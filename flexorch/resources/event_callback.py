"""EventCallbackSnapshot and WorkspaceEventCallback: where the Flex workspace sends its events.

A handler that creates tasks itself must hear how they end (Twilio's Flex Conversations best
practices: handle terminal TaskRouter events, so no conversation is orphaned), and TaskRouter
tells it through the workspace's one `EventCallbackUrl` and its `EventsFilter`
(https://www.twilio.com/docs/taskrouter/api/workspace,
https://www.twilio.com/docs/taskrouter/api/event/reference). `flexorch:workspace.eventCallback`
sets both; the snapshot records what the workspace had before, in state before the write, and
destroy puts exactly that back.

A workspace has one callback URL, so a URL already there that is not this stack's is another
integration's (reporting, workforce management, another orchestration): setting ours cuts it
off from every event. The stack asked for the callback, so it is set, but preview and up say
whose URL it replaces, and destroy gives it back. Failing instead would need a second key to
say "yes, replace it", and the warning at preview is where a reviewer reads the plan.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CheckResult, CreateResult, ReadResult, UpdateResult
from typing_extensions import override

from flexorch.resources.base import (
    SnapshotProvider,
    TwilioProvider,
    gone,
    restoring,
    warn,
)
from flexorch.resources.resource import TwilioResource
from flexorch.resources.workspace import workspace_sid
from flexorch.twilio_client import TwilioApiError, twilio_call
from flexorch.twilio_facts import events_filter, filter_events, same_events, same_url

LABEL = "Workspace event callback"


def _label(sid: Any) -> str:
    return f'{LABEL} "{sid}"' if isinstance(sid, str) and sid else LABEL


def _fetch(client: Any, sid: str, action: str) -> dict[str, str]:
    """The workspace's callback as Twilio holds it: URL and filter as answered ("" for none)."""
    with twilio_call(_label(sid), action):
        found = client.taskrouter.v1.workspaces(sid).fetch()
    return {"url": found.event_callback_url or "", "events": found.events_filter or ""}


def _write(client: Any, sid: str, url: str, events: str, action: str) -> None:
    """Set both fields at once (absolute values, safe to repeat); "" clears one."""
    fields = ("EventCallbackUrl", "EventsFilter")
    with twilio_call(_label(sid), action, fields):
        client.taskrouter.v1.workspaces(sid).update(event_callback_url=url, events_filter=events)


def _replaced(previous: dict[str, Any], url: Any) -> str:
    """The other integration's URL the stack's would replace ("" when none, or it is ours)."""
    before = str(previous.get("url") or "")
    return before if before and not same_url(before, url) else ""


class EventCallbackSnapshotProvider(SnapshotProvider):
    """Records the workspace's callback before the stack sets it; names another integration's."""

    kind = "EventCallbackSnapshot"
    inputs = ("workspace_sid",)
    replace_on = inputs

    @override
    def label(self, props: dict[str, Any]) -> str:
        return _label(props.get("workspace_sid"))

    @override
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """At preview too: the URL only tells whose callback is there, it may still be unknown."""
        return self.looked_up(olds, news, self._look_up_and_warn, "workspace_sid", ("url",))

    def _look_up_and_warn(self, props: dict[str, Any]) -> dict[str, Any]:
        found = self.look_up(props)
        other = _replaced(found["previous"], props.get("url"))
        if other and props.get("url"):
            filtered = filter_events(found["previous"]["events"])
            events = ", ".join(filtered) if filtered else "every event"
            warn(
                f"{_label(found['sid'])}: the workspace sends its events ({events}) to "
                f"{other}, another integration's URL; a workspace has one callback, so up "
                "points it at the handler instead and that integration gets no TaskRouter "
                "events until destroy puts it back (forward them from the handler, or use "
                "Event Streams for one of the two)"
            )
        return found

    @override
    def look_up(self, props: dict[str, Any]) -> dict[str, Any]:
        sid = workspace_sid(self, props)
        return {"sid": sid, "previous": _fetch(self.client(), sid, "look up")}

    @override
    def create(self, props: dict[str, Any]) -> CreateResult:
        found = self._look_up_and_warn(props)
        return CreateResult(found["sid"], self.outs(props, **found))


class EventCallbackSnapshot(TwilioResource, module="flexorch", name="EventCallbackSnapshot"):
    """The workspace's event callback from before flexorch (read-only)."""

    previous: pulumi.Output[dict[str, str]]

    def __init__(
        self,
        name: str,
        *,
        workspace_sid: pulumi.Input[str],
        workspace_lookup: pulumi.Input[dict[str, Any]],
        url: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Record the workspace's callback; `url` (the stack's) only tells whose it is."""
        props = {
            "workspace_sid": workspace_sid,
            "workspace_lookup": workspace_lookup,
            "url": url,
            "sid": None,
            "previous": None,
        }
        super().__init__(name, props, opts)


class WorkspaceEventCallbackProvider(TwilioProvider):
    """Points the workspace's callback at the handler; puts the recorded one back on destroy."""

    kind = "WorkspaceEventCallback"
    inputs = ("workspace_sid", "url", "events")
    replace_on = ("workspace_sid",)
    comparisons = {"url": same_url, "events": same_events}

    @override
    def label(self, props: dict[str, Any]) -> str:
        return _label(props.get("workspace_sid"))

    def _point(self, props: dict[str, Any], action: str) -> None:
        url, events = props["url"], events_filter(props["events"])
        _write(self.client(), props["workspace_sid"], url, events, action)

    @override
    def create(self, props: dict[str, Any]) -> CreateResult:
        previous = dict(props["snapshot"])
        if previous.get("url") and not _replaced(previous, props["url"]):
            warn(
                f"{self.label(props)}: the workspace already sent its events to this stack's "
                "URL when adopted, so its callback from before flexorch is unknown; destroy "
                "leaves it as found"
            )
        self._point(props, "set the event callback")
        outs = self.outs(props, previous=previous)
        return CreateResult(props["workspace_sid"], outs)

    @override
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Set what changed (a refresh's drift included); what was recorded stays."""
        self._point(news, "set the event callback")
        return UpdateResult(self.carry(olds, news, previous=olds.get("previous")))

    @override
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """The callback as the workspace has it now: a Console change is drift."""
        try:
            now = _fetch(self.client(), id_, "read")
        except TwilioApiError as error:
            if error.status == 404:
                return gone(self.label(props), id_, adopted=True)
            raise
        live = {"url": now["url"], "events": list(filter_events(now["events"]))}
        return ReadResult(id_, self.refreshed(props, **live))

    @override
    def delete(self, _id: str, props: dict[str, Any]) -> None:
        """Put back the URL and filter the workspace had, exactly as Twilio answered them."""
        previous = props.get("previous") or {}
        _write(
            self.client(),
            props["workspace_sid"],
            str(previous.get("url") or ""),
            str(previous.get("events") or ""),
            "put the event callback back",
        )


class WorkspaceEventCallback(TwilioResource, module="flexorch", name="WorkspaceEventCallback"):
    """The Flex workspace's event callback, as `flexorch:workspace.eventCallback` sets it."""

    url: pulumi.Output[str]
    events: pulumi.Output[list[str]]

    def __init__(
        self,
        name: str,
        *,
        workspace_sid: pulumi.Input[str],
        url: pulumi.Input[str],
        events: list[str],
        snapshot: pulumi.Input[dict[str, str]],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Send the workspace's `events` to `url`; `snapshot` is what the workspace had."""
        props = {
            "workspace_sid": workspace_sid,
            "url": url,
            "events": events,
            "snapshot": snapshot,  # consumed at create; never compared
            "previous": None,
        }
        super().__init__(name, props, restoring(opts))
