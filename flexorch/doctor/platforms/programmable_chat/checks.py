"""The config section on Programmable Chat: numbers on the handler, the chat service's webhooks.

A managed number's inbound SMS reach the handler through its own SmsUrl; the chat service posts
its events (`onMessageSent` for the agent's replies) to the handler too. The workspace, Workflow,
task channels and workers are checked as on every platform (`flexorch.doctor.checks`).
"""

from __future__ import annotations

from typing import Any

from flexorch.doctor.account import describe_flow
from flexorch.doctor.checks import (
    ServiceWebhooks,
    config_section,
    enabled_flows,
    flows_problem,
    missing_number,
    takers_problems,
)
from flexorch.doctor.platforms.programmable_chat.account import ChatAccount
from flexorch.doctor.report import Check, Label, refresh, sentence
from flexorch.twilio_facts import (
    PROXY_MESSAGE_WEBHOOK,
    chat_service_settings,
    flex_handoff,
    same_method,
    same_url,
    twilio_hosted,
)


def _chat_service(account: ChatAccount) -> tuple[str, dict[str, Any]] | None:
    service = account.chat_service()
    return None if service is None else (service.sid, chat_service_settings(service))


CHAT_SERVICE = ServiceWebhooks(
    Label("chat-service", "chat service webhooks"),
    service="chat service",
    named_where="Flex's configuration names it as chat_service_instance_sid",
    method="webhook_method",
    filters="webhook_filters",
    retries=True,
    read=_chat_service,
)


def config_checks(account: ChatAccount) -> list[Check]:
    """The stack's settings, live: numbers, chat service, workspace, Workflow, channels, workers."""
    return config_section(account, number_check, CHAT_SERVICE)


def flex_webhooks(account: ChatAccount, channel: Any) -> list[dict[str, Any]]:
    """A channel's webhooks that still hand its messages to Studio or Flex (see flex_handoff)."""
    found = []
    for webhook in account.channel_webhooks(channel.sid):
        target = flex_handoff(webhook.type, webhook.configuration)
        if target is not None:
            found.append(
                {"channel": channel.sid, "webhook": webhook.sid, "type": webhook.type, "to": target}
            )
    return found


def remove_webhooks(account: ChatAccount, webhooks: list[dict[str, Any]]) -> str:
    """The fix for `flex_webhooks`: the Twilio CLI line that deletes each of them."""
    service = account.config.chat_service.sid
    commands = "; ".join(
        "twilio api:chat:v2:services:channels:webhooks:remove "
        f"--service-sid {service} --channel-sid {w['channel']} --sid {w['webhook']}"
        for w in webhooks
    )
    return f"Delete {'it' if len(webhooks) == 1 else 'them'}: `{commands}`."


def number_check(account: ChatAccount, ref: str, label: Label) -> Check:
    """A number exists, no enabled Flex Flow takes it, and its SMS webhook is the handler."""
    config = account.config
    record = account.number(ref)
    if record is None:
        return missing_number(account, ref, label)
    e164 = record.phone_number
    expected_url, expected_method = config.handler.effective_sms_url, config.handler.method
    url, method = record.sms_url or "", record.sms_method or ""
    flows = enabled_flows(account, e164)
    evidence: dict[str, Any] = {
        "sid": record.sid,
        "number": e164,
        "sms_url": {"found": url, "expected": expected_url},
        "sms_method": {"found": method, "expected": expected_method},
        "enabled_flex_flows": [describe_flow(f) for f in flows],
    }
    problems: list[str] = []
    fixes: list[str] = []
    if flows:
        problem, fix = flows_problem(flows, config.flex_flows)
        problems.append(problem)
        fixes.append(fix)
    taken, undo, found = takers_problems(account, e164)
    problems += taken
    fixes += undo
    evidence.update(found)
    webhook_wrong = True
    if PROXY_MESSAGE_WEBHOOK.search(url):
        problems.append(
            "SmsUrl is Twilio's Proxy message webhook, so Flex's own handling still owns the number"
        )
    elif twilio_hosted(url):
        problems.append(
            "SmsUrl is a Twilio-hosted webhook, so Flex's own handling still owns the number"
        )
    elif not same_url(url, expected_url):
        problems.append(f"SmsUrl is {url or 'empty'}, not the handler {expected_url}")
    elif not same_method(method, expected_method):
        problems.append(f"SmsMethod is {method}, not {expected_method}")
    else:
        webhook_wrong = False
    if webhook_wrong:
        fixes.append(refresh("point the number's SMS webhook at the handler"))
    if problems:
        return label.check("fail", "; ".join(problems), evidence, sentence(fixes))
    detail = (
        f"{e164} ({record.sid}) sends SMS to {method} {url}; no enabled Flex Flow, Messaging "
        "Service or TwiML App takes it"
    )
    return label.check("pass", detail, evidence)
