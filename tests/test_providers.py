"""Provider logic against a stateful fake Twilio in this process, in the read-before-write design.

Every adopted object is read by a snapshot provider first; its writer takes that record as an
input and never reads it. Covered here: the requests each step makes (one list of numbers for
every number snapshot, none for an unchanged check), what is recorded and restored on destroy,
re-runs after a crash between the write and the state (the recorded snapshot still holds the
settings from before), creates whose answer was lost or that an earlier stopped run made, checks
that fail a bad reference before any write, and diffs that need no request.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi.log
import pytest
from helpers import LoseFirstCreate, use_fake
from pulumi.runtime.rpc import UNKNOWN

from flexorch import lookups
from flexorch.errors import FlexorchError
from flexorch.resources.chat_webhooks import (
    ChatServiceSnapshotProvider,
    ChatServiceWebhooksProvider,
)
from flexorch.resources.flex_flow_guard import (
    FlexFlowGuardProvider,
    FlexFlowSnapshotProvider,
    Flow,
    conflict_report,
    find_conflicts,
)
from flexorch.resources.phone_number import PhoneNumberRouteProvider, PhoneNumbersSnapshotProvider
from flexorch.resources.queue import TaskQueueProvider, TaskQueueSnapshotProvider
from flexorch.resources.task_channel import TaskChannelProvider, TaskChannelSnapshotProvider
from flexorch.resources.workflow import WorkflowProvider, WorkflowSnapshotProvider
from flexorch.resources.workspace import WorkspaceProvider
from flexorch.sandbox import seed
from flexorch.sandbox.seed import (
    ACCOUNT_SID,
    CHAT_SERVICE_SID,
    EVERYONE_SID,
    FLEX_FLOW_NUMBER,
    FREE_NUMBER,
    PROXY_WEBHOOK,
    WORKSPACE_SID,
)

WORKSPACE_LOOKUP = {"sid": None, "friendly_name": "Flex Task Assignment"}
SMS_HANDLER = "https://handler.example.com/sms"
CHAT_HANDLER = "https://handler.example.com/flex"
NUMBERS_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/IncomingPhoneNumbers.json"
WORKFLOWS_PATH = f"/v1/Workspaces/{WORKSPACE_SID}/Workflows"
CHANNELS_PATH = f"/v1/Workspaces/{WORKSPACE_SID}/TaskChannels"


def number_path(sid: str) -> str:
    return f"/2010-04-01/Accounts/{ACCOUNT_SID}/IncomingPhoneNumbers/{sid}.json"


def writes(http) -> list[tuple[str, str]]:
    return [(m, p) for m, p, _ in http.log if m != "GET"]


def methods(http) -> list[str]:
    return [m for m, _, _ in http.log]


@pytest.fixture
def warned(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The warnings the providers give (to the engine when one is set, else to stderr)."""
    said: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *_, **__: said.append(message))
    return said


def one_line(error: BaseException | str) -> str:
    text = str(error)
    assert "\n" not in text, text
    return text


# --- Snapshots in general ------------------------------------------------------------------


def snapshot_cases() -> list[tuple[Any, dict]]:
    return [
        (PhoneNumbersSnapshotProvider(), {"numbers": [FREE_NUMBER], "handler_url": SMS_HANDLER}),
        (
            ChatServiceSnapshotProvider(),
            {"service_sid": CHAT_SERVICE_SID, "handler_url": CHAT_HANDLER},
        ),
        (FlexFlowSnapshotProvider(), {"numbers": [FREE_NUMBER, FLEX_FLOW_NUMBER]}),
        (WorkspaceProvider(), {"lookup_sid": None, "lookup_name": "Flex Task Assignment"}),
    ]


@pytest.mark.parametrize("index", range(4))
def test_a_snapshot_reads_once_and_then_never_again(http, index) -> None:
    provider, props = snapshot_cases()[index]
    assert provider.check({}, props).failures == []
    looked_up = list(http.log)  # a new snapshot is looked up at check (preview)...
    assert looked_up and set(methods(http)) == {"GET"}
    created = provider.create(props)
    assert http.log == looked_up  # ...and create answers from the same look-up
    http.log.clear()
    lookups.forget()  # a later run: nothing remembered, and still no request when unchanged
    assert provider.check(created.outs, props).failures == []
    if not isinstance(provider, WorkspaceProvider):  # the workspace's refresh still fetches
        read = provider.read(created.id, created.outs)
        assert (read.id, read.outs) == (created.id, created.outs)
    provider.delete(created.id, created.outs)
    assert http.log == []


def test_a_snapshot_check_with_an_unknown_reference_makes_no_request(http) -> None:
    props = {"service_sid": UNKNOWN, "handler_url": CHAT_HANDLER}
    assert ChatServiceSnapshotProvider().check({}, props).failures == []
    assert http.log == []


@pytest.mark.parametrize(
    ("provider", "props", "expected"),
    [
        (
            PhoneNumbersSnapshotProvider(),
            {"numbers": ["+15005550199"]},
            'PhoneNumber "+15005550199": no phone number of this account is +15005550199; '
            "check flexorch:numbers (E.164 like +15005550006, or a PN SID)",
        ),
        (
            ChatServiceSnapshotProvider(),
            {"service_sid": "IS" + "0" * 32},
            f'ChatService "IS{"0" * 32}": look up: Twilio error 20404: Unable to fetch record: '
            f"The requested resource /v2/Services/IS{'0' * 32} was not found",
        ),
    ],
    ids=["number", "chat-service"],
)
def test_an_unknown_handler_url_does_not_hold_back_a_look_up(
    http, provider, props, expected
) -> None:
    """The handler URL only annotates what is found: an Output of it is no reason to skip."""
    failures = provider.check({}, {**props, "handler_url": UNKNOWN}).failures
    assert [f.reason for f in failures] == [expected]
    assert writes(http) == [] and http.log


# --- Workspace ---------------------------------------------------------------------------


def test_workspace_adopted_by_name_with_one_read(http) -> None:
    result = WorkspaceProvider().create({"lookup_sid": None, "lookup_name": "Flex Task Assignment"})
    assert result.id == WORKSPACE_SID
    assert result.outs["sid"] == WORKSPACE_SID
    assert methods(http) == ["GET"]


def test_workspace_adopted_by_sid(http) -> None:
    result = WorkspaceProvider().create({"lookup_sid": WORKSPACE_SID, "lookup_name": None})
    assert result.outs["friendly_name"] == "Flex Task Assignment"


def test_workspace_not_found_says_how_to_fix(http) -> None:
    expected = (
        'Workspace "Nope": no TaskRouter workspace has that name; check flexorch:workspace.sid '
        "or use its SID"
    )
    props = {"lookup_sid": None, "lookup_name": "Nope"}
    failures = WorkspaceProvider().check({}, props).failures
    assert [f.reason for f in failures] == [expected]
    with pytest.raises(FlexorchError) as caught:
        WorkspaceProvider().create(props)
    assert str(caught.value) == expected


def test_workspace_is_never_deleted(http, fake) -> None:
    WorkspaceProvider().delete(WORKSPACE_SID, {"lookup_name": "Flex Task Assignment"})
    assert http.log == []
    assert fake.find(seed.WORKSPACES, sid=WORKSPACE_SID)


# --- TaskQueue ---------------------------------------------------------------------------


def queue_props(name: str | None, sid: str | None = None, workspace: Any = WORKSPACE_SID) -> dict:
    return {"workspace_sid": workspace, "workspace_lookup": WORKSPACE_LOOKUP, "lookup_sid": sid,
            "lookup_name": name, "config_key": "workflow.queue"}  # fmt: skip


def queue_recorded(name: str | None, sid: str | None = None) -> dict:
    """The queue's props as the engine hands them over: its snapshot's record included."""
    props = queue_props(name, sid)
    recorded = TaskQueueSnapshotProvider().create(props).outs
    return {**props, "adopted": {"sid": recorded["sid"], "previous": recorded["previous"]}}


def test_existing_queue_is_adopted_and_survives_delete(http, fake) -> None:
    provider = TaskQueueProvider()
    result = provider.create(queue_recorded("Everyone"))
    assert (result.id, result.outs["created"]) == (EVERYONE_SID, False)
    provider.delete(result.id, result.outs)
    assert writes(http) == []
    assert fake.find(seed.QUEUES, sid=EVERYONE_SID)


def test_missing_queue_is_created_for_all_workers_and_deleted_with_the_stack(http, fake) -> None:
    provider = TaskQueueProvider()
    result = provider.create(queue_recorded("Overflow"))
    assert result.outs["created"] is True
    assert fake.find(seed.QUEUES, sid=result.id)["target_workers"] == "1==1"
    provider.delete(result.id, result.outs)
    assert not [q for q in fake.all(seed.QUEUES) if q["sid"] == result.id]


def test_a_queue_an_earlier_stopped_run_made_is_this_stacks_and_destroy_deletes_it(
    http, fake, warned
) -> None:
    props = queue_recorded("Overflow")  # recorded in state: no queue of that name yet
    # The run was killed after Twilio made the queue, before the engine recorded it.
    made = fake.add(seed.QUEUES, {"WorkspaceSid": WORKSPACE_SID}, friendly_name="Overflow",
                    target_workers="1==1")  # fmt: skip
    provider = TaskQueueProvider()
    result = provider.create(props)
    assert (result.id, result.outs["created"]) == (made["sid"], True)
    assert warned == [
        f'TaskQueue "Overflow": found {made["sid"]}, made by an earlier run; took it over'
    ]
    assert [m for m, _, _ in http.log if m == "POST"] == []
    provider.delete(result.id, result.outs)
    assert [q for q in fake.all(seed.QUEUES) if q["friendly_name"] == "Overflow"] == []


def test_a_created_queue_deleted_in_the_console_reads_as_gone(http, fake) -> None:
    provider = TaskQueueProvider()
    created = provider.create(queue_recorded("Overflow"))
    read = provider.read(created.id, created.outs)
    assert (read.id, read.outs) == (created.id, created.outs)  # refresh keeps `created`
    del fake.records[seed.QUEUES][created.id]
    assert provider.read(created.id, created.outs).id == ""  # up --refresh makes it again


def test_an_adopted_queue_deleted_in_the_console_is_one_line_on_refresh(http, fake) -> None:
    provider = TaskQueueProvider()
    adopted = provider.create(queue_recorded(None, sid=EVERYONE_SID))
    del fake.records[seed.QUEUES][EVERYONE_SID]
    with pytest.raises(FlexorchError) as caught:
        provider.read(adopted.id, adopted.outs)
    assert one_line(caught.value) == (
        f'TaskQueue "{EVERYONE_SID}": {EVERYONE_SID} was adopted by this stack but no longer '
        "exists in Twilio; give flexorch:workflow.queue a queue that exists (or a name no queue "
        "has: one is created) and run `pulumi up` without --refresh, which replaces this one"
    )


@pytest.mark.parametrize("workspace", [WORKSPACE_SID, UNKNOWN], ids=["known", "unknown"])
def test_a_mistyped_queue_sid_fails_in_check_naming_it(http, workspace) -> None:
    typo = "WQ" + "0" * 32
    props = queue_props(None, sid=typo, workspace=workspace)
    result = TaskQueueSnapshotProvider().check({}, props)
    assert len(result.failures) == 1
    assert typo in one_line(result.failures[0].reason)
    # Looked up in the right workspace, found from workspace_lookup while its SID is unknown.
    assert f"/v1/Workspaces/{WORKSPACE_SID}/TaskQueues/{typo}" in [p for _, p, _ in http.log]
    assert writes(http) == []


def test_a_queue_check_with_the_workspace_unknown_passes_a_good_sid(http) -> None:
    props = queue_props(None, sid=EVERYONE_SID, workspace=UNKNOWN)
    assert TaskQueueSnapshotProvider().check({}, props).failures == []
    http.log.clear()
    assert TaskQueueSnapshotProvider().check(props, props).failures == []  # unchanged: none
    assert http.log == []


# --- Workflow ----------------------------------------------------------------------------


def workflow_props(document: dict, timeout: int = 120, **extra: Any) -> dict:
    props = {
        "workspace_sid": WORKSPACE_SID,
        "friendly_name": "Custom messaging",
        "configuration": json.dumps(document),
        "task_reservation_timeout": timeout,
    }
    props.update(extra)
    return props


def workflow_snapshot_props(props: dict) -> dict:
    """The WorkflowSnapshot's inputs for a Workflow's props."""
    return {
        "workspace_sid": props["workspace_sid"],
        "workspace_lookup": WORKSPACE_LOOKUP,
        "adopt_sid": props.get("adopt_sid"),
        "adopt_by_name": props.get("adopt_by_name"),
        "friendly_name": props["friendly_name"],
    }


def workflow_snapshot(props: dict) -> dict:
    """Run the WorkflowSnapshot of a Workflow's props; its record, as the Workflow gets it."""
    outs = WorkflowSnapshotProvider().create(workflow_snapshot_props(props)).outs
    return {"sid": outs["sid"], "previous": outs["previous"]}


def adopt_workflow(props: dict) -> Any:
    return WorkflowProvider().create(dict(props, adopted=workflow_snapshot(props)))


DOC = {"task_routing": {"filters": [], "default_filter": {"queue": EVERYONE_SID}}}


def test_workflow_create_update_delete(http, fake) -> None:
    provider = WorkflowProvider()
    created = provider.create(workflow_props(DOC))
    assert writes(http) == [("POST", WORKFLOWS_PATH)]
    assert json.loads(fake.find(seed.WORKFLOWS, sid=created.id)["configuration"]) == DOC
    news = workflow_props(DOC, timeout=60)
    provider.update(created.id, {**created.outs, "__provider": "x"}, news)
    assert fake.find(seed.WORKFLOWS, sid=created.id)["task_reservation_timeout"] == 60
    provider.delete(created.id, news)
    assert not [w for w in fake.all(seed.WORKFLOWS) if w["sid"] == created.id]


def test_workflow_json_differing_in_whitespace_and_key_order_is_no_change(http) -> None:
    olds = workflow_props(DOC)
    reordered = {"task_routing": {"default_filter": {"queue": EVERYONE_SID}, "filters": []}}
    news = dict(olds, configuration=json.dumps(reordered, indent=4))
    result = WorkflowProvider().diff("WW1", olds, news)
    assert result.changes is False
    assert http.log == []


def test_workflow_document_change_is_an_in_place_update(http) -> None:
    olds = workflow_props(DOC)
    news = workflow_props({"task_routing": {"filters": [], "default_filter": {"queue": "WQ2"}}})
    result = WorkflowProvider().diff("WW1", olds, news)
    assert (result.changes, result.replaces) == (True, [])


def test_workflow_moves_workspace_by_replacement(http) -> None:
    olds = workflow_props(DOC)
    result = WorkflowProvider().diff("WW1", olds, dict(olds, workspace_sid="WS" + "9" * 32))
    assert result.replaces == ["workspace_sid"]


def test_workflow_read_keeps_the_stack_text_when_equal_by_value(http, fake) -> None:
    provider = WorkflowProvider()
    props = workflow_props(DOC)
    created = provider.create(props)
    pretty = json.dumps(DOC, indent=2)
    read = provider.read(created.id, dict(created.outs, configuration=pretty))
    assert read.outs["configuration"] == pretty
    fake.find(seed.WORKFLOWS, sid=created.id)["configuration"] = '{"drifted": true}'
    assert provider.read(created.id, created.outs).outs["configuration"] == '{"drifted": true}'


OLD_DOC = json.dumps({"task_routing": {"filters": []}})


def existing_workflow(fake, name: str = "Handler routing", configuration: str = OLD_DOC) -> dict:
    return fake.add(
        seed.WORKFLOWS,
        {"WorkspaceSid": WORKSPACE_SID},
        friendly_name=name,
        configuration=configuration,
        task_reservation_timeout=30,
    )


@pytest.mark.parametrize("how", ["sid", "name"])
def test_an_adopted_workflow_keeps_its_sid_and_is_restored_not_deleted(http, fake, how) -> None:
    old = existing_workflow(fake)
    count = len(fake.all(seed.WORKFLOWS))
    props = workflow_props(DOC, friendly_name="Handler routing")
    props.update({"adopt_sid": old["sid"]} if how == "sid" else {"adopt_by_name": True})
    adopted = workflow_snapshot(props)
    assert adopted["sid"] == old["sid"] and writes(http) == []
    http.log.clear()
    created = WorkflowProvider().create(dict(props, adopted=adopted))
    assert created.id == old["sid"]
    # The writer only writes: the snapshot did the reading.
    assert http.log[0][:2] == ("POST", f"{WORKFLOWS_PATH}/{old['sid']}") and len(http.log) == 1
    assert len(fake.all(seed.WORKFLOWS)) == count
    live = fake.find(seed.WORKFLOWS, sid=old["sid"])
    assert (json.loads(live["configuration"]), live["task_reservation_timeout"]) == (DOC, 120)
    WorkflowProvider().delete(created.id, created.outs)
    live = fake.find(seed.WORKFLOWS, sid=old["sid"])
    assert (live["configuration"], live["task_reservation_timeout"]) == (OLD_DOC, 30)


def test_adopt_by_name_with_no_such_workflow_creates_one_and_deletes_it(http, fake) -> None:
    before = {w["sid"] for w in fake.all(seed.WORKFLOWS)}
    props = workflow_props(DOC, adopt_by_name=True)
    assert workflow_snapshot(props) == {"sid": "", "previous": None}
    created = adopt_workflow(props)
    assert created.id not in before and created.outs.get("adopted_previous") is None
    WorkflowProvider().delete(created.id, created.outs)
    assert {w["sid"] for w in fake.all(seed.WORKFLOWS)} == before


def test_adopting_a_missing_workflow_sid_is_one_line(http, fake) -> None:
    missing = "WW" + "e" * 32
    props = workflow_snapshot_props(workflow_props(DOC, adopt_sid=missing))
    failures = WorkflowSnapshotProvider().check({}, props).failures
    assert len(failures) == 1 and missing in one_line(failures[0].reason)
    with pytest.raises(FlexorchError) as caught:
        WorkflowSnapshotProvider().create(props)
    assert missing in one_line(caught.value)
    assert writes(http) == []


def test_a_missing_workflow_sid_fails_check_while_the_workspace_sid_is_unknown(http) -> None:
    missing = "WW" + "e" * 32
    props = workflow_snapshot_props(workflow_props(DOC, adopt_sid=missing, workspace_sid=UNKNOWN))
    failures = WorkflowSnapshotProvider().check({}, props).failures
    assert len(failures) == 1 and missing in failures[0].reason


def test_switching_to_an_adopted_workflow_is_a_replacement(http) -> None:
    olds = workflow_props(DOC)
    news = dict(olds, adopt_sid="WW" + "1" * 32)
    assert WorkflowProvider().diff("WW2", olds, news).replaces == ["adopt_sid"]


def named(fake, template: str, **match: Any) -> list[dict]:
    return [r for r in fake.all(template) if all(r.get(k) == v for k, v in match.items())]


def test_a_workflow_an_earlier_stopped_run_made_is_taken_over(http, fake) -> None:
    # Same name, same document by value (another key order and indentation).
    reordered = {"task_routing": {"default_filter": {"queue": EVERYONE_SID}, "filters": []}}
    earlier = existing_workflow(fake, "Custom messaging", json.dumps(reordered, indent=2))
    created = WorkflowProvider().create(workflow_props(DOC))
    assert created.id == earlier["sid"]
    assert [p for m, p, _ in http.log if m == "POST"] == []
    assert len(named(fake, seed.WORKFLOWS, friendly_name="Custom messaging")) == 1


def test_a_sibling_components_workflow_is_neither_taken_over_nor_in_the_way(http, fake) -> None:
    # Another component of the program wants the same Workflow (default name and document),
    # or another one of that name: either way this component makes its own.
    same = existing_workflow(fake, "Custom messaging", json.dumps(DOC))
    other = existing_workflow(fake, "Custom messaging")
    props = workflow_props(DOC, siblings=[same["sid"], other["sid"]])
    created = WorkflowProvider().create(props)
    assert created.id not in (same["sid"], other["sid"])
    assert len(named(fake, seed.WORKFLOWS, friendly_name="Custom messaging")) == 3


def test_a_workflow_of_the_same_name_with_another_document_is_refused(http, fake) -> None:
    other = existing_workflow(fake, "Custom messaging")
    with pytest.raises(FlexorchError) as caught:
        WorkflowProvider().create(workflow_props(DOC))
    text = one_line(caught.value)
    assert other["sid"] in text and "workflow.adopt" in text and "friendlyName" in text
    assert writes(http) == []
    assert fake.find(seed.WORKFLOWS, sid=other["sid"])["configuration"] == OLD_DOC


def test_adopt_by_name_re_run_after_a_crash_makes_no_second_workflow(http, fake) -> None:
    props = workflow_props(DOC, adopt_by_name=True)
    record = workflow_snapshot(props)  # none of that name yet: one is created
    WorkflowProvider().create(dict(props, adopted=record))
    # Stopped before the Workflow reached the state; the snapshot's record did. Re-run:
    WorkflowProvider().create(dict(props, adopted=record))
    assert len(named(fake, seed.WORKFLOWS, friendly_name="Custom messaging")) == 1


# --- TaskChannel -------------------------------------------------------------------------

CHANNEL = {"workspace_sid": WORKSPACE_SID, "unique_name": "custom1", "friendly_name": "Custom"}


def channel_snapshot(props: dict) -> dict:
    """Run the TaskChannelSnapshot of a TaskChannel's props; its record."""
    snapshot = {
        "workspace_sid": props["workspace_sid"],
        "workspace_lookup": WORKSPACE_LOOKUP,
        "unique_name": props["unique_name"],
        "adopt_sid": props.get("adopt_sid"),
        "adopt_by_name": props.get("adopt_by_name"),
    }
    outs = TaskChannelSnapshotProvider().create(snapshot).outs
    return {"sid": outs["sid"], "previous": outs["previous"]}


def test_task_channel_lifecycle(http, fake) -> None:
    provider = TaskChannelProvider()
    created = provider.create(dict(CHANNEL))
    assert created.id.startswith("TC")
    renamed = dict(CHANNEL, friendly_name="Custom SMS")
    assert provider.diff(created.id, created.outs, renamed).replaces == []
    provider.update(created.id, created.outs, renamed)
    assert fake.find(seed.TASK_CHANNELS, sid=created.id)["friendly_name"] == "Custom SMS"
    assert provider.diff(created.id, created.outs, dict(CHANNEL, unique_name="c2")).replaces == [
        "unique_name"
    ]
    provider.delete(created.id, renamed)
    assert not named(fake, seed.TASK_CHANNELS, unique_name="custom1")


def existing_channel(fake, unique: str = "custom1", friendly: str = "Made by hand") -> dict:
    return fake.add(
        seed.TASK_CHANNELS, {"WorkspaceSid": WORKSPACE_SID}, unique_name=unique,
        friendly_name=friendly,
    )  # fmt: skip


@pytest.mark.parametrize("how", ["sid", "name"])
def test_an_adopted_task_channel_keeps_its_sid_and_its_old_name_comes_back(http, fake, how) -> None:
    old = existing_channel(fake)
    count = len(fake.all(seed.TASK_CHANNELS))
    how_to = {"adopt_sid": old["sid"]} if how == "sid" else {"adopt_by_name": True}
    props = dict(CHANNEL, **how_to)
    adopted = channel_snapshot(props)
    assert adopted == {"sid": old["sid"], "previous": {"friendly_name": "Made by hand"}}
    http.log.clear()
    created = TaskChannelProvider().create(dict(props, adopted=adopted))
    assert created.id == old["sid"]
    assert writes(http) == [("POST", f"{CHANNELS_PATH}/{old['sid']}")] and methods(http) == ["POST"]
    assert len(fake.all(seed.TASK_CHANNELS)) == count
    assert fake.find(seed.TASK_CHANNELS, sid=old["sid"])["friendly_name"] == "Custom"
    TaskChannelProvider().delete(created.id, created.outs)
    assert fake.find(seed.TASK_CHANNELS, sid=old["sid"])["friendly_name"] == "Made by hand"


def test_adopting_a_channel_by_sid_with_another_unique_name_says_so(http, fake) -> None:
    old = existing_channel(fake, "other")
    props = dict(CHANNEL, adopt_sid=old["sid"])
    expected = (
        f'TaskChannel "custom1": {old["sid"]} has the unique name "other"; set '
        "taskChannels[].uniqueName to it (TaskRouter cannot rename a channel's unique name)"
    )
    with pytest.raises(FlexorchError) as caught:
        channel_snapshot(props)
    assert str(caught.value) == expected
    snapshot = {k: props.get(k) for k in ("workspace_sid", "unique_name", "adopt_sid")}
    failures = TaskChannelSnapshotProvider().check({}, snapshot).failures
    assert [f.reason for f in failures] == [expected]
    assert writes(http) == []


def test_a_channel_an_earlier_stopped_run_made_is_taken_over(http, fake) -> None:
    earlier = existing_channel(fake, "custom1", "Custom")
    created = TaskChannelProvider().create(dict(CHANNEL))
    assert created.id == earlier["sid"]
    assert named(fake, seed.TASK_CHANNELS, unique_name="custom1") == [earlier]
    # One create was sent; TaskRouter refused it (the name is taken), so nothing new exists.
    assert [p for m, p, _ in http.log if m == "POST"] == [CHANNELS_PATH]


def test_a_channel_of_the_unique_name_with_another_friendly_name_names_adopt(http, fake) -> None:
    other = existing_channel(fake, "custom1", "Made by hand")
    with pytest.raises(FlexorchError) as caught:
        TaskChannelProvider().create(dict(CHANNEL))
    text = one_line(caught.value)
    assert other["sid"] in text and "adopt: true" in text and "Made by hand" in text
    assert named(fake, seed.TASK_CHANNELS, unique_name="custom1") == [other]
    assert other["friendly_name"] == "Made by hand"


# --- Creates whose answer was lost -----------------------------------------------------------


@pytest.mark.parametrize("applied", [True, False], ids=["applied", "not-applied"])
def test_a_task_channel_create_with_a_lost_answer_makes_one(monkeypatch, fake, applied) -> None:
    http = use_fake(monkeypatch, fake, LoseFirstCreate(fake, "/TaskChannels", applied))
    created = TaskChannelProvider().create(dict(CHANNEL))
    [channel] = named(fake, seed.TASK_CHANNELS, unique_name="custom1")
    assert created.id == channel["sid"] and channel["friendly_name"] == "Custom"
    posts = [p for m, p, _ in http.log if m == "POST"]
    assert posts == [CHANNELS_PATH] * (1 if applied else 2)


@pytest.mark.parametrize("applied", [True, False], ids=["applied", "not-applied"])
def test_a_workflow_create_with_a_lost_answer_makes_one(monkeypatch, fake, applied) -> None:
    http = use_fake(monkeypatch, fake, LoseFirstCreate(fake, "/Workflows", applied))
    created = WorkflowProvider().create(workflow_props(DOC))
    [workflow] = named(fake, seed.WORKFLOWS, friendly_name="Custom messaging")
    assert created.id == workflow["sid"] and json.loads(workflow["configuration"]) == DOC
    posts = [p for m, p, _ in http.log if m == "POST"]
    assert posts == [WORKFLOWS_PATH] * (1 if applied else 2)


@pytest.mark.parametrize("applied", [True, False], ids=["applied", "not-applied"])
def test_a_queue_create_with_a_lost_answer_makes_one(monkeypatch, fake, applied) -> None:
    http = use_fake(monkeypatch, fake, LoseFirstCreate(fake, "/TaskQueues", applied))
    created = TaskQueueProvider().create(queue_recorded("Overflow"))
    [queue] = named(fake, seed.QUEUES, friendly_name="Overflow")
    assert (created.id, created.outs["created"]) == (queue["sid"], True)
    assert len([m for m, _, _ in http.log if m == "POST"]) == (1 if applied else 2)


# --- ChatServiceWebhooks -------------------------------------------------------------------


def chat_props(url: str = CHAT_HANDLER, snapshot: dict | None = None, **extra) -> dict:
    props = {
        "service_sid": CHAT_SERVICE_SID,
        "snapshot": snapshot,
        "pre_webhook_url": "",
        "post_webhook_url": url,
        "webhook_method": "POST",
        "webhook_filters": ["onMessageSent", "onChannelUpdated"],
        "retry_count": 1,
    }
    props.update(extra)
    return props


def chat_snapshot(handler: str = CHAT_HANDLER) -> dict:
    """Run the ChatServiceSnapshot; its record, as ChatServiceWebhooks gets it."""
    props = {"service_sid": CHAT_SERVICE_SID, "handler_url": handler}
    outs = ChatServiceSnapshotProvider().create(props).outs
    return {"previous": outs["previous"], "points_at_handler": outs["points_at_handler"]}


def test_chat_webhooks_adopt_record_previous_and_restore(http, fake) -> None:
    before = dict(fake.find(seed.CHAT_SERVICES, sid=CHAT_SERVICE_SID))
    snapshot = chat_snapshot()
    assert snapshot["previous"]["webhook_filters"] == [] and not snapshot["points_at_handler"]
    assert methods(http) == ["GET"]
    http.log.clear()
    provider = ChatServiceWebhooksProvider()
    created = provider.create(chat_props(snapshot=snapshot))
    service = fake.find(seed.CHAT_SERVICES, sid=CHAT_SERVICE_SID)
    assert service["post_webhook_url"] == CHAT_HANDLER
    assert service["webhook_filters"] == ["onMessageSent", "onChannelUpdated"]
    assert service["post_webhook_retry_count"] == 1
    assert created.outs["previous"]["webhook_filters"] == []
    assert methods(http) == ["POST"]
    provider.delete(created.id, created.outs)
    service = fake.find(seed.CHAT_SERVICES, sid=CHAT_SERVICE_SID)
    # The spec cannot express an empty URL, so the URL stays; with the events restored to none,
    # nothing is sent to it.
    assert service["webhook_filters"] == before["webhook_filters"] == []
    assert service["post_webhook_retry_count"] == before["post_webhook_retry_count"]
    assert service["webhook_method"] == before["webhook_method"]


def test_chat_webhooks_created_again_after_a_crash_still_restore_the_old_settings(
    http, fake
) -> None:
    service = fake.find(seed.CHAT_SERVICES, sid=CHAT_SERVICE_SID)
    service.update(webhook_filters=["onMessageAdded"], post_webhook_url="https://old.example.com/")
    props = chat_props(snapshot=chat_snapshot())
    provider = ChatServiceWebhooksProvider()
    provider.create(props)
    # Stopped before the webhooks reached the state; the snapshot's record did. Re-run:
    http.log.clear()
    again = provider.create(props)
    assert methods(http) == ["POST"]
    assert again.outs["previous"]["post_webhook_url"] == "https://old.example.com/"
    assert again.outs["previous"]["webhook_filters"] == ["onMessageAdded"]
    assert again.outs["previous_unknown"] is False
    # A snapshot taken now, after the write, would only see flexorch's own settings.
    lookups.forget()
    late = chat_snapshot()
    assert late["points_at_handler"] is True
    assert late["previous"]["post_webhook_url"] == CHAT_HANDLER
    provider.delete(again.id, again.outs)
    assert service["post_webhook_url"] == "https://old.example.com/"
    assert service["webhook_filters"] == ["onMessageAdded"]


def test_chat_webhooks_diff_normalises(http) -> None:
    olds = chat_props()
    news = chat_props(
        "HTTPS://Handler.example.com:443/flex",
        webhook_method="post",
        webhook_filters=["onChannelUpdated", "onMessageSent"],
    )
    assert ChatServiceWebhooksProvider().diff(CHAT_SERVICE_SID, olds, news).changes is False
    # What Twilio stores, exactly: a path, a trailing slash, a query, userinfo or connection
    # overrides in the fragment are a change (only scheme and host case and a default port are
    # not).
    for url in (
        "https://handler.example.com/other",
        "https://handler.example.com/flex/",
        "https://handler.example.com/flex?v=2",
        "https://handler.example.com/flex#rc=3&ct=2000",
        "https://user:pw@handler.example.com/flex",
        "https://handler.example.com:8443/flex",
        "https://handler.example.com/Flex",
    ):
        changed = chat_props(url)
        assert ChatServiceWebhooksProvider().diff(CHAT_SERVICE_SID, olds, changed).changes, url
    assert http.log == []


# --- PhoneNumberRoute --------------------------------------------------------------------

RECORD = ("sid", "phone_number", "previous", "points_at_handler", "other_handler")


def number_snapshot(number: str, handler: str = SMS_HANDLER) -> dict:
    """Run the PhoneNumbersSnapshot of one number; its record, as the route gets it."""
    props = {"numbers": [number], "handler_url": handler}
    record = PhoneNumbersSnapshotProvider().create(props).outs["records"][number]
    assert set(record) == set(RECORD)
    return dict(record)


def route_props(number: str, snapshot: dict, url: str = SMS_HANDLER, method: str = "POST") -> dict:
    return {"number": number, "snapshot": snapshot, "sms_url": url, "sms_method": method}


def route(number: str, url: str = SMS_HANDLER, method: str = "POST") -> tuple[dict, Any]:
    """Snapshot the number, then route it: the route's props and its CreateResult."""
    props = route_props(number, number_snapshot(number, url), url, method)
    return props, PhoneNumberRouteProvider().create(props)


def test_number_routed_and_restored(http, fake) -> None:
    props, created = route(FREE_NUMBER)
    number = fake.find(seed.NUMBERS, phone_number=FREE_NUMBER)
    assert number["sms_url"] == SMS_HANDLER
    assert created.outs["previous"]["sms_url"] == PROXY_WEBHOOK
    assert created.outs["previous_unknown"] is False
    # One list (the snapshot), then one write (the route): the route reads nothing itself.
    assert [(m, p) for m, p, _ in http.log] == [
        ("GET", NUMBERS_PATH),
        ("POST", number_path(number["sid"])),
    ]
    PhoneNumberRouteProvider().delete(created.id, created.outs)
    assert fake.find(seed.NUMBERS, phone_number=FREE_NUMBER)["sms_url"] == PROXY_WEBHOOK


def test_number_by_sid_and_flex_fallback_cleared(http, fake) -> None:
    number = fake.find(seed.NUMBERS, phone_number=FREE_NUMBER)
    number["sms_fallback_url"] = PROXY_WEBHOOK
    _props, created = route(number["sid"], "https://h.example.com/sms", "GET")
    assert created.outs["phone_number"] == FREE_NUMBER
    assert number["sms_fallback_url"] == "https://h.example.com/sms"
    assert number["sms_method"] == "GET"
    PhoneNumberRouteProvider().delete(created.id, created.outs)
    assert number["sms_fallback_url"] == PROXY_WEBHOOK


def test_unknown_number_is_a_clear_error(http) -> None:
    props = {"numbers": ["+15551234567"], "handler_url": SMS_HANDLER}
    with pytest.raises(FlexorchError, match=r'PhoneNumber "\+15551234567": no phone number'):
        PhoneNumbersSnapshotProvider().create(props)


def add_numbers(fake, count: int) -> list[str]:
    added = []
    for i in range(count):
        number = f"+1500556{i:04d}"
        fake.add(seed.NUMBERS, {"AccountSid": ACCOUNT_SID}, sid=seed.sid("PN", number),
                 phone_number=number, sms_url=PROXY_WEBHOOK, sms_method="POST",
                 sms_fallback_url=None)  # fmt: skip
        added.append(number)
    return added


def test_a_hundred_numbers_are_recorded_with_one_list(http, fake) -> None:
    numbers = add_numbers(fake, 100)
    pn_sid = seed.sid("PN", numbers[-1])
    props = {"numbers": [*numbers[:-1], pn_sid], "handler_url": SMS_HANDLER}  # one by PN SID
    provider = PhoneNumbersSnapshotProvider()
    assert provider.check({}, props).failures == []
    records = provider.create(props).outs["records"]
    assert len(records) == 100
    assert all(r["previous"]["sms_url"] == PROXY_WEBHOOK for r in records.values())
    assert (records[pn_sid]["sid"], records[pn_sid]["phone_number"]) == (pn_sid, numbers[-1])
    assert [(m, p) for m, p, _ in http.log] == [("GET", NUMBERS_PATH)]


def test_a_number_added_later_is_recorded_and_the_others_are_not_read_again(http, fake) -> None:
    provider = PhoneNumbersSnapshotProvider()
    olds = provider.create({"numbers": [FREE_NUMBER], "handler_url": SMS_HANDLER}).outs
    fake.find(seed.NUMBERS, phone_number=FREE_NUMBER)["sms_url"] = SMS_HANDLER  # routed since
    lookups.forget()  # a later run
    news = {"numbers": [FREE_NUMBER, FLEX_FLOW_NUMBER], "handler_url": SMS_HANDLER}
    assert provider.diff("phone-numbers", olds, news).replaces == []
    records = provider.update("phone-numbers", olds, news).outs["records"]
    assert records[FREE_NUMBER] == olds["records"][FREE_NUMBER]  # kept as adopted
    assert records[FREE_NUMBER]["previous"]["sms_url"] == PROXY_WEBHOOK
    assert records[FLEX_FLOW_NUMBER]["sid"] == seed.sid("PN", FLEX_FLOW_NUMBER)
    dropped = provider.update("phone-numbers", olds, {**news, "numbers": [FLEX_FLOW_NUMBER]})
    assert set(dropped.outs["records"]) == {FLEX_FLOW_NUMBER}


def test_an_unknown_number_fails_in_snapshot_check_before_any_write(http, fake) -> None:
    add_numbers(fake, 3)
    props = {"numbers": [FREE_NUMBER, "+15551234567", "+15551234568"], "handler_url": SMS_HANDLER}
    result = PhoneNumbersSnapshotProvider().check({}, props)
    assert [(f.property, f.reason) for f in result.failures] == [
        (
            "numbers",
            'PhoneNumber "+15551234567": no phone number of this account is +15551234567; '
            "check flexorch:numbers (E.164 like +15005550006, or a PN SID)\n"
            'PhoneNumber "+15551234568": no phone number of this account is +15551234568; '
            "check flexorch:numbers (E.164 like +15005550006, or a PN SID)",
        )
    ]
    assert [(m, p) for m, p, _ in http.log] == [("GET", NUMBERS_PATH)]


def test_one_number_given_by_e164_and_by_its_sid_fails_in_snapshot_check(http, fake) -> None:
    sid = seed.sid("PN", FREE_NUMBER)
    assert fake.find(seed.NUMBERS, phone_number=FREE_NUMBER)["sid"] == sid
    props = {"numbers": [FREE_NUMBER, FLEX_FLOW_NUMBER, sid], "handler_url": SMS_HANDLER}
    result = PhoneNumbersSnapshotProvider().check({}, props)
    assert [(f.property, f.reason) for f in result.failures] == [
        (
            "numbers",
            f'flexorch:numbers: "{FREE_NUMBER}" and "{sid}" are the same number '
            f"({FREE_NUMBER}, {sid}); list it once",
        )
    ]


def test_a_route_created_again_after_a_crash_keeps_the_settings_from_before(http, fake) -> None:
    number = fake.find(seed.NUMBERS, phone_number=FREE_NUMBER)
    props, _first = route(FREE_NUMBER)
    assert number["sms_url"] == SMS_HANDLER
    # Stopped before the route reached the state; the snapshot's record did. Re-run:
    http.log.clear()
    again = PhoneNumberRouteProvider().create(props)
    assert [(m, p) for m, p, _ in http.log] == [("POST", number_path(number["sid"]))]
    assert again.outs["previous"]["sms_url"] == PROXY_WEBHOOK
    assert again.outs["previous_unknown"] is False
    # A snapshot taken now, after the write, would only see the handler.
    lookups.forget()
    late = number_snapshot(FREE_NUMBER)
    assert late["points_at_handler"] is True and late["previous"]["sms_url"] == SMS_HANDLER
    PhoneNumberRouteProvider().delete(again.id, again.outs)
    assert number["sms_url"] == PROXY_WEBHOOK


def test_a_number_on_another_handler_is_reported_with_its_url(http, fake) -> None:
    number = fake.find(seed.NUMBERS, phone_number=FREE_NUMBER)
    number["sms_url"] = "https://other-stack.example.com/sms"
    snapshot = number_snapshot(FREE_NUMBER)
    assert snapshot["other_handler"] == "https://other-stack.example.com/sms"
    assert snapshot["points_at_handler"] is False
    created = PhoneNumberRouteProvider().create(route_props(FREE_NUMBER, snapshot))
    PhoneNumberRouteProvider().delete(created.id, created.outs)
    assert number["sms_url"] == "https://other-stack.example.com/sms"


def test_a_number_already_on_this_stacks_handler_is_marked_so(http, fake) -> None:
    number = fake.find(seed.NUMBERS, phone_number=FREE_NUMBER)
    number["sms_url"] = "HTTPS://Handler.example.com:443/sms"  # the same URL, spelled otherwise
    snapshot = number_snapshot(FREE_NUMBER)
    assert (snapshot["points_at_handler"], snapshot["other_handler"]) == (True, "")
    created = PhoneNumberRouteProvider().create(route_props(FREE_NUMBER, snapshot))
    assert created.outs["previous_unknown"] is True


def test_a_flex_hosted_number_is_on_no_other_handler(http) -> None:
    snapshot = number_snapshot(FREE_NUMBER)
    assert (snapshot["points_at_handler"], snapshot["other_handler"]) == (False, "")


def test_a_routed_number_released_from_the_account_is_one_line_on_refresh(http, fake) -> None:
    _props, created = route(FREE_NUMBER)
    del fake.records[seed.NUMBERS][created.id]
    with pytest.raises(FlexorchError) as caught:
        PhoneNumberRouteProvider().read(created.id, created.outs)
    assert str(caught.value) == (
        f'PhoneNumberRoute "{FREE_NUMBER}": {created.id} is no longer a number of this account; '
        "remove it from flexorch:numbers (and `pulumi state delete` its resources)"
    )


def test_a_refresh_of_every_route_lists_the_accounts_numbers_once(http, fake) -> None:
    created = [route(number)[1] for number in (FREE_NUMBER, FLEX_FLOW_NUMBER)]
    lookups.forget()  # the refresh: a process of its own
    http.log.clear()
    fake.find(seed.NUMBERS, sid=created[0].id)["sms_url"] = "https://console.example.com/sms"
    reads = [PhoneNumberRouteProvider().read(c.id, c.outs) for c in created]
    assert [r.outs["sms_url"] for r in reads] == ["https://console.example.com/sms", SMS_HANDLER]
    assert [(m, p) for m, p, _ in http.log] == [("GET", NUMBERS_PATH)]


# --- FlexFlowGuard -----------------------------------------------------------------------


def flow(identity: str, enabled: bool = True, sid: str = "FO1") -> Flow:
    return Flow(sid, "flow", identity, "sms", enabled)


def test_conflicts_are_enabled_flows_on_a_managed_number_in_any_form() -> None:
    flows = [
        flow("+15005550006", sid="FO1"),
        flow("whatsapp:+15005550006", sid="FO2"),
        flow("messenger:+15005550006", sid="FO3"),
        flow("+15005550006", enabled=False, sid="FO4"),
        flow("", sid="FO5"),  # web chat on the shared chat service: not a conflict
        flow("+15550000000", sid="FO6"),
    ]
    conflicts, others = find_conflicts(flows, ["+15005550006"])
    assert [f.sid for f in conflicts] == ["FO1", "FO2", "FO3"]
    assert [f.sid for f in others] == ["FO5", "FO6"]


BOTH = (FREE_NUMBER, FLEX_FLOW_NUMBER)
SMS_FLOW_SID = seed.sid("FO", "SMS Flex Flow")


def guard_props(mode: str, numbers=BOTH, snapshot: dict | None = None) -> dict:
    return {"numbers": list(numbers), "mode": mode, "snapshot": snapshot}


def flows_snapshot(numbers=BOTH) -> dict:
    """Run the FlexFlowSnapshot; its outputs."""
    return FlexFlowSnapshotProvider().create({"numbers": list(numbers)}).outs


def recorded(outs: dict) -> dict:
    """What the guard gets of the FlexFlowSnapshot's outputs."""
    return {k: outs[k] for k in ("resolved_numbers", "conflicts", "others")}


def guard(mode: str, numbers=BOTH) -> dict:
    """Guard props with a snapshot of the flows taken now."""
    return guard_props(mode, numbers, recorded(flows_snapshot(numbers)))


def test_fail_mode_fails_in_check_listing_the_flow_and_the_fix(http, fake) -> None:
    result = FlexFlowGuardProvider().check({}, guard_props("fail"))
    assert len(result.failures) == 1
    reason = result.failures[0].reason
    assert f'{SMS_FLOW_SID} "SMS Flex Flow" on {FLEX_FLOW_NUMBER} (channel type sms)' in reason
    assert "flexorch:flexFlows: disable" in reason
    assert writes(http) == []


def test_fail_mode_create_changes_nothing(http) -> None:
    with pytest.raises(FlexorchError, match="1 enabled Flex Flow"):
        FlexFlowGuardProvider().create(guard("fail"))
    assert writes(http) == []


def test_unchanged_guard_check_makes_no_request(http) -> None:
    props = guard_props("fail")
    assert FlexFlowGuardProvider().check(props, props).failures == []
    assert http.log == []


def test_the_flows_snapshot_records_conflicts_and_others_with_one_list(http, fake) -> None:
    outs = flows_snapshot([seed.sid("PN", FLEX_FLOW_NUMBER)])  # a PN SID resolves to its number
    assert outs["resolved_numbers"] == [FLEX_FLOW_NUMBER]
    assert [c["sid"] for c in outs["conflicts"]] == [SMS_FLOW_SID]
    assert outs["conflicts"][0]["contact_identity"] == FLEX_FLOW_NUMBER
    assert [o["friendly_name"] for o in outs["others"]] == ["Flex Web Channel Flow"]
    # ...and the account's Messaging Services (it has none: no PhoneNumbers list)
    assert sorted(p for _, p, _ in http.log) == sorted(
        [NUMBERS_PATH, seed.FLEX_FLOWS, "/v1/Services"]
    )
    assert writes(http) == []


def test_disable_mode_disables_exactly_the_conflict_and_destroy_reenables(http, fake) -> None:
    provider = FlexFlowGuardProvider()
    props = guard("disable")
    http.log.clear()
    created = provider.create(props)
    sms_flow = fake.find(seed.FLEX_FLOWS, friendly_name="SMS Flex Flow")
    web_flow = fake.find(seed.FLEX_FLOWS, friendly_name="Flex Web Channel Flow")
    assert sms_flow["enabled"] is False and web_flow["enabled"] is True
    assert created.outs["disabled"] == [sms_flow["sid"]]
    assert [o["sid"] for o in created.outs["others"]] == [web_flow["sid"]]
    assert methods(http) == ["POST"]  # the guard acts on the snapshot: no list of its own
    provider.delete(created.id, created.outs)
    assert sms_flow["enabled"] is True


def test_a_guard_created_again_after_a_crash_still_re_enables_the_flow(http, fake) -> None:
    sms_flow = fake.find(seed.FLEX_FLOWS, friendly_name="SMS Flex Flow")
    props = guard("disable")
    provider = FlexFlowGuardProvider()
    provider.create(props)
    assert sms_flow["enabled"] is False
    # Stopped before the guard reached the state; the snapshot's record did. Re-run:
    again = provider.create(props)
    assert again.outs["disabled"] == [SMS_FLOW_SID]
    # A snapshot taken now, after the disable, would see no conflict and lose the flow.
    lookups.forget()
    assert flows_snapshot()["conflicts"] == []
    provider.delete(again.id, again.outs)
    assert sms_flow["enabled"] is True


def test_dropping_a_number_reenables_its_flow(http, fake) -> None:
    provider = FlexFlowGuardProvider()
    snapshot = flows_snapshot()
    created = provider.create(guard_props("disable", BOTH, recorded(snapshot)))
    news = {"numbers": [FREE_NUMBER]}
    snapshot = FlexFlowSnapshotProvider().update("flex-flows", snapshot, news).outs
    updated = provider.update(
        created.id, created.outs, guard_props("disable", [FREE_NUMBER], recorded(snapshot))
    )
    assert fake.find(seed.FLEX_FLOWS, friendly_name="SMS Flex Flow")["enabled"] is True
    assert updated.outs["disabled"] == []


def test_numbers_added_then_removed_touch_only_the_new_numbers_flow(http, fake) -> None:
    sms_flow = fake.find(seed.FLEX_FLOWS, friendly_name="SMS Flex Flow")
    provider = FlexFlowGuardProvider()
    snapshot = flows_snapshot([FLEX_FLOW_NUMBER])
    created = provider.create(guard_props("disable", [FLEX_FLOW_NUMBER], recorded(snapshot)))
    assert created.outs["disabled"] == [SMS_FLOW_SID] and sms_flow["enabled"] is False
    new_flow = fake.add(seed.FLEX_FLOWS, friendly_name="WhatsApp Flow", channel_type="whatsapp",
                        contact_identity=f"whatsapp:{FREE_NUMBER}", enabled=True)  # fmt: skip

    # Added: the snapshot keeps the recorded conflict (now disabled) and adds the new one.
    lookups.forget()  # a later run: a new provider process
    news = {"numbers": [FLEX_FLOW_NUMBER, FREE_NUMBER]}
    snapshot = FlexFlowSnapshotProvider().update("flex-flows", snapshot, news).outs
    assert [c["sid"] for c in snapshot["conflicts"]] == [SMS_FLOW_SID, new_flow["sid"]]
    http.log.clear()
    added = provider.update(
        created.id, created.outs, guard_props("disable", news["numbers"], recorded(snapshot))
    )
    assert writes(http) == [("POST", f"{seed.FLEX_FLOWS}/{new_flow['sid']}")]
    assert new_flow["enabled"] is False and sms_flow["enabled"] is False
    assert added.outs["disabled"] == [SMS_FLOW_SID, new_flow["sid"]]

    # Removed again: only its flow comes back.
    lookups.forget()
    news = {"numbers": [FLEX_FLOW_NUMBER]}
    snapshot = FlexFlowSnapshotProvider().update("flex-flows", snapshot, news).outs
    assert [c["sid"] for c in snapshot["conflicts"]] == [SMS_FLOW_SID]
    http.log.clear()
    removed = provider.update(
        created.id, added.outs, guard_props("disable", news["numbers"], recorded(snapshot))
    )
    assert writes(http) == [("POST", f"{seed.FLEX_FLOWS}/{new_flow['sid']}")]
    assert new_flow["enabled"] is True and sms_flow["enabled"] is False
    assert removed.outs["disabled"] == [SMS_FLOW_SID]
    provider.delete(created.id, removed.outs)
    assert sms_flow["enabled"] is True


def test_conflict_report_lists_each_flow() -> None:
    text = conflict_report(
        [Flow("FO1", "A", "+1", "sms", True), Flow("FO2", "B", "whatsapp:+1", "whatsapp", True)]
    )
    assert text.splitlines()[1:3] == [
        '  FO1 "A" on +1 (channel type sms)',
        '  FO2 "B" on whatsapp:+1 (channel type whatsapp)',
    ]


# --- Console drift: deleted by a person ----------------------------------------------------


def test_a_workflow_deleted_in_the_console_reads_as_gone(http, fake) -> None:
    created = WorkflowProvider().create(workflow_props(DOC))
    records = fake.records[seed.WORKFLOWS]
    del records[created.id]
    read = WorkflowProvider().read(created.id, created.outs)
    assert (read.id, read.outs) == ("", {})


def test_a_task_channel_deleted_in_the_console_reads_as_gone(http, fake) -> None:
    created = TaskChannelProvider().create(dict(CHANNEL))
    del fake.records[seed.TASK_CHANNELS][created.id]
    read = TaskChannelProvider().read(created.id, created.outs)
    assert (read.id, read.outs) == ("", {})


def test_a_refresh_of_every_task_channel_lists_the_workspaces_channels_once(http, fake) -> None:
    created = [
        TaskChannelProvider().create({**CHANNEL, "unique_name": name}) for name in ("c1", "c2")
    ]
    lookups.forget()  # the refresh: a process of its own
    http.log.clear()
    del fake.records[seed.TASK_CHANNELS][created[1].id]
    reads = [TaskChannelProvider().read(c.id, c.outs) for c in created]
    assert [r.id for r in reads] == [created[0].id, ""]
    assert [(m, p) for m, p, _ in http.log] == [
        ("GET", f"/v1/Workspaces/{WORKSPACE_SID}/TaskChannels")
    ]


def test_an_adopted_workflow_deleted_in_the_console_is_one_line(http, fake) -> None:
    old = existing_workflow(fake)
    created = adopt_workflow(workflow_props(DOC, adopt_sid=old["sid"]))
    del fake.records[seed.WORKFLOWS][old["sid"]]
    with pytest.raises(FlexorchError) as caught:
        WorkflowProvider().read(created.id, created.outs)
    assert str(caught.value) == (
        f'Workflow "Custom messaging": {old["sid"]} was adopted by this stack but no longer exists '
        "in Twilio; remove its sid / adopt key from the stack config (a new one is then created), "
        "or restore it"
    )


def test_a_flex_flow_re_enabled_in_the_console_is_drift_disabled_again(http, fake) -> None:
    provider = FlexFlowGuardProvider()
    props = guard("disable")
    created = provider.create(props)
    sms_flow = fake.find(seed.FLEX_FLOWS, friendly_name="SMS Flex Flow")
    assert provider.read(created.id, created.outs).outs["drift"] == []
    sms_flow["enabled"] = True  # a person turned it back on
    refreshed = provider.read(created.id, created.outs).outs
    assert [f["sid"] for f in refreshed["drift"]] == [sms_flow["sid"]]
    assert provider.diff(created.id, refreshed, props).changes is True
    http.log.clear()
    updated = provider.update(created.id, refreshed, props)
    assert writes(http) == [("POST", f"{seed.FLEX_FLOWS}/{sms_flow['sid']}")]
    assert sms_flow["enabled"] is False
    assert updated.outs["disabled"] == [sms_flow["sid"]] and updated.outs["drift"] == []
    provider.delete(created.id, updated.outs)
    assert sms_flow["enabled"] is True


def test_a_flow_enabled_since_is_disabled_by_a_mode_changed_with_no_refresh(http, fake) -> None:
    provider = FlexFlowGuardProvider()
    props = guard("fail", [FREE_NUMBER])
    created = provider.create(props)
    flow = fake.add(seed.FLEX_FLOWS, friendly_name="Console SMS", channel_type="sms",
                    contact_identity=FREE_NUMBER, enabled=True)  # fmt: skip
    lookups.forget()  # the next `up` is another provider process
    updated = provider.update(created.id, created.outs, {**props, "mode": "disable"}).outs
    assert flow["enabled"] is False
    assert updated["disabled"] == [flow["sid"]] and updated["drift"] == []
    provider.delete(created.id, updated)
    assert flow["enabled"] is True


def test_in_fail_mode_drift_stops_the_preview_naming_the_flow(http, fake) -> None:
    provider = FlexFlowGuardProvider()
    numbers = [FREE_NUMBER]
    props = guard("fail", numbers)
    created = provider.create(props)
    flow = fake.add(seed.FLEX_FLOWS, friendly_name="Console SMS", channel_type="sms",
                    contact_identity=FREE_NUMBER, enabled=True)  # fmt: skip
    refreshed = provider.read(created.id, created.outs).outs
    assert provider.diff(created.id, refreshed, props).changes is True
    with pytest.raises(FlexorchError) as caught:
        provider.preview_update(refreshed, props)
    assert f'{flow["sid"]} "Console SMS" on {FREE_NUMBER} (channel type sms)' in str(caught.value)


# --- the provider host ---------------------------------------------------------------------


def test_the_host_pool_that_runs_configure_is_widened() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from flexorch.resources.base import widen_host_pool

    pool = ThreadPoolExecutor(max_workers=4)
    other = ThreadPoolExecutor(max_workers=4)
    try:
        assert pool.submit(widen_host_pool, 32).result() is True
        assert pool._max_workers == 32
        assert other._max_workers == 4  # only the pool the call runs on
        assert widen_host_pool(32) is False  # not on a pool thread: nothing to widen
    finally:
        pool.shutdown()
        other.shutdown()


# --- A refresh keeps what destroy needs (create adopted -> read -> delete restores) -----------


def refreshed(provider: Any, created: Any) -> dict:
    """The outputs after `pulumi refresh`: the engine stores what `read` returns."""
    read = provider.read(created.id, {**created.outs, "__provider": "pickled"})
    assert read.id == created.id
    return dict(read.outs)


@pytest.mark.parametrize("how", ["sid", "name"])
def test_an_adopted_workflow_refreshed_is_still_restored_not_deleted(http, fake, how) -> None:
    old = existing_workflow(fake)
    props = workflow_props(DOC, friendly_name="Handler routing")
    props.update({"adopt_sid": old["sid"]} if how == "sid" else {"adopt_by_name": True})
    created = adopt_workflow(props)
    outs = refreshed(WorkflowProvider(), created)
    assert outs["adopted_previous"] == created.outs["adopted_previous"] is not None
    WorkflowProvider().delete(created.id, outs)
    live = fake.find(seed.WORKFLOWS, sid=old["sid"])
    assert (live["configuration"], live["task_reservation_timeout"]) == (OLD_DOC, 30)


@pytest.mark.parametrize("how", ["sid", "name"])
def test_an_adopted_task_channel_refreshed_is_still_restored_not_deleted(http, fake, how) -> None:
    old = existing_channel(fake)
    props = dict(
        CHANNEL, **({"adopt_sid": old["sid"]} if how == "sid" else {"adopt_by_name": True})
    )
    created = TaskChannelProvider().create(dict(props, adopted=channel_snapshot(props)))
    outs = refreshed(TaskChannelProvider(), created)
    TaskChannelProvider().delete(created.id, outs)
    assert fake.find(seed.TASK_CHANNELS, sid=old["sid"])["friendly_name"] == "Made by hand"


def test_an_adopted_queue_refreshed_is_still_left_in_place(http, fake) -> None:
    created = TaskQueueProvider().create(queue_recorded("Everyone"))
    TaskQueueProvider().delete(created.id, refreshed(TaskQueueProvider(), created))
    assert fake.find(seed.QUEUES, sid=EVERYONE_SID)


def test_chat_webhooks_refreshed_are_still_restored(http, fake) -> None:
    service = fake.find(seed.CHAT_SERVICES, sid=CHAT_SERVICE_SID)
    service.update(webhook_filters=["onMessageAdded"], post_webhook_url="https://old.example.com/")
    provider = ChatServiceWebhooksProvider()
    created = provider.create(chat_props(snapshot=chat_snapshot()))
    provider.delete(created.id, refreshed(provider, created))
    assert service["post_webhook_url"] == "https://old.example.com/"
    assert service["webhook_filters"] == ["onMessageAdded"]


def test_a_route_refreshed_is_still_restored(http, fake) -> None:
    _props, created = route(FREE_NUMBER)
    provider = PhoneNumberRouteProvider()
    provider.delete(created.id, refreshed(provider, created))
    assert fake.find(seed.NUMBERS, phone_number=FREE_NUMBER)["sms_url"] == PROXY_WEBHOOK


def test_a_guard_refreshed_still_re_enables_the_flow(http, fake) -> None:
    provider = FlexFlowGuardProvider()
    created = provider.create(guard("disable"))
    provider.delete(created.id, refreshed(provider, created))
    assert fake.find(seed.FLEX_FLOWS, sid=SMS_FLOW_SID)["enabled"] is True


# --- Adoption keys changed on an object the stack holds ------------------------------------


def test_adopting_the_workflow_the_stack_made_is_an_update_that_deletes_nothing(
    http, fake, warned
) -> None:
    provider = WorkflowProvider()
    created = provider.create(workflow_props(DOC))
    news = workflow_props(DOC, adopt_by_name=True)
    diff = provider.diff(created.id, created.outs, news)
    assert (diff.changes, diff.replaces) == (True, [])
    http.log.clear()
    updated = provider.update(created.id, created.outs, dict(news, adopted=workflow_snapshot(news)))
    assert writes(http) == []  # only the adoption key changed: nothing to write
    assert updated.outs["sid"] == created.id and updated.outs.get("adopted_previous") is None
    assert warned == [
        f'Workflow "Custom messaging": {created.id} was made by this stack, so adopting it '
        "changes nothing: destroy still deletes it"
    ]
    assert fake.find(seed.WORKFLOWS, sid=created.id)
    provider.delete(created.id, updated.outs)  # still the stack's own
    assert named(fake, seed.WORKFLOWS, sid=created.id) == []


def test_adopting_the_task_channel_the_stack_made_is_an_update_that_deletes_nothing(
    http, fake
) -> None:
    provider = TaskChannelProvider()
    created = provider.create(dict(CHANNEL))
    news = dict(CHANNEL, adopt_sid=created.id)
    assert provider.diff(created.id, created.outs, news).replaces == []
    updated = provider.update(created.id, created.outs, dict(news, adopted=channel_snapshot(news)))
    assert fake.find(seed.TASK_CHANNELS, sid=created.id)["unique_name"] == "custom1"
    assert updated.outs.get("adopted_previous") is None


def test_moving_an_adoption_from_sid_to_adopt_keeps_the_settings_from_before(http, fake) -> None:
    old = existing_workflow(fake, "Custom messaging")
    provider = WorkflowProvider()
    by_sid = workflow_props(DOC, adopt_sid=old["sid"])
    snapshots = WorkflowSnapshotProvider()
    recorded = snapshots.create(workflow_snapshot_props(by_sid)).outs
    created = provider.create(dict(by_sid, adopted=workflow_snapshot(by_sid)))
    by_name = workflow_props(DOC, adopt_by_name=True)
    assert provider.diff(created.id, created.outs, by_sid | {"adopt_sid": None}).replaces == [
        "adopt_sid"
    ]  # no longer adopted at all: the adopted one goes back, a new one is made
    assert provider.diff(created.id, created.outs, by_name).replaces == []
    # The snapshot is updated, not replaced: it still names the object recorded, so it keeps
    # the settings from before (a look-up now would only see flexorch's own).
    lookups.forget()
    news = workflow_snapshot_props(by_name)
    assert snapshots.diff("WW", recorded, news).replaces == []
    kept = snapshots.update("WW", recorded, news).outs
    assert kept["previous"]["configuration"] == OLD_DOC
    adopted = {"sid": kept["sid"], "previous": kept["previous"]}
    updated = provider.update(created.id, created.outs, dict(by_name, adopted=adopted))
    assert updated.outs["adopted_previous"] == created.outs["adopted_previous"]
    provider.delete(created.id, updated.outs)
    live = fake.find(seed.WORKFLOWS, sid=old["sid"])
    assert (live["configuration"], live["task_reservation_timeout"]) == (OLD_DOC, 30)


def test_adoption_keys_naming_another_workflow_replace_it(http) -> None:
    olds = workflow_props(DOC, adopt_by_name=True)
    renamed = workflow_props(DOC, adopt_by_name=True, friendly_name="Another one")
    assert WorkflowProvider().diff("WW1", olds, renamed).replaces == []  # only a rename
    moved = workflow_props(DOC, adopt_sid="WW" + "2" * 32)
    assert WorkflowProvider().diff("WW1", olds, moved).replaces == ["adopt_sid", "adopt_by_name"]


def test_a_chat_service_on_another_handler_is_reported_with_its_url(http, fake, warned) -> None:
    service = fake.find(seed.CHAT_SERVICES, sid=CHAT_SERVICE_SID)
    service.update(post_webhook_url="https://stack-a.example.com/flex")
    ChatServiceWebhooksProvider().create(chat_props(snapshot=chat_snapshot()))
    assert warned == [
        f'ChatServiceWebhooks "{CHAT_SERVICE_SID}": its webhooks pointed at another handler '
        "(https://stack-a.example.com/flex); if another stack manages this service, remove it "
        "from one of them: destroying them in the wrong order leaves it on the first one's "
        "handler"
    ]


# --- the platforms: one strategy per platform, one row of config rules ----------------------


def test_every_platform_has_a_strategy_and_a_row_of_config_rules() -> None:
    from flexorch.config import PLATFORM_RULES
    from flexorch.resources.platforms import PLATFORMS, platform
    from flexorch.twilio_facts import DEFAULT_PLATFORM
    from flexorch.twilio_facts import PLATFORMS as NAMES

    assert list(PLATFORMS) == list(PLATFORM_RULES) == list(NAMES)
    assert all(strategy.name == name for name, strategy in PLATFORMS.items())
    # A state or config written before the key existed is on the default platform.
    assert platform(None) is platform("") is PLATFORMS[DEFAULT_PLATFORM]
    # Each platform records the chat service's settings under an output of its own.
    assert len({strategy.recorded for strategy in PLATFORMS.values()}) == len(PLATFORMS)


def test_webhook_settings_come_back_as_recorded_under_each_platforms_names() -> None:
    from flexorch.twilio_facts import WebhookSettings

    chat = {
        "pre_webhook_url": "https://a.example/pre",
        "post_webhook_url": "https://a.example/post",
        "webhook_method": "GET",
        "webhook_filters": ["onMessageSent", "onMemberAdded", "onUserAdded"],
        "pre_webhook_retry_count": 1,
        "post_webhook_retry_count": 2,
    }
    assert WebhookSettings.from_chat_fields(chat).chat_fields() == chat
    assert WebhookSettings.from_chat_fields(chat).on_conversations().conversations_fields() == {
        "pre_webhook_url": "https://a.example/pre",
        "post_webhook_url": "https://a.example/post",
        "method": "GET",
        "filters": ["onMessageAdded", "onParticipantAdded"],
    }
    conversations = {"pre_webhook_url": "", "post_webhook_url": "", "method": "POST", "filters": []}
    settings = WebhookSettings.from_conversations_fields(conversations)
    assert settings.conversations_fields() == conversations
    assert settings.post_retry_count is None  # Conversations has none


# --- the workspace's room for TaskChannels (the guard's check) ---------------------------------


def room_check(stack: list[str], limit: int = 15, olds: dict | None = None) -> list[str]:
    props = {"numbers": [FREE_NUMBER], "mode": "fail", "chat_service_sid": None,
             "task_channels": stack, "channel_limit": limit,
             "workspace_lookup": WORKSPACE_LOOKUP}  # fmt: skip
    failures = FlexFlowGuardProvider().check(olds or {}, props).failures
    return [f.reason for f in failures if f.property == "task_channels"]


def test_preview_refuses_channels_the_workspace_has_no_room_for(http) -> None:
    # The seeded workspace has Flex's 6 (default, voice, chat, sms, video, email).
    stack = [f"custom{i}" for i in range(10)]
    (reason,) = room_check(stack)
    assert reason.startswith(
        f"flexorch:taskChannels: workspace {seed.WORKSPACE_SID} has 6 TaskChannels "
        "(default, voice, chat, sms, video, email) and the stack would add 10 (custom0, "
    )
    assert "16, more than the 15 TaskRouter allows per workspace" in reason
    assert "flexorch:taskChannelLimit" in reason
    lists = [p for m, p, _ in http.log if m == "GET" and p.endswith("/TaskChannels")]
    assert len(lists) == 1
    assert writes(http) == []


def test_room_counts_channels_the_workspace_has_and_a_raised_limit(http, fake) -> None:
    assert room_check([f"custom{i}" for i in range(9)]) == []  # 15: room
    fake.add(seed.TASK_CHANNELS, {"WorkspaceSid": seed.WORKSPACE_SID}, unique_name="custom0",
             friendly_name="custom0")  # fmt: skip
    lookups.forget()
    stack = [f"custom{i}" for i in range(10)]  # custom0 exists: 7 + 9 = 16
    (reason,) = room_check(stack)
    assert "has 7 TaskChannels" in reason and "would add 9" in reason
    lookups.forget()
    assert room_check(stack, limit=20) == []


def test_unchanged_channels_cost_no_count(http) -> None:
    stack = [f"custom{i}" for i in range(10)]
    olds = {"numbers": [FREE_NUMBER], "mode": "fail", "chat_service_sid": None,
            "task_channels": list(reversed(stack))}  # fmt: skip
    assert room_check(stack, olds=olds) == []
    assert http.log == []
    # A state from before the key existed: its channels are in place already.
    assert room_check(stack, olds={**olds, "task_channels": None}) == []
    assert http.log == []
