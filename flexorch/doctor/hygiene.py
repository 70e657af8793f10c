"""The hygiene section's frame: account-wide leftovers that break conversations later.

Every platform's hygiene starts with the Flex Flows of its managed numbers and ends with the
Studio executions left active (both checked here, the same on each); in between, the platform's
own checks (`flexorch.doctor.platforms`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from flexorch.doctor.account import Account, describe_flow, parse_time
from flexorch.doctor.checks import guarded
from flexorch.doctor.report import EXAMPLES, Check, Label
from flexorch.twilio_facts import identities

STALE_AFTER = timedelta(days=1)
# Each channel or conversation costs one read of its webhooks: at most this many, most recently
# updated first.
WEBHOOK_SCAN = 100

FLEX_FLOWS = Label("flex-flows", "Flex Flows per number")
STUDIO_STALE = Label("studio-stale", "Studio executions left active")


def hygiene_section(
    account: Account, now: datetime, own: Iterable[tuple[Label, Callable[[], Check]]]
) -> list[Check]:
    """Flex Flows per number, the platform's `own` checks in order, Studio executions."""
    checks = [guarded(FLEX_FLOWS, lambda: flex_flows_check(account))]
    checks += [guarded(label, run) for label, run in own]
    checks.append(guarded(STUDIO_STALE, lambda: studio_stale_check(account, now)))
    return checks


def flex_flows_check(account: Account) -> Check:
    """Each managed number named by at most one enabled Flex Flow, none with the Janitor on."""
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
        return FLEX_FLOWS.check(
            "fail",
            f"more than one enabled Flex Flow names {'; '.join(crowded)}",
            evidence,
            "Delete the extra Flex Flows: at most one may name a number, and with "
            "custom orchestration none should be enabled.",
        )
    if janitors:
        return FLEX_FLOWS.check(
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
    return FLEX_FLOWS.check("pass", summary or "the stack manages no numbers", evidence)


def studio_stale_check(account: Account, now: datetime) -> Check:
    """No Studio execution left active a day after its last step."""
    active = [e for e in account.executions() if e.status == "active"]
    stale: list[tuple[timedelta, Any]] = []
    for execution in active:
        started = parse_time(execution.date_created)
        if started is None or now - started < STALE_AFTER:
            continue
        steps = account.execution_steps(execution)
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
        return STUDIO_STALE.check(
            "fail",
            f"{len(stale)} execution(s) active more than {age(STALE_AFTER)} after "
            "their last step; each swallows its contact's new messages, e.g. "
            f"{examples[0]}",
            evidence,
            "End them (`twilio api:studio:v2:flows:executions:update --flow-sid FW... "
            "--sid FN... --status ended`) and give the flow's waiting widgets a "
            "timeout.",
        )
    return STUDIO_STALE.check(
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
