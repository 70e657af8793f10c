"""flexorch doctor: one harness over both platforms, then what Programmable Chat's checks say.

The harness runs every sandbox scenario of each platform and checks that it trips exactly its
check, with its fix, in `--json` and in text, reading only. The rest of this file is doctor on
Programmable Chat (Flex UI 1.x) and what both platforms share (output, arguments, credentials);
test_doctor_conversations.py holds what Flex Conversations' checks say. Most tests run doctor
in-process against the stateful fake (fast); `TestAgainstTheSandbox` runs it through Prism with
Twilio's specs, so every request it makes is contract-checked.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from helpers import (
    ROOT,
    CliResult,
    InProcessHttp,
    assert_read_only_and_valid,
    counts_line,
    doctor_report,
    fake_pulumi,
    run_cli,
    second_of,
    text_block,
)
from twilio.rest import Client

from flexorch import doctor, twilio_facts
from flexorch.config import EventCallback, Orchestration, StackConfig
from flexorch.doctor.checks import flows_problem
from flexorch.doctor.text import show_evidence
from flexorch.errors import FlexorchError
from flexorch.sandbox import catalogue, seed, toolkit
from flexorch.sandbox.fake import FakeTwilio
from flexorch.sandbox.platforms.conversations import scenarios as conversations
from flexorch.sandbox.platforms.programmable_chat import scenarios
from flexorch.sandbox.prism import free_port
from flexorch.sandbox.server import Sandbox
from flexorch.twilio_client import BASE_URL_ENV

SANDBOX_STACK = ROOT / "examples" / "Pulumi.sandbox.yaml"
CONFIG = scenarios.sandbox_config()
WALK = [
    "1-received",
    "2-number",
    "3-proxy",
    "4-channel",
    "5-studio",
    "6-task",
    "7-agent",
    "8-completed",
    "9-relayed",
]
# What a healthy custom orchestration looks like: no Proxy or Studio in the message's path.
WALK_OK = {step: "pass" for step in WALK} | {"3-proxy": "skipped", "5-studio": "skipped"}
CONFIG_OK = {
    "number:+15005550006": "pass",
    "number:+15005550007": "pass",
    "chat-service": "pass",
    "workspace": "pass",
    "workflow": "pass",
    "task-channels": "pass",
    "workers": "pass",
}
HYGIENE_OK = {
    "flex-flows": "pass",
    "channel-webhooks": "pass",
    "channel-limit": "pass",
    "orphans": "pass",
    "studio-stale": "pass",
}


# The troubleshooting guide, step 7: the standard permissions of Flex's agent channel role,
# in the guide's order.
GUIDE_AGENT_PERMISSIONS = (
    "sendMessage",
    "sendMediaMessage",
    "leaveChannel",
    "editChannelAttributes",
    "editOwnMessage",
    "editOwnMessageAttributes",
    "deleteOwnMessage",
)
UP = "Run `pulumi up --refresh` for this stack to "


def skipped(*steps: str) -> dict[str, str]:
    return dict.fromkeys(steps, "skipped")


def remove_command(channel: str, webhook: str) -> str:
    return (
        "twilio api:chat:v2:services:channels:webhooks:remove --service-sid "
        f"{seed.CHAT_SERVICE_SID} --channel-sid {channel} --sid {webhook}"
    )


STUDIO_WEBHOOK_FIX = (
    f"Delete it: `{remove_command(scenarios.CHANNEL_SID, scenarios.CHANNEL_WEBHOOK_SID)}`."
)


# Per scenario: how the walk of the customer's latest message differs from the walk and
# hygiene that pass, how the config and hygiene sections (without a message) differ from
# theirs, and the fix of each check that fails or warns (in whichever run reports it).
Expected = dict[str, tuple[dict[str, str], dict[str, str], dict[str, str]]]
AGENT_NOT_MEMBER_FIX = (
    "Make the handler add the agent to the channel when the reservation is accepted, or add "
    "AddToChatChannel to flexorch:orchestration.accepted."
)
ORPHANS_FIX = (
    "Set those channels' attributes status to INACTIVE and close the sessions, then make the "
    "handler do so whenever a task ends."
)
# A number taken by a Messaging Service or a TwiML App (flexorch.takers): the fix names it.
TAKER_FIXES = {
    "in-messaging-service": (
        "Make the service defer to the sender's webhook (Console: Messaging > Services > "
        f'"Sandbox A2P" > Integration, or `twilio api:messaging:v1:services:update --sid '
        f"{seed.A2P_SERVICE_SID} --use-inbound-webhook-on-number`), take the number out of it, "
        "or set flexorch:messagingServices: defer to let flexorch do it and undo it on destroy."
    ),
    "twiml-app": (
        "Remove the app from the number (Console: Phone Numbers > +15005550006 > Messaging, or "
        f"`twilio api:core:incoming-phone-numbers:update --sid {seed.sid('PN', '+15005550006')} "
        '--sms-application-sid ""`), or set flexorch:twimlApps: detach to let flexorch remove '
        "it and put it back on destroy."
    ),
}
EXPECTED: Expected = {
    "all-pass": ({}, {}, {}),
    "all-pass-proxy-studio": ({"3-proxy": "pass", "5-studio": "pass"}, {}, {}),
    "step1-message-missing": (
        {"1-received": "fail"} | skipped(*WALK[1:]),
        {},
        {
            "1-received": "Check that the customer texts one of the stack's numbers and that "
            "Twilio did not block it (Messaging logs, errors 21610 and 30007)."
        },
    ),
    "step2-number-on-flex-proxy": (
        {"2-number": "fail"} | skipped(*WALK[2:]),
        {"number:+15005550006": "fail"},
        {
            "2-number": UP + "point the number's SMS webhook at the handler.",
            "number:+15005550006": UP + "point the number's SMS webhook at the handler.",
        },
    ),
    **{
        f"step2-number-{case}": (
            {"2-number": "fail"} | skipped(*WALK[2:]),
            {"number:+15005550006": "fail"},
            {"2-number": fix, "number:+15005550006": fix},
        )
        for case, fix in TAKER_FIXES.items()
    },
    "step3-proxy-no-interaction": (
        {"3-proxy": "fail"},
        {},
        {
            "3-proxy": "Check the session's participants (the customer's number and the proxy "
            "number) and the Proxy service's callbacks in the Proxy logs."
        },
    ),
    "step4-no-chat-channel": (
        {"4-channel": "fail"} | skipped(*WALK[5:]),
        {},
        {
            "4-channel": "Make the handler create the customer's chat channel (Flex's Channels "
            "API, with the customer's address as identity) before it creates the task."
        },
    ),
    # With a message, step 4 judges the walked channel and hygiene leaves it to the walk.
    "step4-channel-studio-webhook": (
        {"4-channel": "fail"} | skipped(*WALK[5:]),
        {"channel-webhooks": "fail"},
        {
            "4-channel": STUDIO_WEBHOOK_FIX,
            "channel-webhooks": STUDIO_WEBHOOK_FIX,
        },
    ),
    "step5-studio-widget-failed": (
        {"5-studio": "fail"} | skipped(*WALK[5:]),
        {},
        {
            "5-studio": "Open the execution in Studio's logs: fix what widget lookup_order calls "
            "(its HTTP request or Function returned an error), or connect its failed transition."
        },
    ),
    "step6-target-worker-unknown": (
        {"6-task": "fail"} | skipped(*WALK[6:]),
        {},
        {"6-task": "Set targetWorker to the contact_uri of an existing worker."},
    ),
    "step7-agent-not-member": (
        {"7-agent": "fail"} | skipped(*WALK[7:]),
        {},
        {"7-agent": AGENT_NOT_MEMBER_FIX},
    ),
    # Without a message, the hygiene check sees the still-active channel as an orphan; with it,
    # step 8 reports that channel and hygiene leaves it to the walk.
    "step8-channel-still-active": (
        {"8-completed": "fail"},
        {"orphans": "fail"},
        {
            "8-completed": "Set the channel's attributes status to INACTIVE when the task ends "
            "(in the handler, or with DeactivateChatChannel in flexorch:orchestration.wrapup).",
            "orphans": ORPHANS_FIX,
        },
    ),
    "step9-reply-not-relayed": (
        {"9-relayed": "fail"},
        {},
        {
            "9-relayed": "Make the handler's onMessageSent relay send each message whose From is "
            "not the customer as an SMS from +15005550006 to the customer's address (the chat "
            "service posts onMessageSent to http://localhost:3000/flex)."
        },
    ),
    "hygiene-flex-flow-janitor": (
        {"flex-flows": "warn"},
        {"flex-flows": "warn"},
        {
            "flex-flows": "Turn it off: `twilio api:flex:v1:flex-flows:update --sid FO... "
            "--janitor-enabled=false`."
        },
    ),
    "hygiene-channel-webhooks": (
        {"channel-webhooks": "fail"},
        {"channel-webhooks": "fail"},
        {
            "channel-webhooks": "Delete it: "
            f"`{remove_command(scenarios.RETURNING_CHANNEL_SID, scenarios.RETURNING_WEBHOOK_SID)}`."
        },
    ),
    "hygiene-channel-limit": (
        {"channel-limit": "fail"},
        {"channel-limit": "fail"},
        {
            "channel-limit": "Have agents leave channels when tasks end (LeaveChatChannel in "
            "flexorch:orchestration.completed, or the handler removes the member) and remove "
            "their memberships of inactive channels."
        },
    ),
    "hygiene-orphans": ({"orphans": "fail"}, {"orphans": "fail"}, {"orphans": ORPHANS_FIX}),
    "hygiene-studio-stale": (
        {"studio-stale": "fail"},
        {"studio-stale": "fail"},
        {
            "studio-stale": "End them (`twilio api:studio:v2:flows:executions:update --flow-sid "
            "FW... --sid FN... --status ended`) and give the flow's waiting widgets a timeout."
        },
    ),
}

# Flex Conversations: the sandbox stack on `flexorch:platform: conversations`
# (`conversations.conversations_stack`).
CONVERSATIONS_CONFIG = conversations.conversations_config()
SERVICE = seed.CHAT_SERVICE_SID
CH = conversations.CONVERSATION_SID
CONVERSATIONS_WALK = [
    "1-received",
    "2-number",
    "3-conversation",
    "4-task",
    "5-agent",
    "6-relayed",
    "7-closed",
]
CONVERSATIONS_HYGIENE_OK = {
    "flex-flows": "pass",
    "addresses": "pass",
    "conversation-webhooks": "pass",
    "orphans": "pass",
    "studio-stale": "pass",
}
ADDRESS_FIX = UP + "point the number's Address Configuration at the handler."


def remove_conversation_webhook(conversation: str, webhook: str) -> str:
    return (
        "Delete it: `twilio api:conversations:v1:services:conversations:webhooks:remove "
        f"--chat-service-sid {SERVICE} --conversation-sid {conversation} --sid {webhook}`."
    )


RETURNING_CONVERSATION_WEBHOOK = seed.sid("WH", "returning studio webhook")
# Per scenario: how the walk of the customer's latest message differs from WALK_OK + HYGIENE_OK,
# how the config and hygiene sections differ from CONFIG_OK + HYGIENE_CONFIG_OK, and the fix
# of each check that fails or warns (in whichever run reports it).
CONVERSATIONS_EXPECTED: Expected = {
    "conversations-all-pass": ({}, {}, {}),
    "conversations-step1-message-missing": (
        {"1-received": "fail"} | skipped(*CONVERSATIONS_WALK[1:]),
        {},
        {
            "1-received": "Check that the customer texts one of the stack's numbers and that "
            "Twilio did not block it (Messaging logs, errors 21610 and 30007)."
        },
    ),
    "conversations-step2-sms-url-set": (
        {"2-number": "fail"} | skipped(*CONVERSATIONS_WALK[2:]),
        {"number:+15005550006": "fail"},
        {
            "2-number": UP + "empty the number's SmsUrl (its Address Configuration takes its "
            "messages).",
            "number:+15005550006": UP + "empty the number's SmsUrl (its Address Configuration "
            "takes its messages).",
        },
    ),
    "conversations-step2-address-elsewhere": (
        {"2-number": "fail"} | skipped(*CONVERSATIONS_WALK[2:]),
        {"number:+15005550006": "fail"},
        {"2-number": ADDRESS_FIX, "number:+15005550006": ADDRESS_FIX},
    ),
    **{
        f"conversations-step2-number-{case}": (
            {"2-number": "fail"} | skipped(*CONVERSATIONS_WALK[2:]),
            {"number:+15005550006": "fail"},
            {"2-number": fix, "number:+15005550006": fix},
        )
        for case, fix in TAKER_FIXES.items()
    },
    "conversations-step3-no-conversation": (
        {"3-conversation": "fail"} | skipped(*CONVERSATIONS_WALK[3:]),
        {},
        {
            "3-conversation": "Find why Twilio made no conversation of the SMS in the "
            "Conversations logs (Console > Conversations > Logs); a number in a Messaging "
            'Service needs its "Handle inbound Messages with Conversations" on.'
        },
    ),
    # With a message, step 3 judges the walked conversation and hygiene leaves it to the walk.
    "conversations-step3-studio-webhook": (
        {"3-conversation": "fail"} | skipped(*CONVERSATIONS_WALK[3:]),
        {"conversation-webhooks": "fail"},
        {
            "3-conversation": remove_conversation_webhook(CH, conversations.STUDIO_WEBHOOK_SID),
            "conversation-webhooks": remove_conversation_webhook(
                CH, conversations.STUDIO_WEBHOOK_SID
            ),
        },
    ),
    "conversations-step4-no-task": (
        {"4-task": "fail"} | skipped(*CONVERSATIONS_WALK[4:]),
        {},
        {
            "4-task": f"Make the handler create an Interaction for conversation {CH} "
            '(Interactions API) whose routing properties name Workflow "Custom messaging - '
            "route to contact_uri\" and set targetWorker to the agent's contact_uri: its task "
            "then carries conversationSid."
        },
    ),
    "conversations-step5-agent-not-participant": (
        {"5-agent": "fail"} | skipped(*CONVERSATIONS_WALK[5:]),
        {},
        {
            "5-agent": "Create the task through the Interactions API (Flex then adds the agent "
            "who accepts it to the conversation), or make the handler add her as participant "
            "alice when she accepts."
        },
    ),
    "conversations-step6-reply-not-delivered": (
        {"6-relayed": "fail"},
        {},
        {
            "6-relayed": "Conversations sends each message an agent writes to the participants "
            f"with an SMS binding: check that +15558675309 is still a participant of {CH} with "
            f"proxy address +15005550006, and read why {conversations.AGENT_MESSAGE_SID} was not "
            "delivered: `twilio api:conversations:v1:services:conversations:messages:receipts:"
            f"list --chat-service-sid {SERVICE} --conversation-sid {CH} --message-sid "
            f"{conversations.AGENT_MESSAGE_SID}` (and the Messaging logs for its error code)."
        },
    ),
    "conversations-step7-still-active": (
        {"7-closed": "fail"},
        {},
        {
            "7-closed": "Close the conversation when its task ends: set its Interaction "
            "Channel's status to closed (Interactions API), or `twilio api:conversations:v1:"
            f"services:conversations:update --chat-service-sid {SERVICE} --sid {CH} --state "
            "closed`."
        },
    ),
    "conversations-config-defaults": (
        {},
        {"conversations-defaults": "warn"},
        {
            "conversations-defaults": "Make it the default (Console: Conversations > Defaults, "
            "or `twilio api:conversations:v1:configuration:update --default-chat-service-sid "
            f"{seed.CHAT_SERVICE_SID}`) and set flexorch:conversationTimers.closed (e.g. P1D; at "
            "least PT10M), or close conversations from the handler when their task completes."
        },
    ),
    "conversations-config-service-webhooks": (
        {},
        {"conversations-service": "fail"},
        {"conversations-service": UP + "restore the Conversations service's webhooks."},
    ),
    "conversations-hygiene-flex-flow-janitor": (
        {"flex-flows": "warn"},
        {"flex-flows": "warn"},
        {
            "flex-flows": "Turn it off: `twilio api:flex:v1:flex-flows:update --sid FO... "
            "--janitor-enabled=false`."
        },
    ),
    # The walk judges +15005550006 only, so hygiene reports the other number; without a
    # message the config section reports it.
    "conversations-hygiene-studio-address": (
        {"addresses": "fail"},
        {"number:+15005550007": "fail"},
        {
            "addresses": "Run `pulumi up --refresh` for this stack: it gives each managed number "
            "an address of type webhook to the handler (type studio or default is Flex's own "
            "handling).",
            "number:+15005550007": ADDRESS_FIX,
        },
    ),
    "conversations-hygiene-conversation-webhooks": (
        {"conversation-webhooks": "fail"},
        {"conversation-webhooks": "fail"},
        {
            "conversation-webhooks": remove_conversation_webhook(
                conversations.RETURNING_CONVERSATION_SID, RETURNING_CONVERSATION_WEBHOOK
            )
        },
    ),
    "conversations-hygiene-orphans": (
        {"orphans": "fail"},
        {"orphans": "fail"},
        {
            "orphans": "Close them (`twilio api:conversations:v1:services:conversations:update "
            f"--chat-service-sid {SERVICE} --sid CH... --state closed`), then make the handler "
            "close the conversation (or its Interaction Channel) whenever a task ends."
        },
    ),
    "conversations-hygiene-studio-stale": (
        {"studio-stale": "fail"},
        {"studio-stale": "fail"},
        {
            "studio-stale": "End them (`twilio api:studio:v2:flows:executions:update --flow-sid "
            "FW... --sid FN... --status ended`) and give the flow's waiting widgets a timeout."
        },
    ),
}


@dataclass(frozen=True)
class Platform:
    """What the harness expects of doctor on one platform, and how a user runs it there."""

    name: str
    config: StackConfig
    catalogue: tuple[toolkit.Scenario, ...]
    walk: list[str]
    walk_ok: dict[str, str]
    config_ok: dict[str, str]
    hygiene_ok: dict[str, str]
    """The hygiene section after a walk."""
    hygiene_config_ok: dict[str, str]
    """The hygiene section after the config section."""
    expected: Expected
    also_broken: frozenset[str] = frozenset()
    """The config checks a scenario is built to trip, besides the walk's and hygiene's."""


PLATFORMS = (
    Platform(
        "programmable-chat",
        CONFIG,
        scenarios.CATALOGUE,
        WALK,
        WALK_OK,
        CONFIG_OK,
        HYGIENE_OK,
        HYGIENE_OK,
        EXPECTED,
    ),
    Platform(
        "conversations",
        CONVERSATIONS_CONFIG,
        conversations.CONVERSATIONS_CATALOGUE,
        CONVERSATIONS_WALK,
        dict.fromkeys(CONVERSATIONS_WALK, "pass"),
        {
            "number:+15005550006": "pass",
            "number:+15005550007": "pass",
            "conversations-service": "pass",
            "workspace": "pass",
            "workflow": "pass",
            "task-channels": "pass",
            "workers": "pass",
            "conversations-defaults": "pass",
        },
        CONVERSATIONS_HYGIENE_OK,
        # Without a message the config section judges every managed number's address.
        CONVERSATIONS_HYGIENE_OK | {"addresses": "skipped"},
        CONVERSATIONS_EXPECTED,
        frozenset({"conversations-service", "conversations-defaults"}),
    ),
)
SCENARIOS = [pytest.param(p, s, id=s.name) for p in PLATFORMS for s in p.catalogue]


def doctor_parser() -> argparse.ArgumentParser:
    """The CLI's own parser (the doctor subcommand as users reach it)."""
    from flexorch.cli import build_parser

    return build_parser()


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """`flexorch doctor ARGS` as flexorch.cli.main runs it: a user error is its lines, its code."""
    return lambda *args: run_cli(capsys, "doctor", *args)


@pytest.fixture(scope="module")
def stacks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each platform's sandbox stack as a file, as users pass it with --config."""
    path = tmp_path_factory.mktemp("stack") / "Pulumi.sandbox-conversations.yaml"
    path.write_text(yaml.safe_dump(conversations.conversations_stack()), encoding="utf-8")
    return {"programmable-chat": SANDBOX_STACK, "conversations": path}


@pytest.fixture
def run_on(capsys: pytest.CaptureFixture[str], stacks: dict[str, Path]) -> Callable[..., CliResult]:
    """`flexorch doctor --config STACK ARGS` on a platform's sandbox stack."""
    return lambda platform, *args: run_cli(
        capsys, "doctor", "--config", stacks[platform.name], *args
    )


def report(
    fake: FakeTwilio, config: Any = CONFIG, walk: bool = True, message: str | None = None
) -> doctor.Report:
    """Doctor's report on `fake`: a walk of `message` (default: the customer's latest message)
    or, with walk=False, the config and hygiene sections. Asserts it only read."""
    sender = toolkit.CUSTOMER if walk and not message else None
    result: doctor.Report = doctor_report(fake, config, sender=sender, message=message)
    return result


def statuses(result: doctor.Report) -> dict[str, str]:
    return {c.id: c.status for c in result.checks}


def counts(expected: dict[str, str]) -> dict[str, int]:
    return {status: list(expected.values()).count(status) for status in set(expected.values())}


# --- every scenario trips exactly its check, on each platform --------------------------------


@pytest.mark.parametrize(("platform", "scenario"), SCENARIOS)
class TestScenarios:
    def test_the_walk_fails_exactly_its_step(
        self,
        platform: Platform,
        scenario: toolkit.Scenario,
        run_on: Callable[..., CliResult],
        use: Callable[..., Any],
    ) -> None:
        http = use(scenario.build())
        result = run_on(platform, "--from", toolkit.CUSTOMER, "--json")
        walk, _, fixes = platform.expected[scenario.name]
        assert result.statuses() == platform.walk_ok | platform.hygiene_ok | walk
        assert [s["name"] for s in result.document["sections"]] == ["message", "hygiene"]
        failed = [k for k, v in walk.items() if v == "fail"]
        assert result.code == result.document["exit_code"] == (1 if failed else 0)
        if scenario.check in walk:  # else a config check, which the walk leaves out
            assert result.check(scenario.check)["status"] == scenario.status
        for check_id, status in walk.items():
            check = result.check(check_id)
            if status in ("fail", "warn"):
                assert check["fix"] == fixes[check_id]
            elif failed and failed[0] in platform.walk:
                # A step after a failed one says which step it waited for, and is no second
                # failure.
                assert check["detail"] == f"because step {failed[0][0]} failed"
                assert check["fix"] is None
        assert {method for method, _path, _form in http.log} == {"GET"}
        assert result.err == ""

    def test_config_and_hygiene_without_a_message(
        self,
        platform: Platform,
        scenario: toolkit.Scenario,
        run_on: Callable[..., CliResult],
        use: Callable[..., Any],
    ) -> None:
        http = use(scenario.build())
        result = run_on(platform, "--json")
        _, config, fixes = platform.expected[scenario.name]
        assert result.statuses() == platform.config_ok | platform.hygiene_config_ok | config
        assert [s["name"] for s in result.document["sections"]] == ["config", "hygiene"]
        failed = "fail" in config.values()
        assert result.code == result.document["exit_code"] == (1 if failed else 0)
        for check_id in config:
            assert result.check(check_id)["fix"] == fixes[check_id]
        assert {method for method, _path, _form in http.log} == {"GET"}

    def test_the_text_report_shows_the_verdict_and_the_fix(
        self,
        platform: Platform,
        scenario: toolkit.Scenario,
        run_on: Callable[..., CliResult],
        use: Callable[..., Any],
    ) -> None:
        walk, config, fixes = platform.expected[scenario.name]
        # One account for the run and the expected report: a scenario's times are the clock's.
        fake = scenario.build()
        use(fake)
        walked = scenario.check in walk or not config
        if walked:
            result = run_on(platform, "--from", toolkit.CUSTOMER)
            wrong = walk
            expected = platform.walk_ok | platform.hygiene_ok | walk
        else:
            result = run_on(platform)
            wrong = config
            expected = platform.config_ok | platform.hygiene_config_ok | config
        lines = result.out.splitlines()
        assert "\x1b[" not in result.out
        code = 1 if "fail" in wrong.values() else 0
        assert lines[1] == counts_line(counts(expected), code)
        assert result.code == code
        if scenario.check is None:
            assert lines[0] == "flexorch doctor: all passed"
            assert "fix:" not in result.out
            return
        checks = report(fake, platform.config, walk=walked).checks
        check = next(c for c in checks if c.id == scenario.check)
        verdict = "FAILED: " if scenario.status == "fail" else "all passed, 1 warning: "
        assert lines[0] == f"flexorch doctor: {verdict}{check.title}"
        status = scenario.status.upper()
        assert text_block(result.out, status, check.title) == (
            f"{status.ljust(9)}{check.title} {check.detail} "
            f"evidence: {show_evidence(check.evidence)} fix: {fixes[scenario.check]}"
        )

    def test_every_problem_comes_with_evidence_and_a_fix(
        self, platform: Platform, scenario: toolkit.Scenario
    ) -> None:
        for walk in (True, False):
            for check in report(scenario.build(), platform.config, walk=walk).checks:
                if check.status in ("fail", "warn"):
                    assert check.evidence, check
                    assert check.fix.endswith(".") and "\n" not in check.fix, check
                if check.status == "pass":
                    assert check.fix == "" and check.evidence, check


@pytest.mark.parametrize("platform", PLATFORMS, ids=lambda p: p.name)
def test_the_catalogue_covers_every_step_and_hygiene_check(platform: Platform) -> None:
    broken = {s.check for s in platform.catalogue if s.check}
    assert broken == set(platform.walk) | set(platform.hygiene_ok) | platform.also_broken
    assert set(platform.expected) == {s.name for s in platform.catalogue}
    assert all(s.description for s in platform.catalogue)
    for s in platform.catalogue:
        walk, config, _ = platform.expected[s.name]
        assert s.check is None or (walk | config)[s.check] == s.status, s.name


def test_the_sandbox_offers_every_scenario() -> None:
    from flexorch.cli import build_parser

    assert set(catalogue.SCENARIOS) == {
        "flex-account",
        "flex-account-returning-customer",
        "flex-account-messaging-service",
        "flex-account-shared-messaging-service",
        "flex-account-deferring-messaging-service",
        "flex-account-twiml-app",
        "flex-account-full-workspace",
        *catalogue.ALL,
    }
    for name in catalogue.ALL:
        args = build_parser().parse_args(["sandbox", "--scenario", name])
        assert catalogue.scenario(args.scenario).all(seed.NUMBERS)


def test_the_scenarios_are_the_example_stack_applied() -> None:
    fake = scenarios.all_pass()
    for number in CONFIG.numbers:
        record = fake.find(seed.NUMBERS, phone_number=number)
        assert record["sms_url"] == CONFIG.handler.effective_sms_url == "http://localhost:3000/flex"
    assert not fake.find(seed.FLEX_FLOWS, contact_identity=seed.FLEX_FLOW_NUMBER)["enabled"]
    assert fake.find(seed.TASK_CHANNELS, unique_name="custom1")
    # The standard set of Flex's agent role, as the troubleshooting guide lists it (a literal:
    # the seed and the doctor share twilio_facts.AGENT_PERMISSIONS, so comparing them proves
    # nothing).
    assert twilio_facts.AGENT_PERMISSIONS == GUIDE_AGENT_PERMISSIONS
    role = fake.find(seed.CHAT_ROLES, friendly_name="agent")
    assert tuple(role["permissions"]) == GUIDE_AGENT_PERMISSIONS


# --- what each failure says ----------------------------------------------------------------


def test_step1_no_message_from_the_customer() -> None:
    check = report(catalogue.scenario("step1-message-missing")).check("1-received")
    assert check.detail == (
        "no inbound message from +15558675309 to a managed number (+15005550006, +15005550007)"
    )
    assert check.evidence["managed_numbers"] == ["+15005550006", "+15005550007"]


def test_step1_unknown_and_outbound_message_sids() -> None:
    unknown = "SM" + "0" * 32
    check = report(scenarios.all_pass(), message=unknown).check("1-received")
    assert (check.status, check.detail) == (
        "fail",
        f"no message {unknown} in account {seed.ACCOUNT_SID}",
    )
    fake = scenarios.all_pass()
    fake.find(seed.MESSAGES, sid=toolkit.MESSAGE_SID)["direction"] = "outbound-api"
    check = report(fake, message=toolkit.MESSAGE_SID).check("1-received")
    assert check.status == "fail" and "is outbound-api" in check.detail


def test_from_walks_the_latest_inbound_message() -> None:
    result = report(scenarios.all_pass())
    assert result.message == {
        "sid": toolkit.MESSAGE_SID,
        "from": toolkit.CUSTOMER,
        "to": seed.FREE_NUMBER,
    }
    assert report(scenarios.all_pass(), message=toolkit.MESSAGE_SID).exit_code == 0


def test_step2_the_proxy_webhook_means_flex_still_owns_the_number() -> None:
    check = report(scenarios.number_on_flex_proxy()).check("2-number")
    assert "Proxy message webhook" in check.detail
    assert "Flex's own handling still owns the number" in check.detail
    assert check.evidence["sms_url"] == {
        "found": seed.PROXY_WEBHOOK,
        "expected": "http://localhost:3000/flex",
    }
    assert check.fix == (
        "Run `pulumi up --refresh` for this stack to point the number's SMS webhook at the handler."
    )


def enabled_flow(fake: Any, name: str, channel_type: str, identity: str) -> dict[str, Any]:
    """An enabled Flex Flow on the Flex chat service taking `identity`."""
    return fake.add(
        seed.FLEX_FLOWS,
        friendly_name=name,
        channel_type=channel_type,
        contact_identity=identity,
        enabled=True,
        chat_service_sid=seed.CHAT_SERVICE_SID,
    )


def test_step2_drift_a_refresh_undoes_names_the_command_once() -> None:
    fake = scenarios.number_on_flex_proxy()
    enabled_flow(fake, "SMS again", "sms", "+15005550006")
    check = report(fake).check("2-number")
    assert check.fix == (
        "Run `pulumi up --refresh` for this stack to disable the Flex Flow again and point the "
        "number's SMS webhook at the handler."
    )


def test_fixes_a_refresh_makes_name_the_command_once_then_what_it_does_for_each() -> None:
    from flexorch.doctor.report import refresh, sentence
    from flexorch.takers import TAKERS

    fixes = [
        refresh("disable the Flex Flow again"),
        *(refresh(taker.undone_again) for taker in TAKERS),
        refresh(TAKERS[0].undone_again),  # a second service of the same kind: said once
        "remove the other app by hand",
        refresh("point the number's SMS webhook at the handler"),
    ]
    assert sentence(fixes) == (
        "Run `pulumi up --refresh` for this stack to disable the Flex Flow again, make the "
        "Messaging Service defer to the number's webhook again, take the TwiML App off the "
        "number again and point the number's SMS webhook at the handler and remove the other "
        "app by hand."
    )
    assert sentence([refresh("set the timers again")]) == (
        "Run `pulumi up --refresh` for this stack to set the timers again."
    )


def test_step2_an_enabled_flex_flow_on_the_whatsapp_form_of_the_number() -> None:
    fake = scenarios.all_pass()
    flow = enabled_flow(fake, "WhatsApp", "whatsapp", "whatsapp:+15005550006")
    check = report(fake).check("2-number")
    assert check.status == "fail"
    assert f'enabled Flex Flow {flow["sid"]} "WhatsApp" (whatsapp:+15005550006)' in check.detail
    # The stack has flexFlows: disable, so a flow enabled again since up is drift.
    assert check.fix == "Run `pulumi up --refresh` for this stack to disable the Flex Flow again."
    assert check.evidence["enabled_flex_flows"] == [
        f'{flow["sid"]} "WhatsApp" (whatsapp:+15005550006)'
    ]
    assert report(fake, walk=False).check("number:+15005550006").status == "fail"


def test_step2_wrong_method_and_unmanaged_number() -> None:
    fake = scenarios.all_pass()
    fake.find(seed.NUMBERS, phone_number=seed.FREE_NUMBER)["sms_method"] = "GET"
    assert report(fake).check("2-number").detail == "SmsMethod is GET, not POST"
    fake = scenarios.all_pass()
    fake.find(seed.MESSAGES, sid=toolkit.MESSAGE_SID)["to"] = "+15005550009"
    check = report(fake, message=toolkit.MESSAGE_SID).check("2-number")
    assert check.detail == (
        "+15005550009 is not one of this stack's numbers, so the stack does not route it to "
        "the handler"
    )


def test_step3_session_without_interaction() -> None:
    check = report(scenarios.proxy_without_interaction()).check("3-proxy")
    assert check.detail == (
        f"Proxy session {scenarios.SESSION_SID} (closed) has no interaction, "
        "so the message did not go through it"
    )
    assert check.evidence["interactions"] == 0


def test_step3_number_in_a_proxy_pool_without_a_session() -> None:
    fake = scenarios.all_pass()
    number = fake.find(seed.NUMBERS, phone_number=seed.FREE_NUMBER)
    fake.add(
        scenarios.PROXY_NUMBERS, scenarios.PROXY, sid=number["sid"], phone_number=seed.FREE_NUMBER
    )
    check = report(fake).check("3-proxy")
    assert check.status == "fail" and "no session is named after channel " in check.detail


def test_step4_no_channel_and_channel_without_the_sms() -> None:
    check = report(scenarios.no_chat_channel()).check("4-channel")
    assert check.detail == (
        f"no channel of chat service {seed.CHAT_SERVICE_SID} has attributes.from +15558675309 "
        "(0 channels looked at)"
    )
    fake = scenarios.all_pass()
    fake.records[seed.CHAT_MESSAGES].pop(seed.sid("IM", "customer sms in channel"))
    check = report(fake).check("4-channel")
    assert check.status == "fail"
    assert check.detail == (
        f"{scenarios.CHANNEL_SID} is the customer's channel, but none of its latest messages is "
        "the SMS"
    )


def test_step5_names_the_failed_widget() -> None:
    check = report(scenarios.studio_widget_failed()).check("5-studio")
    assert check.evidence["failed_widget"] == "lookup_order"
    assert check.evidence["execution"] == toolkit.EXECUTION_SID
    assert "widget lookup_order" in check.fix


def test_step6_unknown_target_worker() -> None:
    check = report(scenarios.target_worker_unknown()).check("6-task")
    assert check.evidence["targetWorker"] == "client:carol"
    assert check.evidence["worker_contact_uris"] == ["client:alice", "client:bob"]
    assert "'client:carol', which no worker has" in check.detail


def _task(fake: FakeTwilio) -> dict[str, Any]:
    return fake.find(seed.TASKS, sid=scenarios.TASK_SID)


def test_step6_missing_attribute_wrong_workflow_and_channel() -> None:
    fake = scenarios.all_pass()
    task = _task(fake)
    task["attributes"] = json.dumps({"channelSid": scenarios.CHANNEL_SID})
    task["workflow_sid"] = seed.sid("WW", "Assign to Anyone")
    task["workflow_friendly_name"] = "Assign to Anyone"
    task["task_channel_unique_name"] = "chat"
    check = report(fake).check("6-task")
    assert "it has no targetWorker attribute" in check.detail
    assert "created on Workflow WW" in check.detail and '"Assign to Anyone"' in check.detail
    assert 'TaskChannel "chat", not a managed channel (custom1)' in check.detail
    assert check.fix == (
        "Make the handler set targetWorker to the agent's contact_uri and create tasks on "
        f"Workflow {seed.sid('WW', CONFIG.workflow.friendly_name)} and create it on TaskChannel "
        "custom1."
    )


def test_step6_no_task_fails_while_the_channel_is_active() -> None:
    fake = scenarios.channel_still_active()
    fake.records[seed.TASKS].clear()
    result = report(fake)
    assert result.check("6-task").detail == (
        f"no TaskRouter task references channel {scenarios.CHANNEL_SID}"
    )
    assert statuses(result)["7-agent"] == "skipped"


def test_step6_a_deleted_task_of_a_closed_channel_is_a_warning() -> None:
    fake = scenarios.all_pass()
    fake.records[seed.TASKS].clear()
    result = report(fake)
    assert statuses(result)["6-task"] == "warn"
    assert result.check("7-agent").detail == "because step 6 found no task"
    assert result.check("8-completed").detail == "because step 6 found no task"
    assert result.exit_code == 0


def _reservation(fake: FakeTwilio) -> dict[str, Any]:
    return fake.find(seed.RESERVATIONS, sid=scenarios.RESERVATION_SID)


def test_step7_reservation_not_accepted_or_accepted_by_someone_else() -> None:
    fake = scenarios.all_pass()
    _reservation(fake)["reservation_status"] = "timeout"
    check = report(fake).check("7-agent")
    assert check.detail == (
        f"no reservation of {scenarios.TASK_SID} was accepted "
        f"({scenarios.RESERVATION_SID} timeout (alice))"
    )
    fake = scenarios.all_pass()
    _reservation(fake).update(worker_sid=seed.sid("WK", "bob"), worker_name="bob")
    check = report(fake).check("7-agent")
    assert check.detail == (
        f"{scenarios.RESERVATION_SID} was accepted by bob (client:bob), not by client:alice"
    )


def test_step7_agent_not_member() -> None:
    check = report(scenarios.agent_not_member()).check("7-agent")
    assert check.detail == (
        f"alice accepted {scenarios.RESERVATION_SID} but is not a member of "
        f"{scenarios.CHANNEL_SID}, so cannot see or answer the customer"
    )
    assert check.evidence["members"] == [toolkit.CUSTOMER]
    assert "AddToChatChannel" in check.fix


def test_step7_an_agent_who_left_as_configured_passes() -> None:
    config = CONFIG.model_copy(
        update={"orchestration": Orchestration(completed=("LeaveChatChannel",))}
    )
    check = report(scenarios.agent_not_member(), config=config).check("7-agent")
    assert check.status == "pass" and "left" in check.detail


def test_step7_role_and_permissions() -> None:
    fake = scenarios.all_pass()
    fake.find(seed.CHAT_MEMBERS, sid=scenarios.AGENT_MEMBER_SID)["role_sid"] = (
        scenarios.GUEST_ROLE_SID
    )
    check = report(fake).check("7-agent")
    assert check.detail == f"member {scenarios.AGENT_MEMBER_SID} (alice) has role guest, not agent"
    fake = scenarios.all_pass()
    role = fake.find(seed.CHAT_ROLES, sid=scenarios.AGENT_ROLE_SID)
    role["permissions"] = [p for p in role["permissions"] if p != "sendMediaMessage"]
    check = report(fake).check("7-agent")
    assert check.detail == f"role agent {scenarios.AGENT_ROLE_SID} lacks sendMediaMessage"
    assert check.evidence["permissions"] == {"missing": ["sendMediaMessage"], "extra": []}
    assert check.fix == (
        f"Give role {scenarios.AGENT_ROLE_SID} back its standard permissions: sendMessage, "
        "sendMediaMessage, leaveChannel, editChannelAttributes, editOwnMessage, "
        "editOwnMessageAttributes, deleteOwnMessage."
    )
    role["permissions"] = [*GUIDE_AGENT_PERMISSIONS, "destroyAnyMessage"]
    check = report(fake).check("7-agent")
    assert (check.status, check.detail) == (
        "warn",
        f"role agent {scenarios.AGENT_ROLE_SID} has more than the standard permissions: "
        "destroyAnyMessage",
    )
    assert check.fix == f"Remove destroyAnyMessage from role {scenarios.AGENT_ROLE_SID}."


def test_step8_still_open_is_skipped_and_canceled_fails() -> None:
    fake = scenarios.all_pass()
    _task(fake)["assignment_status"] = "assigned"
    result = report(fake)
    assert result.check("8-completed").status == "skipped"
    assert "is still assigned; run doctor again" in result.check("8-completed").detail
    assert result.exit_code == 0
    _task(fake)["assignment_status"] = "canceled"
    assert report(fake).check("8-completed").status == "fail"


def test_step8_active_channel() -> None:
    check = report(scenarios.channel_still_active()).check("8-completed")
    assert check.evidence["channel_status"] == {"found": "ACTIVE", "expected": "INACTIVE"}
    assert "DeactivateChatChannel" in check.fix


def test_step4_an_active_channel_with_a_studio_webhook_fails_with_the_command_to_delete_it() -> (
    None
):
    check = report(scenarios.channel_studio_webhook()).check("4-channel")
    webhook = scenarios.CHANNEL_WEBHOOK_SID
    assert (check.status, check.detail) == (
        "fail",
        f"{scenarios.CHANNEL_SID} holds the customer's message "
        f"{seed.sid('IM', 'customer sms in channel')}, but it is ACTIVE and still has channel "
        f"webhook {webhook} (studio), so each message posted into it also goes to Studio flow "
        f"{seed.STUDIO_FLOW_SID}",
    )
    assert check.evidence["flex_webhooks"] == [
        {
            "channel": scenarios.CHANNEL_SID,
            "webhook": webhook,
            "type": "studio",
            "to": f"Studio flow {seed.STUDIO_FLOW_SID}",
        }
    ]
    assert check.fix == f"Delete it: `{remove_command(scenarios.CHANNEL_SID, webhook)}`."


def _channel_webhook(fake: FakeTwilio, channel: str, **fields: Any) -> dict[str, Any]:
    parents = {**scenarios.CHAT, "ChannelSid": channel}
    return fake.add(seed.CHANNEL_WEBHOOKS, parents, **fields)


def test_step4_the_handlers_own_channel_webhook_is_no_flex_handler() -> None:
    fake = scenarios.channel_studio_webhook()
    fake.records[seed.CHANNEL_WEBHOOKS].clear()
    handler = {"url": "http://localhost:3000/flex", "method": "POST", "filters": ["onMessageSent"]}
    _channel_webhook(fake, scenarios.CHANNEL_SID, type="webhook", configuration=handler)
    check = report(fake).check("4-channel")
    assert check.status == "pass"
    assert check.detail == (
        f"{scenarios.CHANNEL_SID} holds the customer's message "
        f"{seed.sid('IM', 'customer sms in channel')}; no Studio or Flex webhook on it"
    )
    assert check.evidence["flex_webhooks"] == []
    # A Twilio-hosted URL is Flex's own handling, whatever the webhook's type.
    proxy = {"url": seed.PROXY_WEBHOOK, "method": "POST"}
    added = _channel_webhook(fake, scenarios.CHANNEL_SID, type="trigger", configuration=proxy)
    check = report(fake).check("4-channel")
    assert check.status == "fail"
    assert check.evidence["flex_webhooks"][0]["webhook"] == added["sid"]
    assert check.evidence["flex_webhooks"][0]["to"] == seed.PROXY_WEBHOOK


def test_step4_an_sms_without_a_body_is_found_by_its_author() -> None:
    fake = scenarios.all_pass()
    fake.find(seed.MESSAGES, sid=toolkit.MESSAGE_SID)["body"] = ""
    fake.find(seed.CHAT_MESSAGES, sid=seed.sid("IM", "customer sms in channel"))["body"] = ""
    assert report(fake).check("4-channel").status == "pass"


def test_step9_a_relayed_reply_passes() -> None:
    check = report(scenarios.all_pass()).check("9-relayed")
    assert (check.status, check.detail) == (
        "pass",
        f"each of alice's 1 message(s) in {scenarios.CHANNEL_SID} was sent as an SMS from "
        "+15005550006 to +15558675309",
    )
    assert check.evidence["pairs"] == [f"{scenarios.AGENT_REPLY_SID} -> {scenarios.RELAY_SID}"]
    assert (check.evidence["agent_messages"], check.evidence["relayed"]) == (1, 1)


def test_step9_names_the_first_reply_not_relayed_and_the_relay_fix() -> None:
    fake = scenarios.reply_not_relayed()
    result = report(fake)
    check = result.check("9-relayed")
    reply = scenarios.AGENT_REPLY_SID
    assert check.status == "fail" and result.exit_code == 1
    written = fake.find(seed.CHAT_MESSAGES, sid=reply)["date_created"]
    assert check.detail == (
        f"alice's message {reply} ({second_of(written)}) in {scenarios.CHANNEL_SID} has no SMS "
        "from +15005550006 to +15558675309 after it; 1 of 1 not relayed, so the customer never "
        "hears back"
    )
    assert check.evidence["not_relayed"] == [reply]
    assert (check.evidence["outbound_sms"], check.evidence["relayed"]) == (0, 0)
    assert check.fix == (
        "Make the handler's onMessageSent relay send each message whose From is not the "
        "customer as an SMS from +15005550006 to the customer's address (the chat service "
        "posts onMessageSent to http://localhost:3000/flex)."
    )
    chat = CONFIG.chat_service.model_copy(update={"webhook_filters": ("onChannelUpdated",)})
    config = CONFIG.model_copy(update={"chat_service": chat})
    fix = report(scenarios.reply_not_relayed(), config=config).check("9-relayed").fix
    assert fix == (
        "Add onMessageSent to flexorch:chatService.webhookFilters and run `pulumi up` and "
        "make the handler's onMessageSent relay send each message whose From is not the "
        "customer as an SMS from +15005550006 to the customer's address (the chat service "
        "posts onMessageSent to http://localhost:3000/flex)."
    )


def _relay(fake: FakeTwilio) -> dict[str, Any]:
    return fake.find(seed.MESSAGES, sid=scenarios.RELAY_SID)


def _at(fake: FakeTwilio, record: dict[str, Any], **delta: float) -> None:
    """Move an SMS to `delta` after the agent's reply."""
    reply = fake.find(seed.CHAT_MESSAGES, sid=scenarios.AGENT_REPLY_SID)
    when = datetime.fromisoformat(reply["date_created"].replace("Z", "+00:00"))
    record["date_created"] = record["date_sent"] = format_datetime(when + timedelta(**delta))


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda fake, sms: _at(fake, sms, seconds=-30), id="sent-before-the-reply"),
        pytest.param(lambda fake, sms: _at(fake, sms, minutes=30), id="sent-half-an-hour-later"),
        pytest.param(lambda fake, sms: sms.update(direction="inbound"), id="inbound"),
        pytest.param(lambda fake, sms: sms.update(to="+15558675310"), id="to-someone-else"),
        pytest.param(lambda fake, sms: sms.update({"from": "+15005550007"}), id="other-number"),
    ],
)
def test_step9_only_an_outgoing_sms_to_the_customer_after_the_reply_is_its_relay(
    change: Callable[[FakeTwilio, dict[str, Any]], None],
) -> None:
    fake = scenarios.all_pass()
    change(fake, _relay(fake))
    check = report(fake).check("9-relayed")
    assert (check.status, check.evidence["not_relayed"]) == ("fail", [scenarios.AGENT_REPLY_SID])


def test_step9_each_reply_needs_its_own_sms() -> None:
    fake = scenarios.all_pass()
    reply = fake.find(seed.CHAT_MESSAGES, sid=scenarios.AGENT_REPLY_SID)
    later = datetime.fromisoformat(reply["date_created"].replace("Z", "+00:00"))
    # One second later: the one relayed SMS (two seconds after the first) follows both.
    later += timedelta(seconds=1)
    second = fake.add(
        seed.CHAT_MESSAGES,
        {**scenarios.CHAT, "ChannelSid": scenarios.CHANNEL_SID},
        body="Found it: it ships tomorrow.",
        index=2,
        date_created=later.isoformat().replace("+00:00", "Z"),
        **{"from": toolkit.AGENT},
    )
    check = report(fake).check("9-relayed")
    assert check.status == "fail"
    assert check.detail == (
        f"alice's message {second['sid']} ({second_of(second['date_created'])}) in "
        f"{scenarios.CHANNEL_SID} has no SMS from +15005550006 to +15558675309 after it; 1 of 2 "
        "not relayed, so the customer never hears back"
    )
    assert check.evidence["pairs"] == [f"{scenarios.AGENT_REPLY_SID} -> {scenarios.RELAY_SID}"]
    relay = dict(_relay(fake), sid=seed.sid("SM", "second relay"))
    _at(fake, fake.add(seed.MESSAGES, toolkit.ACCOUNT, **relay), minutes=1, seconds=1)
    assert report(fake).check("9-relayed").evidence["relayed"] == 2


def test_step9_is_skipped_when_the_agent_wrote_nothing() -> None:
    fake = scenarios.reply_not_relayed()
    fake.records[seed.CHAT_MESSAGES].pop(scenarios.AGENT_REPLY_SID)
    result = report(fake)
    check = result.check("9-relayed")
    assert (check.status, check.detail) == (
        "skipped",
        f"alice wrote nothing in {scenarios.CHANNEL_SID}, so there is no reply to relay",
    )
    assert check.evidence["agent_messages"] == 0
    assert result.exit_code == 0


def test_step9_without_a_task_is_skipped_naming_step_6() -> None:
    fake = scenarios.all_pass()
    fake.records[seed.TASKS].clear()
    assert report(fake).check("9-relayed").detail == "because step 6 found no task"


# --- config checks --------------------------------------------------------------------------


def config_check(fake: FakeTwilio, check_id: str, config: Any = CONFIG) -> doctor.Check:
    return report(fake, config=config, walk=False).check(check_id)


def test_config_workspace_missing_skips_what_lives_in_it() -> None:
    config = CONFIG.model_copy(
        update={"workspace": CONFIG.workspace.model_copy(update={"friendly_name": "Nope"})}
    )
    result = report(scenarios.all_pass(), config=config, walk=False)
    assert result.check("workspace").detail == 'no TaskRouter workspace "Nope"'
    for check_id in ("workflow", "task-channels", "workers"):
        assert result.check(check_id).detail == "because the workspace check failed"


def test_config_workflow_missing_edited_and_drifted() -> None:
    fake = scenarios.all_pass()
    fake.records[seed.WORKFLOWS].pop(seed.sid("WW", CONFIG.workflow.friendly_name))
    assert config_check(fake, "workflow").detail == (
        f'no Workflow named "Custom messaging - route to contact_uri" in {seed.WORKSPACE_SID}'
    )
    fake = scenarios.all_pass()
    workflow = fake.find(seed.WORKFLOWS, friendly_name=CONFIG.workflow.friendly_name)
    document = json.loads(workflow["configuration"])
    target = document["task_routing"]["filters"][0]["targets"][0]
    target["expression"] = "task.agent == worker.contact_uri"
    workflow["configuration"] = json.dumps(document)
    check = config_check(fake, "workflow")
    assert check.status == "fail"
    assert check.evidence["target"]["found"] == ["task.agent == worker.contact_uri"]
    target["expression"] = "task.targetWorker   ==  worker.contact_uri"
    document["task_routing"]["filters"][0]["expression"] = "targetWorker != null"
    workflow["configuration"] = json.dumps(document)
    check = config_check(fake, "workflow")
    assert check.status == "warn" and "filter is 'targetWorker != null'" in check.detail


def test_config_task_channel_missing() -> None:
    fake = scenarios.all_pass()
    fake.records[seed.TASK_CHANNELS].pop(seed.sid("TC", "custom1"))
    check = config_check(fake, "task-channels")
    assert (check.status, check.evidence["missing"]) == ("fail", ["custom1"])


def test_config_chat_service() -> None:
    fake = scenarios.all_pass()
    service = fake.find(seed.CHAT_SERVICES, sid=seed.CHAT_SERVICE_SID)
    service.update(
        post_webhook_url="https://old.example.com/hook", webhook_filters=["onMessageSent"]
    )
    check = config_check(fake, "chat-service")
    assert check.status == "fail"
    assert "post_webhook_url is 'https://old.example.com/hook'" in check.detail
    assert check.evidence["webhook_filters"] == {
        "found": ["onMessageSent"],
        "expected": ["onChannelUpdated", "onMessageSent"],
    }
    fake = scenarios.all_pass()
    fake.find(seed.CHAT_SERVICES, sid=seed.CHAT_SERVICE_SID)["post_webhook_retry_count"] = 0
    assert config_check(fake, "chat-service").status == "warn"
    config = CONFIG.model_copy(
        update={"chat_service": CONFIG.chat_service.model_copy(update={"sid": "IS" + "1" * 32})}
    )
    check = config_check(scenarios.all_pass(), "chat-service", config)
    assert check.detail == f"chat service IS{'1' * 32} does not exist"


def test_config_workers_none_or_duplicated_warn() -> None:
    fake = scenarios.all_pass()
    for worker in fake.all(seed.WORKERS):
        worker["attributes"] = "{}"
    assert config_check(fake, "workers").status == "warn"
    fake = scenarios.all_pass()
    fake.add(
        seed.WORKERS,
        toolkit.WORKSPACE,
        friendly_name="alice2",
        attributes=json.dumps({"contact_uri": "client:alice"}),
    )
    check = config_check(fake, "workers")
    assert check.status == "warn" and "contact_uri client:alice is on 2 workers" in check.detail
    assert report(fake, walk=False).exit_code == 0


def test_config_numbers_by_sid_and_unknown() -> None:
    sid = seed.sid("PN", seed.FREE_NUMBER)
    config = CONFIG.model_copy(update={"numbers": (sid, "+15005550099")})
    result = report(scenarios.all_pass(), config=config, walk=False)
    assert result.check(f"number:{sid}").status == "pass"
    assert result.check("number:+15005550099").detail == (
        f"+15005550099 is not a phone number of account {seed.ACCOUNT_SID}"
    )
    walk = report(scenarios.all_pass(), config=config)
    assert statuses(walk)["2-number"] == "pass"


# --- hygiene --------------------------------------------------------------------------------


def test_hygiene_flex_flows() -> None:
    check = report(catalogue.scenario("hygiene-flex-flow-janitor")).check("flex-flows")
    flow = seed.sid("FO", "SMS Flex Flow")
    assert f'Flex Flow {flow} "SMS Flex Flow" (+15005550007) on +15005550007' in check.detail
    assert check.evidence["numbers"]["+15005550007"] == {
        "flex_flows": 1,
        "enabled": [],
        "janitor_enabled": [flow],
    }
    fake = scenarios.all_pass()
    for name in ("SMS Flex Flow", "SMS Flex Flow 2"):
        fake.add(
            seed.FLEX_FLOWS,
            sid=seed.sid("FO", name + "!"),
            friendly_name=name,
            contact_identity=seed.FREE_NUMBER,
            enabled=True,
        )
    check = report(fake, walk=False).check("flex-flows")
    assert check.status == "fail" and "more than one enabled Flex Flow names +15005550006" in (
        check.detail
    )


def test_hygiene_channel_limit() -> None:
    check = report(scenarios.channel_limit()).check("channel-limit")
    assert "45207" in check.detail
    assert check.evidence["worst"][:2] == [
        {"identity": "alice", "joined_channels": 1000},
        {"identity": "bob", "joined_channels": 912},
    ]
    assert (check.evidence["at_limit"], check.evidence["near_limit"]) == (1, 1)
    fake = scenarios.all_pass()
    fake.find(scenarios.CHAT_USERS, identity="bob")["joined_channels_count"] = 950
    result = report(fake)
    assert statuses(result)["channel-limit"] == "warn" and result.exit_code == 0


def test_hygiene_orphans() -> None:
    check = report(scenarios.orphans()).check("orphans")
    assert (check.evidence["orphan_channels"], check.evidence["orphan_sessions"]) == (1, 1)
    assert check.evidence["examples"] == [
        f"{scenarios.ORPHAN_CHANNEL_SID} (+15558675310, task {scenarios.ORPHAN_TASK_SID} "
        "completed)",
        f"{scenarios.ORPHAN_SESSION_SID} (channel {scenarios.ORPHAN_CHANNEL_SID}, task "
        f"{scenarios.ORPHAN_TASK_SID} completed)",
    ]


def test_hygiene_a_new_channel_still_waiting_for_its_task_is_no_orphan() -> None:
    fake = scenarios.orphans()
    fake.records[seed.TASKS].pop(scenarios.ORPHAN_TASK_SID)
    assert "no task" in report(fake).check("orphans").evidence["examples"][0]
    channel = fake.find(seed.CHAT_CHANNELS, sid=scenarios.ORPHAN_CHANNEL_SID)
    session = fake.find(seed.PROXY_SESSIONS, sid=scenarios.ORPHAN_SESSION_SID)
    channel["date_updated"] = session["date_updated"] = fake._timestamp({})
    assert report(fake).check("orphans").status == "pass"


def test_hygiene_studio_stale() -> None:
    check = report(catalogue.scenario("hygiene-studio-stale")).check("studio-stale")
    example = check.evidence["examples"][0]
    assert example == (
        f"{toolkit.STALE_EXECUTION_SID} of {seed.STUDIO_FLOW_SID} for "
        "+15558675311 (last step 3 days ago)"
    )
    assert "--status ended" in check.fix


def test_hygiene_channel_webhooks() -> None:
    check = report(scenarios.channel_flex_webhook(), walk=False).check("channel-webhooks")
    channel, webhook = scenarios.RETURNING_CHANNEL_SID, scenarios.RETURNING_WEBHOOK_SID
    studio = (
        f"https://webhooks.twilio.com/v1/Accounts/{seed.ACCOUNT_SID}/Flows/{seed.STUDIO_FLOW_SID}"
    )
    assert check.status == "fail"
    assert check.detail == (
        "1 webhook(s) on 1 active channel(s) of managed numbers still hand messages to Studio "
        f"or Flex, so a returning customer's SMS goes there again, e.g. {channel} has {webhook} "
        f"(webhook, to {studio})"
    )
    assert check.evidence["examples"] == [
        {"channel": channel, "webhook": webhook, "type": "webhook", "to": studio}
    ]
    assert (check.evidence["active_channels"], check.evidence["flex_webhooks"]) == (1, 1)
    assert check.fix == f"Delete it: `{remove_command(channel, webhook)}`."
    # The walked customer's channel is left to step 4; this one is still another customer's.
    assert report(scenarios.channel_flex_webhook()).check("channel-webhooks").status == "fail"
    assert report(scenarios.channel_studio_webhook()).check("channel-webhooks").status == "pass"


def test_hygiene_channel_webhooks_lists_each_one_to_delete() -> None:
    fake = scenarios.channel_flex_webhook()
    _channel_webhook(
        fake,
        scenarios.RETURNING_CHANNEL_SID,
        sid=seed.sid("WH", "second"),
        type="studio",
        configuration={"flow_sid": seed.STUDIO_FLOW_SID},
    )
    check = report(fake, walk=False).check("channel-webhooks")
    channel = scenarios.RETURNING_CHANNEL_SID
    commands = [
        remove_command(channel, scenarios.RETURNING_WEBHOOK_SID),
        remove_command(channel, seed.sid("WH", "second")),
    ]
    studio = (
        f"https://webhooks.twilio.com/v1/Accounts/{seed.ACCOUNT_SID}/Flows/{seed.STUDIO_FLOW_SID}"
    )
    assert check.detail == (
        "2 webhook(s) on 1 active channel(s) of managed numbers still hand messages to Studio "
        f"or Flex, so a returning customer's SMS goes there again, e.g. {channel} has "
        f"{scenarios.RETURNING_WEBHOOK_SID} (webhook, to {studio})"
    )
    assert check.fix == f"Delete them: `{'; '.join(commands)}`."


def _webhook_reads(fake: FakeTwilio) -> tuple[doctor.Check, list[str]]:
    """The channel-webhooks check without a message, and the channels whose webhooks it read."""
    http = InProcessHttp(fake)
    client = Client(seed.ACCOUNT_SID, seed.AUTH_TOKEN, seed.ACCOUNT_SID, http_client=http)
    check = doctor.run_doctor(CONFIG, client).check("channel-webhooks")
    return check, [url.split("/")[-2] for _m, url, _f in http.log if url.endswith("/Webhooks")]


def test_hygiene_channel_webhooks_ignore_inactive_channels() -> None:
    fake = scenarios.channel_flex_webhook()
    channel = fake.find(seed.CHAT_CHANNELS, sid=scenarios.RETURNING_CHANNEL_SID)
    assert _webhook_reads(fake)[1] == [scenarios.RETURNING_CHANNEL_SID]
    channel["attributes"] = json.dumps({**json.loads(channel["attributes"]), "status": "INACTIVE"})
    check, read = _webhook_reads(fake)
    assert (check.status, check.evidence["active_channels"], read) == ("pass", 0, [])
    # Nor does step 4 judge the walked channel once it is closed.
    fake = scenarios.channel_studio_webhook()
    channel = fake.find(seed.CHAT_CHANNELS, sid=scenarios.CHANNEL_SID)
    channel["attributes"] = json.dumps({**json.loads(channel["attributes"]), "status": "INACTIVE"})
    assert report(fake).check("4-channel").status == "pass"


def test_hygiene_channel_webhooks_only_judge_channels_of_managed_numbers() -> None:
    fake = scenarios.all_pass()
    # A web chat: Flex's Web Channel Flow still hands it to Studio, as it should.
    web = fake.add(
        seed.CHAT_CHANNELS,
        scenarios.CHAT,
        friendly_name="Jane",
        attributes=json.dumps({"from": "Jane", "channel_type": "web", "status": "ACTIVE"}),
    )
    _channel_webhook(
        fake, web["sid"], type="studio", configuration={"flow_sid": seed.STUDIO_FLOW_SID}
    )
    check, read = _webhook_reads(fake)
    assert (check.status, check.evidence["of_managed_numbers"], read) == ("pass", 0, [])
    assert (
        check.detail == "0 active channel(s) of managed numbers, none with a Studio or Flex webhook"
    )
    # A channel that names a managed number is one, even when its customer never texted it.
    web["attributes"] = json.dumps({**json.loads(web["attributes"]), "to": seed.FLEX_FLOW_NUMBER})
    check, read = _webhook_reads(fake)
    assert (check.status, read) == ("fail", [web["sid"]])


def test_a_product_twilio_refuses_fails_its_checks_only() -> None:
    class NoProxy(InProcessHttp):
        def request(self, method, url, *args, **kwargs):
            from twilio.http.response import Response

            if url.startswith("https://proxy.twilio.com/v1/Services"):
                self.log.append((method, url, {}))
                body = {"code": 20403, "message": "Forbidden", "status": 403}
                return Response(403, json.dumps(body), headers={})
            return super().request(method, url, *args, **kwargs)

    fake = scenarios.all_pass()
    http = NoProxy(fake)
    client = Client(seed.ACCOUNT_SID, seed.AUTH_TOKEN, seed.ACCOUNT_SID, http_client=http)
    result = doctor.run_doctor(CONFIG, client, sender=toolkit.CUSTOMER)
    proxy = result.check("3-proxy")
    assert proxy.status == "fail" and "Twilio error 20403: Forbidden" in proxy.detail
    assert statuses(result)["8-completed"] == "pass"


# --- output and command line ----------------------------------------------------------------


def test_json_document_shape(run: Callable[..., CliResult], use: Callable[..., Any]) -> None:
    use(scenarios.agent_not_member())
    result = run("--config", SANDBOX_STACK, "--message", toolkit.MESSAGE_SID, "--json")
    document = result.document
    assert set(document) == {
        "schema",
        "stack",
        "source",
        "account_sid",
        "endpoint",
        "message",
        "exit_code",
        "counts",
        "requests",
        "sections",
        "error",
    }
    assert document["schema"] == "flexorch-doctor/1"
    assert document["error"] is None
    assert (document["stack"], document["source"]) == ("sandbox", str(SANDBOX_STACK))
    assert document["exit_code"] == result.code == 1
    assert document["message"]["sid"] == toolkit.MESSAGE_SID
    assert document["counts"] == {"pass": 9, "fail": 1, "warn": 0, "skipped": 4}
    for section in document["sections"]:
        for check in section["checks"]:
            assert set(check) == {"id", "title", "status", "detail", "evidence", "fix"}
            assert check["status"] in ("pass", "fail", "warn", "skipped")
    assert result.check("7-agent")["fix"] == AGENT_NOT_MEMBER_FIX


def test_the_text_gives_the_verdict_the_walk_then_the_broken_step(
    run: Callable[..., CliResult], use: Callable[..., Any]
) -> None:
    use(scenarios.agent_not_member())
    result = run("--config", SANDBOX_STACK, "--from", toolkit.CUSTOMER)
    assert result.code == 1
    out = result.out
    assert "\x1b[" not in out  # not a terminal: no colour
    lines = out.splitlines()
    assert lines[:2] == [
        "flexorch doctor: FAILED: 7. agent accepted and joined",
        counts_line({"fail": 1, "pass": 9, "skipped": 4}, 1),
    ]
    at = lines.index(f"message {toolkit.MESSAGE_SID} from +15558675309 to +15005550006")
    picture = " ".join(line.strip() for line in lines[at + 1 : lines.index("", at)])
    assert picture == (
        "received -> number -> proxy (skipped) -> channel -> studio (skipped) -> task -> "
        "agent (FAIL) -> completed (skipped) -> relayed (skipped)"
    )
    reservation = scenarios.RESERVATION_SID
    # The broken step's details follow the picture.
    assert lines.index("FAIL     7. agent accepted and joined") == lines.index("", at) + 1
    assert text_block(out, "FAIL", "7. agent accepted and joined") == (
        f"FAIL     7. agent accepted and joined alice accepted {reservation} but is not a member "
        f"of {scenarios.CHANNEL_SID}, so cannot see or answer the customer "
        f"evidence: reservation {reservation}; reservation_status completed; worker "
        f"{seed.sid('WK', 'alice')}; contact_uri client:alice; identity alice; members "
        f"+15558675309 fix: {AGENT_NOT_MEMBER_FIX}"
    )
    for step in ("8. completed and closed", "9. agent's replies sent as SMS"):
        assert any(re.fullmatch(rf"skipped  {re.escape(step)} +because step 7 failed", line)
                   for line in lines), step  # fmt: skip
    assert all(len(line) <= 80 for line in lines)


def test_verbose_shows_what_passed_in_full_with_its_evidence(
    run: Callable[..., CliResult], use: Callable[..., Any]
) -> None:
    use(scenarios.all_pass())
    brief = run("--config", SANDBOX_STACK)
    verbose = run("--config", SANDBOX_STACK, "--verbose")
    assert brief.code == verbose.code == 0
    check = report(scenarios.all_pass(), walk=False).check("chat-service")
    line = next(line for line in brief.out.splitlines() if check.title in line)
    assert line.startswith("pass") and line.endswith("...") and len(line) == 80
    assert "evidence:" not in brief.out
    assert text_block(verbose.out, "pass", check.title) == (
        f"pass     {check.title} {check.detail} evidence: {show_evidence(check.evidence)}"
    )


def test_json_and_verbose_are_refused_together(run: Callable[..., CliResult]) -> None:
    result = run("--config", SANDBOX_STACK, "--json", "--verbose")
    assert result.code == 2 and "not allowed with argument" in result.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--message", "SM123"],
            '--message: "SM123" is not a message SID; it is SM or MM '
            "followed by 32 hex digits (copy it from the Messaging logs)",
        ),
        (
            ["--message", "CA" + "0" * 32],
            f'--message: "CA{"0" * 32}" is not a message SID; it is SM or MM followed by 32 hex '
            "digits (copy it from the Messaging logs)",
        ),
        (
            ["--from", "5558675309"],
            '--from: "5558675309" is not an E.164 number; write it like +15558675309 (a +, the '
            "country code and the number, no spaces)",
        ),
        (
            ["--from", "+1 555 867"],
            '--from: "+1 555 867" is not an E.164 number; write it like +15558675309 (a +, the '
            "country code and the number, no spaces)",
        ),
    ],
)
def test_bad_arguments_exit_2(
    args: list[str], message: str, run: Callable[..., CliResult], use: Callable[..., Any]
) -> None:
    http = use(scenarios.all_pass())
    result = run("--config", SANDBOX_STACK, *args)
    assert result.code == 2
    assert result.err == message + "\n"
    assert result.out == "" and http.log == []


def test_message_and_from_together_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        doctor_parser().parse_args(
            ["doctor", "--stack", "x", "--message", "SM" + "0" * 32, "--from", "+15558675309"]
        )
    assert exited.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_bad_config_and_missing_credentials_exit_2(
    run: Callable[..., CliResult],
    use: Callable[..., Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use(scenarios.all_pass())
    bad = tmp_path / "Pulumi.bad.yaml"
    bad.write_text("config:\n  flexorch:handler: {url: ftp://x}\n")
    result = run("--config", bad)
    assert result.code == 2 and "flexorch:handler.url" in result.err
    monkeypatch.delenv("TWILIO_AUTH_TOKEN")
    result = run("--config", SANDBOX_STACK)
    assert result.code == 2
    assert result.err == (
        "twilio:authToken: is not set; run `pulumi config set --secret twilio:authToken` or set "
        "TWILIO_AUTH_TOKEN (or TWILIO_API_KEY and TWILIO_API_SECRET)\n"
    )


def test_plain_account_sid_in_the_stack_file_is_used(tmp_path: Path) -> None:
    document = yaml.safe_load(SANDBOX_STACK.read_text())
    document["config"]["twilio:accountSid"] = "AC" + "1" * 32
    document["config"]["twilio:authToken"] = {"secure": "v1:abc"}
    path = tmp_path / "Pulumi.withsid.yaml"
    path.write_text(yaml.safe_dump(document))
    get = doctor.stack_credentials_config(path)
    assert get("twilio:accountSid") == "AC" + "1" * 32
    assert get("twilio:authToken") is None


def test_rejected_credentials_exit_3(
    run: Callable[..., CliResult], use: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    use(scenarios.all_pass())
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "wrong")
    result = run("--config", SANDBOX_STACK, "--from", toolkit.CUSTOMER)
    assert result.code == 3
    assert "Twilio rejected the credentials" in result.err
    assert result.err.count("\n") == 1 and "Traceback" not in result.err and result.out == ""


def test_unreachable_exit_3(run: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv(BASE_URL_ENV, closed)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", seed.ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", seed.AUTH_TOKEN)
    result = run("--config", SANDBOX_STACK)
    line = (
        f"Twilio is unreachable at {closed.removeprefix('http://')} (ConnectionError); check "
        f"the network or {BASE_URL_ENV}"
    )
    assert (result.code, result.err, result.out) == (3, line + "\n", "")
    result = run("--config", SANDBOX_STACK, "--json")
    assert (result.code, result.err) == (3, line + "\n")
    assert result.document == {
        "schema": "flexorch-doctor/1",
        "stack": "sandbox",
        "source": str(SANDBOX_STACK),
        "account_sid": seed.ACCOUNT_SID,
        "endpoint": closed,
        "message": None,
        "exit_code": 3,
        "counts": {"pass": 0, "fail": 0, "warn": 0, "skipped": 0},
        "requests": 3,  # doctor tries three times before it gives up
        "sections": [],
        "error": {"kind": "twilio", "problems": [line]},
    }


def test_twilio_answering_429_throughout_is_exit_3_not_a_failed_check(
    run: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    import http.server
    import threading

    class Busy(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(429)
            self.send_header("Retry-After", "0")
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"code": 20429, "message": "Too Many Requests", "status": 429}')

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Busy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv(BASE_URL_ENV, f"http://127.0.0.1:{server.server_port}")
        monkeypatch.setenv("TWILIO_ACCOUNT_SID", seed.ACCOUNT_SID)
        monkeypatch.setenv("TWILIO_AUTH_TOKEN", seed.AUTH_TOKEN)
        result = run("--config", SANDBOX_STACK)
    finally:
        server.shutdown()
        server.server_close()
    line = (
        f"Twilio kept answering HTTP 429 at 127.0.0.1:{server.server_port} (3 attempts); "
        "try again later"
    )
    assert (result.code, result.err, result.out) == (3, line + "\n", "")


def test_json_for_bad_arguments_and_bad_config_exit_2(
    run: Callable[..., CliResult], use: Callable[..., Any], tmp_path: Path
) -> None:
    http = use(scenarios.all_pass())
    result = run("--config", SANDBOX_STACK, "--message", "SM123", "--json")
    line = (
        '--message: "SM123" is not a message SID; it is SM or MM followed by 32 hex digits '
        "(copy it from the Messaging logs)"
    )
    assert (result.code, result.err) == (2, line + "\n")
    assert result.document == {
        "schema": "flexorch-doctor/1",
        "stack": "sandbox",
        "source": str(SANDBOX_STACK),
        "account_sid": None,
        "endpoint": "https://*.twilio.com",
        "message": None,
        "exit_code": 2,
        "counts": {"pass": 0, "fail": 0, "warn": 0, "skipped": 0},
        "requests": 0,
        "sections": [],
        "error": {"kind": "usage", "problems": [line]},
    }
    bad = tmp_path / "Pulumi.bad.yaml"
    bad.write_text("config:\n  flexorch:handler: {url: ftp://x}\n")
    result = run("--config", bad, "--json")
    assert result.code == 2
    document = result.document
    assert (document["stack"], document["source"], document["exit_code"]) == ("bad", str(bad), 2)
    assert document["error"]["kind"] == "usage"
    assert document["error"]["problems"] == result.err.splitlines()
    assert (
        'flexorch:handler.url: "ftp://x" must use https (Twilio sends customer messages to it); '
        "http is only allowed for localhost and 127.0.0.1"
    ) in document["error"]["problems"]
    assert http.log == []


def test_json_for_rejected_credentials_exit_3(
    run: Callable[..., CliResult], use: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    use(scenarios.all_pass())
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "wrong")
    result = run("--config", SANDBOX_STACK, "--json")
    assert result.code == 3
    document = result.document
    assert (document["exit_code"], document["account_sid"]) == (3, seed.ACCOUNT_SID)
    assert document["error"]["kind"] == "twilio"
    assert document["error"]["problems"] == [result.err.rstrip("\n")]
    assert "Twilio rejected the credentials" in document["error"]["problems"][0]
    assert document["sections"] == []


def test_importing_the_doctor_loads_no_pulumi() -> None:
    code = (
        "import flexorch.doctor, sys; "
        "assert not any(m == 'pulumi' or m.startswith('pulumi.') for m in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (0, "")


def test_every_twilio_fact_lives_in_one_module() -> None:
    """The identity prefixes and the agent role's permissions are spelled out once."""
    package = ROOT / "flexorch"
    spelled = {
        str(path.relative_to(ROOT))
        for path in package.rglob("*.py")
        if any(word in path.read_text() for word in ('"whatsapp:"', '"sendMediaMessage"'))
    }
    assert spelled == {"flexorch/twilio_facts.py"}


def test_only_the_registry_and_the_platforms_know_the_platform_names() -> None:
    """The platform is looked up once: outside `doctor/platforms/`, nothing in the doctor or in
    migrate names a platform or compares the stack's `platform` with anything."""
    import ast

    from flexorch.twilio_facts import PLATFORMS as NAMES

    platforms = ROOT / "flexorch" / "doctor" / "platforms"
    files = [*(ROOT / "flexorch" / "doctor").rglob("*.py"), ROOT / "flexorch" / "migrate.py"]
    found = []
    for path in files:
        if path.is_relative_to(platforms):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            named = isinstance(node, ast.Name) and node.id in ("CONVERSATIONS", "PROGRAMMABLE_CHAT")
            spelled = isinstance(node, ast.Constant) and node.value in NAMES
            compared = isinstance(node, ast.Compare) and any(
                isinstance(side, ast.Attribute) and side.attr == "platform"
                for side in (node.left, *node.comparators)
            )
            if named or spelled or compared:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")  # type: ignore[attr-defined]
    assert found == []


def test_a_walk_declares_each_step_once_and_after_what_it_needs() -> None:
    from flexorch.doctor.walk import Step, Walk

    def judge(walk: Any) -> Any:
        return None

    with pytest.raises(TypeError, match="step 2-task needs a step looked at later"):
        type("Bad", (Walk,), {"STEPS": (Step(2, "task", "task", judge, needs=("agent",)),)})
    with pytest.raises(TypeError, match="step 1-agent declared twice"):
        steps = (Step(1, "task", "task", judge), Step(1, "agent", "agent", judge))
        type("Twice", (Walk,), {"STEPS": steps})


# --- whose credentials: the stack's own, through the Pulumi CLI -------------------------------


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A Pulumi project holding the sandbox stack as `Pulumi.dev.yaml`, as the working folder;
    its auth token is a Pulumi secret that only the Pulumi CLI can decrypt."""
    document = yaml.safe_load(SANDBOX_STACK.read_text())
    document["config"]["twilio:accountSid"] = seed.ACCOUNT_SID
    document["config"]["twilio:authToken"] = {"secure": "v1:ZmFrZQ=="}
    (tmp_path / "Pulumi.yaml").write_text("name: flexorch\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text(yaml.safe_dump(document))
    (tmp_path / "bin").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TWILIO_ACCOUNT_SID", raising=False)
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    return tmp_path


def shown_config(**values: str) -> str:
    """What `pulumi config --json --show-secrets` prints: each key's value and secrecy."""
    document = {
        key: {"value": value, "secret": key in ("twilio:authToken", "twilio:apiSecret")}
        for key, value in values.items()
    }
    return "cat <<'EOF'\n" + json.dumps(document, indent=4) + "\nEOF"


def test_the_stacks_own_secret_is_read_through_pulumi(
    project: Path,
    run: Callable[..., CliResult],
    use: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use(scenarios.all_pass())
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "a stale token in the shell")
    calls = fake_pulumi(
        project,
        monkeypatch,
        shown_config(
            **{"twilio:accountSid": seed.ACCOUNT_SID, "twilio:authToken": seed.AUTH_TOKEN}
        ),
    )
    result = run("--stack", "dev", "--json")
    assert (result.code, result.err) == (0, "")
    assert result.document["source"] == str(project / "Pulumi.dev.yaml")
    assert calls.read_text() == f"{project} config --json --show-secrets --stack dev\n"


def credentials_pulumi_shows(
    project: Path, monkeypatch: pytest.MonkeyPatch, config: dict[str, str]
) -> tuple[str, str, str]:
    """What doctor finds when the Pulumi CLI shows the stack's `config` (secrets decrypted)."""
    fake_pulumi(project, monkeypatch, shown_config(**config))
    found = doctor.find_credentials(project / "Pulumi.dev.yaml", "dev", project)
    return found.account_sid, found.username, found.password


def test_an_api_key_pair_from_pulumi_is_used(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = {
        "twilio:accountSid": seed.ACCOUNT_SID,
        "twilio:apiKey": "SK" + "1" * 32,
        "twilio:apiSecret": "the secret",
    }
    assert credentials_pulumi_shows(project, monkeypatch, config) == (
        seed.ACCOUNT_SID,
        "SK" + "1" * 32,
        "the secret",
    )


def test_the_providers_own_credentials_win_over_twilio_ones(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # README, "YAML programs": `pulumi config set flexorch:accountSid`, secret flexorch:authToken.
    config = {
        "flexorch:accountSid": seed.ACCOUNT_SID,
        "flexorch:authToken": "the provider's token",
        "twilio:accountSid": "AC" + "9" * 32,
        "twilio:authToken": "another account's token",
    }
    assert credentials_pulumi_shows(project, monkeypatch, config) == (
        seed.ACCOUNT_SID,
        seed.ACCOUNT_SID,
        "the provider's token",
    )


def test_a_providers_token_pulumi_cannot_decrypt_is_named_as_such(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = project / "Pulumi.dev.yaml"
    stack.write_text(
        "config:\n  flexorch:accountSid: " + seed.ACCOUNT_SID + "\n"
        "  flexorch:authToken:\n    secure: v1:ZmFrZQ==\n"
    )
    monkeypatch.setenv("PATH", str(project / "bin"))
    with pytest.raises(FlexorchError) as raised:
        doctor.find_credentials(stack, "dev", project)
    assert raised.value.problems == [
        "flexorch:authToken: is set in Pulumi.dev.yaml as a secret, which doctor decrypts only "
        "through the Pulumi CLI, and the Pulumi CLI is not on PATH; run doctor with --stack and "
        "the Pulumi CLI logged in to the stack's backend, or set TWILIO_AUTH_TOKEN for this run"
    ]


@pytest.mark.parametrize(
    ("script", "why"),
    [
        (None, "the Pulumi CLI is not on PATH"),
        (
            "echo 'error: passphrase must be set with PULUMI_CONFIG_PASSPHRASE' >&2; exit 255",
            "`pulumi config --show-secrets --stack dev` failed: error: passphrase must be set "
            "with PULUMI_CONFIG_PASSPHRASE",
        ),
        ("echo not json", "`pulumi config --show-secrets --stack dev` printed no JSON document"),
    ],
    ids=["no-pulumi", "pulumi-fails", "not-json"],
)
def test_without_pulumi_the_environment_is_used_and_the_hint_knows_the_secret_is_set(
    script: str | None,
    why: str,
    project: Path,
    run: Callable[..., CliResult],
    use: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use(scenarios.all_pass())
    monkeypatch.delenv("TWILIO_ACCOUNT_SID")
    monkeypatch.delenv("TWILIO_AUTH_TOKEN")
    if script is None:
        monkeypatch.setenv("PATH", str(project / "bin"))
    else:
        fake_pulumi(project, monkeypatch, script)
    result = run("--stack", "dev")
    # The secret is set: doctor says why it could not read it, not "run pulumi config set".
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        "twilio:authToken: is set in Pulumi.dev.yaml as a secret, which doctor decrypts only "
        f"through the Pulumi CLI, and {why}; run doctor with --stack and the Pulumi CLI logged "
        "in to the stack's backend, or set TWILIO_AUTH_TOKEN for this run\n"
    )
    assert "pulumi config set" not in result.err
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", seed.AUTH_TOKEN)
    result = run("--stack", "dev")
    assert (result.code, result.err) == (0, "")


def test_a_secret_that_is_not_set_gets_the_set_it_hint(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = project / "Pulumi.dev.yaml"
    document = yaml.safe_load(stack.read_text())
    del document["config"]["twilio:authToken"]
    stack.write_text(yaml.safe_dump(document))
    fake_pulumi(project, monkeypatch, shown_config(**{"twilio:accountSid": seed.ACCOUNT_SID}))
    with pytest.raises(FlexorchError) as raised:
        doctor.find_credentials(stack, "dev", project)
    assert raised.value.problems == [
        "twilio:authToken: is not set; run `pulumi config set --secret twilio:authToken` or "
        "set TWILIO_AUTH_TOKEN (or TWILIO_API_KEY and TWILIO_API_SECRET)"
    ]


def test_with_config_file_pulumi_is_not_asked(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = fake_pulumi(project, monkeypatch, "exit 1")
    with pytest.raises(FlexorchError) as raised:
        doctor.find_credentials(project / "Pulumi.dev.yaml")
    assert "and doctor was given --config, not --stack;" in raised.value.problems[0]
    assert not calls.exists()


# --- against the sandbox: Prism checks every request against Twilio's specs -----------------


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    # Proxy and Studio in the message's path, so a full walk reads every kind of resource.
    with Sandbox(scenarios.with_proxy_and_studio()) as running:
        yield running


@pytest.fixture
def against(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    monkeypatch.setenv(BASE_URL_ENV, sandbox.url)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", seed.ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", seed.AUTH_TOKEN)
    return sandbox


class TestAgainstTheSandbox:
    @pytest.mark.parametrize(
        "target",
        [["--message", toolkit.MESSAGE_SID], ["--from", toolkit.CUSTOMER]],
        ids=["message", "from"],
    )
    def test_full_walk(
        self, target: list[str], against: Sandbox, run: Callable[..., CliResult]
    ) -> None:
        mark = len(against.requests)
        started = time.monotonic()
        result = run("--config", SANDBOX_STACK, *target, "--json")
        elapsed = time.monotonic() - started
        requests = against.since(mark)
        print(f"\nfull walk ({target[0]}): {len(requests)} requests in {elapsed:.2f} s")
        assert result.code == 0, result.out
        assert set(result.statuses().values()) == {"pass"}
        assert result.document["requests"] == len(requests)
        assert_read_only_and_valid(requests)
        read = {r["path"].rsplit("/", 1)[-1] for r in requests}
        assert {
            "Interactions",
            "Steps",
            "PhoneNumbers",
            "Members",
            "Roles",
            "Users",
            "Reservations",
            "FlexFlows",
        } <= read
        assert any("/Accounts/" in r["path"] and "/Messages" in r["path"] for r in requests)
        # Step 9: the number's messages to the customer.
        assert any({"From", "To"} <= set(r["query"]) for r in requests)

    def test_channel_webhooks_and_who_texted_a_number_are_valid_reads(
        self, run: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        with Sandbox(scenarios.channel_studio_webhook()) as other:
            monkeypatch.setenv(BASE_URL_ENV, other.url)
            monkeypatch.setenv("TWILIO_ACCOUNT_SID", seed.ACCOUNT_SID)
            monkeypatch.setenv("TWILIO_AUTH_TOKEN", seed.AUTH_TOKEN)
            walked = run("--config", SANDBOX_STACK, "--from", toolkit.CUSTOMER, "--json")
            hygiene = run("--config", SANDBOX_STACK, "--json")
            requests = other.since(0)
        assert walked.check("4-channel")["status"] == "fail"
        assert hygiene.check("channel-webhooks")["status"] == "fail"
        assert_read_only_and_valid(requests)
        webhooks = f"/Channels/{scenarios.CHANNEL_SID}/Webhooks"
        assert sum(r["path"].endswith(webhooks) for r in requests) == 2
        assert any(r["path"].endswith("/Messages.json") and "To" in r["query"] for r in requests)

    def test_config_and_hygiene(self, against: Sandbox, run: Callable[..., CliResult]) -> None:
        mark = len(against.requests)
        started = time.monotonic()
        result = run("--config", SANDBOX_STACK)
        requests = against.since(mark)
        print(f"\nconfig + hygiene: {len(requests)} requests in {time.monotonic() - started:.2f} s")
        assert result.code == 0, result.out
        assert f", {len(requests)} read-only requests in " in " ".join(result.out.split())
        assert_read_only_and_valid(requests)

    def test_rejected_credentials(
        self, against: Sandbox, run: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("TWILIO_AUTH_TOKEN", "not-the-token")
        mark = len(against.requests)
        result = run("--config", SANDBOX_STACK, "--from", toolkit.CUSTOMER)
        assert result.code == 3 and "Twilio rejected the credentials" in result.err
        assert [r["status"] for r in against.since(mark)] == [401]


def test_the_fix_for_an_enabled_flex_flow_follows_the_stacks_mode() -> None:
    flows = [SimpleNamespace(sid="FO1", friendly_name="SMS", contact_identity="+15005550006")]
    assert flows_problem(flows, "fail") == (
        'enabled Flex Flow FO1 "SMS" (+15005550006) still takes its messages',
        "disable it (or set flexorch:flexFlows: disable)",
    )
    assert flows_problem(flows * 2, "disable")[1] == (
        "run `pulumi up --refresh` for this stack to disable the Flex Flows again"
    )


def test_config_event_callback_checked_only_when_the_stack_sets_one() -> None:
    assert "event-callback" not in statuses(report(scenarios.all_pass(), walk=False))
    url = "https://handler.example.com/flex/taskrouter"
    workspace = CONFIG.workspace.model_copy(
        update={
            "event_callback": EventCallback(url=url, events=("task.completed", "task.canceled"))
        }
    )
    config = CONFIG.model_copy(update={"workspace": workspace})
    fake = scenarios.all_pass()
    found = fake.find(seed.WORKSPACES, sid=seed.WORKSPACE_SID)
    found.update(
        event_callback_url="https://wfm.example.com/events", events_filter="task.completed"
    )
    check = config_check(fake, "event-callback", config)
    assert (check.status, check.detail) == (
        "fail",
        f"the workspace sends its events to https://wfm.example.com/events, not {url}; "
        "its EventsFilter leaves out task.canceled",
    )
    assert "pulumi up --refresh" in (check.fix or "")
    found.update(event_callback_url=url, events_filter="task.canceled, task.completed")
    check = config_check(fake, "event-callback", config)
    assert (check.status, check.detail) == ("pass", f"{url} gets task.canceled, task.completed")
    found.update(events_filter=None)  # no filter: TaskRouter sends every event
    assert config_check(fake, "event-callback", config).detail == f"{url} gets every event"
