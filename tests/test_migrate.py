"""flexorch migrate: the inventory of a 1.x stack's move onto Conversations, and its plan.

Each migration scenario trips exactly its check; the run only reads (GET), in-process and
through Prism with Twilio's specs; exit 0 ready, 1 blocked, 2 bad config, 3 unreachable.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import ROOT, CliResult, InProcessHttp, counts_line, run_cli, text_block

from flexorch.cli import build_parser
from flexorch.sandbox import catalogue, seed, toolkit
from flexorch.sandbox.platforms.programmable_chat import migration
from flexorch.sandbox.server import Sandbox
from flexorch.twilio_client import BASE_URL_ENV

SANDBOX_STACK = ROOT / "examples" / "Pulumi.sandbox.yaml"
CONVERSATIONS_STACK = ROOT / "examples" / "Pulumi.sandbox-conversations.yaml"
READY = {
    "flex-ui": "pass",
    "config": "pass",
    "number:+15005550006": "pass",
    "number:+15005550007": "pass",
    "in-flight": "pass",
    "channel-limit": "pass",
    "conversations-defaults": "pass",
}


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """`flexorch migrate ARGS` as flexorch.cli.main runs it."""
    return lambda *args: run_cli(capsys, "migrate", *args)


@pytest.mark.parametrize("scenario", migration.MIGRATION_CATALOGUE, ids=lambda s: s.name)
def test_each_scenario_trips_exactly_its_check(
    scenario: toolkit.Scenario, run: Callable[..., CliResult], use: Callable[..., InProcessHttp]
) -> None:
    http = use(scenario.build())
    result = run("--config", SANDBOX_STACK, "--json")
    expected = READY | ({scenario.check: scenario.status} if scenario.check else {})
    assert result.statuses() == expected
    assert result.code == (1 if scenario.status == "fail" else 0)
    assert result.document["ready"] is (result.code == 0)
    assert result.document["schema"] == "flexorch-migrate/1"
    assert {method for method, _path, _form in http.log} == {"GET"}
    text = run("--config", SANDBOX_STACK)
    assert text.code == result.code
    lines = text.out.splitlines()
    if scenario.check:
        found = result.check(scenario.check)
        assert found["fix"], found  # a blocker or a warning says what to do
        assert found["evidence"], found
        block = text_block(text.out, scenario.status.upper(), found["title"])
        assert block.endswith(f"fix: {found['fix']}")
        verdict = "BLOCKED: " if scenario.status == "fail" else "ready, 1 warning: "
        assert lines[0] == f"flexorch migrate: {verdict}{found['title']}"
    else:
        assert lines[0] == "flexorch migrate: ready"
    assert lines[1] == counts_line(result.document["counts"], result.code)


def numbered(out: str, title: str) -> list[str]:
    """The items of a numbered list in the plain text, each unwrapped onto one line."""
    lines = out.splitlines()
    items: list[str] = []
    for line in lines[lines.index(title) + 1 :]:
        if not line.startswith("  "):
            break
        if line.startswith("     "):
            items[-1] += " " + line.strip()
        else:
            items.append(line.strip())
    return items


def test_the_text_gives_the_verdict_the_blocker_the_numbers_then_the_plan_and_rollback(
    run: Callable[..., CliResult], use: Callable[..., InProcessHttp]
) -> None:
    use(migration.in_flight())
    result = run("--config", SANDBOX_STACK)
    assert result.code == 1
    out = result.out
    lines = out.splitlines()
    assert lines[:2] == [
        "flexorch migrate: BLOCKED: conversations in flight",
        "1 failed, 0 warnings, 6 passed, 0 skipped; exit 1",
    ]
    where = " ".join(line.strip() for line in lines[2 : lines.index("")])
    assert re.fullmatch(
        re.escape(f"stack sandbox ({SANDBOX_STACK}), ")
        + r"\d+ read-only requests in \d+\.\d s "
        + re.escape(f"account {seed.ACCOUNT_SID} at https://*.twilio.com"),
        where,
    )
    headings = ["FAIL     conversations in flight", "numbers", "inventory", "plan", "rollback"]
    assert [lines.index(h) for h in headings] == sorted(lines.index(h) for h in headings)
    block = text_block(out, "FAIL", "conversations in flight")
    assert "1 active chat channel(s) of managed numbers and 1 open Proxy session(s)" in block
    assert "fix: Drain first" in block
    steps = numbered(out, "plan")
    assert [s.split(". ", 1)[1].split(":", 1)[0] for s in steps] == [
        "Drain", "Flex UI", "Config", "Plugin", "Handler", "Cut-over", "Check",
    ]  # fmt: skip
    plan = " ".join(steps)
    assert f"--config {SANDBOX_STACK}" in plan  # the commands name the stack as the user did
    cut_over = next(s for s in steps if "Cut-over" in s)
    assert "+15005550006, +15005550007" in cut_over
    assert "created (or adopted) first, then its SmsUrl emptied" in cut_over
    assert "flexorch:chatService.webhookFilters: [onMessageAdded, onConversationUpdated]" in plan
    assert "remove flexorch:chatService.retryCount" in plan
    rollback = " ".join(numbered(out, "rollback"))
    assert "SmsUrl points at the handler again first, then its Address Configuration" in rollback
    assert all(len(line) <= 80 or " " not in line.strip() for line in lines)  # 80 on a pipe


def test_an_untouched_flex_account_names_each_numbers_handling(
    run: Callable[..., CliResult], use: Callable[..., InProcessHttp]
) -> None:
    use(seed.flex_account())
    result = run("--config", SANDBOX_STACK, "--json")
    assert result.check("flex-ui")["status"] == "fail"  # still on Flex UI 1.x
    assert "needs Flex UI 2.x" in result.check("flex-ui")["detail"]
    free, flow = result.check("number:+15005550006"), result.check("number:+15005550007")
    cut_over = (
        "the cut-over gives it an Address Configuration at the handler, then empties its SmsUrl"
    )
    assert free["detail"] == f"SmsUrl on Flex's Proxy webhook: {cut_over}"
    assert flow["detail"] == (
        f'Flex Flow {seed.sid("FO", "SMS Flex Flow")} "SMS Flex Flow" (+15005550007); SmsUrl on '
        f"Flex's Proxy webhook: {cut_over}"
    )
    assert flow["status"] == "pass"  # flexFlows: disable takes care of it


def test_a_flex_flow_with_flex_flows_fail_is_a_blocker(
    run: Callable[..., CliResult], use: Callable[..., InProcessHttp], tmp_path: Path
) -> None:
    use(seed.flex_account())  # +15005550007 still on its enabled SMS Flex Flow
    stack = tmp_path / "Pulumi.guarded.yaml"
    stack.write_text(SANDBOX_STACK.read_text().replace("flexFlows: disable", "flexFlows: fail"))
    result = run("--config", stack, "--json")
    check = result.check("number:+15005550007")
    assert (check["status"], result.code) == ("fail", 1)
    assert "with flexFlows: fail the cut-over stops on it" in check["detail"]


@pytest.mark.parametrize(
    ("case", "key", "mode"),
    [("migrate-messaging-service", "messagingServices", "defer"),
     ("migrate-twiml-app", "twimlApps", "detach")],
)  # fmt: skip
def test_a_taker_stops_the_cut_over_unless_opted_in(
    run: Callable[..., CliResult], use: Callable[..., InProcessHttp], tmp_path: Path,
    case: str, key: str, mode: str,
) -> None:  # fmt: skip
    use(catalogue.scenario(case))
    blocked = run("--config", SANDBOX_STACK, "--json").check("number:+15005550006")
    assert f"with {key}: fail the cut-over stops on it" in blocked["detail"]
    assert f"flexorch:{key}: {mode}" in blocked["fix"]
    assert blocked["evidence"]
    stack = tmp_path / "Pulumi.fixing.yaml"
    stack.write_text(SANDBOX_STACK.read_text() + f"  flexorch:{key}: {mode}\n")
    fixing = run("--config", stack, "--json")
    check = fixing.check("number:+15005550006")
    assert (check["status"], fixing.code) == ("pass", 0)
    assert "before that flexorch undoes" in check["detail"]
    assert f"({key}: {mode}; put back on destroy)" in check["detail"]


def test_a_chat_event_without_a_conversations_twin_is_a_blocker(
    run: Callable[..., CliResult], use: Callable[..., InProcessHttp], tmp_path: Path
) -> None:
    use(migration.ready())
    stack = tmp_path / "Pulumi.users.yaml"
    text = SANDBOX_STACK.read_text().replace(
        "[onMessageSent, onChannelUpdated]", "[onMessageSent, onUserUpdated]"
    )
    stack.write_text(text)
    result = run("--config", stack, "--json")
    check = result.check("config")
    assert (check["status"], result.code) == ("fail", 1)
    assert check["detail"] == "onUserUpdated has no Conversations webhook event"


def test_a_stack_on_conversations_already_is_said_so(
    run: Callable[..., CliResult], use: Callable[..., InProcessHttp]
) -> None:
    use(migration.ready())
    result = run("--config", CONVERSATIONS_STACK, "--json")
    assert result.check("config")["detail"] == "the stack is on conversations already"


def test_a_bad_config_is_exit_2_with_an_error_document(
    run: Callable[..., CliResult], tmp_path: Path
) -> None:
    stack = tmp_path / "Pulumi.bad.yaml"
    stack.write_text("config:\n  flexorch:platform: chat\n")
    result = run("--config", stack, "--json")
    assert result.code == 2
    document = result.document
    assert document["schema"] == "flexorch-migrate/1"
    assert document["ready"] is False and document["inventory"] == []
    assert document["error"]["kind"] == "usage"
    assert any("flexorch:platform" in line for line in document["error"]["problems"])
    assert "flexorch:platform" in result.err


def test_twilio_unreachable_is_exit_3(
    run: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(BASE_URL_ENV, "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", seed.ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", seed.AUTH_TOKEN)
    monkeypatch.setenv("FLEXORCH_TWILIO_TIMEOUT", "2")
    result = run("--config", SANDBOX_STACK, "--json")
    assert result.code == 3
    assert result.document["error"]["kind"] == "twilio"


def test_the_sandbox_serves_every_migration_scenario() -> None:
    names = {s.name for s in migration.MIGRATION_CATALOGUE}
    assert names <= set(catalogue.SCENARIOS)
    for name in names:
        args = build_parser().parse_args(["sandbox", "--scenario", name])
        assert catalogue.scenario(args.scenario).all(seed.NUMBERS)


def test_through_prism_every_read_is_valid_and_counted(
    run: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    with Sandbox(migration.in_flight()) as sandbox:
        monkeypatch.setenv(BASE_URL_ENV, sandbox.url)
        monkeypatch.setenv("TWILIO_ACCOUNT_SID", seed.ACCOUNT_SID)
        monkeypatch.setenv("TWILIO_AUTH_TOKEN", seed.AUTH_TOKEN)
        result = run("--config", SANDBOX_STACK, "--json")
        requests = sandbox.since(0)
    assert result.code == 1 and result.statuses()["in-flight"] == "fail"
    assert {r["method"] for r in requests} == {"GET"}
    assert {r["status"] for r in requests} == {200}
    assert result.document["requests"] == len(requests)
    hosts = {r["host"] for r in requests}
    assert {"flex-api.twilio.com", "conversations.twilio.com", "chat.twilio.com"} <= hosts
