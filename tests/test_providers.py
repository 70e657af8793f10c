"""Provider logic against a stateful fake Twilio in this process: the requests each step makes,
what is recorded at adoption and restored on destroy, and diffs that need no request."""

from __future__ import annotations

import json

import pytest
from helpers import use_fake

from flexorch.errors import FlexorchError
from flexorch.resources.chat_webhooks import ChatServiceWebhooksProvider
from flexorch.resources.flex_flow_guard import (
    FlexFlowGuardProvider,
    Flow,
    conflict_report,
    find_conflicts,
)
from flexorch.resources.phone_number import PhoneNumberRouteProvider
from flexorch.resources.queue import TaskQueueProvider
from flexorch.resources.task_channel import TaskChannelProvider
from flexorch.resources.workflow import WorkflowProvider
from flexorch.resources.workspace import WorkspaceProvider
from flexorch.sandbox import seed
from flexorch.sandbox.seed import (
    CHAT_SERVICE_SID,
    EVERYONE_SID,
    FLEX_FLOW_NUMBER,
    FREE_NUMBER,
    PROXY_WEBHOOK,
    WORKSPACE_SID,
)


@pytest.fixture
def fake():
    return seed.flex_account()


@pytest.fixture
def http(monkeypatch, fake):
    return use_fake(monkeypatch, fake)


def writes(http) -> list[tuple[str, str]]:
    return [(m, p) for m, p, _ in http.log if m != "GET"]


# --- Workspace ---------------------------------------------------------------------------


def test_workspace_adopted_by_name_with_one_read(http) -> None:
    result = WorkspaceProvider().create({"lookup_sid": None, "lookup_name": "Flex Task Assignment"})
    assert result.id == WORKSPACE_SID
    assert result.outs["sid"] == WORKSPACE_SID
    assert [m for m, _, _ in http.log] == ["GET"]


def test_workspace_adopted_by_sid(http) -> None:
    result = WorkspaceProvider().create({"lookup_sid": WORKSPACE_SID, "lookup_name": None})
    assert result.outs["friendly_name"] == "Flex Task Assignment"


def test_workspace_not_found_says_how_to_fix(http) -> None:
    with pytest.raises(FlexorchError) as caught:
        WorkspaceProvider().create({"lookup_sid": None, "lookup_name": "Nope"})
    assert str(caught.value) == (
        'Workspace "Nope": no TaskRouter workspace has that name; check flexorch:workspace.sid '
        "or use its SID"
    )


def test_workspace_is_never_deleted(http, fake) -> None:
    WorkspaceProvider().delete(WORKSPACE_SID, {"lookup_name": "Flex Task Assignment"})
    assert http.log == []
    assert fake.find(seed.WORKSPACES, sid=WORKSPACE_SID)


# --- TaskQueue ---------------------------------------------------------------------------


def queue_props(name: str) -> dict:
    return {"workspace_sid": WORKSPACE_SID, "lookup_sid": None, "lookup_name": name,
            "config_key": "workflow.queue"}  # fmt: skip


def test_existing_queue_is_adopted_and_survives_delete(http, fake) -> None:
    provider = TaskQueueProvider()
    result = provider.create(queue_props("Everyone"))
    assert (result.id, result.outs["created"]) == (EVERYONE_SID, False)
    provider.delete(result.id, result.outs)
    assert writes(http) == []
    assert fake.find(seed.QUEUES, sid=EVERYONE_SID)


def test_missing_queue_is_created_for_all_workers_and_deleted_with_the_stack(http, fake) -> None:
    provider = TaskQueueProvider()
    result = provider.create(queue_props("Overflow"))
    assert result.outs["created"] is True
    assert fake.find(seed.QUEUES, sid=result.id)["target_workers"] == "1==1"
    provider.delete(result.id, result.outs)
    assert not [q for q in fake.all(seed.QUEUES) if q["sid"] == result.id]


# --- Workflow ----------------------------------------------------------------------------


def workflow_props(document: dict, timeout: int = 120) -> dict:
    return {
        "workspace_sid": WORKSPACE_SID,
        "friendly_name": "Custom messaging",
        "configuration": json.dumps(document),
        "task_reservation_timeout": timeout,
    }


DOC = {"task_routing": {"filters": [], "default_filter": {"queue": EVERYONE_SID}}}


def test_workflow_create_update_delete(http, fake) -> None:
    provider = WorkflowProvider()
    created = provider.create(workflow_props(DOC))
    assert writes(http) == [("POST", f"/v1/Workspaces/{WORKSPACE_SID}/Workflows")]
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


def existing_workflow(fake, name: str = "Handler routing") -> dict:
    return fake.add(
        seed.WORKFLOWS,
        {"WorkspaceSid": WORKSPACE_SID},
        friendly_name=name,
        configuration=json.dumps({"task_routing": {"filters": []}}),
        task_reservation_timeout=30,
    )


@pytest.mark.parametrize("how", ["sid", "name"])
def test_an_adopted_workflow_keeps_its_sid_and_is_restored_not_deleted(http, fake, how) -> None:
    old = existing_workflow(fake)
    count = len(fake.all(seed.WORKFLOWS))
    props = dict(workflow_props(DOC), friendly_name="Handler routing")
    props.update({"adopt_sid": old["sid"]} if how == "sid" else {"adopt_by_name": True})
    created = WorkflowProvider().create(props)
    assert created.id == old["sid"]
    assert writes(http) == [("POST", f"/v1/Workspaces/{WORKSPACE_SID}/Workflows/{old['sid']}")]
    assert len(fake.all(seed.WORKFLOWS)) == count
    live = fake.find(seed.WORKFLOWS, sid=old["sid"])
    assert (json.loads(live["configuration"]), live["task_reservation_timeout"]) == (DOC, 120)
    WorkflowProvider().delete(created.id, created.outs)
    live = fake.find(seed.WORKFLOWS, sid=old["sid"])
    assert (live["configuration"], live["task_reservation_timeout"]) == (
        json.dumps({"task_routing": {"filters": []}}),
        30,
    )


def test_adopt_by_name_with_no_such_workflow_creates_one_and_deletes_it(http, fake) -> None:
    before = {w["sid"] for w in fake.all(seed.WORKFLOWS)}
    created = WorkflowProvider().create(dict(workflow_props(DOC), adopt_by_name=True))
    assert created.id not in before and created.outs.get("adopted_previous") is None
    WorkflowProvider().delete(created.id, created.outs)
    assert {w["sid"] for w in fake.all(seed.WORKFLOWS)} == before


def test_adopting_a_missing_workflow_sid_is_one_line(http, fake) -> None:
    missing = "WW" + "e" * 32
    with pytest.raises(FlexorchError) as caught:
        WorkflowProvider().create(dict(workflow_props(DOC), adopt_sid=missing))
    assert "\n" not in str(caught.value) and missing in str(caught.value)
    assert writes(http) == []


def test_switching_to_an_adopted_workflow_is_a_replacement(http) -> None:
    olds = workflow_props(DOC)
    news = dict(olds, adopt_sid="WW" + "1" * 32)
    assert WorkflowProvider().diff("WW2", olds, news).replaces == ["adopt_sid"]


# --- TaskChannel -------------------------------------------------------------------------


def test_task_channel_lifecycle(http, fake) -> None:
    provider = TaskChannelProvider()
    props = {"workspace_sid": WORKSPACE_SID, "unique_name": "custom1", "friendly_name": "Custom"}
    created = provider.create(props)
    assert created.id.startswith("TC")
    renamed = dict(props, friendly_name="Custom SMS")
    assert provider.diff(created.id, created.outs, renamed).replaces == []
    provider.update(created.id, created.outs, renamed)
    assert fake.find(seed.TASK_CHANNELS, sid=created.id)["friendly_name"] == "Custom SMS"
    assert provider.diff(created.id, created.outs, dict(props, unique_name="c2")).replaces == [
        "unique_name"
    ]
    provider.delete(created.id, renamed)
    assert not [c for c in fake.all(seed.TASK_CHANNELS) if c["unique_name"] == "custom1"]


def existing_channel(fake, unique: str = "custom1") -> dict:
    return fake.add(
        seed.TASK_CHANNELS, {"WorkspaceSid": WORKSPACE_SID}, unique_name=unique,
        friendly_name="Made by hand",
    )  # fmt: skip


@pytest.mark.parametrize("how", ["sid", "name"])
def test_an_adopted_task_channel_keeps_its_sid_and_its_old_name_comes_back(http, fake, how) -> None:
    old = existing_channel(fake)
    count = len(fake.all(seed.TASK_CHANNELS))
    props = {"workspace_sid": WORKSPACE_SID, "unique_name": "custom1", "friendly_name": "Custom"}
    props.update({"adopt_sid": old["sid"]} if how == "sid" else {"adopt_by_name": True})
    created = TaskChannelProvider().create(props)
    assert created.id == old["sid"]
    assert len(fake.all(seed.TASK_CHANNELS)) == count
    assert fake.find(seed.TASK_CHANNELS, sid=old["sid"])["friendly_name"] == "Custom"
    TaskChannelProvider().delete(created.id, created.outs)
    assert fake.find(seed.TASK_CHANNELS, sid=old["sid"])["friendly_name"] == "Made by hand"


def test_adopting_a_channel_by_sid_with_another_unique_name_says_so(http, fake) -> None:
    old = existing_channel(fake, "other")
    props = {"workspace_sid": WORKSPACE_SID, "unique_name": "custom1", "friendly_name": "Custom",
             "adopt_sid": old["sid"]}  # fmt: skip
    with pytest.raises(FlexorchError) as caught:
        TaskChannelProvider().create(props)
    assert str(caught.value) == (
        f'TaskChannel "custom1": {old["sid"]} has the unique name "other"; set '
        "taskChannels[].uniqueName to it (TaskRouter cannot rename a channel's unique name)"
    )
    assert writes(http) == []


# --- ChatServiceWebhooks -------------------------------------------------------------------


def chat_props(url: str = "https://handler.example.com/flex", **extra) -> dict:
    props = {
        "service_sid": CHAT_SERVICE_SID,
        "pre_webhook_url": "",
        "post_webhook_url": url,
        "webhook_method": "POST",
        "webhook_filters": ["onMessageSent", "onChannelUpdated"],
        "retry_count": 1,
    }
    props.update(extra)
    return props


def test_chat_webhooks_adopt_record_previous_and_restore(http, fake) -> None:
    before = dict(fake.find(seed.CHAT_SERVICES, sid=CHAT_SERVICE_SID))
    provider = ChatServiceWebhooksProvider()
    created = provider.create(chat_props())
    service = fake.find(seed.CHAT_SERVICES, sid=CHAT_SERVICE_SID)
    assert service["post_webhook_url"] == "https://handler.example.com/flex"
    assert service["webhook_filters"] == ["onMessageSent", "onChannelUpdated"]
    assert service["post_webhook_retry_count"] == 1
    assert created.outs["previous"]["webhook_filters"] == []
    assert [m for m, _, _ in http.log] == ["GET", "POST"]
    provider.delete(created.id, created.outs)
    service = fake.find(seed.CHAT_SERVICES, sid=CHAT_SERVICE_SID)
    # The spec cannot express an empty URL, so the URL stays; with the events restored to none,
    # nothing is sent to it.
    assert service["webhook_filters"] == before["webhook_filters"] == []
    assert service["post_webhook_retry_count"] == before["post_webhook_retry_count"]
    assert service["webhook_method"] == before["webhook_method"]


def test_chat_webhooks_diff_normalises(http) -> None:
    olds = chat_props()
    news = chat_props(
        "HTTPS://Handler.example.com/flex/",
        webhook_method="post",
        webhook_filters=["onChannelUpdated", "onMessageSent"],
    )
    assert ChatServiceWebhooksProvider().diff(CHAT_SERVICE_SID, olds, news).changes is False
    changed = chat_props("https://handler.example.com/other")
    assert ChatServiceWebhooksProvider().diff(CHAT_SERVICE_SID, olds, changed).changes is True
    assert http.log == []


# --- PhoneNumberRoute --------------------------------------------------------------------


def test_number_routed_and_restored(http, fake) -> None:
    provider = PhoneNumberRouteProvider()
    props = {
        "number": FREE_NUMBER,
        "sms_url": "https://handler.example.com/sms",
        "sms_method": "POST",
    }
    created = provider.create(props)
    number = fake.find(seed.NUMBERS, phone_number=FREE_NUMBER)
    assert number["sms_url"] == "https://handler.example.com/sms"
    assert created.outs["previous"]["sms_url"] == PROXY_WEBHOOK
    assert [m for m, _, _ in http.log] == ["GET", "POST"]
    provider.delete(created.id, created.outs)
    assert fake.find(seed.NUMBERS, phone_number=FREE_NUMBER)["sms_url"] == PROXY_WEBHOOK


def test_number_by_sid_and_flex_fallback_cleared(http, fake) -> None:
    number = fake.find(seed.NUMBERS, phone_number=FREE_NUMBER)
    number["sms_fallback_url"] = PROXY_WEBHOOK
    provider = PhoneNumberRouteProvider()
    props = {"number": number["sid"], "sms_url": "https://h.example.com/sms", "sms_method": "GET"}
    created = provider.create(props)
    assert created.outs["phone_number"] == FREE_NUMBER
    assert number["sms_fallback_url"] == "https://h.example.com/sms"
    assert number["sms_method"] == "GET"
    provider.delete(created.id, created.outs)
    assert number["sms_fallback_url"] == PROXY_WEBHOOK


def test_unknown_number_is_a_clear_error(http) -> None:
    with pytest.raises(FlexorchError, match=r'PhoneNumberRoute "\+15551234567": no phone number'):
        PhoneNumberRouteProvider().create(
            {"number": "+15551234567", "sms_url": "https://h.example.com", "sms_method": "POST"}
        )


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


def guard_props(mode: str, numbers=(FREE_NUMBER, FLEX_FLOW_NUMBER)) -> dict:
    return {"numbers": list(numbers), "mode": mode}


def test_fail_mode_fails_in_check_listing_the_flow_and_the_fix(http, fake) -> None:
    result = FlexFlowGuardProvider().check({}, guard_props("fail"))
    assert len(result.failures) == 1
    reason = result.failures[0].reason
    flow_sid = seed.sid("FO", "SMS Flex Flow")
    assert f'{flow_sid} "SMS Flex Flow" on {FLEX_FLOW_NUMBER} (channel type sms)' in reason
    assert "flexorch:flexFlows: disable" in reason
    assert writes(http) == []


def test_fail_mode_create_changes_nothing(http) -> None:
    with pytest.raises(FlexorchError, match="1 enabled Flex Flow"):
        FlexFlowGuardProvider().create(guard_props("fail"))
    assert writes(http) == []


def test_unchanged_guard_check_makes_no_request(http) -> None:
    props = guard_props("fail")
    assert FlexFlowGuardProvider().check(props, props).failures == []
    assert http.log == []


def test_disable_mode_disables_exactly_the_conflict_and_destroy_reenables(http, fake) -> None:
    provider = FlexFlowGuardProvider()
    created = provider.create(guard_props("disable"))
    sms_flow = fake.find(seed.FLEX_FLOWS, friendly_name="SMS Flex Flow")
    web_flow = fake.find(seed.FLEX_FLOWS, friendly_name="Flex Web Channel Flow")
    assert sms_flow["enabled"] is False and web_flow["enabled"] is True
    assert created.outs["disabled"] == [sms_flow["sid"]]
    assert [o["sid"] for o in created.outs["others"]] == [web_flow["sid"]]
    provider.delete(created.id, created.outs)
    assert sms_flow["enabled"] is True


def test_dropping_a_number_reenables_its_flow(http, fake) -> None:
    provider = FlexFlowGuardProvider()
    created = provider.create(guard_props("disable"))
    news = guard_props("disable", numbers=[FREE_NUMBER])
    updated = provider.update(created.id, created.outs, news)
    assert fake.find(seed.FLEX_FLOWS, friendly_name="SMS Flex Flow")["enabled"] is True
    assert updated.outs["disabled"] == []


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
    props = {"workspace_sid": WORKSPACE_SID, "unique_name": "custom1", "friendly_name": "Custom"}
    created = TaskChannelProvider().create(props)
    del fake.records[seed.TASK_CHANNELS][created.id]
    read = TaskChannelProvider().read(created.id, created.outs)
    assert (read.id, read.outs) == ("", {})


def test_an_adopted_workflow_deleted_in_the_console_is_one_line(http, fake) -> None:
    old = existing_workflow(fake)
    created = WorkflowProvider().create(dict(workflow_props(DOC), adopt_sid=old["sid"]))
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
    created = provider.create(guard_props("disable"))
    sms_flow = fake.find(seed.FLEX_FLOWS, friendly_name="SMS Flex Flow")
    assert provider.read(created.id, created.outs).outs["drift"] == []
    sms_flow["enabled"] = True  # a person turned it back on
    refreshed = provider.read(created.id, created.outs).outs
    assert [f["sid"] for f in refreshed["drift"]] == [sms_flow["sid"]]
    assert provider.diff(created.id, refreshed, guard_props("disable")).changes is True
    updated = provider.update(created.id, refreshed, guard_props("disable"))
    assert sms_flow["enabled"] is False
    assert updated.outs["disabled"] == [sms_flow["sid"]] and updated.outs["drift"] == []
    provider.delete(created.id, updated.outs)
    assert sms_flow["enabled"] is True


def test_in_fail_mode_drift_stops_the_preview_naming_the_flow(http, fake) -> None:
    provider = FlexFlowGuardProvider()
    numbers = [FREE_NUMBER]
    created = provider.create(guard_props("fail", numbers=numbers))
    flow = fake.add(seed.FLEX_FLOWS, friendly_name="Console SMS", channel_type="sms",
                    contact_identity=FREE_NUMBER, enabled=True)  # fmt: skip
    refreshed = provider.read(created.id, created.outs).outs
    with pytest.raises(FlexorchError) as caught:
        provider.diff(created.id, refreshed, guard_props("fail", numbers=numbers))
    assert f'{flow["sid"]} "Console SMS" on {FREE_NUMBER} (channel type sms)' in str(caught.value)
