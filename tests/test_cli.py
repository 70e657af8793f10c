"""The command line as users meet it: exit codes, stdout, stderr, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from helpers import ROOT, CliResult, flexorch, minimal_config, run_cli, write_stack

CliRunner = Callable[..., CliResult]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """`flexorch ARGS` in this process, from the repo root or `cwd`; the console script itself
    is run as a subprocess once per command (the tests that call `flexorch`)."""

    def run(*argv: str, cwd: Path | None = None) -> CliResult:
        monkeypatch.chdir(cwd or ROOT)
        return run_cli(capsys, *argv)

    return run


DEV_SUMMARY = """\
Stack dev (examples/Pulumi.dev.yaml) is valid. flexorch will manage:
  platform          programmable-chat (Flex UI 1.x, Programmable Chat)
  handler           POST https://handler-dev.example.com/flex
    SMS webhook     https://handler-dev.example.com/flex/sms
    chat webhooks   https://handler-dev.example.com/flex/chat
  workspace         "Flex Task Assignment" (adopted, never deleted)
  workflow          "Custom messaging - route to contact_uri" (owned)
    routes          task.targetWorker == worker.contact_uri
    queue           "Everyone", reservation timeout 120 s
    fallback        "Everyone"
  task channel      custom1 (Flex UI: 'my-chat-channel', also channelType 'custom')
  chat service      IS0123456789abcdef0123456789abcdef (adopted, webhooks restored on destroy)
    webhook events  onMessageSent, onChannelUpdated; retries 1
  numbers           +15005550006
  flex flows        disable: conflicting Flex Flows are disabled, re-enabled on destroy
  messaging svcs    fail: a Messaging Service taking a managed number's SMS stops preview and up
  twiml apps        fail: a TwiML App on a managed number stops preview and up
  auto-accept       tasks whose attribute 'autoAnswer' is true
  on accepted       none (Flex leaves the channel to the handler)
  on wrapup         DeactivateChatChannel
  on completed      none (Flex leaves the channel to the handler)
"""


def test_validate_example_prints_a_summary() -> None:
    run = flexorch("validate", "--config", "examples/Pulumi.dev.yaml")
    assert (run.code, run.err, run.out) == (0, "", DEV_SUMMARY)


CONVERSATIONS_SUMMARY = """\
Stack conversations (tests/good_configs/conversations.yaml) is valid. flexorch will manage:
  platform          conversations (Flex UI 2.x, Flex Conversations)
  handler           POST https://handler.example.com/flex
    SMS webhook     https://handler.example.com/flex/sms via each number's Conversations \
Address Configuration (autoCreation webhook; the number's own SmsUrl is emptied while managed)
    chat webhooks   https://handler.example.com/flex
  workspace         "Flex Task Assignment" (adopted, never deleted)
  workflow          "Custom messaging - route to contact_uri" (owned)
    routes          task.targetWorker == worker.contact_uri
    queue           "Everyone", reservation timeout 120 s
    fallback        none
  task channel      custom1 (Flex UI: 'custom1')
  chat service      IS0123456789abcdef0123456789abcdef (Flex Conversations service, adopted; \
webhooks at /v1/Services/IS0123456789abcdef0123456789abcdef/Configuration/Webhooks, restored on \
destroy)
    webhook events  onMessageAdd, onMessageAdded, onMessageUpdated, onConversationStateUpdated
  numbers           +15005550006
  flex flows        fail: an enabled Flex Flow on a managed number stops preview and up
  messaging svcs    fail: a Messaging Service taking a managed number's SMS stops preview and up
  twiml apps        fail: a TwiML App on a managed number stops preview and up
  auto-accept       tasks whose attribute 'autoAnswer' is true
  tasks created     by the handler through the Interactions API (POST /v1/Interactions)
  orchestration     none: the Interactions API adds and removes the agent
"""


def test_validate_a_conversations_stack_says_what_each_key_becomes_there(cli: CliRunner) -> None:
    # No retries and no orchestration rows: Conversations' webhooks retry nothing, and the
    # Interactions API adds and removes the agent.
    run = cli("validate", "--config", "tests/good_configs/conversations.yaml")
    assert (run.code, run.err, run.out) == (0, "", CONVERSATIONS_SUMMARY)


def test_validate_a_taskrouter_conversations_stack_says_who_creates_tasks(cli: CliRunner) -> None:
    run = cli("validate", "--config", "tests/good_configs/conversations_taskrouter.yaml")
    assert (run.code, run.err) == (0, "")
    assert run.out.splitlines()[-4:] == [
        "  tasks created     by the handler through the TaskRouter API (no Interaction); the "
        "plugin overrides AcceptTask, WrapupTask and CompleteTask for managed-channel tasks",
        "  on accepted       AddToConversation",
        "  on wrapup         none (Flex leaves the channel to the handler)",
        "  on completed      none (Flex leaves the channel to the handler)",
    ]


def test_validate_a_conversations_stack_with_chat_keys_names_each(
    tmp_path: Path, cli: CliRunner
) -> None:
    chat = {"sid": "IS" + "1" * 32, "webhookFilters": ["onMessageSent"], "retryCount": 1}
    config = minimal_config(platform="conversations", chatService=chat, orchestration={})
    path = write_stack(tmp_path / "Pulumi.moving.yaml", config)
    run = cli("validate", "--config", str(path))
    assert (run.code, run.out) == (2, "")
    assert run.err.splitlines() == [
        'flexorch:chatService.webhookFilters[0]: "onMessageSent" is a Programmable Chat event; '
        'on conversations use "onMessageAdded"',
        "flexorch:chatService.retryCount: a Conversations service's webhooks have no retry count "
        "(their configuration takes only URLs, a method and filters); remove the key",
        "flexorch:orchestration: Programmable Chat's orchestration does not apply to Flex "
        "Conversations, where the Interactions API adds and removes the agent (taskCreation: "
        "interactions); remove flexorch:orchestration, or set flexorch:taskCreation: taskrouter "
        "and list what Flex still does in flexorch:flexActions",
    ]


def test_validate_by_stack_name_reads_the_project_root(tmp_path: Path, cli: CliRunner) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: flexorch\nruntime: python\n")
    write_stack(tmp_path / "Pulumi.staging.yaml", minimal_config())
    sub = tmp_path / "sub"
    sub.mkdir()
    run = cli("validate", "--stack", "staging", cwd=sub)
    assert run.code == 0, run.err
    assert run.out.splitlines()[0] == (
        f"Stack staging ({tmp_path / 'Pulumi.staging.yaml'}) is valid. flexorch will manage:"
    )


def test_bad_config_exits_2_with_every_problem_and_no_traceback(cli: CliRunner) -> None:
    run = cli("validate", "--config", "tests/bad_configs/several_problems.yaml")
    assert (run.code, run.out) == (2, "")
    https_only = (
        "must use https (Twilio sends customer messages to it); "
        "http is only allowed for localhost and 127.0.0.1"
    )
    assert run.err.splitlines() == [
        f'flexorch:handler.url: "http://h.example.com" {https_only}',
        'flexorch:handler.method: "PATCH" is not an HTTP method Twilio webhooks use; '
        "use POST or GET",
        'flexorch:taskChannels[0].uniqueName: "sms" is a Flex built-in channel; '
        "choose another name",
        "flexorch:taskChannels[1].flexName: must not be empty; give a value or remove the key",
        'flexorch:numbers[0]: "12345" is neither an E.164 number nor a phone number SID; '
        'write it like "+15005550006" (quoted, no spaces) or PN followed by 32 hex digits',
        'flexorch:flexFlos: unknown key "flexFlos"; did you mean "flexFlows"?',
    ]


def test_missing_stack_file(tmp_path: Path, cli: CliRunner) -> None:
    run = cli("validate", "--stack", "nope", cwd=tmp_path)
    assert run.code == 2
    assert run.err == (
        f"{tmp_path / 'Pulumi.nope.yaml'}: no such file; create it, or pass --stack NAME for "
        "Pulumi.NAME.yaml in the project root\n"
    )


def test_unreadable_path_is_a_clean_error(tmp_path: Path, cli: CliRunner) -> None:
    run = cli("validate", "--config", str(tmp_path))
    assert run.code == 2
    assert (
        run.err == f"{tmp_path}: cannot be read (Is a directory); check the path and permissions\n"
    )


def test_not_utf8_is_a_clean_error(tmp_path: Path, cli: CliRunner) -> None:
    path = tmp_path / "Pulumi.bin.yaml"
    path.write_bytes(b"\xff\xfe\x00config")
    run = cli("validate", "--config", str(path))
    assert run.code == 2
    assert run.err == (
        f"{path}: cannot be read ('utf-8' codec can't decode byte 0xff in position 0: "
        "invalid start byte); check the path and permissions\n"
    )


def test_empty_file_reports_the_required_keys(tmp_path: Path, cli: CliRunner) -> None:
    path = tmp_path / "Pulumi.empty.yaml"
    path.write_text("")
    run = cli("validate", "--config", str(path))
    assert run.code == 2
    assert run.err.splitlines() == [
        "flexorch:handler: is required; add flexorch:handler with at least url: https://...",
        "flexorch:workspace: is required; add flexorch:workspace with sid: WS... "
        'or friendlyName: "Flex Task Assignment"',
        "flexorch:chatService: is required; add flexorch:chatService with sid: IS... "
        "(the Flex chat service)",
    ]


def test_stack_and_config_are_exclusive_and_one_is_needed(cli: CliRunner) -> None:
    neither = cli("validate")
    assert neither.code == 2
    assert neither.err.splitlines()[-1] == (
        "flexorch validate: error: one of the arguments --stack --config is required"
    )
    both = cli("validate", "--stack", "dev", "--config", "x.yaml")
    assert both.code == 2
    assert both.err.splitlines()[-1] == (
        "flexorch validate: error: argument --config: not allowed with argument --stack"
    )


def test_version() -> None:
    run = flexorch("--version")
    assert (run.code, run.out, run.err) == (0, "flexorch 0.2.0\n", "")


def test_project_root_has_the_requested_layout() -> None:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text(encoding="utf-8"))
    assert project["name"] == "flexorch"
    assert project["runtime"] == {"name": "python"}
    assert project["main"] == "stack/"


# --- project-level config (Pulumi.yaml `config:`), merged under the stack file as Pulumi does ---


def write_project(folder: Path, config: dict[str, object], name: str = "flexorch") -> None:
    project = {"name": name, "runtime": {"name": "python"}, "config": config}
    (folder / "Pulumi.yaml").write_text(yaml.safe_dump(project, sort_keys=False), "utf-8")


def test_project_config_fills_keys_the_stack_file_leaves_out(
    tmp_path: Path, cli: CliRunner
) -> None:
    write_project(
        tmp_path,
        {
            "flexorch:handler": {"value": {"url": "https://project.example.com/flex"}},
            "workspace": {"default": {"friendlyName": "Flex Task Assignment"}},
            "flexFlows": "disable",
            "twilio:region": "ie1",
        },
    )
    write_stack(tmp_path / "Pulumi.dev.yaml", {"chatService": {"sid": "IS" + "1" * 32}})
    for args in (("--stack", "dev"), ("--config", str(tmp_path / "Pulumi.dev.yaml"))):
        run = cli("validate", *args, cwd=tmp_path)
        assert run.code == 0, run.err
        lines = run.out.splitlines()
        assert "  handler           POST https://project.example.com/flex" in lines
        assert '  workspace         "Flex Task Assignment" (adopted, never deleted)' in lines
        flex_flows = "disable: conflicting Flex Flows are disabled, re-enabled on destroy"
        assert f"  flex flows        {flex_flows}" in lines


def test_the_stack_file_overrides_project_config_key_by_key(tmp_path: Path, cli: CliRunner) -> None:
    write_project(
        tmp_path,
        {
            "flexorch:handler": {"value": {"url": "https://project.example.com/flex"}},
            "flexorch:workflow": {"value": {"reservationTimeout": 30}},
        },
    )
    write_stack(
        tmp_path / "Pulumi.dev.yaml",
        minimal_config(handler={"url": "https://stack.example.com/flex", "method": "GET"}),
    )
    run = cli("validate", "--stack", "dev", cwd=tmp_path)
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    # The stack's handler replaces the project's whole (no deep merge), as in Pulumi.
    assert "  handler           GET https://stack.example.com/flex" in lines
    assert '    queue           "Everyone", reservation timeout 30 s' in lines


def test_render_reads_project_config_too(tmp_path: Path, cli: CliRunner) -> None:
    write_project(tmp_path, {"autoAccept": {"value": {"attribute": "fromProject"}}})
    write_stack(tmp_path / "Pulumi.dev.yaml", minimal_config())
    run = cli("render", "--stack", "dev", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert run.code == 0, run.err
    code = (tmp_path / "out" / "CustomMessagingOrchestration.js").read_text(encoding="utf-8")
    assert 'const AUTO_ACCEPT_ATTRIBUTE = "fromProject";' in code.splitlines()
    manifest = json.loads((tmp_path / "out" / "flexorch-manifest.json").read_text("utf-8"))
    assert manifest["stack"] == "dev"


def test_bare_project_keys_belong_to_the_project_named_in_pulumi_yaml(
    tmp_path: Path, cli: CliRunner
) -> None:
    # In a project named "shop", a bare `handler:` is shop:handler, not flexorch:handler.
    write_project(tmp_path, {"handler": {"default": {"url": "https://shop.example.com"}}}, "shop")
    config = minimal_config()
    del config["handler"]
    write_stack(tmp_path / "Pulumi.dev.yaml", config)
    run = cli("validate", "--stack", "dev", cwd=tmp_path)
    assert run.code == 2
    assert run.err == (
        "flexorch:handler: is required; add flexorch:handler with at least url: https://...\n"
    )


def test_project_config_pulumi_refuses_is_refused(tmp_path: Path, cli: CliRunner) -> None:
    write_project(
        tmp_path,
        {
            "flexorch:handler": {"url": "https://project.example.com/flex"},
            "flexorch:workspace": {"value": {"sid": "WS" + "0" * 32}, "default": {}},
        },
        name="shop",
    )
    write_stack(tmp_path / "Pulumi.dev.yaml", minimal_config())
    run = cli("validate", "--stack", "dev", cwd=tmp_path)
    project = tmp_path / "Pulumi.yaml"
    assert run.code == 2
    assert run.err.splitlines() == [
        f'{project}: config: flexorch:handler: unknown attribute "url" (a mapping here declares '
        "the key); put the mapping under value:",
        f"{project}: config: flexorch:workspace: has both value: and default:; keep one of them",
    ]


ALIAS_BOMB = ROOT / "tests" / "bad_configs" / "alias_bomb.yaml"


@pytest.mark.parametrize("command", [["validate"], ["render", "--out", "plugin"]])
def test_an_alias_bomb_is_refused_at_once(command: list[str], tmp_path: Path) -> None:
    # A regression walks 10**9 values for minutes: the timeout fails the test instead of a hang.
    done = subprocess.run(
        [sys.executable, "-m", "flexorch.cli", *command, "--config", str(ALIAS_BOMB)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert (done.returncode, done.stdout, done.stderr) == (
        2,
        "",
        "flexorch:numbers: holds more than 100000 values, counting each use of a YAML alias; "
        "no flexorch config needs that many, so remove the repeated aliases\n",
    )
    assert not (tmp_path / "plugin").exists()


def test_a_plain_text_token_is_reported_with_the_other_problems(cli: CliRunner) -> None:
    path = "tests/bad_configs/plaintext_auth_token_with_other_problems.yaml"
    run = cli("validate", "--config", path)
    assert (run.code, run.out) == (2, "")
    assert run.err.splitlines() == [
        f"twilio:authToken: is stored in plain text in {path}; remove it and run "
        "`pulumi config set --secret twilio:authToken` (or set TWILIO_AUTH_TOKEN)",
        'flexorch:handler.url: "http://h.example.com/flex" must use https (Twilio sends '
        "customer messages to it); http is only allowed for localhost and 127.0.0.1",
        'flexorch:numbers[0]: "12345" is neither an E.164 number nor a phone number SID; '
        'write it like "+15005550006" (quoted, no spaces) or PN followed by 32 hex digits',
    ]


def scenario_groups(lines: list[str]) -> dict[str, dict[str, str]]:
    """`heading:` lines, each over its `  name   description` lines, as {heading: {name: ...}}."""
    groups: dict[str, dict[str, str]] = {}
    for line in lines:
        if not line.startswith("  "):
            assert line.endswith(":"), line
            rows = groups[line[:-1]] = {}
            continue
        name, description = line.split(None, 1)
        rows[name] = description
    return groups


def scenario_rows(lines: list[str]) -> dict[str, str]:
    """Every scenario's `{name: description}`, whatever its group."""
    return {k: v for rows in scenario_groups(lines).values() for k, v in rows.items()}


CHAT = "programmable-chat (Flex UI 1.x, Programmable Chat)"
GROUPS = {
    "flex-account": "seeded Flex accounts",
    "step7-agent-not-member": f"doctor on {CHAT}",
    "conversations-step4-no-task": "doctor on conversations (Flex UI 2.x, Flex Conversations)",
    "taskrouter-step5-agent-not-added": "doctor on conversations, taskCreation: taskrouter (Flex "
    "UI 2.x, the handler's own orchestration)",
    "migrate-flex-ui-1": f"migrate from {CHAT}",
}


SOME_SCENARIOS = {
    "flex-account": "A new fake account seeded like a Flex project that still uses Flex's own "
    "handling.",
    "step7-agent-not-member": "Step 7: alice accepted, but nobody added her to the channel "
    "(orchestration.accepted: []).",
    "conversations-step4-no-task": "Step 4: the conversation is active, but the handler made no "
    "Interaction (no task).",
    "migrate-flex-ui-1": "Blocked: the account is still on Flex UI 1.x, and Conversations needs "
    "2.x.",
    "taskrouter-step4-interaction": "Step 4: the handler made the task through the Interactions "
    "API, which this path forbids.",
    "known-agent-all-pass": "Known Agent Routing, healthy: the task names alice by her worker SID.",
}


def test_sandbox_help_lists_every_scenario_one_per_line() -> None:
    from flexorch.sandbox import catalogue

    run = flexorch("sandbox", "--help")
    assert (run.code, run.err) == (0, "")
    lines = run.out.splitlines()
    start = lines.index("scenarios (--scenario NAME):") + 1
    groups = scenario_groups(lines[start:])
    assert list(groups) == [
        "seeded Flex accounts",
        f"doctor on {CHAT}",
        "doctor on conversations (Flex UI 2.x, Flex Conversations)",
        "doctor on conversations, taskCreation: taskrouter (Flex UI 2.x, the handler's own "
        "orchestration)",
        "doctor on conversations, taskCreation: taskrouter, workflow.knownAgent: sid (Flex UI "
        "2.x, the handler's own orchestration)",
        f"migrate from {CHAT}",
    ]
    rows = scenario_rows(lines[start:])
    assert list(rows) == list(catalogue.SCENARIOS)
    assert {name: rows[name] for name in SOME_SCENARIOS} == SOME_SCENARIOS
    assert {name: next(h for h, r in groups.items() if name in r) for name in GROUPS} == GROUPS


def test_an_unknown_scenario_prints_the_list_one_per_line(cli: CliRunner) -> None:
    from flexorch.sandbox import catalogue

    typo = cli("sandbox", "--scenario", "step7-agent-not-a-member")
    assert (typo.code, typo.out) == (2, "")
    first, *rest = typo.err.splitlines()
    assert first == (
        '--scenario: no scenario "step7-agent-not-a-member"; did you mean '
        '"step7-agent-not-member"? Every scenario:'
    )
    assert list(scenario_rows(rest)) == list(catalogue.SCENARIOS)
    unknown = cli("sandbox", "--scenario", "zzz")
    first, *rest = unknown.err.splitlines()
    assert (unknown.code, first) == (2, '--scenario: no scenario "zzz"; use one of these:')
    assert {name: scenario_rows(rest)[name] for name in SOME_SCENARIOS} == SOME_SCENARIOS


@pytest.mark.parametrize("port", ["70000", "-1"])
def test_a_port_out_of_range_is_one_line(port: str, cli: CliRunner) -> None:
    result = cli("sandbox", "--port", port)
    assert (result.code, result.out, result.err) == (
        2,
        "",
        f"--port: {port} is not a TCP port; use 1 to 65535, or 0 for a free one\n",
    )


def test_a_busy_port_is_one_line_and_starts_nothing(cli: CliRunner) -> None:
    import socket
    import threading

    before = threading.active_count()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli("sandbox", "--port", str(port))
    assert (result.code, result.out, result.err) == (
        2,
        "",
        f"--port: {port} is already in use; stop what listens there, or pass --port 0 for a "
        "free one\n",
    )
    assert threading.active_count() == before
