"""A user's own Pulumi program, outside this repo, that imports flexorch as a library.

Two components in one program (one handler URL is an Output of another resource), against the
sandbox with the real CLI: up, a no-change preview with zero Twilio requests, destroy with every
adopted setting restored; and a bad value that fails preview with its one key-path line.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pulumi.automation as auto
import pytest
from engine import TOOLS, engine_env

from flexorch.sandbox import seed
from flexorch.sandbox.server import Sandbox

WEST_CHAT = seed.sid("IS", "West Chat Service")

PROGRAM = """
import pulumi
from pulumi.dynamic import CreateResult, Resource, ResourceProvider

import flexorch
from flexorch.component import ChatServiceArgs, HandlerArgs, SidOrNameArgs, TaskChannelArgs


class HandlerAppProvider(ResourceProvider):
    def create(self, props):
        return CreateResult("handler-app", {"url": EAST_URL})


class HandlerApp(Resource):
    url: pulumi.Output[str]

    def __init__(self, name):
        super().__init__(HandlerAppProvider(), name, {"url": None})


app = HandlerApp("handler-app")
east = flexorch.CustomMessaging("east", {
    "handler": {"url": app.url},
    "workspace": {"friendlyName": "Flex Task Assignment"},
    "workflow": {"friendlyName": "East routing"},
    "taskChannels": [{"uniqueName": "east_sms"}],
    "chatService": {"sid": CHAT},
    "numbers": [NUMBER_EAST],
    "flexFlows": "disable",
})
west = flexorch.CustomMessaging("west", flexorch.CustomMessagingArgs(
    handler=HandlerArgs(url="http://localhost:3000/west"),
    workspace=SidOrNameArgs(friendly_name="Flex Task Assignment"),
    workflow={"friendlyName": "West routing"},
    task_channels=[TaskChannelArgs(unique_name="west_sms")],
    chat_service=ChatServiceArgs(sid=WEST_CHAT),
    numbers=[NUMBER_WEST],
))
pulumi.export("eastWorkflow", east.workflow_sid)
pulumi.export("westChannels", west.task_channel_sids)
"""


def write_program(
    project: Path, east_number: str, east_url: str = "http://localhost:3000/east"
) -> None:
    constants = (
        f"CHAT = {seed.CHAT_SERVICE_SID!r}\nWEST_CHAT = {WEST_CHAT!r}\n"
        f"NUMBER_EAST = {east_number!r}\nNUMBER_WEST = {seed.FREE_NUMBER!r}\n"
        f"EAST_URL = {east_url!r}\n"
    )
    source = textwrap.dedent(PROGRAM)
    head, _, rest = source.partition("\n\nclass HandlerAppProvider")
    (project / "__main__.py").write_text(f"{head}\n\n{constants}\n\nclass HandlerAppProvider{rest}")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    account = seed.flex_account()
    account.add(seed.CHAT_SERVICES, sid=WEST_CHAT, friendly_name="West Chat Service")
    with Sandbox(account) as running:
        yield running


@pytest.fixture(scope="module")
def stack(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> auto.Stack:
    tmp = tmp_path_factory.mktemp("user-program")
    project = tmp / "userapp"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: userapp\nruntime: python\n")
    write_program(project, seed.FLEX_FLOW_NUMBER)
    (tmp / "state").mkdir()
    options = auto.LocalWorkspaceOptions(
        work_dir=str(project),
        pulumi_home=str(tmp / "home"),
        env_vars=engine_env(tmp, sandbox),
        pulumi_command=auto.PulumiCommand(root=str(TOOLS)),
    )
    created = auto.create_stack("dev", work_dir=str(project), opts=options)
    created.set_config("twilio:accountSid", auto.ConfigValue(seed.ACCOUNT_SID))
    created.set_config("twilio:authToken", auto.ConfigValue(seed.AUTH_TOKEN, secret=True))
    return created


def settings(sandbox: Sandbox) -> dict[str, Any]:
    fake = sandbox.fake
    return {
        "numbers": {
            n["phone_number"]: (n["sms_url"], n["sms_method"]) for n in fake.all(seed.NUMBERS)
        },
        "chat": {
            s["sid"]: (s.get("post_webhook_url"), s.get("webhook_filters"))
            for s in fake.all(seed.CHAT_SERVICES)
        },
        "flows": {f["sid"]: f["enabled"] for f in fake.all(seed.FLEX_FLOWS)},
        "workflows": sorted(w["friendly_name"] for w in fake.all(seed.WORKFLOWS)),
        "channels": sorted(c["unique_name"] for c in fake.all(seed.TASK_CHANNELS)),
    }


def test_two_components_go_up_and_destroy_restores_everything(
    stack: auto.Stack, sandbox: Sandbox
) -> None:
    before = settings(sandbox)
    up = stack.up()
    assert up.summary.result == "succeeded"
    after = settings(sandbox)
    assert after["numbers"][seed.FLEX_FLOW_NUMBER] == ("http://localhost:3000/east", "POST")
    assert after["numbers"][seed.FREE_NUMBER] == ("http://localhost:3000/west", "POST")
    assert after["chat"][seed.CHAT_SERVICE_SID][0] == "http://localhost:3000/east"
    assert after["chat"][WEST_CHAT][0] == "http://localhost:3000/west"
    assert after["workflows"] == sorted([*before["workflows"], "East routing", "West routing"])
    assert after["channels"] == sorted([*before["channels"], "east_sms", "west_sms"])
    assert not any(after["flows"][sid] for sid in after["flows"] if not before["flows"][sid]) and (
        sum(after["flows"].values()) == sum(before["flows"].values()) - 1
    )  # exactly the SMS Flex Flow on the east number was disabled

    mark = len(sandbox.requests)
    stack.preview(expect_no_changes=True)
    assert sandbox.since(mark) == []

    stack.destroy()
    restored = settings(sandbox)
    # Chat webhook URLs that were empty stay set (the spec refuses an empty URI) but get no events.
    assert {sid: filters or [] for sid, (_, filters) in restored.pop("chat").items()} == {
        sid: filters or [] for sid, (_, filters) in before.pop("chat").items()
    }
    assert restored == before


def test_a_bad_value_fails_preview_with_its_key_path_line(stack: auto.Stack) -> None:
    project = Path(stack.workspace.work_dir)
    write_program(project, "15005550007")
    with pytest.raises(auto.errors.CommandError) as raised:
        stack.preview()
    output = str(raised.value)
    assert (
        'flexorch:numbers[0]: "15005550007" is neither an E.164 number nor a phone number SID; '
        'write it like "+15005550006" (quoted, no spaces) or PN followed by 32 hex digits'
    ) in output
    assert "Traceback" not in output


def test_a_bad_output_value_fails_up_when_it_resolves(stack: auto.Stack, sandbox: Sandbox) -> None:
    project = Path(stack.workspace.work_dir)
    write_program(project, seed.FLEX_FLOW_NUMBER, east_url="ftp://handler.example.com")
    mark = len(sandbox.requests)
    with pytest.raises(auto.errors.CommandError) as raised:
        stack.up()
    output = str(raised.value)
    assert (
        'flexorch:handler.url: "ftp://handler.example.com" must use https (Twilio sends '
        "customer messages to it); http is only allowed for localhost and 127.0.0.1"
    ) in output
    assert "Traceback" not in output and "never retrieved" not in output
    assert [r for r in sandbox.since(mark) if r["method"] != "GET"] == []
    stack.destroy()


def test_a_plain_text_auth_token_is_refused_as_validate_refuses_it(stack: auto.Stack) -> None:
    write_program(Path(stack.workspace.work_dir), seed.FLEX_FLOW_NUMBER)
    stack.set_config("twilio:authToken", auto.ConfigValue(seed.AUTH_TOKEN, secret=False))
    try:
        with pytest.raises(auto.errors.CommandError) as raised:
            stack.preview()
    finally:
        stack.set_config("twilio:authToken", auto.ConfigValue(seed.AUTH_TOKEN, secret=True))
    output = str(raised.value)
    assert (
        "twilio:authToken: is stored in plain text in the stack config; remove it and run "
        "`pulumi config set --secret twilio:authToken` (or set TWILIO_AUTH_TOKEN)"
    ) in output
    assert "Traceback" not in output
