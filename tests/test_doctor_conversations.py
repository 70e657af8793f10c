"""flexorch doctor on a Flex Conversations stack: what its checks say.

Each Conversations scenario tripping exactly its check is test_doctor.py's harness, which runs
on both platforms. The stack is the sandbox's on `flexorch:platform: conversations`
(`scenarios.conversations_stack`); most tests run doctor in-process against the stateful fake,
`TestAgainstTheSandbox` through Prism with Twilio's specs, so every Conversations read is
contract-checked.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import (
    CliResult,
    InProcessHttp,
    assert_read_only_and_valid,
    doctor_report,
    run_cli,
    second_of,
)
from twilio.rest import Client

from flexorch import doctor
from flexorch.sandbox import catalogue, seed, toolkit
from flexorch.sandbox.fake import FakeTwilio
from flexorch.sandbox.platforms.conversations import scenarios
from flexorch.sandbox.platforms.programmable_chat import scenarios as legacy_scenarios
from flexorch.sandbox.server import Sandbox
from flexorch.twilio_client import BASE_URL_ENV

CONFIG = scenarios.conversations_config()
SERVICE = seed.CHAT_SERVICE_SID
CH = scenarios.CONVERSATION_SID
WALK = [
    "1-received",
    "2-number",
    "3-conversation",
    "4-task",
    "5-agent",
    "6-relayed",
    "7-closed",
]
UP = "Run `pulumi up --refresh` for this stack to "
ADDRESS_FIX = UP + "point the number's Address Configuration at the handler."


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Conversations sandbox stack as a file, as users pass it with --config."""
    path = tmp_path_factory.mktemp("stack") / "Pulumi.sandbox-conversations.yaml"
    path.write_text(yaml.safe_dump(scenarios.conversations_stack()), encoding="utf-8")
    return path


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], stack: Path) -> Callable[..., CliResult]:
    """`flexorch doctor --config STACK ARGS` as flexorch.cli.main runs it."""
    return lambda *args: run_cli(capsys, "doctor", "--config", stack, *args)


def report(fake: FakeTwilio, walk: bool = True, message: str | None = None) -> doctor.Report:
    """Doctor's report on `fake` (a walk of the customer's latest message, or with walk=False
    the config and hygiene sections); asserts it only read."""
    sender = toolkit.CUSTOMER if walk and not message else None
    result: doctor.Report = doctor_report(fake, CONFIG, sender=sender, message=message)
    return result


def statuses(result: doctor.Report) -> dict[str, str]:
    return {c.id: c.status for c in result.checks}


# --- the catalogue and the platform (each scenario's check: test_doctor.py's harness) ----


def test_the_sandbox_serves_the_conversations_scenarios() -> None:
    from flexorch.cli import build_parser

    for scenario in scenarios.CONVERSATIONS_CATALOGUE:
        args = build_parser().parse_args(["sandbox", "--scenario", scenario.name])
        assert args.scenario in catalogue.SCENARIOS
        fake = catalogue.scenario(args.scenario)
        assert {a["address"] for a in fake.all(seed.ADDRESSES)} == set(CONFIG.numbers)


def test_the_platform_picks_the_checks() -> None:
    """The same account through the 1.x stack gets the Programmable Chat walk and checks."""
    walked = report(scenarios.conversations_all_pass())
    assert [c.id for c in walked.sections[0].checks] == WALK
    http = InProcessHttp(scenarios.conversations_all_pass())
    client = Client(seed.ACCOUNT_SID, seed.AUTH_TOKEN, seed.ACCOUNT_SID, http_client=http)
    legacy = doctor.run_doctor(legacy_scenarios.sandbox_config(), client, sender=toolkit.CUSTOMER)
    assert [c.id for c in legacy.sections[0].checks][3:5] == ["4-channel", "5-studio"]
    # The 1.x doctor sees the emptied SmsUrl as the number taken off the handler.
    assert legacy.check("2-number").status == "fail"
    read = " ".join(path for _m, path, _f in http.log)
    assert "Conversations" not in read and "Addresses" not in read and "/v2/Services/" in read


# --- the scenarios are the stack applied as `up` would leave it (compared with a real `up`
# on every platform in test_sandbox.py) ------------------------------------------------------


def test_up_on_conversations_leaves_each_number_to_its_address() -> None:
    by_hand = scenarios.apply_conversations_stack(seed.flex_account(), CONFIG)
    number = by_hand.find(seed.NUMBERS, phone_number=seed.FREE_NUMBER)
    assert (number["sms_url"], number["sms_method"]) == ("", "POST")


# --- what each failure says ----------------------------------------------------------------


def number_check(fake: FakeTwilio, ref: str = "+15005550006") -> doctor.Check:
    return report(fake, walk=False).check(f"number:{ref}")


def address(fake: FakeTwilio, number: str = seed.FREE_NUMBER) -> dict[str, Any]:
    return fake.find(seed.ADDRESSES, address=number)


def test_step2_passes_with_the_address_evidence() -> None:
    check = report(scenarios.conversations_all_pass()).check("2-number")
    assert check.status == "pass"
    assert check.detail == (
        f"+15005550006 ({seed.sid('PN', '+15005550006')}): address "
        f"{seed.sid('IG', '+15005550006')} starts conversations in {SERVICE} and sends "
        "onMessageAdded to POST http://localhost:3000/flex; SmsUrl empty; no enabled Flex Flow, "
        "Messaging Service or TwiML App takes it"
    )
    assert check.evidence["webhook_url"] == {
        "found": "http://localhost:3000/flex",
        "expected": "http://localhost:3000/flex",
    }
    assert check.evidence["sms_url"] == {"found": "", "expected": ""}


def test_step2_an_sms_url_runs_in_parallel_with_the_address() -> None:
    check = report(scenarios.conversations_sms_url_set()).check("2-number")
    assert check.detail == (
        "SmsUrl is http://localhost:3000/flex, which runs in parallel with the number's address; "
        "it must be empty"
    )
    fake = scenarios.conversations_all_pass()
    fake.find(seed.NUMBERS, phone_number=seed.FREE_NUMBER)["sms_url"] = seed.PROXY_WEBHOOK
    check = number_check(fake)
    assert check.detail == (
        "SmsUrl is Twilio's Proxy message webhook (Flex's own handling), which runs in parallel "
        "with the number's address; it must be empty"
    )


def test_step2_each_address_setting_is_judged() -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"enabled": False}, "has autoCreation off, so an SMS starts no conversation"),
        ({"webhook_method": "get"}, "calls the handler with GET, not POST"),
        ({"webhook_filters": ["onMessageUpdated"]}, "has webhook filters without onMessageAdded"),
        (
            {"conversation_service_sid": "IS" + "1" * 32},
            f"creates conversations in IS{'1' * 32}, not {SERVICE} (flexorch:chatService.sid)",
        ),
        (
            {"webhook_url": scenarios.OLD_HANDLER},
            f"sends new conversations to {scenarios.OLD_HANDLER}",
        ),
        (
            {"type": "default"},
            "is of type default: new conversations go to Flex's own handling, not the handler",
        ),
    ]
    for change, said in cases:
        fake = scenarios.conversations_all_pass()
        record = address(fake)
        record["auto_creation"] = {**record["auto_creation"], **change}
        check = number_check(fake)
        assert (check.status, check.fix) == ("fail", ADDRESS_FIX), change
        assert f"address {record['sid']} {said}" in check.detail, check.detail


def test_step2_a_number_without_an_address_or_with_an_enabled_flex_flow() -> None:
    fake = scenarios.conversations_all_pass()
    toolkit.remove_records(fake, seed.ADDRESSES, address=seed.FREE_NUMBER)
    check = number_check(fake)
    assert check.detail == (
        "it has no SMS Address Configuration, so Conversations does not take its SMS"
    )
    assert check.evidence["address"] is None
    fake = scenarios.conversations_all_pass()
    fake.find(seed.FLEX_FLOWS, contact_identity=seed.FLEX_FLOW_NUMBER)["enabled"] = True
    check = number_check(fake, "+15005550007")
    assert check.detail == (
        f'enabled Flex Flow {seed.sid("FO", "SMS Flex Flow")} "SMS Flex Flow" (+15005550007) still '
        "takes its messages"
    )
    # The stack has flexFlows: disable, so a flow enabled again since up is drift.
    assert check.fix == "Run `pulumi up --refresh` for this stack to disable the Flex Flow again."


def test_step3_only_a_conversation_on_the_texted_number_counts() -> None:
    fake = scenarios.conversations_all_pass()
    customer = fake.find(
        scenarios.CONVERSATION_PARTICIPANTS, sid=seed.sid("MB", f"{toolkit.CUSTOMER} in {CH}")
    )
    customer["messaging_binding"] = {
        **customer["messaging_binding"],
        "proxy_address": "+15005550007",
    }
    check = report(fake).check("3-conversation")
    assert check.status == "fail"
    assert check.detail == (
        f"no conversation of service {SERVICE} has +15558675309 as an SMS participant on "
        "+15005550006 (1 conversation(s) of the customer looked at)"
    )


def test_step3_a_copy_older_than_the_sms_is_not_it() -> None:
    fake = scenarios.conversations_all_pass()
    copy = fake.find(scenarios.CONVERSATION_MESSAGES, sid=scenarios.CUSTOMER_MESSAGE_SID)
    copy["date_created"] = toolkit.iso(toolkit.ago(days=1))
    check = report(fake).check("3-conversation")
    assert check.status == "fail"
    sms = fake.find(seed.MESSAGES, sid=toolkit.MESSAGE_SID)
    assert check.detail == (
        f"{CH} is the customer's conversation on +15005550006, but none of its latest messages "
        f"is the SMS of {second_of(sms['date_sent'] or sms['date_created'])}"
    )


def test_step3_an_sms_without_a_body_is_found_by_its_author() -> None:
    fake = scenarios.conversations_all_pass()
    fake.find(seed.MESSAGES, sid=toolkit.MESSAGE_SID)["body"] = ""
    fake.find(scenarios.CONVERSATION_MESSAGES, sid=scenarios.CUSTOMER_MESSAGE_SID)["body"] = None
    check = report(fake).check("3-conversation")
    assert (check.status, check.evidence["conversation_message"]) == (
        "pass",
        scenarios.CUSTOMER_MESSAGE_SID,
    )


def test_step3_the_handlers_own_webhook_on_an_active_conversation_is_fine() -> None:
    fake = scenarios.live(scenarios.conversations_all_pass())
    check = report(fake).check("3-conversation")
    assert check.status == "pass"
    assert check.detail == (
        f"{CH} holds the customer's message {scenarios.CUSTOMER_MESSAGE_SID} (active), no Studio "
        "or Flex webhook on it"
    )
    assert check.evidence["flex_webhooks"] == []


def test_step4_a_closed_conversation_whose_task_is_gone_is_a_warning() -> None:
    fake = scenarios.conversations_all_pass()
    toolkit.remove_records(fake, seed.TASKS, sid=scenarios.CONVERSATION_TASK_SID)
    result = report(fake)
    check = result.check("4-task")
    assert (check.status, check.fix) == ("warn", "Walk a more recent message to see its task.")
    assert statuses(result)["5-agent"] == "skipped"
    assert result.check("5-agent").detail == "because step 4 found no task"
    assert result.exit_code == 0


def test_step4_target_workflow_and_channel() -> None:
    fake = scenarios.conversations_all_pass()
    task = fake.find(seed.TASKS, sid=scenarios.CONVERSATION_TASK_SID)
    attributes = json.loads(task["attributes"])
    attributes["targetWorker"] = "client:carol"
    task.update(attributes=json.dumps(attributes), task_channel_unique_name="sms")
    check = report(fake).check("4-task")
    assert check.status == "fail"
    assert "targetWorker is 'client:carol', which no worker has" in check.detail
    assert 'it is on TaskChannel "sms", not a managed channel (custom1)' in check.detail
    assert check.evidence["interaction"] == seed.sid("KD", scenarios.CONVERSATION_TASK_SID)


def test_step5_reservation_not_accepted_and_agent_left_on_completion() -> None:
    fake = scenarios.conversations_all_pass()
    reservation = fake.find(seed.RESERVATIONS, sid=scenarios.CONVERSATION_RESERVATION_SID)
    reservation["reservation_status"] = "timeout"
    check = report(fake).check("5-agent")
    assert check.detail == (
        f"no reservation of {scenarios.CONVERSATION_TASK_SID} was accepted "
        f"({scenarios.CONVERSATION_RESERVATION_SID} timeout (alice))"
    )
    fake = scenarios.conversations_all_pass()
    toolkit.remove_records(
        fake, scenarios.CONVERSATION_PARTICIPANTS, sid=scenarios.AGENT_PARTICIPANT_SID
    )
    check = report(fake).check("5-agent")
    assert check.status == "pass"
    assert check.detail == (
        f"{scenarios.CONVERSATION_RESERVATION_SID} accepted by alice, who has left {CH}: Flex "
        "removes the agent when the task completes"
    )


def test_step6_is_skipped_when_the_agent_wrote_nothing() -> None:
    fake = scenarios.conversations_all_pass()
    toolkit.remove_records(fake, scenarios.CONVERSATION_MESSAGES, sid=scenarios.AGENT_MESSAGE_SID)
    check = report(fake).check("6-relayed")
    assert (check.status, check.detail) == (
        "skipped",
        f"alice wrote nothing in {CH}, so there is no reply to relay",
    )


def test_step6_an_sms_long_after_the_reply_is_not_its_delivery() -> None:
    fake = scenarios.conversations_all_pass()
    sms = fake.find(seed.MESSAGES, sid=scenarios.DELIVERED_SID)
    later = toolkit.ago(minutes=8) + timedelta(minutes=20)
    sms["date_created"] = sms["date_sent"] = format_datetime(later.replace(microsecond=0))
    check = report(fake).check("6-relayed")
    assert check.status == "fail"
    written = fake.find(scenarios.CONVERSATION_MESSAGES, sid=scenarios.AGENT_MESSAGE_SID)
    assert check.detail == (
        f"alice's message {scenarios.AGENT_MESSAGE_SID} ({second_of(written['date_created'])}) "
        f"in {CH} has no SMS from +15005550006 to +15558675309 after it; 1 of 1 not delivered, "
        "so the customer never hears back"
    )
    assert check.evidence["not_relayed"] == [scenarios.AGENT_MESSAGE_SID]


def test_step7_inactive_warns_canceled_fails_and_a_live_task_is_skipped() -> None:
    fake = scenarios.conversations_all_pass()
    fake.find(scenarios.CONVERSATIONS_OF, sid=CH)["state"] = "inactive"
    check = report(fake).check("7-closed")
    assert check.status == "warn"
    assert check.fix == (
        "Unless agents leave conversations open on purpose, close the conversation when its task "
        "ends: set its Interaction Channel's status to closed (Interactions API), or `twilio "
        "api:conversations:v1:services:conversations:update --chat-service-sid "
        f"{SERVICE} --sid {CH} --state closed`."
    )
    fake = scenarios.conversations_all_pass()
    fake.find(seed.TASKS, sid=scenarios.CONVERSATION_TASK_SID)["assignment_status"] = "canceled"
    assert report(fake).check("7-closed").status == "fail"
    check = report(scenarios.live(scenarios.conversations_all_pass())).check("7-closed")
    assert (check.status, check.detail) == (
        "skipped",
        f"{scenarios.CONVERSATION_TASK_SID} is still assigned; run doctor again after the agent "
        "completes it",
    )


def test_config_a_missing_conversations_service() -> None:
    config = CONFIG.model_copy(
        update={"chat_service": CONFIG.chat_service.model_copy(update={"sid": "IS" + "2" * 32})}
    )
    http = InProcessHttp(scenarios.conversations_all_pass())
    client = Client(seed.ACCOUNT_SID, seed.AUTH_TOKEN, seed.ACCOUNT_SID, http_client=http)
    check = doctor.run_doctor(config, client).check("conversations-service")
    assert (check.status, check.detail) == (
        "fail",
        f"Conversations service IS{'2' * 32} does not exist",
    )


def test_config_service_webhooks_name_what_differs() -> None:
    check = report(scenarios.conversations_service_webhooks(), walk=False).check(
        "conversations-service"
    )
    assert check.detail == (
        f"{SERVICE} does not send its events to the handler as the stack says: post_webhook_url "
        f"is '{scenarios.OLD_HANDLER}'"
    )
    fake = scenarios.conversations_all_pass()
    webhooks = fake.singleton(seed.CONVERSATION_SERVICE_WEBHOOKS, ChatServiceSid=SERVICE)
    webhooks["filters"] = ["onMessageAdded"]
    check = report(fake, walk=False).check("conversations-service")
    assert check.evidence["filters"] == {
        "found": ["onMessageAdded"],
        "expected": ["onConversationUpdated", "onMessageAdded"],
    }


def test_hygiene_addresses_judge_the_numbers_the_walk_did_not() -> None:
    fake = scenarios.conversations_all_pass()
    toolkit.remove_records(fake, seed.ADDRESSES, address=seed.FLEX_FLOW_NUMBER)
    check = report(fake).check("addresses")
    assert check.detail == (
        "1 managed number(s) do not hand their SMS to the handler: +15005550007 has no SMS "
        "Address Configuration"
    )
    assert check.evidence["judged_above"] == ["+15005550006"]
    skipped_check = report(fake, walk=False).check("addresses")
    assert (skipped_check.status, skipped_check.detail) == (
        "skipped",
        "each managed number's address is judged above",
    )


def test_hygiene_a_web_chat_conversations_studio_webhook_is_not_ours() -> None:
    fake = scenarios.conversations_returning_studio_webhook()
    participant = fake.find(
        scenarios.CONVERSATION_PARTICIPANTS,
        conversation_sid=scenarios.RETURNING_CONVERSATION_SID,
    )
    participant.update(messaging_binding=None, identity="web-visitor")
    check = report(fake).check("conversation-webhooks")
    assert check.status == "pass"
    assert check.evidence["scanned"] == 1 and check.evidence["flex_webhooks"] == 0


def test_hygiene_orphans_need_a_day_idle_and_no_live_task() -> None:
    fake = scenarios.conversations_orphans()
    check = report(fake).check("orphans")
    assert check.detail == (
        "1 active conversation(s) idle for 1 day or more outlived their task; the customer's "
        f"next message lands there and reaches no agent, e.g. {scenarios.ORPHAN_CONVERSATION_SID} "
        f"(task {seed.sid('WT', 'orphan conversation task')} completed, idle 1 day)"
    )
    fake.find(scenarios.CONVERSATIONS_OF, sid=scenarios.ORPHAN_CONVERSATION_SID)["date_updated"] = (
        toolkit.iso(toolkit.ago(hours=3))
    )
    assert report(fake).check("orphans").status == "pass"
    fake = scenarios.conversations_orphans()
    task = fake.find(seed.TASKS, sid=seed.sid("WT", "orphan conversation task"))
    task["assignment_status"] = "assigned"
    assert report(fake).check("orphans").status == "pass"
    fake = scenarios.conversations_orphans()
    fake.find(scenarios.CONVERSATIONS_OF, sid=scenarios.ORPHAN_CONVERSATION_SID)["state"] = (
        "inactive"
    )
    assert report(fake).check("orphans").evidence["active_conversations"] == 0


def test_every_conversations_fact_lives_in_one_module() -> None:
    """The address's event and the platform name are spelled out in twilio_facts only."""
    from helpers import ROOT

    files = [*(ROOT / "flexorch" / "doctor").rglob("*.py"), ROOT / "flexorch" / "migrate.py"]
    words = ('"onMessageAdded"', '"conversations"', '"programmable-chat"')
    spelled = [p.name for p in files if any(word in p.read_text() for word in words)]
    assert spelled == []


# --- against the sandbox: Prism checks every request against Twilio's specs -----------------


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(scenarios.conversations_all_pass()) as running:
        yield running


def point_at(monkeypatch: pytest.MonkeyPatch, running: Sandbox) -> None:
    monkeypatch.setenv(BASE_URL_ENV, running.url)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", seed.ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", seed.AUTH_TOKEN)


class TestAgainstTheSandbox:
    @pytest.mark.parametrize(
        "target",
        [["--message", toolkit.MESSAGE_SID], ["--from", toolkit.CUSTOMER]],
        ids=["message", "from"],
    )
    def test_full_walk(
        self,
        target: list[str],
        sandbox: Sandbox,
        run: Callable[..., CliResult],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        point_at(monkeypatch, sandbox)
        mark = len(sandbox.requests)
        started = time.monotonic()
        result = run(*target, "--json")
        requests = sandbox.since(mark)
        print(f"\nconversations walk ({target[0]}): {len(requests)} requests in "
              f"{time.monotonic() - started:.2f} s")  # fmt: skip
        assert result.code == 0, result.out
        assert set(result.statuses().values()) == {"pass"}
        assert result.document["requests"] == len(requests)
        # Each list read once: 5 of Conversations, 5 of TaskRouter, 3 of Messaging (the message
        # or the customer's, the number, the replies' SMS), Flex Flows, Studio flows and the
        # flow's executions; for step 2 the Messaging Services and the numbers' TwiML Apps.
        assert len(requests) == 18
        assert_read_only_and_valid(requests)
        conversations = {
            r["path"].split(SERVICE, 1)[-1].rsplit("/", 1)[-1]
            for r in requests
            if r["host"] == "conversations.twilio.com"
        }
        assert conversations == {
            "Addresses",
            "ParticipantConversations",
            "Messages",
            "Participants",
            "Conversations",
        }
        looked_up = next(r for r in requests if r["path"].endswith("/ParticipantConversations"))
        assert looked_up["query"]["Address"] == [toolkit.CUSTOMER]

    def test_config_and_hygiene(
        self, sandbox: Sandbox, run: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        point_at(monkeypatch, sandbox)
        mark = len(sandbox.requests)
        started = time.monotonic()
        result = run()
        requests = sandbox.since(mark)
        print(f"\nconversations config + hygiene: {len(requests)} requests in "
              f"{time.monotonic() - started:.2f} s")  # fmt: skip
        assert result.code == 0, result.out
        assert f", {len(requests)} read-only requests in " in " ".join(result.out.split())
        # 13, and what else takes the numbers (the Messaging Services, the numbers' TwiML
        # Apps) and the Conversations account defaults.
        assert len(requests) == 16
        assert_read_only_and_valid(requests)
        assert any(r["path"] == f"/v1/Services/{SERVICE}/Configuration/Webhooks" for r in requests)

    def test_conversation_webhooks_and_participants_are_valid_reads(
        self, run: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        with Sandbox(scenarios.conversations_returning_studio_webhook()) as other:
            point_at(monkeypatch, other)
            walked = run("--from", toolkit.CUSTOMER, "--json")
            hygiene = run("--json")
            requests = other.since(0)
        assert walked.check("conversation-webhooks")["status"] == "fail"
        assert hygiene.check("conversation-webhooks")["status"] == "fail"
        assert_read_only_and_valid(requests)
        returning = f"/Conversations/{scenarios.RETURNING_CONVERSATION_SID}"
        assert sum(r["path"].endswith(returning + "/Webhooks") for r in requests) == 2
        assert sum(r["path"].endswith(returning + "/Participants") for r in requests) == 2
