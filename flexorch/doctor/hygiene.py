"""The hygiene section: account-wide leftovers that break conversations later."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from flexorch.doctor.account import Account, describe_flow, newest, oldest, parse_time
from flexorch.doctor.checks import flex_webhooks, guarded, remove_webhooks
from flexorch.doctor.report import EXAMPLES, Check
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
STALE_AFTER = timedelta(days=1)
# An active channel or open session younger than this may still be getting its task.
ORPHAN_GRACE = timedelta(minutes=10)
# Each channel costs one read of its webhooks: at most this many, most recently updated first.
WEBHOOK_SCAN = 100


def hygiene_checks(account: Account, now: datetime, judged: Iterable[str] = ()) -> list[Check]:
    """Account-wide leftovers that break conversations later; `judged` SIDs the walk covered."""
    judged = set(judged)
    return [
        guarded("flex-flows", "Flex Flows per number", lambda: flex_flows_check(account)),
        guarded(
            "channel-webhooks",
            "Studio/Flex webhooks on channels",
            lambda: _channel_webhooks(account, judged),
        ),
        guarded(
            "channel-limit",
            "chat users near the channel limit",
            lambda: channel_limit_check(account),
        ),
        guarded(
            "orphans",
            "orphaned channels and Proxy sessions",
            lambda: _orphans(account, now, judged),
        ),
        guarded(
            "studio-stale",
            "Studio executions left active",
            lambda: studio_stale_check(account, now),
        ),
    ]


def flex_flows_check(account: Account) -> Check:
    """Each managed number named by at most one enabled Flex Flow, none with the Janitor on."""
    title = "Flex Flows per number"
    flows = account.flex_flows()
    per_number: dict[str, Any] = {}
    crowded: list[str] = []
    janitors: list[str] = []
    for e164 in account.managed_numbers():
        naming = [f for f in flows if f.contact_identity in identities(e164)]
        enabled = [f for f in naming if f.enabled]
        janitor = [f for f in naming if f.janitor_enabled]
        per_number[e164] = {
            "flex_flows": len(naming),
            "enabled": [f.sid for f in enabled],
            "janitor_enabled": [f.sid for f in janitor],
        }
        if len(enabled) > 1:
            crowded.append(f"{e164} ({', '.join(describe_flow(f) for f in enabled)})")
        janitors += [f"{describe_flow(f)} on {e164}" for f in janitor]
    evidence: dict[str, Any] = {"numbers": per_number}
    if crowded:
        return Check(
            "flex-flows",
            title,
            "fail",
            f"more than one enabled Flex Flow names {'; '.join(crowded)}",
            evidence,
            "Delete the extra Flex Flows: at most one may name a number, and with "
            "custom orchestration none should be enabled.",
        )
    if janitors:
        return Check(
            "flex-flows",
            title,
            "warn",
            f"the Channel Janitor is on for Flex Flow {'; '.join(janitors)}: it "
            "deactivates channels and closes Proxy sessions behind your handler's back",
            evidence,
            "Turn it off: `twilio api:flex:v1:flex-flows:update --sid FO... "
            "--janitor-enabled=false`.",
        )
    summary = "; ".join(
        f"{n}: {v['flex_flows']} Flex Flow(s), {len(v['enabled'])} enabled"
        for n, v in per_number.items()
    )
    return Check("flex-flows", title, "pass", summary or "the stack manages no numbers", evidence)


def _channel_webhooks(account: Account, judged: set[str]) -> Check:
    title = "Studio/Flex webhooks on channels"
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
        return Check(
            "channel-webhooks",
            title,
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
    return Check(
        "channel-webhooks",
        title,
        "pass",
        f"{len(scanned)} active channel(s) of managed numbers, none with a Studio or Flex "
        f"webhook{more}",
        evidence,
    )


def channels_of_managed_numbers(account: Account, channels: list[Any]) -> list[Any]:
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


def channel_limit_check(account: Account) -> Check:
    """Chat users at or near the 1,000-channel limit (Twilio error 45207)."""
    title = "chat users near the channel limit"
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
        return Check(
            "channel-limit",
            title,
            "fail",
            f"{len(full)} user(s) at the {CHANNEL_LIMIT:,}-channel limit, so they cannot "
            f"join another channel (Twilio error 45207); near it: {listed}",
            evidence,
            fix,
        )
    if near:
        return Check(
            "channel-limit",
            title,
            "warn",
            f"{len(near)} user(s) in {CHANNEL_WARN}+ channels: {listed}",
            evidence,
            fix,
        )
    top = f"; most: {worst[0]['identity']} in {worst[0]['joined_channels']}" if worst else ""
    return Check(
        "channel-limit",
        title,
        "pass",
        f"{len(users)} chat users, none in {CHANNEL_WARN}+ channels{top}",
        evidence,
    )


def _orphans(account: Account, now: datetime, judged: set[str]) -> Check:
    title = "orphaned channels and Proxy sessions"
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
        return Check(
            "orphans",
            title,
            "fail",
            f"{len(channels)} active channel(s) and {len(sessions)} open Proxy "
            "session(s) outlived their task; the customer's next message lands there "
            f"and reaches no agent, e.g. {(channels + sessions)[0]}",
            evidence,
            "Set those channels' attributes status to INACTIVE and close the sessions, "
            "then make the handler do so whenever a task ends.",
        )
    return Check(
        "orphans",
        title,
        "pass",
        f"{len(active)} active channel(s) and {len(open_sessions)} open Proxy "
        "session(s), all with a live task",
        evidence,
    )


def studio_stale_check(account: Account, now: datetime) -> Check:
    """No Studio execution left active a day after its last step."""
    title = "Studio executions left active"
    active = [e for e in account.executions() if e.status == "active"]
    stale: list[tuple[timedelta, Any]] = []
    for execution in active:
        started = parse_time(execution.date_created)
        if started is None or now - started < STALE_AFTER:
            continue
        steps = account.steps(execution)
        last = parse_time(steps[-1].date_created) if steps else started
        if last is not None and now - last >= STALE_AFTER:
            stale.append((now - last, execution))
    stale.sort(key=lambda pair: pair[0], reverse=True)
    examples = [
        f"{e.sid} of {e.flow_sid} for {e.contact_channel_address} (last step {age(idle)} ago)"
        for idle, e in stale[:EXAMPLES]
    ]
    evidence = {"active": len(active), "stale": len(stale), "examples": examples}
    if stale:
        return Check(
            "studio-stale",
            title,
            "fail",
            f"{len(stale)} execution(s) active more than {age(STALE_AFTER)} after "
            "their last step; each swallows its contact's new messages, e.g. "
            f"{examples[0]}",
            evidence,
            "End them (`twilio api:studio:v2:flows:executions:update --flow-sid FW... "
            "--sid FN... --status ended`) and give the flow's waiting widgets a "
            "timeout.",
        )
    return Check(
        "studio-stale",
        title,
        "pass",
        f"{len(active)} active execution(s), none idle for {age(STALE_AFTER)}",
        evidence,
    )


def age(delta: timedelta) -> str:
    """A duration as the checks say it: days, hours or minutes."""
    seconds = int(delta.total_seconds())
    if seconds >= 86400:
        days = seconds // 86400
        return f"{days} day{'s' if days > 1 else ''}"
    if seconds >= 7200:
        return f"{seconds // 3600} h"
    return f"{max(seconds, 0) // 60} min"
