"""The hygiene section on Programmable Chat: chat channels and Proxy sessions left behind.

Between the Flex Flows and the Studio executions every platform checks
(`flexorch.doctor.hygiene`): Studio/Flex webhooks left on the active channels of managed
numbers, chat users near the 1,000-channel limit, and channels and Proxy sessions that outlived
their task. The walked message's channel and session are left to the walk (steps 4 and 8 report
its webhooks and a channel left active).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from flexorch.doctor.account import newest, oldest, parse_time
from flexorch.doctor.hygiene import WEBHOOK_SCAN, hygiene_section
from flexorch.doctor.platforms.programmable_chat.account import ChatAccount
from flexorch.doctor.platforms.programmable_chat.checks import flex_webhooks, remove_webhooks
from flexorch.doctor.report import EXAMPLES, Check, Label
from flexorch.twilio_facts import (
    CHANNEL_LIMIT,
    CHANNEL_SID,
    FINISHED_TASK,
    OPEN_SESSION,
    attributes_of,
    channel_status,
    identities,
)

CHANNEL_WARN = 900
# An active channel or open session younger than this may still be getting its task.
ORPHAN_GRACE = timedelta(minutes=10)

CHANNEL_WEBHOOKS = Label("channel-webhooks", "Studio/Flex webhooks on channels")
CHANNEL_LIMIT_CHECK = Label("channel-limit", "chat users near the channel limit")
ORPHANS = Label("orphans", "orphaned channels and Proxy sessions")


def hygiene_checks(account: ChatAccount, now: datetime, judged: Iterable[str] = ()) -> list[Check]:
    """Account-wide leftovers that break conversations later; `judged` SIDs the walk covered."""
    judged = set(judged)
    return hygiene_section(
        account,
        now,
        [
            (CHANNEL_WEBHOOKS, lambda: _channel_webhooks(account, judged)),
            (CHANNEL_LIMIT_CHECK, lambda: channel_limit_check(account)),
            (ORPHANS, lambda: _orphans(account, now, judged)),
        ],
    )


def _channel_webhooks(account: ChatAccount, judged: set[str]) -> Check:
    active = [
        c for c in account.channels() if channel_status(c) == "ACTIVE" and c.sid not in judged
    ]
    managed = channels_of_managed_numbers(account, active)
    scanned = newest(managed, "date_updated")[:WEBHOOK_SCAN]
    found = [w for channel in scanned for w in flex_webhooks(account, channel)]
    evidence: dict[str, Any] = {
        "active_channels": len(active),
        "of_managed_numbers": len(managed),
        "scanned": len(scanned),
        "flex_webhooks": len(found),
        "examples": found[:EXAMPLES],
    }
    if found:
        first = found[0]
        channels = len({w["channel"] for w in found})
        return CHANNEL_WEBHOOKS.check(
            "fail",
            f"{len(found)} webhook(s) on {channels} active channel(s) of managed numbers still "
            "hand messages to Studio or Flex, so a returning customer's SMS goes there again, "
            f"e.g. {first['channel']} has {first['webhook']} ({first['type']}, to {first['to']})",
            evidence,
            remove_webhooks(account, found[:EXAMPLES])
            + (
                f" Then run doctor again for the other {len(found) - EXAMPLES}."
                if len(found) > EXAMPLES
                else ""
            ),
        )
    unread = len(managed) - len(scanned)
    more = f"; the {unread} least recently updated not read" if unread else ""
    return CHANNEL_WEBHOOKS.check(
        "pass",
        f"{len(scanned)} active channel(s) of managed numbers, none with a Studio or Flex "
        f"webhook{more}",
        evidence,
    )


def channels_of_managed_numbers(account: ChatAccount, channels: list[Any]) -> list[Any]:
    """The channels that name a managed number, or whose customer texted one.

    Flex's channels name the customer (`attributes.from`, the friendly name) rather than the
    number; the number's inbound messages say who its customers are.
    """
    managed = account.managed_numbers()
    forms = {form for e164 in managed for form in identities(e164)}

    def names_number(channel: Any) -> bool:
        values = [channel.friendly_name, channel.unique_name]
        values += attributes_of(channel.attributes).values()
        return any(isinstance(v, str) and v in forms for v in values)

    named = {c.sid for c in channels if names_number(c)}
    if len(named) < len(channels):
        customers = {
            m.from_
            for e164 in managed
            for m in account.messages_to(e164)
            if m.direction == "inbound"
        }
        named |= {
            c.sid
            for c in channels
            if attributes_of(c.attributes).get("from") in customers or c.friendly_name in customers
        }
    return [c for c in channels if c.sid in named]


def channel_limit_check(account: ChatAccount) -> Check:
    """Chat users at or near the 1,000-channel limit (Twilio error 45207)."""
    users = sorted(account.users(), key=lambda u: -(u.joined_channels_count or 0))
    worst = [
        {"identity": u.identity, "joined_channels": u.joined_channels_count or 0}
        for u in users[:EXAMPLES]
    ]
    evidence: dict[str, Any] = {
        "users": len(users),
        "limit": CHANNEL_LIMIT,
        "warn_at": CHANNEL_WARN,
        "worst": worst,
    }
    full = [u for u in users if (u.joined_channels_count or 0) >= CHANNEL_LIMIT]
    near = [u for u in users if CHANNEL_WARN <= (u.joined_channels_count or 0) < CHANNEL_LIMIT]
    evidence.update(at_limit=len(full), near_limit=len(near))
    fix = (
        "Have agents leave channels when tasks end (LeaveChatChannel in "
        "flexorch:orchestration.completed, or the handler removes the member) and remove their "
        "memberships of inactive channels."
    )
    listed = ", ".join(f"{u.identity} ({u.joined_channels_count})" for u in (full + near)[:5])
    if full:
        return CHANNEL_LIMIT_CHECK.check(
            "fail",
            f"{len(full)} user(s) at the {CHANNEL_LIMIT:,}-channel limit, so they cannot "
            f"join another channel (Twilio error 45207); near it: {listed}",
            evidence,
            fix,
        )
    if near:
        return CHANNEL_LIMIT_CHECK.check(
            "warn",
            f"{len(near)} user(s) in {CHANNEL_WARN}+ channels: {listed}",
            evidence,
            fix,
        )
    top = f"; most: {worst[0]['identity']} in {worst[0]['joined_channels']}" if worst else ""
    return CHANNEL_LIMIT_CHECK.check(
        "pass",
        f"{len(users)} chat users, none in {CHANNEL_WARN}+ channels{top}",
        evidence,
    )


def _orphans(account: ChatAccount, now: datetime, judged: set[str]) -> Check:
    tasks = account.tasks_by_channel()

    def task_gone(channel_sid: str, since: Any) -> str | None:
        """Why the conversation is over (its task finished or deleted), or None."""
        found = tasks.get(channel_sid)
        if found:
            status = found[0].assignment_status
            return f"task {found[0].sid} {status}" if status in FINISHED_TASK else None
        when = parse_time(since)
        if when is not None and now - when < ORPHAN_GRACE:
            return None
        return "no task"

    active = [
        c for c in account.channels() if channel_status(c) == "ACTIVE" and c.sid not in judged
    ]
    channels = []
    for channel in oldest(active):
        why = task_gone(channel.sid, channel.date_updated)
        if why:
            channels.append(
                f"{channel.sid} ({attributes_of(channel.attributes).get('from')}, {why})"
            )
    sessions = []
    open_sessions = [
        s for s in account.sessions() if s.status in OPEN_SESSION and s.sid not in judged
    ]
    for session in oldest(open_sessions):
        if CHANNEL_SID.fullmatch(session.unique_name or ""):
            why = task_gone(session.unique_name, session.date_updated)
            if why:
                sessions.append(f"{session.sid} (channel {session.unique_name}, {why})")
    evidence = {
        "active_channels": len(active),
        "orphan_channels": len(channels),
        "open_sessions": len(open_sessions),
        "orphan_sessions": len(sessions),
        "examples": (channels + sessions)[:EXAMPLES],
    }
    if channels or sessions:
        return ORPHANS.check(
            "fail",
            f"{len(channels)} active channel(s) and {len(sessions)} open Proxy "
            "session(s) outlived their task; the customer's next message lands there "
            f"and reaches no agent, e.g. {(channels + sessions)[0]}",
            evidence,
            "Set those channels' attributes status to INACTIVE and close the sessions, "
            "then make the handler do so whenever a task ends.",
        )
    return ORPHANS.check(
        "pass",
        f"{len(active)} active channel(s) and {len(open_sessions)} open Proxy "
        "session(s), all with a live task",
        evidence,
    )
