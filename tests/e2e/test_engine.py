"""End to end: the real Pulumi CLI runs the real program against the sandbox.

One stack is previewed and brought up once per module (`deployed`): those two steps' results
and request logs are checked, then each later test starts from that deployed stack and leaves
it as it found it (drift repaired, config put back), so the tests hold in any order. Destroy
and the failing cases run on a sandbox of their own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi.automation as auto
import pytest
from engine import adopted_settings, engine, rewrite_flexorch_config, sandbox_config

from flexorch.sandbox import seed
from flexorch.sandbox.server import Sandbox

HANDLER = "http://localhost:3000/flex"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed.flex_account()) as running:
        yield running


@pytest.fixture
def fresh() -> Iterator[Sandbox]:
    """A seeded account of its own, untouched by the deployed stack."""
    with Sandbox(seed.flex_account()) as running:
        yield running


@dataclass(frozen=True)
class Deployed:
    """The module's stack after its first preview and up, with what each step did."""

    stack: auto.Stack
    preview: auto.PreviewResult
    preview_requests: list[dict[str, Any]]
    up: auto.UpResult
    up_requests: list[dict[str, Any]]


@pytest.fixture(scope="module")
def deployed(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Deployed:
    stack = engine(tmp_path_factory.mktemp("e2e"), sandbox, "e2e", sandbox_config())
    mark = len(sandbox.requests)
    preview = stack.preview()
    preview_requests = sandbox.since(mark)
    mark = len(sandbox.requests)
    up = stack.up()
    return Deployed(stack, preview, preview_requests, up, sandbox.since(mark))


@pytest.fixture
def stack(deployed: Deployed) -> Iterator[auto.Stack]:
    """The deployed stack; each test leaves it as `up` left it (nothing to change)."""
    yield deployed.stack
    deployed.stack.preview(expect_no_changes=True)


def writes(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in requests if r["method"] != "GET"]


def test_preview_plans_every_resource(deployed: Deployed) -> None:
    result = deployed.preview
    # stack, component, its flexorch provider; reads: workspace, the queue's snapshot, queue
    # (adopted), chat service, numbers, Flex Flows; writes: guard, 1 channel, workflow, chat
    # webhooks, 2 numbers
    assert result.change_summary == {"create": 15}
    requests = deployed.preview_requests
    assert writes(requests) == []
    # A preview looks every adopted object up (a wrong reference fails here): one read each,
    # and the Messaging Services (none) and the workspace's TaskChannels (room for custom1).
    assert len(requests) == 7, requests


def test_up_routes_and_points_everything_at_the_handler(
    deployed: Deployed, sandbox: Sandbox
) -> None:
    result = deployed.up
    assert result.summary.result == "succeeded"
    assert result.summary.resource_changes == {"create": 15}
    # What the guard changed beyond the stack's own objects is said in up's output.
    flow = seed.sid("FO", "SMS Flex Flow")
    assert (
        f'disabled Flex Flow {flow} "SMS Flex Flow" on +15005550007: it would take that '
        "number's messages; destroy enables it again"
    ) in result.stdout
    requests = deployed.up_requests
    reads = [r["path"] for r in requests if r["method"] == "GET"]
    # workspace, queue, chat service, the numbers in one page, the Flex Flows, the chat
    # service's channels (a Flex Flow names +15005550007; none is ACTIVE, so no more), the
    # Messaging Services (none), the workspace's TaskChannels (room for custom1); the
    # workflow's look-up by name (an earlier run may have made it)
    assert len(reads) == 9, reads
    first_write = next(i for i, r in enumerate(requests) if r["method"] != "GET")
    assert all(
        r["path"].endswith("/Workflows") for r in requests[first_write:] if r["method"] == "GET"
    )
    fake = sandbox.fake
    outputs = deployed.stack.outputs()  # a test may have made them again since
    workflow = fake.find(seed.WORKFLOWS, sid=outputs["workflowSid"].value)
    document = json.loads(workflow["configuration"])
    target = document["task_routing"]["filters"][0]["targets"][0]
    assert target == {
        "queue": seed.EVERYONE_SID,
        "expression": "task.targetWorker == worker.contact_uri",
    }
    assert document["task_routing"]["filters"][0]["expression"] == (
        "targetWorker != null AND channelType IN ['custom']"
    )
    assert workflow["task_reservation_timeout"] == 90
    for number in (seed.FREE_NUMBER, seed.FLEX_FLOW_NUMBER):
        record = fake.find(seed.NUMBERS, phone_number=number)
        assert (record["sms_url"], record["sms_method"]) == (HANDLER, "POST")
    chat = fake.find(seed.CHAT_SERVICES, sid=seed.CHAT_SERVICE_SID)
    assert chat["post_webhook_url"] == HANDLER
    assert chat["webhook_filters"] == ["onMessageSent", "onChannelUpdated"]
    assert chat["post_webhook_retry_count"] == 1
    channel = fake.find(seed.TASK_CHANNELS, unique_name="custom1")
    assert outputs["taskChannelSids"].value == {"custom1": channel["sid"]}
    # flexFlows: disable took the SMS Flex Flow off +15005550007; the web chat flow stays.
    assert fake.find(seed.FLEX_FLOWS, friendly_name="SMS Flex Flow")["enabled"] is False
    assert fake.find(seed.FLEX_FLOWS, friendly_name="Flex Web Channel Flow")["enabled"] is True


def test_no_change_preview_and_up_make_no_request(stack: Any, sandbox: Sandbox) -> None:
    mark = len(sandbox.requests)
    stack.preview(expect_no_changes=True)
    up = stack.up()
    assert up.summary.resource_changes == {"same": 15}
    assert sandbox.since(mark) == []


def test_the_auth_token_is_only_the_provider_resources_secret(
    stack: Any, deployed: Deployed
) -> None:
    # The state at rest in the backend (export_stack() would decrypt it with --show-secrets).
    backend = Path(stack.workspace.env_vars["PULUMI_BACKEND_URL"].removeprefix("file://"))
    states = list(backend.glob(".pulumi/stacks/flexorch/e2e.json"))
    assert states, "no state file in the backend"
    text = states[0].read_text()
    assert seed.AUTH_TOKEN not in text
    resources = json.loads(text)["checkpoint"]["latest"]["resources"]
    secret = [r for r in resources if "ciphertext" in json.dumps(r)]
    # The token is there, but only encrypted, and only as the flexorch provider's input/state.
    assert [r["type"] for r in secret] == ["pulumi:providers:flexorch"]
    for where in ("inputs", "outputs"):
        assert "ciphertext" in secret[0][where]["authToken"]
    runs = (deployed.preview, deployed.up)
    assert all(seed.AUTH_TOKEN not in run.stdout + run.stderr for run in runs)


def test_refresh_reads_every_resource_and_up_repairs_drift(stack: Any, sandbox: Sandbox) -> None:
    stack.refresh()
    assert stack.preview().change_summary == {"same": 15}  # read() agrees with the stack
    number = sandbox.fake.find(seed.NUMBERS, phone_number=seed.FREE_NUMBER)
    number["sms_url"] = "https://someone-else.example.com/sms"  # changed in the Console
    stack.refresh()
    assert stack.preview().change_summary == {"same": 14, "update": 1}
    stack.up()
    assert number["sms_url"] == HANDLER


def test_up_refresh_recreates_what_was_deleted_in_the_console(stack: Any, sandbox: Sandbox) -> None:
    fake = sandbox.fake
    outputs = stack.outputs()
    workflow, channel = outputs["workflowSid"].value, outputs["taskChannelSids"].value["custom1"]
    del fake.records[seed.WORKFLOWS][workflow]
    del fake.records[seed.TASK_CHANNELS][channel]
    up = stack.up(refresh=True)
    assert up.summary.resource_changes == {"same": 13, "create": 2}
    recreated = stack.outputs()
    assert recreated["workflowSid"].value != workflow
    assert fake.find(seed.WORKFLOWS, sid=recreated["workflowSid"].value)
    assert fake.find(seed.TASK_CHANNELS, unique_name="custom1")
    stack.preview(expect_no_changes=True)


def test_up_refresh_disables_a_flex_flow_re_enabled_in_the_console(
    stack: Any, sandbox: Sandbox
) -> None:
    flow = sandbox.fake.find(seed.FLEX_FLOWS, contact_identity=seed.FLEX_FLOW_NUMBER)
    assert flow["enabled"] is False
    flow["enabled"] = True  # a person turned it back on
    up = stack.up(refresh=True)
    assert up.summary.resource_changes == {"same": 14, "update": 1}
    assert flow["enabled"] is False
    stack.preview(expect_no_changes=True)


def test_a_change_is_exactly_that_update(stack: Any, sandbox: Sandbox) -> None:
    config = sandbox_config()
    config["flexorch:handler"] = {"url": "http://localhost:3000/flex/v2"}
    config["flexorch:taskChannels"].append({"uniqueName": "custom2", "channelType": "custom"})
    stack_file = Path(stack.workspace.work_dir) / "Pulumi.e2e.yaml"
    rewrite_flexorch_config(stack_file, config)
    try:
        preview = stack.preview(diff=True)
        # new handler URL: both numbers and the chat webhooks; new channel: one create and the
        # workflow document (its filter lists channel types, unchanged here, so no update).
        assert preview.change_summary == {"same": 12, "update": 3, "create": 1}
        up = stack.up()
        assert up.summary.resource_changes == {"same": 12, "update": 3, "create": 1}
        fake = sandbox.fake
        assert fake.find(seed.NUMBERS, phone_number=seed.FREE_NUMBER)["sms_url"] == (
            HANDLER + "/v2"
        )
        assert fake.find(seed.TASK_CHANNELS, unique_name="custom2")
    finally:
        rewrite_flexorch_config(stack_file, sandbox_config())
        stack.up()


def test_destroy_restores_adopted_settings_and_removes_owned(
    fresh: Sandbox, tmp_path: Path
) -> None:
    before = adopted_settings(fresh)
    stack = engine(tmp_path, fresh, "destroyed", sandbox_config())
    stack.up()
    stack.destroy()
    fake = fresh.fake
    for number, record in before["numbers"].items():
        now = fake.find(seed.NUMBERS, phone_number=number)
        assert (now["sms_url"], now["sms_method"]) == (record["sms_url"], record["sms_method"])
    chat = fake.find(seed.CHAT_SERVICES, sid=seed.CHAT_SERVICE_SID)
    assert chat["webhook_filters"] == before["chat"]["webhook_filters"]
    assert chat["webhook_method"] == before["chat"]["webhook_method"]
    assert {f["sid"]: f["enabled"] for f in fake.all(seed.FLEX_FLOWS)} == before["flows"]
    assert {w["sid"] for w in fake.all(seed.WORKFLOWS)} == before["workflows"]
    assert {c["sid"] for c in fake.all(seed.TASK_CHANNELS)} == before["channels"]
    # adopted resources are still there
    assert fake.find(seed.WORKSPACES, sid=seed.WORKSPACE_SID)
    assert fake.find(seed.QUEUES, sid=seed.EVERYONE_SID)


def test_fail_mode_with_a_flex_flow_changes_nothing(fresh: Sandbox, tmp_path: Path) -> None:
    sandbox = fresh
    config = sandbox_config()
    config["flexorch:flexFlows"] = "fail"
    stack = engine(tmp_path, sandbox, "guarded", config)
    mark = len(sandbox.requests)
    with pytest.raises(auto.errors.CommandError) as caught:
        stack.up()
    text = str(caught.value)
    assert f'{seed.sid("FO", "SMS Flex Flow")} "SMS Flex Flow" on {seed.FLEX_FLOW_NUMBER}' in text
    assert "flexorch:flexFlows: disable" in text
    assert writes(sandbox.since(mark)) == []


def test_a_request_the_spec_rejects_is_one_clear_line(fresh: Sandbox, tmp_path: Path) -> None:
    sandbox = fresh
    config = sandbox_config()
    # Valid for flexorch, but Twilio's spec wants an ASCII URI (an IDN must be punycoded).
    config["flexorch:handler"] = {"url": "https://bücher.example/flex"}
    config["flexorch:numbers"] = []
    stack = engine(tmp_path, sandbox, "rejected", config)
    with pytest.raises(auto.errors.CommandError) as caught:
        stack.up()
    text = str(caught.value)
    lines = [line for line in text.splitlines() if "HTTP 422" in line]
    assert lines, text[-3000:]
    assert "ChatServiceWebhooks" in lines[0] and "PostWebhookUrl" in lines[0]
    assert 'must match format \\"uri\\"' in lines[0] or 'must match format "uri"' in lines[0]
    assert "Traceback" not in text
    stack.destroy()


def test_a_mistyped_queue_sid_fails_preview_and_up_before_any_write(
    fresh: Sandbox, tmp_path: Path
) -> None:
    sandbox = fresh
    config = sandbox_config()
    wrong = "WQ" + "f" * 32
    config["flexorch:workflow"] = {**config.get("flexorch:workflow", {}), "queue": {"sid": wrong}}
    stack = engine(tmp_path, sandbox, "mistyped", config)
    mark = len(sandbox.requests)
    for run in (stack.preview, stack.up):
        with pytest.raises(auto.errors.CommandError) as caught:
            run()
        assert wrong in str(caught.value)
        assert "Traceback" not in str(caught.value)
    # Numbers, chat service and Flex Flows were only read: nothing moved to the handler.
    assert writes(sandbox.since(mark)) == []


def test_a_number_already_on_the_handler_is_adopted_with_a_warning(
    fresh: Sandbox, tmp_path: Path
) -> None:
    sandbox = fresh
    config = sandbox_config()
    config["flexorch:numbers"] = [seed.FREE_NUMBER]
    number = sandbox.fake.find(seed.NUMBERS, phone_number=seed.FREE_NUMBER)
    before = number["sms_url"]
    number["sms_url"] = HANDLER  # left by a stack whose state was lost
    stack = engine(tmp_path, sandbox, "orphaned", config)
    try:
        up = stack.up()
        assert "already pointed at this stack's handler when adopted" in up.stdout
        state = stack.export_stack().deployment["resources"]
        route = next(r for r in state if r["type"].endswith("PhoneNumberRoute"))
        assert route["outputs"]["previousUnknown"] is True
        stack.destroy()
    finally:
        number["sms_url"] = before


def test_rejected_credentials_are_one_clear_line(fresh: Sandbox, tmp_path: Path) -> None:
    sandbox = fresh
    config = sandbox_config()
    config["flexorch:flexFlows"] = "fail"
    stack = engine(tmp_path, sandbox, "rejected-credentials", config)
    stack.set_config("twilio:authToken", auto.ConfigValue("not-the-token", secret=True))
    mark = len(sandbox.requests)
    for run in (stack.preview, stack.up):
        with pytest.raises(auto.errors.CommandError) as caught:
            run()
        text = str(caught.value)
        assert "Traceback" not in text, text[-3000:]
        said = [line for line in text.splitlines() if "rejected the credentials" in line]
        assert said, text[-3000:]
        assert all("check twilio:accountSid and twilio:authToken" in line for line in said)
    # One refusal per look-up at most: the first one's answer serves every resource after it.
    assert len(sandbox.since(mark)) <= 12
    assert writes(sandbox.since(mark)) == []
