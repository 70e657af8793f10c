"""flexorch doctor on path (b), the handler's own orchestration, and with Known Agent Routing.

Path (b) is Flex Conversations with `flexorch:taskCreation: taskrouter`: the number stays a
Conversations address, the handler creates the task through TaskRouter (no Interaction) and adds
and closes the agent's conversation itself. Each scenario of the sandbox's path-(b) catalogue
(`flexorch.sandbox.platforms.conversations.taskrouter`) is walked through the CLI, as users run
it, and its verdicts and the failing step's detail and fix asserted; `workflow.knownAgent: sid`
is checked on the same accounts, and on the Programmable Chat and Conversations stacks too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import CliResult, doctor_report, run_cli, text_block

from flexorch.routing import workflow_configuration
from flexorch.sandbox import catalogue, seed, toolkit
from flexorch.sandbox.platforms.conversations import scenarios as conversations
from flexorch.sandbox.platforms.conversations import taskrouter as scenarios
from flexorch.sandbox.platforms.programmable_chat import scenarios as legacy

CH = conversations.CONVERSATION_SID
TASK = conversations.CONVERSATION_TASK_SID
RESERVATION = conversations.CONVERSATION_RESERVATION_SID
ALICE, BOB = seed.sid("WK", "alice"), seed.sid("WK", "bob")
WALK = ["1-received", "2-number", "3-conversation", "4-task", "5-agent", "6-relayed", "7-closed"]
HYGIENE = {
    "flex-flows": "pass",
    "addresses": "pass",
    "conversation-webhooks": "pass",
    "orphans": "pass",
    "studio-stale": "pass",
}
SERVICE = seed.CHAT_SERVICE_SID
CLOSE = (
    "Make the handler close the conversation when its task completes (TaskRouter's "
    "task.completed event): `twilio api:conversations:v1:services:conversations:update "
    f"--chat-service-sid {SERVICE} --sid {CH} --state closed`."
)

# Scenario -> (the failing step, its detail, its fix); the later steps are skipped after it.
FAILS: dict[str, tuple[str, str, str]] = {
    "taskrouter-step1-message-missing": (
        "1-received",
        "no inbound message from +15558675309 to a managed number (+15005550006, +15005550007)",
        "Check that the customer texts one of the stack's numbers and that Twilio did not "
        "block it (Messaging logs, errors 21610 and 30007).",
    ),
    "taskrouter-step2-sms-url-set": (
        "2-number",
        "SmsUrl is http://localhost:3000/flex, which runs in parallel with the number's "
        "address; it must be empty",
        "Run `pulumi up --refresh` for this stack to empty the number's SmsUrl (its Address "
        "Configuration takes its messages).",
    ),
    "taskrouter-step2-address-elsewhere": (
        "2-number",
        f"address {seed.sid('IG', seed.FREE_NUMBER)} sends new conversations to "
        "https://old-handler.example.com/sms, not the handler http://localhost:3000/flex",
        "Run `pulumi up --refresh` for this stack to point the number's Address Configuration "
        "at the handler.",
    ),
    "taskrouter-step3-no-conversation": (
        "3-conversation",
        f"no conversation of service {SERVICE} has +15558675309 as an SMS participant on "
        "+15005550006 (0 conversation(s) of the customer looked at)",
        "Find why Twilio made no conversation of the SMS in the Conversations logs (Console > "
        'Conversations > Logs); a number in a Messaging Service needs its "Handle inbound '
        'Messages with Conversations" on.',
    ),
    "taskrouter-step4-no-task": (
        "4-task",
        f"no TaskRouter task references conversation {CH}",
        f"Make the handler create a TaskRouter task for conversation {CH} on Workflow "
        '"Custom messaging - route to contact_uri" (TaskRouter API; the handler must not use '
        "the Interactions API on this path) with attributes conversationSid and targetWorker "
        "set to the agent's contact_uri.",
    ),
    "taskrouter-step4-interaction": (
        "4-task",
        f"task {TASK}: it was created through the Interactions API (Interaction "
        f"{scenarios.INTERACTION_SID}), so Flex adds and removes the agent as well as the "
        "handler",
        "The handler must not use the Interactions API on this path: create the task with "
        f"the TaskRouter API (POST /v1/Workspaces/{seed.WORKSPACE_SID}/Tasks) instead of an "
        "Interaction.",
    ),
    "taskrouter-step5-agent-not-added": (
        "5-agent",
        f"alice accepted {RESERVATION} but is not a participant of {CH}, so cannot see or "
        "answer the customer",
        f"Make the handler add her as participant alice of {CH} when she accepts (TaskRouter's "
        "reservation.accepted event), or list AddToConversation in "
        "flexorch:flexActions.accepted to let Flex add her.",
    ),
    "taskrouter-step7-still-active": (
        "7-closed",
        f"{TASK} is completed but {CH} is still active, so the customer's next message lands "
        "in a conversation no agent is in (the address starts no new one)",
        CLOSE,
    ),
}


def stack_file(tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "Pulumi.sandbox-taskrouter.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


@pytest.fixture
def doctor(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, use: Callable[..., Any]
) -> Callable[..., tuple[CliResult, Any]]:
    """`flexorch doctor --config STACK --json ARGS` on an account; the result and request log."""

    def run(fake: Any, document: dict[str, Any], *args: str) -> tuple[CliResult, Any]:
        http = use(fake)
        result = run_cli(capsys, "doctor", "--config", stack_file(tmp_path, document), *args)
        return result, http

    return run


def statuses(result: CliResult) -> dict[str, str]:
    return {c["id"]: c["status"] for s in result.document["sections"] for c in s["checks"]}


@pytest.mark.parametrize("name", list(FAILS) + ["taskrouter-step6-reply-not-delivered"])
def test_each_path_b_scenario_fails_exactly_its_step(
    name: str, doctor: Callable[..., tuple[CliResult, Any]]
) -> None:
    result, http = doctor(
        catalogue.scenario(name), scenarios.taskrouter_stack(), "--from", toolkit.CUSTOMER,
        "--json",
    )  # fmt: skip
    scenario = next(s for s in scenarios.TASKROUTER_CATALOGUE if s.name == name)
    failed = scenario.check
    after = WALK[WALK.index(failed) + 1 :]
    # Steps 6 and 7 both need only step 5: one failing leaves the other to run.
    skipped = {s: "skipped" for s in after if failed not in ("6-relayed", "7-closed")}
    assert statuses(result) == dict.fromkeys(WALK, "pass") | HYGIENE | {failed: "fail"} | skipped
    check = result.check(failed)
    if name in FAILS:
        assert (check["id"], check["detail"], check["fix"]) == FAILS[name]
    for step in skipped:
        assert result.check(step)["detail"] == f"because step {failed[0]} failed"
    assert (result.code, result.err) == (1, "")
    assert {method for method, _path, _form in http.log} == {"GET"}


def test_step6_names_the_reply_conversations_did_not_deliver(
    doctor: Callable[..., tuple[CliResult, Any]],
) -> None:
    fake = catalogue.scenario("taskrouter-step6-reply-not-delivered")
    result, _ = doctor(fake, scenarios.taskrouter_stack(), "--from", toolkit.CUSTOMER, "--json")
    check = result.check("6-relayed")
    reply = conversations.AGENT_MESSAGE_SID
    assert check["detail"].startswith(f"alice's message {reply} (")
    assert check["detail"].endswith(
        f") in {CH} has no SMS from +15005550006 to +15558675309 after it; 1 of 1 not "
        "delivered, so the customer never hears back"
    )
    assert check["evidence"]["not_relayed"] == [reply]


def test_the_healthy_path_b_account_passes_walk_config_and_hygiene(
    doctor: Callable[..., tuple[CliResult, Any]],
) -> None:
    walked, http = doctor(
        scenarios.taskrouter_all_pass(), scenarios.taskrouter_stack(), "--from",
        toolkit.CUSTOMER, "--json",
    )  # fmt: skip
    assert statuses(walked) == dict.fromkeys(WALK, "pass") | HYGIENE
    assert walked.check("4-task")["detail"] == (
        f"{TASK} (completed) references {CH} and targets client:alice"
    )
    assert walked.check("4-task")["evidence"]["interaction"] is None
    assert walked.check("5-agent")["detail"] == (
        f"{RESERVATION} accepted by alice (client:alice), participant "
        f"{conversations.AGENT_PARTICIPANT_SID} of {CH}"
    )
    assert walked.code == 0
    config, _ = doctor(scenarios.taskrouter_all_pass(), scenarios.taskrouter_stack(), "--json")
    assert {k: v for k, v in statuses(config).items() if v != "pass"} == {"addresses": "skipped"}
    assert {method for method, _path, _form in http.log} == {"GET"}


def test_the_text_report_of_path_b_names_the_interaction_finding(
    doctor: Callable[..., tuple[CliResult, Any]],
) -> None:
    fake = catalogue.scenario("taskrouter-step4-interaction")
    result, _ = doctor(fake, scenarios.taskrouter_stack(), "--from", toolkit.CUSTOMER)
    lines = result.out.splitlines()
    assert lines[:2] == [
        "flexorch doctor: FAILED: 4. TaskRouter task",
        "1 failed, 0 warnings, 8 passed, 3 skipped; exit 1",
    ]
    block = text_block(result.out, "FAIL", "4. TaskRouter task")
    _step, detail, fix = FAILS["taskrouter-step4-interaction"]
    assert block.startswith(f"FAIL     4. TaskRouter task {detail} evidence: ")
    assert block.endswith(f" fix: {fix}")
    assert result.code == 1


def test_the_interactions_variant_still_wants_an_interaction() -> None:
    """The same account on `taskCreation: interactions` is Conversations' doctor: no finding."""
    fake = catalogue.scenario("taskrouter-step4-interaction")
    walked = doctor_report(fake, conversations.conversations_config(), sender=toolkit.CUSTOMER)
    assert walked.check("4-task").status == "pass"
    no_task = doctor_report(
        catalogue.scenario("taskrouter-step4-no-task"),
        conversations.conversations_config(),
        sender=toolkit.CUSTOMER,
    ).check("4-task")
    assert no_task.fix.startswith(f"Make the handler create an Interaction for conversation {CH}")


# --- Known Agent Routing (workflow.knownAgent) ------------------------------------------------


def test_known_agent_healthy_account_passes_with_the_agent_named_by_her_sid(
    doctor: Callable[..., tuple[CliResult, Any]],
) -> None:
    stack = scenarios.known_agent_stack()
    walked, _ = doctor(
        scenarios.known_agent_all_pass(), stack, "--from", toolkit.CUSTOMER, "--json"
    )
    assert statuses(walked) == dict.fromkeys(WALK, "pass") | HYGIENE
    task = walked.check("4-task")
    assert task["detail"] == f"{TASK} (completed) references {CH} and targets {ALICE}"
    assert task["evidence"]["worker_sids"] == [ALICE, BOB]
    agent = walked.check("5-agent")
    assert agent["evidence"]["worker_sid"] == {"found": ALICE, "expected": ALICE}
    assert agent["detail"].startswith(f"{RESERVATION} accepted by alice (client:alice)")
    config, _ = doctor(scenarios.known_agent_all_pass(), stack, "--json")
    workflow, workers = config.check("workflow"), config.check("workers")
    assert (workflow["status"], workflow["detail"]) == (
        "pass",
        f'{seed.sid("WW", "Custom messaging - route to contact_uri")} "Custom messaging - '
        'route to contact_uri" routes on known_worker_sid = task.targetWorker',
    )
    assert (workers["title"], workers["status"], workers["detail"]) == (
        "workers with a worker SID",
        "pass",
        f"2 workers with a worker SID: {ALICE}, {BOB}",
    )


def test_known_agent_task_naming_no_worker_fails_step_4(
    doctor: Callable[..., tuple[CliResult, Any]],
) -> None:
    fake = catalogue.scenario("known-agent-step4-unknown-worker")
    result, _ = doctor(fake, scenarios.known_agent_stack(), "--from", toolkit.CUSTOMER, "--json")
    check = result.check("4-task")
    carol = seed.sid("WK", "carol")
    assert (check["status"], check["detail"], check["fix"]) == (
        "fail",
        f"task {TASK}: targetWorker is '{carol}', which no worker has (worker_sids: {ALICE}, "
        f"{BOB})",
        "Set targetWorker to the worker SID of an existing worker.",
    )
    assert result.check("5-agent")["detail"] == "because step 4 failed"


def test_a_contact_uri_workflow_fails_the_known_agent_stacks_workflow_check(
    doctor: Callable[..., tuple[CliResult, Any]],
) -> None:
    """The account a contact_uri stack left, checked against the knownAgent stack: drift."""
    result, _ = doctor(scenarios.taskrouter_all_pass(), scenarios.known_agent_stack(), "--json")
    check = result.check("workflow")
    assert check["status"] == "fail"
    assert check["evidence"]["target"] == {
        "found": ["task.targetWorker == worker.contact_uri"],
        "expected": "known_worker_sid = task.targetWorker",
    }
    assert check["fix"] == (
        "Run `pulumi up --refresh` for this stack to restore the Workflow's document."
    )


def test_known_agent_by_friendly_name_on_programmable_chat(
    doctor: Callable[..., tuple[CliResult, Any]],
) -> None:
    """Every platform's walk names the agent as the stack's tasks do: here by friendly name."""
    document = toolkit.shipped_stack()
    document["config"].setdefault("flexorch:workflow", {})["knownAgent"] = "friendlyName"
    config = toolkit.stack_config(document)
    fake = legacy.all_pass()
    # What `up` of that stack leaves: the known-agent Workflow; the handler's task names alice.
    workflow = fake.find(seed.WORKFLOWS, friendly_name=config.workflow.friendly_name)
    workflow["configuration"] = json.dumps(workflow_configuration(config, seed.EVERYONE_SID))
    for task in fake.all(seed.TASKS):
        attributes = json.loads(task["attributes"])
        attributes["targetWorker"] = "alice"
        task["attributes"] = json.dumps(attributes)
    walked = doctor_report(fake, config, sender=toolkit.CUSTOMER)
    # As on the contact_uri stack: no Proxy session nor Studio execution to judge.
    assert {c.id: c.status for c in walked.checks if c.status != "pass"} == {
        "3-proxy": "skipped",
        "5-studio": "skipped",
    }
    assert walked.check("7-agent").evidence["friendly_name"] == {
        "found": "alice",
        "expected": "alice",
    }
    checked = doctor_report(fake, config)
    assert checked.check("workers").detail == "2 workers with a worker friendly name: alice, bob"
    assert checked.check("workflow").status == "pass"
    # A contact_uri left in the attribute is a name no worker has, by this stack's rule.
    for task in fake.all(seed.TASKS):
        attributes = json.loads(task["attributes"])
        attributes["targetWorker"] = "client:alice"
        task["attributes"] = json.dumps(attributes)
    step = doctor_report(fake, config, sender=toolkit.CUSTOMER).check("6-task")
    assert step.detail.endswith(
        "targetWorker is 'client:alice', which no worker has (friendly_names: alice, bob)"
    )
    assert step.fix == "Set targetWorker to the worker friendly name of an existing worker."
