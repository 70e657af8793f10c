"""The config section on Flex Conversations: numbers on their addresses, the service's webhooks.

On Conversations a managed number's inbound SMS reach the handler through its Address
Configuration (autoCreation of type webhook, to smsUrl), and its own "a message comes in"
SmsUrl stays empty: Twilio runs a SmsUrl in parallel with the address.
https://www.twilio.com/docs/flex/admin-guide/setup/conversations/manage-conversations-sms-addresses
The workspace, Workflow, task channels and workers are checked as on every platform
(`flexorch.doctor.checks`).
"""

from __future__ import annotations

from typing import Any

from flexorch.doctor.account import describe_flow
from flexorch.doctor.checks import (
    ServiceWebhooks,
    config_section,
    enabled_flows,
    flows_problem,
    guarded,
    missing_number,
    takers_problems,
)
from flexorch.doctor.platforms.conversations.account import ConversationsAccount
from flexorch.doctor.report import Check, Label, refresh, sentence
from flexorch.twilio_facts import (
    ADDRESS_WEBHOOK_FILTERS,
    PROXY_MESSAGE_WEBHOOK,
    address_settings,
    attributes_of,
    conversations_webhook_settings,
    same_duration,
    same_events,
    same_method,
    same_url,
    twilio_hosted,
)

SMS_URL_FIX = refresh("empty the number's SmsUrl (its Address Configuration takes its messages)")
ADDRESS_FIX = refresh("point the number's Address Configuration at the handler")


def _service_webhooks(account: ConversationsAccount) -> tuple[str, dict[str, Any]] | None:
    webhooks = account.service_webhooks()
    if webhooks is None:
        return None
    return account.config.chat_service.sid, conversations_webhook_settings(webhooks)


CONVERSATIONS_SERVICE = ServiceWebhooks(
    Label("conversations-service", "Conversations service webhooks"),
    service="Conversations service",
    named_where="Conversations > Manage > Defaults names it, usually Flex Chat Service",
    method="method",
    filters="filters",
    retries=False,
    read=_service_webhooks,
)


def config_checks(account: ConversationsAccount) -> list[Check]:
    """The stack's settings, live: numbers, the Conversations service, TaskRouter, defaults."""
    checks = config_section(account, number_check, CONVERSATIONS_SERVICE)
    return [*checks, guarded(DEFAULTS, lambda: defaults_check(account))]


DEFAULTS = Label("conversations-defaults", "Conversations account defaults")


def defaults_check(account: ConversationsAccount) -> Check:
    """The Flex service is the account's default, and conversations close on their own.

    Twilio's Flex Conversations best practices: Flex's service must be the account's default
    Conversations service, and close timers keep conversations from piling up (a participant
    identity is in at most 1,000). Warnings: messages still reach the handler without them.
    """
    found = account.configuration()
    service = account.config.chat_service.sid
    wanted = account.config.conversation_timers
    default = getattr(found, "default_chat_service_sid", None) or ""
    timers = {
        "inactive": getattr(found, "default_inactive_timer", None) or "",
        "closed": getattr(found, "default_closed_timer", None) or "",
    }
    evidence: dict[str, Any] = {"default_chat_service_sid": default, "timers": timers}
    problems, fixes = [], []
    if default != service:
        problems.append(
            f"the account's default Conversations service is {default or 'not set'}, not the "
            f"Flex service {service}"
        )
        fixes.append(
            "make it the default (Console: Conversations > Defaults, or `twilio api:"
            f"conversations:v1:configuration:update --default-chat-service-sid {service}`)"
        )
    if wanted is not None:
        asked: dict[str, str] = wanted.model_dump(exclude_none=True)
        evidence["wanted"] = asked
        off = [n for n, v in asked.items() if not same_duration(v, timers[n])]
        if off:
            problems.append(
                "the "
                + " and ".join(f"{n} timer is {timers[n] or 'unset'}" for n in off)
                + ", not as flexorch:conversationTimers sets it"
            )
            fixes.append(refresh("set the timers again"))
    elif not timers["closed"]:
        problems.append("no default closed timer: conversations stay open until closed by hand")
        fixes.append(
            "set flexorch:conversationTimers.closed (e.g. P1D; at least PT10M), or close "
            "conversations from the handler when their task completes"
        )
    if problems:
        return DEFAULTS.check("warn", "; ".join(problems), evidence, sentence(fixes))
    detail = f"default service {default}; timers: inactive {timers['inactive'] or 'unset'}, "
    detail += f"closed {timers['closed']}"
    return DEFAULTS.check("pass", detail, evidence)


def sms_url_problem(url: str) -> str:
    """What a non-empty SmsUrl does on Conversations."""
    if PROXY_MESSAGE_WEBHOOK.search(url):
        what = "Twilio's Proxy message webhook (Flex's own handling)"
    elif twilio_hosted(url):
        what = f"the Twilio-hosted {url} (Flex's own handling)"
    else:
        what = url
    return f"SmsUrl is {what}, which runs in parallel with the number's address; it must be empty"


def address_problems(
    account: ConversationsAccount, e164: str
) -> tuple[dict[str, Any], list[str], Any]:
    """How a number's SMS Address Configuration differs from the one `up` leaves.

    Returns the evidence, the problems and the address (None when it has none).
    """
    config = account.config
    found = account.addresses_of(e164)
    if not found:
        message = "it has no SMS Address Configuration, so Conversations does not take its SMS"
        return {"address": None}, [message], None
    if len(found) > 1:
        sids = [a.sid for a in found]
        return {"addresses": sids}, [f"it has {len(found)} SMS Address Configurations"], found[0]
    address = found[0]
    settings = address_settings(address)
    url, method = config.handler.effective_sms_url, config.handler.method
    filters = settings["webhook_filters"]
    wanted = sorted(set(filters) | set(ADDRESS_WEBHOOK_FILTERS))
    evidence: dict[str, Any] = {
        "address": settings["sid"],
        "auto_creation": {"found": settings["enabled"], "expected": True},
        "type": {"found": settings["type"], "expected": "webhook"},
        "webhook_url": {"found": settings["webhook_url"], "expected": url},
        "webhook_method": {"found": settings["webhook_method"], "expected": method},
        "webhook_filters": {"found": sorted(filters), "expected": wanted},
        "conversation_service_sid": {
            "found": settings["conversation_service_sid"],
            "expected": config.chat_service.sid,
        },
    }
    sid = settings["sid"]
    if not settings["enabled"]:
        return (
            evidence,
            [f"address {sid} has autoCreation off, so an SMS starts no conversation"],
            address,
        )
    if settings["type"] != "webhook":
        return evidence, [flex_handles(settings)], address
    problems = []
    if not same_url(settings["webhook_url"], url):
        problems.append(
            f"address {sid} sends new conversations to {settings['webhook_url'] or 'no URL'}, "
            f"not the handler {url}"
        )
    if not same_method(settings["webhook_method"], method):
        problems.append(
            f"address {sid} calls the handler with {settings['webhook_method']}, not {method}"
        )
    if not same_events(sorted(filters), wanted):
        missing = ", ".join(sorted(set(ADDRESS_WEBHOOK_FILTERS) - set(filters)))
        problems.append(f"address {sid} has webhook filters without {missing}")
    if settings["conversation_service_sid"] != config.chat_service.sid:
        problems.append(
            f"address {sid} creates conversations in "
            f"{settings['conversation_service_sid'] or 'the default service'}, not "
            f"{config.chat_service.sid} (flexorch:chatService.sid)"
        )
    return evidence, problems, address


def flex_handles(settings: dict[str, Any]) -> str:
    """What an address of type studio or default does: Flex's own handling takes the number."""
    sid, kind = settings["sid"], settings["type"] or "(none)"
    if kind == "studio":
        target = f"Studio flow {settings['studio_flow_sid'] or '(none)'}"
    else:
        target = "Flex's own handling"
    return f"address {sid} is of type {kind}: new conversations go to {target}, not the handler"


def number_check(account: ConversationsAccount, ref: str, label: Label) -> Check:
    """A number exists, no Flex Flow takes it, its SmsUrl is empty and its address is right."""
    record = account.number(ref)
    if record is None:
        return missing_number(account, ref, label)
    e164 = record.phone_number
    url = record.sms_url or ""
    flows = enabled_flows(account, e164)
    evidence: dict[str, Any] = {
        "sid": record.sid,
        "number": e164,
        "sms_url": {"found": url, "expected": ""},
        "enabled_flex_flows": [describe_flow(f) for f in flows],
    }
    problems: list[str] = []
    fixes: list[str] = []
    if flows:
        problem, fix = flows_problem(flows, account.config.flex_flows)
        problems.append(problem)
        fixes.append(fix)
    taken, undo, found_takers = takers_problems(account, e164)
    problems += taken
    fixes += undo
    evidence.update(found_takers)
    if url:
        problems.append(sms_url_problem(url))
        fixes.append(SMS_URL_FIX)
    found, wrong, address = address_problems(account, e164)
    evidence.update(found)
    if wrong:
        problems += wrong
        fixes.append(ADDRESS_FIX)
    if problems:
        return label.check("fail", "; ".join(problems), evidence, sentence(fixes))
    handler = account.config.handler
    detail = (
        f"{e164} ({record.sid}): address {address.sid} starts conversations in "
        f"{account.config.chat_service.sid} and sends onMessageAdded to {handler.method} "
        f"{handler.effective_sms_url}; SmsUrl empty; no enabled Flex Flow, Messaging Service "
        "or TwiML App takes it"
    )
    return label.check("pass", detail, evidence)


def studio_webhooks(account: ConversationsAccount, conversation: str) -> list[dict[str, Any]]:
    """A conversation's scoped webhooks that still hand its messages to Studio or to Flex.

    A Studio address (Flex's own handling) gives each conversation it creates a scoped webhook
    of target `studio`; it outlives the switch to the handler, and every message added to the
    conversation then goes there too. The handler's own webhook (the address's) is no such one.
    """
    found = []
    for webhook in account.conversation_webhooks(conversation):
        configuration = attributes_of(webhook.configuration)
        url = configuration.get("url")
        if webhook.target == "studio":
            target = f"Studio flow {configuration.get('flow_sid') or '(none)'}"
        elif isinstance(url, str) and twilio_hosted(url):
            target = url
        else:
            continue
        found.append(
            {
                "conversation": conversation,
                "webhook": webhook.sid,
                "target": webhook.target,
                "to": target,
            }
        )
    return found


def remove_webhooks(account: ConversationsAccount, webhooks: list[dict[str, Any]]) -> str:
    """The fix for `studio_webhooks`: the Twilio CLI line that deletes each of them."""
    service = account.config.chat_service.sid
    commands = "; ".join(
        "twilio api:conversations:v1:services:conversations:webhooks:remove "
        f"--chat-service-sid {service} --conversation-sid {w['conversation']} --sid {w['webhook']}"
        for w in webhooks
    )
    return f"Delete {'it' if len(webhooks) == 1 else 'them'}: `{commands}`."
