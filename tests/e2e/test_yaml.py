"""A YAML program with `flexorch:index:CustomMessaging`, end to end against the sandbox.

The real CLI and the YAML language host (`pulumi-language-yaml`, from `scripts/install-pulumi`)
run programs that have no flexorch library: the engine reads the provider's schema and the
provider constructs the component. Preview, up (Twilio state and outputs), a no-change preview
with zero requests, destroy restoring every adopted setting; credentials each way a user gives
them (the provider's own `flexorch:` config, a Python stack's `twilio:` config, `TWILIO_*`, an
explicit `pulumi:providers:flexorch` resource); a bad input and a plain-text token refused in
one line with nothing written; the README's example as written. Plugin downloads stay off
(tests/engine.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pulumi.automation as auto
import pytest
from engine import ROOT, engine_env, local_stack, restorable

from flexorch.sandbox import seed
from flexorch.sandbox.server import Sandbox

COMPONENT = f"""
  east:
    type: flexorch:index:CustomMessaging
    properties:
      handler:
        url: http://localhost:3000/east
      workspace:
        friendlyName: Flex Task Assignment
      workflow:
        friendlyName: East routing
        reservationTimeout: 60
      taskChannels:
        - uniqueName: east_sms
      chatService:
        sid: {seed.CHAT_SERVICE_SID}
      numbers:
        - "{seed.FLEX_FLOW_NUMBER}"
      flexFlows: disable
"""

OUTPUTS = """
outputs:
  workspaceSid: ${east.workspaceSid}
  workflowSid: ${east.workflowSid}
  taskChannelSids: ${east.taskChannelSids}
  numbers: ${east.numbers}
"""

PROGRAM = "name: yamlapp\nruntime: yaml\nresources:" + COMPONENT + OUTPUTS

# One account as its own provider resource, its token from the program's secret config.
EXPLICIT_PROGRAM = (
    "name: yamlapp\nruntime: yaml\n"
    "config:\n"
    "  eastAccountSid:\n    type: string\n"
    "  eastAuthToken:\n    type: string\n    secret: true\n"
    "resources:\n"
    "  eastAccount:\n"
    "    type: pulumi:providers:flexorch\n"
    "    properties:\n"
    "      accountSid: ${eastAccountSid}\n"
    "      authToken: ${eastAuthToken}\n"
    + COMPONENT
    + "    options:\n      provider: ${eastAccount}\n"
    + OUTPUTS
)

SECRET_SIG = "4dabf18193072939515e22adb298388d"
KINDS = [
    "Workspace", "TaskQueueSnapshot", "TaskQueue", "ChatServiceSnapshot", "PhoneNumbersSnapshot",
    "FlexFlowSnapshot", "FlexFlowGuard", "TaskChannel", "Workflow", "ChatServiceWebhooks",
    "PhoneNumberRoute",
]  # fmt: skip


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed.flex_account()) as running:
        yield running


def yaml_stack(
    tmp: Path,
    sandbox: Sandbox,
    program: str,
    config: dict[str, str],
    env: dict[str, str] | None = None,
) -> auto.Stack:
    """A fresh stack `dev` of the YAML program `program`; `config` keys ending in Token: secret."""
    project = tmp / "yamlapp"
    project.mkdir()
    (project / "Pulumi.yaml").write_text(program)
    stack = local_stack(project, "dev", sandbox, env=env, twilio_config=False)
    for key, value in config.items():
        stack.set_config(key, auto.ConfigValue(value, secret=key.endswith("Token")))
    return stack


def saved_state(stack: auto.Stack) -> str:
    """The state file as the backend keeps it (the Automation API's export decrypts secrets)."""
    root = Path(stack.workspace.work_dir).parent
    return (root / "state/.pulumi/stacks/yamlapp/dev.json").read_text()


def writes(requests: list[dict[str, str]]) -> list[str]:
    return [f"{r['method']} {r['path']}" for r in requests if r["method"] != "GET"]


def test_preview_up_no_change_preview_and_destroy(sandbox: Sandbox, tmp_path: Path) -> None:
    stack = yaml_stack(
        tmp_path,
        sandbox,
        PROGRAM,
        {"flexorch:accountSid": seed.ACCOUNT_SID, "flexorch:authToken": seed.AUTH_TOKEN},
    )
    before = restorable(sandbox)

    mark = len(sandbox.requests)
    preview = stack.preview()
    assert preview.change_summary == {"create": 14}
    assert writes(sandbox.since(mark)) == []

    up = stack.up()
    assert up.summary.result == "succeeded"
    assert "Traceback" not in up.stdout + up.stderr
    flow = sandbox.fake.find(seed.FLEX_FLOWS, contact_identity=seed.FLEX_FLOW_NUMBER)
    assert flow["enabled"] is False
    assert (
        f'    disabled Flex Flow {flow["sid"]} "SMS Flex Flow" on {seed.FLEX_FLOW_NUMBER}: '
        "it would take that number's messages; destroy enables it again\n"
    ) in up.stdout
    number = sandbox.fake.find(seed.NUMBERS, phone_number=seed.FLEX_FLOW_NUMBER)
    assert (number["sms_url"], number["sms_method"]) == ("http://localhost:3000/east", "POST")
    workflow = sandbox.fake.find(seed.WORKFLOWS, friendly_name="East routing")
    assert workflow["task_reservation_timeout"] == 60
    channel = sandbox.fake.find(seed.TASK_CHANNELS, unique_name="east_sms")
    assert {key: output.value for key, output in up.outputs.items()} == {
        "workspaceSid": seed.WORKSPACE_SID,
        "workflowSid": workflow["sid"],
        "taskChannelSids": {"east_sms": channel["sid"]},
        "numbers": [seed.FLEX_FLOW_NUMBER],
    }

    text = saved_state(stack)
    assert seed.AUTH_TOKEN not in text
    assert "__provider" not in text
    resources = json.loads(text)["checkpoint"]["latest"]["resources"]
    types = [r["type"].removeprefix("flexorch:index:") for r in resources if r.get("custom")]
    # The default provider (the program's own) and the component's (from the same config).
    assert sorted(types) == sorted([*KINDS, *["pulumi:providers:flexorch"] * 2])
    for provider in (r for r in resources if r["type"] == "pulumi:providers:flexorch"):
        assert provider["inputs"]["accountSid"] == seed.ACCOUNT_SID
        assert set(provider["inputs"]["authToken"]) == {SECRET_SIG, "ciphertext"}

    mark = len(sandbox.requests)
    stack.preview(expect_no_changes=True)
    assert sandbox.since(mark) == []

    # The stack file holds the provider's credentials only (README's YAML section): validate
    # reads the component the program declares from the state, through the real CLI.
    validated = subprocess.run(
        [sys.executable, "-m", "flexorch.cli", "validate", "--stack", "dev"],
        cwd=stack.workspace.work_dir,
        env={**os.environ, **engine_env(tmp_path, sandbox), "PULUMI_HOME": str(tmp_path / "home")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (validated.returncode, validated.stderr) == (0, "")
    assert validated.stdout.splitlines()[0] == (
        'Stack dev (stack dev, component CustomMessaging "east" (from its state)) is valid. '
        "flexorch will manage:"
    )

    stack.destroy()
    assert restorable(sandbox) == before


@pytest.mark.parametrize(
    ("config", "env"),
    [
        ({"twilio:accountSid": seed.ACCOUNT_SID, "twilio:authToken": seed.AUTH_TOKEN}, {}),
        ({}, {"TWILIO_ACCOUNT_SID": seed.ACCOUNT_SID, "TWILIO_AUTH_TOKEN": seed.AUTH_TOKEN}),
    ],
    ids=["twilio-config", "environment"],
)
def test_the_python_stacks_credentials_work_too(
    sandbox: Sandbox, tmp_path: Path, config: dict[str, str], env: dict[str, str]
) -> None:
    # The component the provider constructs sees the whole stack config, `twilio:*` included;
    # the provider process inherits the CLI's environment.
    stack = yaml_stack(tmp_path, sandbox, PROGRAM, config, env)
    before = restorable(sandbox)
    up = stack.up()
    assert up.summary.result == "succeeded"
    number = sandbox.fake.find(seed.NUMBERS, phone_number=seed.FLEX_FLOW_NUMBER)
    assert number["sms_url"] == "http://localhost:3000/east"
    assert seed.AUTH_TOKEN not in saved_state(stack)
    stack.destroy()
    assert restorable(sandbox) == before


def test_an_explicit_provider_resource_serves_the_component(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    # No flexorch: or twilio: credentials in the stack, none in the environment.
    stack = yaml_stack(
        tmp_path,
        sandbox,
        EXPLICIT_PROGRAM,
        {"eastAccountSid": seed.ACCOUNT_SID, "eastAuthToken": seed.AUTH_TOKEN},
    )
    before = restorable(sandbox)
    up = stack.up()
    assert up.summary.result == "succeeded"
    number = sandbox.fake.find(seed.NUMBERS, phone_number=seed.FLEX_FLOW_NUMBER)
    assert number["sms_url"] == "http://localhost:3000/east"

    text = saved_state(stack)
    assert seed.AUTH_TOKEN not in text
    resources = json.loads(text)["checkpoint"]["latest"]["resources"]
    [provider] = [r for r in resources if r["type"] == "pulumi:providers:flexorch"]
    assert provider["urn"].endswith("::eastAccount")
    assert set(provider["inputs"]["authToken"]) == {SECRET_SIG, "ciphertext"}
    children = [r for r in resources if r.get("custom") and r["type"].startswith("flexorch:")]
    assert sorted(r["type"].removeprefix("flexorch:index:") for r in children) == sorted(KINDS)
    assert {r["provider"].rsplit("::", 1)[0] for r in children} == {provider["urn"]}

    mark = len(sandbox.requests)
    stack.preview(expect_no_changes=True)
    assert sandbox.since(mark) == []

    stack.destroy()
    assert restorable(sandbox) == before


def test_a_bad_input_is_one_line_and_writes_nothing(sandbox: Sandbox, tmp_path: Path) -> None:
    program = PROGRAM.replace(f'"{seed.FLEX_FLOW_NUMBER}"', '"12345"')
    stack = yaml_stack(
        tmp_path,
        sandbox,
        program,
        {"flexorch:accountSid": seed.ACCOUNT_SID, "flexorch:authToken": seed.AUTH_TOKEN},
    )
    mark = len(sandbox.requests)
    for command in (stack.preview, stack.up):
        with pytest.raises(auto.CommandError) as raised:
            command()
        shown = str(raised.value)  # the command, its stdout and its stderr
        assert (
            "\n    error: flexorch:index:CustomMessaging resource 'east' has a problem: "
            'CustomMessaging "east": flexorch:numbers[0]: "12345" is neither an E.164 number nor '
            'a phone number SID; write it like "+15005550006" (quoted, no spaces) or PN followed '
            "by 32 hex digits\n"
        ) in shown
        assert "Traceback" not in shown
    assert sandbox.since(mark) == []


def test_a_plain_text_token_is_refused_before_state_holds_it(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    stack = yaml_stack(tmp_path, sandbox, PROGRAM, {"flexorch:accountSid": seed.ACCOUNT_SID})
    stack.set_config("flexorch:authToken", auto.ConfigValue(seed.AUTH_TOKEN))  # --plaintext
    mark = len(sandbox.requests)
    with pytest.raises(auto.CommandError) as raised:
        stack.up()
    shown = str(raised.value)
    assert (
        "\n    error: flexorch:authToken: is not a secret, so state would hold it in plain text; "
        "run `pulumi config set --secret flexorch:authToken` (for a provider resource, pass a "
        "secret)\n"
    ) in shown
    assert "Traceback" not in shown
    assert sandbox.since(mark) == []
    assert seed.AUTH_TOKEN not in saved_state(stack)


def readme_program() -> str:
    """The README's YAML example (the first yaml block of its "YAML programs" section)."""
    section = (ROOT / "README.md").read_text().split("\n## YAML programs", 1)[1]
    return section.split("```yaml\n", 1)[1].split("```", 1)[0]


def test_the_readme_example_runs_as_written(sandbox: Sandbox, tmp_path: Path) -> None:
    # Only the chat service SID is the sandbox account's own.
    program = readme_program().replace("sid: IS...", f"sid: {seed.CHAT_SERVICE_SID}")
    stack = yaml_stack(
        tmp_path,
        sandbox,
        program,
        {"flexorch:accountSid": seed.ACCOUNT_SID, "flexorch:authToken": seed.AUTH_TOKEN},
    )
    before = restorable(sandbox)
    up = stack.up()
    channel = sandbox.fake.find(seed.TASK_CHANNELS, unique_name="custom1")
    assert up.outputs["taskChannelSids"].value == {"custom1": channel["sid"]}
    number = sandbox.fake.find(seed.NUMBERS, phone_number=seed.FREE_NUMBER)
    assert number["sms_url"] == "https://handler.example.com/flex"
    stack.destroy()
    assert restorable(sandbox) == before
