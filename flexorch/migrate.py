"""`flexorch migrate`: what moving a stack from Programmable Chat onto Flex Conversations touches.

Read-only, through the doctor's account reads of both platforms (GET requests only), and in the
doctor's verdicts:
an inventory of checks, where a `fail` is a blocker with its fix (exit 1) and a `warn` something
the move changes that a person should know of; then Twilio's two ways onto Conversations
(`flexorch.migrate_paths`: what each changes in the handler, call by call), and for each the
ordered plan of the move and its rollback, with this stack's names in them.

- `flex-ui`: Flex's Configuration pins the account's UI version; Conversations needs 2.x.
- `config`: what the stack file must say on Conversations on the path planned (each Chat event's
  Conversations twin; `taskCreation`; `orchestration` carried onto `flexActions` or dropped;
  `retryCount` goes).
- `number:+E164`: each managed number's handling now (Flex Flow, Flex's Proxy webhook, an SmsUrl,
  an Address Configuration already there), and what the cut-over does to it.
- `in-flight`: ACTIVE chat channels of managed numbers and open Proxy sessions, which a cut-over
  would strand: the customer's next SMS starts a new conversation, away from the agent's channel.
- `channel-limit`: chat users near the 1,000-membership limit (Twilio error 45207), which their
  conversations inherit (Chat and Conversations share the service).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flexorch.config import StackConfig
from flexorch.doctor.account import describe_flow, endpoint, parse_time, requests_made
from flexorch.doctor.checks import enabled_flows, guarded, missing_number
from flexorch.doctor.hygiene import age
from flexorch.doctor.platforms import for_stack
from flexorch.doctor.platforms.conversations.account import ConversationsAccount
from flexorch.doctor.platforms.conversations.checks import DEFAULTS, defaults_check
from flexorch.doctor.platforms.programmable_chat.account import ChatAccount
from flexorch.doctor.platforms.programmable_chat.hygiene import (
    CHANNEL_LIMIT_CHECK,
    channel_limit_check,
    channels_of_managed_numbers,
)
from flexorch.doctor.report import EXAMPLES, Check, Label, Report, Section, sentence
from flexorch.doctor.report import error_document as doctor_error_document
from flexorch.errors import FlexorchError
from flexorch.migrate_paths import (
    RECOMMENDED,
    VARIANTS,
    WHY,
    ConfigChange,
    MigrationPath,
    config_change,
    migration_path,
)
from flexorch.takers import TAKERS
from flexorch.twilio_facts import (
    OPEN_SESSION,
    PROXY_MESSAGE_WEBHOOK,
    address_settings,
    channel_status,
    conversations_twin,
    same_url,
)

SCHEMA = "flexorch-migrate/1"
# Flex's Configuration pins the UI as a semver range: "~2.17.1", "2.x", "^1.34".
FLEX_UI_2 = re.compile(r"^\D*2(\.|$)")

FLEX_UI = Label("flex-ui", "Flex UI version")
CONFIG = Label("config", "stack config on Conversations")
IN_FLIGHT = Label("in-flight", "conversations in flight")


class MigrationAccount(ChatAccount, ConversationsAccount):
    """Both platforms' reads through one cache: what the stack has on Chat, and on Conversations."""


@dataclass(frozen=True)
class NumberMove:
    """A managed number's check, and what its row in the text's table says (not in `--json`)."""

    check: Check
    now: str = ""
    """How its messages are handled now."""
    cut_over: str = ""
    """What the cut-over does to it."""
    blocker: str = ""
    """What stops the cut-over, if anything."""


@dataclass(frozen=True)
class Migration:
    """The inventory of one stack's move, and the paths planned from it (the first in full)."""

    report: Report
    paths: tuple[MigrationPath, ...]
    """The path chosen, else both, the recommended one first."""
    numbers: tuple[NumberMove, ...] = ()

    @property
    def plan(self) -> tuple[str, ...]:
        """The first path's plan: the one chosen, else the recommended one."""
        return self.paths[0].plan

    @property
    def rollback(self) -> tuple[str, ...]:
        """The first path's rollback."""
        return self.paths[0].rollback

    @property
    def exit_code(self) -> int:
        """1 when a blocker was found, else 0."""
        return self.report.exit_code

    def to_json(self) -> dict[str, Any]:
        """The stable machine-readable document printed by `--json`."""
        document = self.report.to_json()
        inventory = document.pop("sections")[0]["checks"]
        document.pop("message")
        return {
            **document,
            "schema": SCHEMA,
            "ready": self.exit_code == 0,
            "inventory": inventory,
            "plan": list(self.plan),
            "rollback": list(self.rollback),
            "taskCreation": self.paths[0].task_creation,
            "recommended": RECOMMENDED,
            "recommendation": WHY,
            "paths": {path.task_creation: path.to_json() for path in self.paths},
        }


def run_migrate(
    config: StackConfig,
    client: Any,
    *,
    stack: str = "",
    source: str = "",
    target: str = "",
    task_creation: str | None = None,
    now: datetime | None = None,
) -> Migration:
    """Inventory what moving `config`'s stack onto Conversations touches; plan the move.

    `target` is how the plan's commands name the stack (`--stack dev`, `--config FILE`);
    `task_creation` the path to plan (`interactions` or `taskrouter`), else both, the
    recommended one first.

    Raises:
        TwilioUnreachable: when Twilio cannot be reached or rejects the credentials.
    """
    started = time.monotonic()
    now = now or datetime.now(UTC)
    account = MigrationAccount(client, config)
    # Without a choice, both paths: the recommended one first.
    chosen = [task_creation] if task_creation else sorted(VARIANTS, key=lambda v: v != RECOMMENDED)
    numbers = [_guarded_number(account, ref) for ref in config.numbers]
    checks: list[Check] = [
        guarded(FLEX_UI, lambda: _flex_ui(account)),
        guarded(CONFIG, lambda: _config(config, config_change(config, VARIANTS[chosen[0]]))),
        *(move.check for move in numbers),
    ]
    checks.append(guarded(IN_FLIGHT, lambda: _in_flight(account, now)))
    checks.append(guarded(CHANNEL_LIMIT_CHECK, lambda: _limit(account)))
    checks.append(guarded(DEFAULTS, lambda: defaults_check(account)))
    report = Report(
        stack=stack,
        source=source,
        account_sid=account.account_sid,
        endpoint=endpoint(),
        sections=(Section("inventory", tuple(checks), "inventory"),),
        requests=requests_made(client),
        seconds=time.monotonic() - started,
    )
    target = target or (f"--stack {stack}" if stack else "--config FILE")
    pulumi_stack = f"--stack {stack}" if stack else ""
    paths = tuple(migration_path(config, tc, report, target, pulumi_stack) for tc in chosen)
    return Migration(report, paths, tuple(numbers))


def _guarded_number(account: MigrationAccount, ref: str) -> NumberMove:
    label = Label(f"number:{ref}", ref)
    moves: list[NumberMove] = []

    def judge() -> Check:
        moves.append(_number(account, ref, label))
        return moves[0].check

    check = guarded(label, judge)
    return moves[0] if moves else NumberMove(check)


def _flex_ui(account: MigrationAccount) -> Check:
    configuration = account.flex_configuration()
    version = str(getattr(configuration, "ui_version", "") or "")
    evidence = {"ui_version": version or None}
    upgrade = (
        "Upgrade the account to Flex UI 2.x before the cut-over (Twilio's Flex UI 2.0 migration "
        "guide; Console: Flex > Admin > Versioning), with the 2.x plugin files `flexorch render` "
        "writes from the Conversations config"
    )
    if configuration is None:
        return FLEX_UI.check(
            "fail",
            "the account has no Flex Configuration",
            evidence,
            "Point the stack at a Flex account (twilio:accountSid).",
        )
    if FLEX_UI_2.match(version):
        return FLEX_UI.check("pass", f"Flex UI {version}: Conversations runs on it", evidence)
    if not version:
        return FLEX_UI.check(
            "warn",
            "Flex's Configuration pins no UI version",
            evidence,
            upgrade + ", if it is not on 2.x already.",
        )
    return FLEX_UI.check(
        "fail",
        f"Flex UI {version}: Flex Conversations needs Flex UI 2.x",
        evidence,
        upgrade + ".",
    )


def _config(config: StackConfig, change: ConfigChange) -> Check:
    """What the stack file must say on the path planned first (`change`)."""
    if for_stack(config).on_conversations:
        return CONFIG.check(
            "pass", "the stack is on conversations already", {"platform": config.platform}
        )
    mapped = {event: conversations_twin(event) for event in config.chat_service.webhook_filters}
    lost = [event for event, new in mapped.items() if new is None]
    changes = change.lines()
    evidence = {"events": {e: new or "none" for e, new in mapped.items()}, "changes": changes}
    if lost:
        return CONFIG.check(
            "fail",
            f"{', '.join(lost)} has no Conversations webhook event",
            evidence,
            f"Drop {', '.join(lost)} from flexorch:chatService.webhookFilters (the handler gets "
            "that news another way on Conversations), then run migrate again.",
        )
    return CONFIG.check("pass", "; ".join(changes), evidence)


def _number(account: MigrationAccount, ref: str, label: Label) -> NumberMove:
    number = account.number(ref)
    if number is None:
        return NumberMove(missing_number(account, ref, label))
    e164 = str(number.phone_number)
    config = account.config
    flows = enabled_flows(account, e164)
    found = account.addresses_of(e164)
    address = address_settings(found[0]) if found else None
    sms_url = str(number.sms_url or "")
    handling = [f"Flex Flow {describe_flow(f)}" for f in flows]
    if PROXY_MESSAGE_WEBHOOK.search(sms_url):
        handling.append("SmsUrl on Flex's Proxy webhook")
    elif sms_url and same_url(sms_url, config.handler.effective_sms_url):
        handling.append("SmsUrl at this stack's handler")
    elif sms_url:
        handling.append(f"SmsUrl {sms_url}")
    if address:
        handling.append(f"Address Configuration {address['sid']} ({address['type'] or 'none'})")
    by_key = account.takers_of(e164)
    taken = [(t, r) for t in TAKERS for r in by_key.get(t.key, [])]
    handling += [taker.name(record) for taker, record in taken]
    now = "; ".join(handling) or "nothing handles its messages"
    evidence = {
        "sid": number.sid,
        "sms_url": sms_url,
        "flex_flows": [f.sid for f in flows],
        "address": address,
        **by_key,
    }
    refused = [(t, r) for t, r in taken if not t.undoes(getattr(config, t.key), r)]
    if refused:
        taker, record = refused[0]
        mode = getattr(config, taker.key)
        check = label.check(
            "fail",
            f"{now}: with {taker.config_key}: {mode} the cut-over stops on it",
            evidence,
            sentence(
                [taker.refusal(record) or taker.fix(record, e164) for taker, record in refused]
            ),
        )
        blocker = f"{taker.name(record)}, with {taker.config_key}: {mode}"
        return NumberMove(check, now, "stops on it", blocker)
    undone = "".join(
        f"; before that flexorch undoes {t.name(r)} ({t.config_key}: {t.fix_mode}; put back "
        "on destroy)"
        for t, r in taken
    )
    if flows and config.flex_flows == "fail":
        check = label.check(
            "fail",
            f"{now}: with flexFlows: fail the cut-over stops on it",
            evidence,
            "Disable the Flex Flow, or set flexorch:flexFlows: disable (flexorch disables it at "
            "the cut-over and enables it again on destroy).",
        )
        return NumberMove(check, now, "stops on it", "an enabled Flex Flow, with flexFlows: fail")
    if address:
        cut_over = (
            "adopts the Address Configuration (its settings recorded, put back on destroy or "
            "rollback) and empties the SmsUrl"
        )
        check = label.check(
            "warn",
            f"{now}: the cut-over {cut_over}{undone}",
            evidence,
            "If something other than Flex uses that Address Configuration, move it first: from "
            "the cut-over on it sends this number's messages to the handler.",
        )
        return NumberMove(check, now, cut_over + undone)
    cut_over = "gives it an Address Configuration at the handler, then empties its SmsUrl"
    check = label.check("pass", f"{now}: the cut-over {cut_over}{undone}", evidence)
    return NumberMove(check, now, cut_over + undone)


def _in_flight(account: MigrationAccount, now: datetime) -> Check:
    active = [c for c in account.channels() if channel_status(c) == "ACTIVE"]
    channels = channels_of_managed_numbers(account, active)
    sessions = [s for s in account.sessions() if s.status in OPEN_SESSION]
    started = [
        t for t in (parse_time(x.date_created) for x in [*channels, *sessions]) if t is not None
    ]
    oldest = age(now - min(started)) if started else None
    evidence = {
        "active_channels": len(channels),
        "open_sessions": len(sessions),
        "channels": [c.sid for c in channels[:EXAMPLES]],
        "sessions": [s.sid for s in sessions[:EXAMPLES]],
        "oldest": oldest,
    }
    if not channels and not sessions:
        return IN_FLIGHT.check(
            "pass", "no active chat channel of a managed number, no open Proxy session", evidence
        )
    return IN_FLIGHT.check(
        "fail",
        f"{len(channels)} active chat channel(s) of managed numbers and {len(sessions)} open "
        f"Proxy session(s) (the oldest started {oldest} ago): a cut-over strands them, as the "
        "customer's next SMS starts a new conversation away from the agent's channel",
        evidence,
        "Drain first: let them finish (task completed, channel INACTIVE, session closed) or "
        "close them, then run migrate again until this passes.",
    )


def _limit(account: MigrationAccount) -> Check:
    check = channel_limit_check(account)
    if check.status == "pass":
        return check
    detail = check.detail + "; Conversations counts the same memberships (one service)"
    return Check(check.id, check.title, check.status, detail, check.evidence, check.fix)


def write_migration(out: Any, migration: Migration, verbose: bool = False) -> None:
    """The verdict, blockers and warnings, the numbers as a table, what passed, plan, rollback.

    `out` is a rich console (`flexorch.doctor.text.console`): rich loads for text only.
    """
    from flexorch.doctor.text import Page

    report = migration.report
    page = Page(out)
    page.verdict(report, "migrate", "BLOCKED", "ready")
    page.problems(report)
    rows = [
        (
            move.check.status,
            (
                move.check.title,
                move.now or "-",
                move.cut_over or "-",
                move.blocker or (move.check.detail if move.check.status == "fail" else "none"),
            ),
        )
        for move in migration.numbers
    ]
    page.table("numbers", ("number", "handling now", "what the cut-over does", "blocker"), rows)
    # Without --verbose a number's passing check is its row.
    page.passing(report, verbose, () if verbose else [m.check.id for m in migration.numbers])
    paths = migration.paths
    page.numbered(
        "paths onto Flex Conversations",
        [
            f"({path.variant.letter}) taskCreation: {path.task_creation}, {path.variant.name}"
            f"{' (recommended)' if path.recommended else ''}: {path.variant.summary}."
            for path in paths
        ],
    )
    if len(paths) > 1:
        page.line(f"recommended: {paths[0].heading}, as {WHY}.", 2, "  ")
    for path in paths:
        page.numbered(
            f"handler {path.heading}: its calls now{page.marks.arrow}then",
            [f"{i}. {c.now}{page.marks.arrow}{c.then}" for i, c in enumerate(path.handler, 1)],
        )
        page.numbered(f"plan {path.heading}", path.plan)
        page.numbered(f"rollback {path.heading}", path.rollback)


def error_document(error: FlexorchError, **where: Any) -> dict[str, Any]:
    """The `--json` document of a run that stopped before the inventory (exit 2 or 3)."""
    document = doctor_error_document(error, **where)
    document.pop("sections")
    document.pop("message")
    return {**document, "schema": SCHEMA, "ready": False, "inventory": [], "plan": [],
            "rollback": [], "taskCreation": None, "recommended": RECOMMENDED,
            "recommendation": WHY, "paths": {}}  # fmt: skip
