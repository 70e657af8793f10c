"""A user's own Pulumi program, outside this repo, that imports flexorch as a library.

Two components in one program (one handler URL is an Output of another resource), against the
sandbox with the real CLI: up, a no-change preview with zero Twilio requests, a preview while that
Output is unknown planning only what reads it, destroy with every adopted setting restored; a bad
value that fails preview with its one key-path line naming its component; and a number not in the
account that fails preview although the handler URL is not known yet.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pulumi.automation as auto
import pytest
from engine import user_program

from flexorch.sandbox import seed
from flexorch.sandbox.server import Sandbox

WEST_CHAT = seed.sid("IS", "West Chat Service")

PROGRAM = """
import pulumi
from pulumi.dynamic import CreateResult, DiffResult, Resource, ResourceProvider

import flexorch
from flexorch import ChatServiceArgs, HandlerArgs, SidOrNameArgs, TaskChannelArgs


class HandlerAppProvider(ResourceProvider):
    def create(self, props):
        return CreateResult("handler-app", {"url": EAST_URL, "version": props["version"]})

    def diff(self, _id, olds, news):
        # A new version is a new app: its URL is unknown until it is made again.
        changed = olds.get("version") != news["version"]
        return DiffResult(changes=changed, replaces=["version"] if changed else [])


class HandlerApp(Resource):
    url: pulumi.Output[str]

    def __init__(self, name):
        super().__init__(HandlerAppProvider(), name, {"url": None, "version": APP_VERSION})


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
    project: Path,
    east_number: str,
    east_url: str = "http://localhost:3000/east",
    app_version: int = 1,
) -> None:
    constants = (
        f"CHAT = {seed.CHAT_SERVICE_SID!r}\nWEST_CHAT = {WEST_CHAT!r}\n"
        f"NUMBER_EAST = {east_number!r}\nNUMBER_WEST = {seed.FREE_NUMBER!r}\n"
        f"EAST_URL = {east_url!r}\nAPP_VERSION = {app_version!r}\n"
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
    return new_stack(tmp_path_factory.mktemp("user-program"), sandbox, seed.FLEX_FLOW_NUMBER)


def new_stack(tmp: Path, sandbox: Sandbox, east_number: str) -> auto.Stack:
    """A fresh stack `dev` of the user's program in `tmp`, east's number being `east_number`."""
    return user_program(tmp, sandbox, lambda project: write_program(project, east_number))


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


def lines(output: str) -> list[str]:
    """The engine's output as lines, each without the indentation and `error: ` it adds."""
    return [line.strip().removeprefix("error: ") for line in output.splitlines()]


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

    # The handler app is made again, so east's handler URL is unknown at this preview: only
    # what reads it may change; plain SIDs and names stay known, so nothing else is replaced.
    write_program(Path(stack.workspace.work_dir), seed.FLEX_FLOW_NUMBER, app_version=2)
    preview = stack.preview(diff=True)
    assert {k: n for k, n in preview.change_summary.items() if k != "same"} == {
        "replace": 1,
        "update": 2,
    }
    changes = sorted(
        line.strip()
        for line in preview.stdout.splitlines()
        if "=>" in line or line.endswith((": (replace)", ": (update)", ": (delete)"))
    )
    assert changes == [
        "+-pulumi-python:dynamic:Resource: (replace)",
        "~ flexorch:index:ChatServiceWebhooks: (update)",
        "~ flexorch:index:PhoneNumberRoute: (update)",
        '~ postWebhookUrl: "http://localhost:3000/east" => [unknown]',
        '~ smsUrl: "http://localhost:3000/east" => [unknown]',
        "~ version: 1 => 2",
    ]

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
        'CustomMessaging "east": flexorch:numbers[0]: "15005550007" is neither an E.164 number '
        'nor a phone number SID; write it like "+15005550006" (quoted, no spaces) or PN '
        "followed by 32 hex digits"
    ) in lines(output)
    assert "Traceback" not in output


def test_a_bad_output_value_fails_up_when_it_resolves(stack: auto.Stack, sandbox: Sandbox) -> None:
    project = Path(stack.workspace.work_dir)
    write_program(project, seed.FLEX_FLOW_NUMBER, east_url="ftp://handler.example.com")
    mark = len(sandbox.requests)
    with pytest.raises(auto.errors.CommandError) as raised:
        stack.up()
    output = str(raised.value)
    assert (
        'CustomMessaging "east": flexorch:handler.url: "ftp://handler.example.com" must use '
        "https (Twilio sends customer messages to it); http is only allowed for localhost and "
        "127.0.0.1"
    ) in lines(output)
    assert "Traceback" not in output and "never retrieved" not in output
    assert [r for r in sandbox.since(mark) if r["method"] != "GET"] == []
    stack.destroy()


def test_a_number_not_in_the_account_fails_preview_while_the_handler_url_is_an_output(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    # A fresh stack: east's handler URL is an Output of a resource not created yet, so unknown.
    stack = new_stack(tmp_path, sandbox, "+15005550199")
    mark = len(sandbox.requests)
    with pytest.raises(auto.errors.CommandError) as raised:
        stack.preview()
    output = lines(str(raised.value))
    # The snapshot's look-up ran beside the other checks; its create at preview reports it.
    found = output.index("flexorch:index:PhoneNumbersSnapshot (east-phone-numbers):")
    assert output[found + 1] == (
        'Preview failed: PhoneNumber "+15005550199": no phone number of this account is '
        "+15005550199; check flexorch:numbers (E.164 like +15005550006, or a PN SID)"
    )
    assert "Traceback" not in str(raised.value)
    assert [r for r in sandbox.since(mark) if r["method"] != "GET"] == []


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


def test_doctor_render_and_validate_read_a_component_from_the_stacks_state(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """The program declares its components in code: its stack file has no flexorch: keys."""
    stack = new_stack(tmp_path, sandbox, seed.FLEX_FLOW_NUMBER)
    stack.up()
    workspace = stack.workspace
    env = {**os.environ, **workspace.env_vars, "PULUMI_HOME": str(workspace.pulumi_home)}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(Path(sys.executable).parent / "flexorch"), *args],
            cwd=workspace.work_dir, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    try:
        several = cli("validate", "--stack", "dev")
        assert (several.returncode, several.stderr) == (
            2,
            "--stack dev: the stack's state has 2 flexorch components (east, west); choose "
            "one with --component NAME\n",
        )
        doctor = cli("doctor", "--stack", "dev", "--component", "east", "--json")
        report = json.loads(doctor.stdout)
        assert report["source"] == 'stack dev, component CustomMessaging "east" (from its state)'
        checks = {c["id"]: c for section in report["sections"] for c in section["checks"]}
        # East's own number, workflow and chat service, as deployed: on its handler.
        for check_id in (f"number:{seed.FLEX_FLOW_NUMBER}", "workflow", "chat-service"):
            assert checks[check_id]["status"] == "pass", checks[check_id]
        rendered = cli("render", "--stack", "dev", "--component", "west", "--out", "plugin")
        assert rendered.returncode == 0, rendered.stderr
        manifest = json.loads(
            (Path(workspace.work_dir) / "plugin/flexorch-manifest.json").read_text()
        )
        assert manifest["stack"] == "dev"
    finally:
        stack.destroy()


TWINS = """
import pulumi
import flexorch

def messaging(name, chat, number, channel):
    return flexorch.CustomMessaging(name, {
        "handler": {"url": f"http://localhost:3000/{name}"},
        "workspace": {"friendlyName": "Flex Task Assignment"},
        "taskChannels": [{"uniqueName": channel}],
        "chatService": {"sid": chat},
        "numbers": [number],
        "flexFlows": "disable",
    })

east = messaging("east", CHAT, NUMBER_EAST, "east_sms")
pulumi.export("east", east.workflow_sid)
if WEST:
    west = messaging("west", WEST_CHAT, NUMBER_WEST, "west_sms")
    pulumi.export("west", west.workflow_sid)
"""


def test_two_components_wanting_the_same_workflow_each_own_their_own(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    # Both leave the Workflow's name and document to their defaults: the same Workflow.
    def write(project: Path, west: bool) -> None:
        (project / "__main__.py").write_text(
            f"CHAT = {seed.CHAT_SERVICE_SID!r}\nWEST_CHAT = {WEST_CHAT!r}\n"
            f"NUMBER_EAST = {seed.FLEX_FLOW_NUMBER!r}\nNUMBER_WEST = {seed.FREE_NUMBER!r}\n"
            f"WEST = {west!r}\n" + textwrap.dedent(TWINS)
        )

    before = settings(sandbox)
    stack = user_program(tmp_path, sandbox, lambda project: write(project, west=False))
    east = stack.up().outputs["east"].value
    # West is added by a later run: east's Workflow is in state, west's create must not take it.
    write(Path(stack.workspace.work_dir), west=True)
    outputs = stack.up().outputs
    west = outputs["west"].value
    assert outputs["east"].value == east and west != east
    workflows = {w["sid"] for w in sandbox.fake.all(seed.WORKFLOWS)}
    assert {east, west} <= workflows
    # Removing west deletes its own Workflow only.
    write(Path(stack.workspace.work_dir), west=False)
    stack.up()
    workflows = {w["sid"] for w in sandbox.fake.all(seed.WORKFLOWS)}
    assert east in workflows and west not in workflows
    stack.destroy()
    restored = settings(sandbox)
    # Chat webhook URLs that were empty stay set (the spec refuses an empty URI), with no events.
    assert {sid: filters or [] for sid, (_, filters) in restored.pop("chat").items()} == {
        sid: filters or [] for sid, (_, filters) in before.pop("chat").items()
    }
    assert restored == before
