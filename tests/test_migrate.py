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
from flexorch.config import FLEX_ACTION_EVENTS, ORCHESTRATION_EVENTS
from flexorch.migrate_paths import FLEX_ACTION_OF, VARIANTS, WHY
from flexorch.sandbox import catalogue, seed, toolkit
from flexorch.sandbox.platforms.programmable_chat import migration
from flexorch.sandbox.server import Sandbox
from flexorch.twilio_client import BASE_URL_ENV

SANDBOX_STACK = ROOT / "examples" / "Pulumi.sandbox.yaml"
CONVERSATIONS_STACK = ROOT / "examples" / "Pulumi.sandbox-conversations.yaml"
A, B = "(a) taskCreation: interactions", "(b) taskCreation: taskrouter"
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
    headings = [
        "FAIL     conversations in flight",
        "numbers",
        "inventory",
        "paths onto Flex Conversations",
        f"handler {B}: its calls now -> then",
        f"plan {B}",
        f"rollback {B}",
        f"handler {A}: its calls now -> then",
        f"plan {A}",
        f"rollback {A}",
    ]
    assert [lines.index(h) for h in headings] == sorted(lines.index(h) for h in headings)
    block = text_block(out, "FAIL", "conversations in flight")
    assert "1 active chat channel(s) of managed numbers and 1 open Proxy session(s)" in block
    assert "fix: Drain first" in block
    assert numbered(out, "paths onto Flex Conversations")[:2] == [
        f"(b) taskCreation: taskrouter, your own messaging orchestration (recommended): "
        f"{VARIANTS['taskrouter'].summary}.",
        f"(a) taskCreation: interactions, webhook integration: {VARIANTS['interactions'].summary}.",
    ]
    steps = numbered(out, f"plan {B}")
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
    rollback = " ".join(numbered(out, f"rollback {B}"))
    assert "SmsUrl points at the handler again first, then its Address Configuration" in rollback
    assert "remove flexorch:taskCreation and flexorch:flexActions." in rollback
    document = run("--config", SANDBOX_STACK, "--json").document
    for path in ("taskrouter", "interactions"):
        heading = B if path == "taskrouter" else A
        assert numbered(out, f"plan {heading}") == document["paths"][path]["plan"]
        assert numbered(out, f"rollback {heading}") == document["paths"][path]["rollback"]
        assert numbered(out, f"handler {heading}: its calls now -> then") == [
            f"{i}. {call['now']} -> {call['then']}"
            for i, call in enumerate(document["paths"][path]["handler"], 1)
        ]
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
    assert (document["plan"], document["paths"], document["taskCreation"]) == ([], {}, None)
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


CHAT_CALLS = [
    "gets the SMS on the number's SmsUrl (From, To, Body)",
    "Chat POST /v2/Services/IS.../Channels and .../Channels/CH.../Members (the customer's "
    "channel, the customer in it)",
    "Chat POST /v2/Services/IS.../Channels/CH.../Messages (the customer's SMS into the channel)",
    "API POST /2010-04-01/Accounts/AC.../Messages.json (the agent's reply, on onMessageSent)",
    "TaskRouter POST /v1/Workspaces/WS.../Tasks (attributes channelSid, targetWorker)",
    "Chat POST /v2/Services/IS.../Channels/CH.../Members (the agent, on accept)",
    "Chat POST /v2/Services/IS.../Channels/CH... (attributes status INACTIVE, on wrap-up)",
    "Chat DELETE /v2/Services/IS.../Channels/CH.../Members/MB... (the agent, on completion)",
    "TaskRouter POST /v1/Workspaces/WS.../Tasks/WT... (cancel or complete the task)",
]
CONVERSATIONS_CALLS = [
    "gets onMessageAdded from the number's Address Configuration (ConversationSid, Author, Body)",
    "none: the Address Configuration creates the conversation with the customer as its SMS "
    "participant",
    "none: the customer's SMS is the conversation's message already",
    "none: Conversations sends the agent's messages to the customer's SMS participant",
]


def test_by_default_both_paths_are_planned_and_b_is_recommended(
    run: Callable[..., CliResult], use: Callable[..., InProcessHttp]
) -> None:
    use(migration.ready())
    document = run("--config", SANDBOX_STACK, "--json").document
    # The keys of flexorch-migrate/1 stay; the paths are added beside them.
    assert {"schema", "ready", "inventory", "plan", "rollback"} <= set(document)
    assert list(document)[-4:] == ["taskCreation", "recommended", "recommendation", "paths"]
    assert (document["taskCreation"], document["recommended"]) == ("taskrouter", "taskrouter")
    assert document["recommendation"] == WHY
    b, a = document["paths"]["taskrouter"], document["paths"]["interactions"]
    assert list(document["paths"]) == ["taskrouter", "interactions"]
    assert (b["recommended"], a["recommended"]) == (True, False)
    assert (document["plan"], document["rollback"]) == (b["plan"], b["rollback"])
    assert b["config"] == {
        "set": {
            "flexorch:platform": "conversations",
            "flexorch:taskCreation": "taskrouter",
            "flexorch:chatService.webhookFilters": ["onMessageAdded", "onConversationUpdated"],
            "flexorch:flexActions": {"accepted": [], "wrapup": [], "completed": []},
        },
        "remove": ["flexorch:chatService.retryCount"],
    }
    assert a["config"] == {
        "set": {
            "flexorch:platform": "conversations",
            "flexorch:taskCreation": "interactions",
            "flexorch:chatService.webhookFilters": ["onMessageAdded", "onConversationUpdated"],
        },
        "remove": ["flexorch:chatService.retryCount"],
    }
    assert [call["now"] for call in b["handler"]] == CHAT_CALLS
    assert [call["now"] for call in a["handler"]] == CHAT_CALLS
    assert [call["then"] for call in b["handler"]] == [
        *CONVERSATIONS_CALLS,
        "unchanged, the attributes referencing the conversation: conversationSid (for "
        "channelSid), targetWorker",
        "Conversations POST /v1/Services/IS.../Conversations/CH.../Participants (Identity: the "
        "agent, on accept)",
        "Conversations POST /v1/Services/IS.../Conversations/CH... (State closed, on wrap-up)",
        "Conversations DELETE /v1/Services/IS.../Conversations/CH.../Participants/MB... (the "
        "agent, on completion)",
        "unchanged",
    ]
    assert [call["then"] for call in a["handler"]] == [
        *CONVERSATIONS_CALLS,
        "Flex POST /v1/Interactions (Channel: type sms, initiated_by customer, "
        "properties.media_channel_sid CH...; Routing.properties: workspace_sid, workflow_sid, "
        "task_channel_unique_name, attributes.targetWorker)",
        "none: Flex adds the agent when she accepts (the Interactions API)",
        "none: Flex wraps the interaction up and closes it (the Interactions API)",
        "none: Flex removes the agent on completion (the Interactions API)",
        "Flex POST /v1/Interactions/KD.../Channels/UO... (Status closed): Twilio does not "
        "support cancelling or deleting an Interaction's task with the TaskRouter API",
    ]
    assert document["inventory"][1]["detail"] == (
        "flexorch:platform: conversations; flexorch:taskCreation: taskrouter; "
        "flexorch:chatService.webhookFilters: [onMessageAdded, onConversationUpdated]; "
        "flexorch:flexActions: {accepted: [], wrapup: [], completed: []}; "
        "remove flexorch:chatService.retryCount"
    )
    handler_b = next(s for s in b["plan"] if s.startswith("5. Handler:"))
    assert "keeps creating the tasks through the TaskRouter API with attributes.targetWorker" in (
        handler_b
    )
    assert "never through Send to Flex or the Interactions API" in handler_b
    handler_a = next(s for s in a["plan"] if s.startswith("5. Handler:"))
    assert "creates tasks through the Interactions API with routing.properties" in handler_a


def test_task_creation_plans_one_path(
    run: Callable[..., CliResult], use: Callable[..., InProcessHttp]
) -> None:
    use(migration.ready())
    result = run("--config", SANDBOX_STACK, "--json", "--task-creation", "interactions")
    document = result.document
    assert (result.code, document["taskCreation"]) == (0, "interactions")
    assert list(document["paths"]) == ["interactions"]
    assert document["plan"] == document["paths"]["interactions"]["plan"]
    assert document["inventory"][1]["detail"] == (
        "flexorch:platform: conversations; flexorch:taskCreation: interactions; "
        "flexorch:chatService.webhookFilters: [onMessageAdded, onConversationUpdated]; "
        "remove flexorch:chatService.retryCount"
    )
    text = run("--config", SANDBOX_STACK, "--task-creation", "interactions").out
    assert f"plan {A}" in text.splitlines()
    assert f"plan {B}" not in text.splitlines()
    assert "recommended:" not in text
    wrong = run("--config", SANDBOX_STACK, "--task-creation", "studio")
    assert wrong.code == 2
    assert "argument --task-creation: invalid choice: 'studio'" in wrong.err


def test_orchestration_is_carried_onto_flex_actions_on_b_and_dropped_on_a(
    run: Callable[..., CliResult], use: Callable[..., InProcessHttp], tmp_path: Path
) -> None:
    use(migration.ready())
    stack = tmp_path / "Pulumi.flexdoes.yaml"
    stack.write_text(
        SANDBOX_STACK.read_text()
        + "  flexorch:orchestration:\n    accepted: [AddToChatChannel]\n"
        + "    wrapup: []\n    completed: [DeactivateChatChannel, LeaveChatChannel]\n"
    )
    document = run("--config", stack, "--json").document
    b, a = document["paths"]["taskrouter"], document["paths"]["interactions"]
    assert b["config"]["set"]["flexorch:flexActions"] == {
        "accepted": ["AddToConversation"],
        "wrapup": [],
        "completed": ["DeactivateConversation", "LeaveConversation"],
    }
    assert b["config"]["remove"] == ["flexorch:chatService.retryCount", "flexorch:orchestration"]
    assert a["config"]["remove"] == ["flexorch:chatService.retryCount", "flexorch:orchestration"]
    assert "flexorch:flexActions" not in a["config"]["set"]
    assert [(c["now"], c["then"]) for c in b["handler"][5:8]] == [
        ("none: Flex does it (orchestration.accepted: AddToChatChannel)",
         "none: Flex does it (flexActions.accepted: AddToConversation)"),
        ("none: Flex does it (orchestration.completed: DeactivateChatChannel)",
         "none: Flex does it (flexActions.completed: DeactivateConversation)"),
        ("none: Flex does it (orchestration.completed: LeaveChatChannel)",
         "none: Flex does it (flexActions.completed: LeaveConversation)"),
    ]  # fmt: skip


def test_each_chat_orchestration_event_maps_to_its_flex_ui_2_twin() -> None:
    assert FLEX_ACTION_OF == {
        "AddToChatChannel": "AddToConversation",
        "DeactivateChatChannel": "DeactivateConversation",
        "LeaveChatChannel": "LeaveConversation",
    }
    assert set(FLEX_ACTION_OF) == set(ORCHESTRATION_EVENTS)
    assert set(FLEX_ACTION_OF.values()) == set(FLEX_ACTION_EVENTS)


@pytest.mark.parametrize("path", ["taskrouter", "interactions"])
def test_the_config_each_path_writes_validates(
    run: Callable[..., CliResult],
    use: Callable[..., InProcessHttp],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    path: str,
) -> None:
    import yaml

    from flexorch.migrate_paths import ConfigChange

    use(migration.ready())
    source = tmp_path / "Pulumi.flexdoes.yaml"
    source.write_text(
        SANDBOX_STACK.read_text() + "  flexorch:orchestration:\n    completed: [LeaveChatChannel]\n"
    )
    change = run("--config", source, "--json").document["paths"][path]["config"]
    stack = yaml.safe_load(source.read_text())
    stack["config"] = ConfigChange(change["set"], tuple(change["remove"])).apply(stack["config"])
    moved = tmp_path / "Pulumi.moved.yaml"
    moved.write_text(yaml.safe_dump(stack, sort_keys=False))
    result = run_cli(capsys, "validate", "--config", moved)
    assert (result.code, result.err) == (0, "")
    assert "conversations (Flex UI 2.x, Flex Conversations)" in result.out
    written = stack["config"]
    assert written["flexorch:taskCreation"] == path
    assert "flexorch:orchestration" not in written
    assert "retryCount" not in written["flexorch:chatService"]
    if path == "taskrouter":
        assert written["flexorch:flexActions"] == {
            "accepted": [], "wrapup": [], "completed": ["LeaveConversation"],
        }  # fmt: skip
