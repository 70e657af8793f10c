"""The hygiene section on Flex Conversations: leftovers that break conversations later.

As on every platform (`flexorch.doctor.hygiene`): Flex Flows per managed number, Studio
executions left active. As on Programmable Chat, adapted: a channel's Studio webhook is a
conversation's scoped webhook of target studio; an active channel without a live task is an
active conversation without one. New: a managed number whose SMS address is Flex's own handling
(type studio or default) or missing. Left out: Chat channels themselves, and the 1,000-channel
limit. Its Conversations counterpart (an identity in at most 1,000 active or inactive
conversations, closed ones not counted:
https://www.twilio.com/docs/conversations/conversations-limits) has no count to read in one
request: it would take a list of each agent's conversations.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from flexorch.doctor.account import newest, oldest, parse_time
from flexorch.doctor.hygiene import WEBHOOK_SCAN, age, hygiene_section
from flexorch.doctor.platforms.conversations.account import ConversationsAccount, binding
from flexorch.doctor.platforms.conversations.checks import (
    flex_handles,
    remove_webhooks,
    studio_webhooks,
)
from flexorch.doctor.report import EXAMPLES, Check, Label
from flexorch.twilio_facts import FINISHED_TASK, address_settings

# An active conversation idle this long without a live task is an orphan.
ORPHAN_AFTER = timedelta(days=1)

ADDRESSES = Label("addresses", "SMS addresses of managed numbers")
CONVERSATION_WEBHOOKS = Label("conversation-webhooks", "Studio/Flex webhooks on conversations")
ORPHANS = Label("orphans", "orphaned conversations")


def hygiene_checks(
    account: ConversationsAccount, now: datetime, judged: Iterable[str] = ()
) -> list[Check]:
    """Account-wide leftovers; `judged` the SIDs and numbers another section covered."""
    judged = set(judged)
    return hygiene_section(
        account,
        now,
        [
            (ADDRESSES, lambda: _addresses(account, judged)),
            (CONVERSATION_WEBHOOKS, lambda: _conversation_webhooks(account, judged)),
            (ORPHANS, lambda: _orphans(account, now, judged)),
        ],
    )


def _addresses(account: ConversationsAccount, judged: set[str]) -> Check:
    managed = list(account.managed_numbers())
    left = [e164 for e164 in managed if e164 not in judged]
    if not left:
        return ADDRESSES.check(
            "skipped",
            "each managed number's address is judged above"
            if managed
            else "the stack manages no numbers",
            {"numbers": managed},
        )
    per_number: dict[str, Any] = {}
    wrong: list[str] = []
    for e164 in left:
        found = account.addresses_of(e164)
        if not found:
            per_number[e164] = None
            wrong.append(f"{e164} has no SMS Address Configuration")
            continue
        settings = address_settings(found[0])
        per_number[e164] = {
            "address": settings["sid"],
            "type": settings["type"],
            "auto_creation": settings["enabled"],
        }
        if not settings["enabled"]:
            wrong.append(f"{e164}: address {settings['sid']} has autoCreation off")
        elif settings["type"] != "webhook":
            wrong.append(f"{e164}: {flex_handles(settings)}")
    evidence: dict[str, Any] = {
        "numbers": per_number,
        "judged_above": sorted(judged & set(managed)),
    }
    if wrong:
        return ADDRESSES.check(
            "fail",
            f"{len(wrong)} managed number(s) do not hand their SMS to the handler: "
            + "; ".join(wrong),
            evidence,
            "Run `pulumi up --refresh` for this stack: it gives each managed number an address of "
            "type "
            "webhook to the handler (type studio or default is Flex's own handling).",
        )
    return ADDRESSES.check(
        "pass",
        f"{len(left)} managed number(s) with an address of type webhook: {', '.join(left)}",
        evidence,
    )


def _conversation_webhooks(account: ConversationsAccount, judged: set[str]) -> Check:
    active = [c for c in account.active_conversations() if c.sid not in judged]
    scanned = newest(active, "date_updated")[:WEBHOOK_SCAN]
    flagged = [w for c in scanned for w in studio_webhooks(account, c.sid)]
    # Only conversations on a managed number are this stack's: a web chat's Studio webhook is
    # Flex's own, and fine. Participants are read only for the flagged ones.
    managed = set(account.managed_numbers())
    ours: dict[str, bool] = {}
    for webhook in flagged:
        sid = webhook["conversation"]
        if sid not in ours:
            numbers = {binding(p).get("proxy_address") for p in account.participants(sid)}
            ours[sid] = bool(numbers & managed)
    found = [w for w in flagged if ours[w["conversation"]]]
    evidence: dict[str, Any] = {
        "active_conversations": len(active),
        "scanned": len(scanned),
        "flex_webhooks": len(found),
        "examples": found[:EXAMPLES],
    }
    if found:
        first = found[0]
        conversations = len({w["conversation"] for w in found})
        more = len(found) - EXAMPLES
        return CONVERSATION_WEBHOOKS.check(
            "fail",
            f"{len(found)} webhook(s) on {conversations} active conversation(s) of managed "
            "numbers still hand messages to Studio or Flex, so the customer's next SMS goes "
            f"there too, e.g. {first['conversation']} has {first['webhook']} "
            f"({first['target']}, to {first['to']})",
            evidence,
            remove_webhooks(account, found[:EXAMPLES])
            + (f" Then run doctor again for the other {more}." if more > 0 else ""),
        )
    unread = len(active) - len(scanned)
    rest = f"; the {unread} least recently updated not read" if unread else ""
    return CONVERSATION_WEBHOOKS.check(
        "pass",
        f"{len(scanned)} active conversation(s) read, none of a managed number with a Studio "
        f"or Flex webhook{rest}",
        evidence,
    )


def _orphans(account: ConversationsAccount, now: datetime, judged: set[str]) -> Check:
    tasks = account.tasks_by_conversation()
    active = [c for c in account.active_conversations() if c.sid not in judged]
    orphans = []
    for conversation in oldest(active, "date_updated"):
        since = parse_time(conversation.date_updated or conversation.date_created)
        if since is None or now - since < ORPHAN_AFTER:
            continue
        found = tasks.get(conversation.sid)
        if found and found[0].assignment_status not in FINISHED_TASK:
            continue
        why = f"task {found[0].sid} {found[0].assignment_status}" if found else "no task"
        name = f"{conversation.friendly_name}, " if conversation.friendly_name else ""
        orphans.append(f"{conversation.sid} ({name}{why}, idle {age(now - since)})")
    evidence = {
        "active_conversations": len(active),
        "orphans": len(orphans),
        "idle_after": age(ORPHAN_AFTER),
        "examples": orphans[:EXAMPLES],
    }
    service = account.config.chat_service.sid
    if orphans:
        return ORPHANS.check(
            "fail",
            f"{len(orphans)} active conversation(s) idle for {age(ORPHAN_AFTER)} or more "
            "outlived their task; the customer's next message lands there and reaches no "
            f"agent, e.g. {orphans[0]}",
            evidence,
            "Close them (`twilio api:conversations:v1:services:conversations:update "
            f"--chat-service-sid {service} --sid CH... --state closed`), then make the handler "
            "close the conversation (or its Interaction Channel) whenever a task ends.",
        )
    return ORPHANS.check(
        "pass",
        f"{len(active)} active conversation(s), none idle for {age(ORPHAN_AFTER)} without a "
        "live task",
        evidence,
    )
