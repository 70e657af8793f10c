"""The real provider end to end: a Python program whose children are `flexorch:index:*` resources.

The component as the README declares it, against the sandbox with the real CLI, the provider
started by the engine as `pulumi-resource-flexorch` from PATH: up (its notes shown by the CLI), a
no-change preview with zero Twilio requests, state with no pickled provider and the token secret,
destroy restoring every adopted setting. Then the same component constructed by the provider
(`remote=True`, as every other Pulumi language declares it), with the same outcome.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pulumi.automation as auto
import pytest
from engine import restorable, user_program

from flexorch.sandbox import seed
from flexorch.sandbox.server import Sandbox

PROGRAM = f"""
import pulumi
import flexorch

messaging = flexorch.CustomMessaging("east", {{
    "handler": {{"url": "http://localhost:3000/east"}},
    "workspace": {{"friendlyName": "Flex Task Assignment"}},
    "workflow": {{"friendlyName": "East routing"}},
    "taskChannels": [{{"uniqueName": "east_sms"}}],
    "chatService": {{"sid": {seed.CHAT_SERVICE_SID!r}}},
    "numbers": [{seed.FLEX_FLOW_NUMBER!r}],
    "flexFlows": "disable",
}})
pulumi.export("workflowSid", messaging.workflow_sid)
pulumi.export("taskChannelSids", messaging.task_channel_sids)
"""

# The component as a language with no flexorch library declares it: a remote component.
REMOTE_PROGRAM = f"""
import pulumi


class CustomMessaging(pulumi.ComponentResource):
    def __init__(self, name, args):
        outputs = {{"workspaceSid": None, "workflowSid": None, "taskChannelSids": None}}
        props = {{**args, **outputs}}
        super().__init__("flexorch:index:CustomMessaging", name, props, remote=True)


messaging = CustomMessaging("east", {{
    "handler": {{"url": "http://localhost:3000/east"}},
    "workspace": {{"friendlyName": "Flex Task Assignment"}},
    "workflow": {{"friendlyName": "East routing", "reservationTimeout": 60}},
    "taskChannels": [{{"uniqueName": "east_sms"}}],
    "chatService": {{"sid": {seed.CHAT_SERVICE_SID!r}}},
    "numbers": [{seed.FLEX_FLOW_NUMBER!r}],
    "flexFlows": "disable",
}})
pulumi.export("workflowSid", messaging.workflowSid)
pulumi.export("taskChannelSids", messaging.taskChannelSids)
pulumi.export("numbers", messaging.numbers)
"""

KINDS = [
    "Workspace", "TaskQueueSnapshot", "TaskQueue", "ChatServiceSnapshot", "PhoneNumbersSnapshot",
    "FlexFlowSnapshot", "FlexFlowGuard", "TaskChannel", "Workflow", "ChatServiceWebhooks",
    "PhoneNumberRoute",
]  # fmt: skip


SECRET_SIG = "4dabf18193072939515e22adb298388d"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed.flex_account()) as running:
        yield running


def new_stack(tmp: Path, sandbox: Sandbox, program: str) -> auto.Stack:
    """A fresh stack `dev` of a user's Python program in `tmp`."""
    return user_program(
        tmp, sandbox, lambda project: (project / "__main__.py").write_text(textwrap.dedent(program))
    )


def test_up_no_change_preview_and_destroy_through_the_real_provider(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    stack = new_stack(tmp_path, sandbox, PROGRAM)
    before = restorable(sandbox)
    up = stack.up()
    assert up.summary.result == "succeeded"
    # The provider's notes reach the CLI through the engine's log service.
    flow = sandbox.fake.find(seed.FLEX_FLOWS, contact_identity=seed.FLEX_FLOW_NUMBER)
    assert (
        f'    disabled Flex Flow {flow["sid"]} "SMS Flex Flow" on {seed.FLEX_FLOW_NUMBER}: '
        "it would take that number's messages; destroy enables it again\n"
    ) in up.stdout
    assert "Traceback" not in up.stdout + up.stderr
    number = sandbox.fake.find(seed.NUMBERS, phone_number=seed.FLEX_FLOW_NUMBER)
    assert (number["sms_url"], number["sms_method"]) == ("http://localhost:3000/east", "POST")
    workflow = sandbox.fake.find(seed.WORKFLOWS, friendly_name="East routing")
    assert up.outputs["workflowSid"].value == workflow["sid"]
    channel = sandbox.fake.find(seed.TASK_CHANNELS, unique_name="east_sms")
    assert up.outputs["taskChannelSids"].value == {"east_sms": channel["sid"]}

    # The state file as the backend keeps it (the Automation API's export decrypts secrets).
    saved = Path(stack.workspace.work_dir).parent / "state/.pulumi/stacks/userapp/dev.json"
    text = saved.read_text()
    resources = json.loads(text)["checkpoint"]["latest"]["resources"]
    types = [r["type"].removeprefix("flexorch:index:") for r in resources if r.get("custom")]
    assert sorted(types) == sorted([*KINDS, "pulumi:providers:flexorch"])
    assert "__provider" not in text
    [provider] = [r for r in resources if r["type"] == "pulumi:providers:flexorch"]
    assert provider["inputs"]["accountSid"] == seed.ACCOUNT_SID
    assert set(provider["inputs"]["authToken"]) == {SECRET_SIG, "ciphertext"}
    assert seed.AUTH_TOKEN not in text
    [route] = [r for r in resources if r["type"] == "flexorch:index:PhoneNumberRoute"]
    assert route["outputs"]["smsUrl"] == "http://localhost:3000/east"
    # Only the component keeps a stack trace: the program's line that declared it.
    traced = [r["type"] for r in resources if r.get("stackTrace")]
    assert traced == ["pulumi:pulumi:Stack", "flexorch:index:CustomMessaging",
                      "pulumi:providers:flexorch"]  # fmt: skip
    [component] = [r for r in resources if r["type"] == "flexorch:index:CustomMessaging"]
    assert component["sourcePosition"] == "project:///__main__.py#5"

    mark = len(sandbox.requests)
    stack.preview(expect_no_changes=True)
    assert sandbox.since(mark) == []

    stack.destroy()
    assert restorable(sandbox) == before


def test_the_component_constructed_by_the_provider(sandbox: Sandbox, tmp_path: Path) -> None:
    stack = new_stack(tmp_path, sandbox, REMOTE_PROGRAM)
    before = restorable(sandbox)
    up = stack.up()
    assert up.summary.result == "succeeded"
    workflow = sandbox.fake.find(seed.WORKFLOWS, friendly_name="East routing")
    assert workflow["task_reservation_timeout"] == 60
    channel = sandbox.fake.find(seed.TASK_CHANNELS, unique_name="east_sms")
    assert {key: output.value for key, output in up.outputs.items()} == {
        "workflowSid": workflow["sid"],
        "taskChannelSids": {"east_sms": channel["sid"]},
        "numbers": [seed.FLEX_FLOW_NUMBER],
    }
    number = sandbox.fake.find(seed.NUMBERS, phone_number=seed.FLEX_FLOW_NUMBER)
    assert number["sms_url"] == "http://localhost:3000/east"

    mark = len(sandbox.requests)
    stack.preview(expect_no_changes=True)
    assert sandbox.since(mark) == []

    stack.destroy()
    assert restorable(sandbox) == before
