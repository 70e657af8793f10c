"""`flexorch doctor`: Flex's messaging troubleshooting checklist, run read-only against an account.

Three sections, each a list of checks that report pass, fail, warn or skipped with their evidence
(SIDs, values found vs expected) and, when something is wrong, the fix in one sentence:

- `config` (when no message is named): every managed number exists, no enabled Flex Flow takes it
  and its SMS webhook points at the handler; the chat service's webhooks, the workspace, the
  contact_uri Workflow, the task channels and the workers' contact_uri attributes match the stack.
- `message` (with `--message SM...`, or `--from +E164` for the latest inbound message from that
  customer to a managed number): the eight steps of DESIGN.md in order. A step whose step it
  depends on failed is `skipped`, naming that step, rather than a second failure. The message's
  number, the Workflow and the workers are judged by steps 2, 6 and 7, so the config section is
  left out.
- `hygiene` (always): Flex Flows per managed number, chat users near the 1,000-channel limit,
  orphaned channels and Proxy sessions, Studio executions left active. The walked message's
  channel and session are left to the walk (step 8 reports a channel left active).

Doctor relies on the conventions of Flex and of Twilio's custom-orchestration guide:
- the handler creates the customer's chat channel the way Flex's Channels API does, with channel
  attributes `{"from": <customer address>, "status": "ACTIVE" | "INACTIVE", ...}`, and posts each
  inbound SMS into it with the same body;
- the task's attributes hold `channelSid` and the target attribute (`targetWorker`) set to the
  agent's worker `contact_uri` (`client:alice`); the agent's chat identity is that contact_uri
  without `client:`;
- Flex names a Proxy session after its chat channel (`unique_name` is the channel SID); Proxy is
  "in use" for a message when such a session exists or the number is in a Proxy service's pool,
  and Studio when a Studio execution exists for the customer's address.

Only GET requests are made (the sandbox's request log proves it in the tests). Each Twilio list is
read once per run, at most `MAX_SCAN` records (one page).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml

from flexorch.config import AGENT_PERMISSIONS, E164, StackConfig
from flexorch.errors import FlexorchError
from flexorch.resources.base import same_method, same_url
from flexorch.resources.chat_webhooks import same_events
from flexorch.resources.client import (
    BASE_URL_ENV,
    Credentials,
    RetryingHttpClient,
    TwilioApiError,
    make_client,
    twilio_call,
)
from flexorch.resources.flex_flow_guard import IDENTITY_PREFIXES
from flexorch.resources.phone_number import flex_owned
from flexorch.routing import filter_expression, target_expression

Status = Literal["pass", "fail", "warn", "skipped"]
T = TypeVar("T")

SCHEMA = "flexorch-doctor/1"
# Twilio error 45207: a Chat user can be a member of at most 1,000 channels.
CHANNEL_LIMIT = 1000
CHANNEL_WARN = 900
STALE_AFTER = timedelta(days=1)
# An active channel or open session younger than this may still be getting its task.
ORPHAN_GRACE = timedelta(minutes=10)
MAX_SCAN = 1000
EXAMPLES = 5
MESSAGE_SID = re.compile(r"(SM|MM)[0-9a-fA-F]{32}")
CHANNEL_SID = re.compile(r"CH[0-9a-fA-F]{32}")
PROXY_MESSAGE_WEBHOOK = re.compile(r"/Proxy/KS[0-9a-fA-F]{32}/Webhooks/Message")
ACCEPTED = ("accepted", "wrapping", "completed")
FINISHED = ("completed", "canceled")
OPEN_SESSION = ("open", "in-progress")
# HTTP Request widgets leave by `failed`, Run Function widgets by `fail`.
FAILED_TRANSITIONS = ("failed", "fail")
STATUS_ORDER: tuple[Status, ...] = ("pass", "fail", "warn", "skipped")


# --- the report ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One check's verdict."""

    id: str
    title: str
    status: Status
    detail: str
    evidence: dict[str, Any] = field(default_factory=dict)
    fix: str = ""

    def to_json(self) -> dict[str, Any]:
        """The check as it appears in `--json` output."""
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "evidence": self.evidence,
            "fix": self.fix or None,
        }


@dataclass(frozen=True)
class Section:
    """A named group of checks: `config`, `message` or `hygiene`."""

    name: str
    checks: tuple[Check, ...]
    heading: str = ""


@dataclass(frozen=True)
class Report:
    """Everything one doctor run found."""

    stack: str
    source: str
    account_sid: str
    endpoint: str
    sections: tuple[Section, ...]
    message: dict[str, str] | None = None
    requests: int = 0
    seconds: float = 0.0

    @property
    def checks(self) -> list[Check]:
        """Every check, in order."""
        return [check for section in self.sections for check in section.checks]

    def check(self, check_id: str) -> Check:
        """The check with this id."""
        for check in self.checks:
            if check.id == check_id:
                return check
        raise KeyError(check_id)

    @property
    def exit_code(self) -> int:
        """1 when a check failed, else 0 (warnings and skipped checks do not fail)."""
        return 1 if any(c.status == "fail" for c in self.checks) else 0

    def counts(self) -> dict[str, int]:
        """How many checks have each status."""
        return {status: sum(c.status == status for c in self.checks) for status in STATUS_ORDER}

    def to_json(self) -> dict[str, Any]:
        """The stable machine-readable document printed by `--json`."""
        return {
            "schema": SCHEMA,
            "stack": self.stack,
            "source": self.source,
            "account_sid": self.account_sid,
            "endpoint": self.endpoint,
            "message": self.message,
            "exit_code": self.exit_code,
            "counts": self.counts(),
            "requests": self.requests,
            "sections": [
                {"name": s.name, "checks": [c.to_json() for c in s.checks]} for s in self.sections
            ],
        }


# --- small readers ------------------------------------------------------------------------


def _attributes(text: Any) -> dict[str, Any]:
    """A JSON attributes string as a dict; anything unreadable is empty."""
    if isinstance(text, dict):
        return text
    try:
        value = json.loads(text or "{}")
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _lookup(attributes: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted TaskRouter attribute path, or None."""
    value: Any = attributes
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _when(value: Any) -> datetime | None:
    """A timestamp from the SDK (datetime, ISO 8601 or RFC 2822 text), in UTC."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None


def _stamp(value: Any) -> str | None:
    when = _when(value)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if when else None


def _age(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds >= 86400:
        days = seconds // 86400
        return f"{days} day{'s' if days > 1 else ''}"
    if seconds >= 7200:
        return f"{seconds // 3600} h"
    return f"{max(seconds, 0) // 60} min"


def _oldest(records: Iterable[Any], attribute: str = "date_created") -> list[Any]:
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(records, key=lambda r: _when(getattr(r, attribute, None)) or far)


def _newest(records: Iterable[Any], attribute: str = "date_created") -> list[Any]:
    return list(reversed(_oldest(records, attribute)))


def _norm(expression: Any) -> str:
    return " ".join(str(expression or "").split())


def chat_identity(contact_uri: str) -> str:
    """The Flex chat identity of a worker: its contact_uri without `client:`."""
    return contact_uri.removeprefix("client:")


def _identities(e164: str) -> set[str]:
    return {prefix + e164 for prefix in IDENTITY_PREFIXES}


def _flow(flow: Any) -> str:
    return f'{flow.sid} "{flow.friendly_name}" ({flow.contact_identity})'


def _sentence(parts: list[str]) -> str:
    text = " and ".join(p for p in parts if p)
    return text[:1].upper() + text[1:] + "." if text else ""


def _read(what: str, fetch: Callable[[], T], missing: T) -> T:
    """One read; a 404 gives `missing`, a 401 TwilioUnreachable, others a TwilioApiError."""
    result = missing
    with twilio_call("doctor", what, missing_ok=True):
        result = fetch()
    return result


# --- the account, read once ---------------------------------------------------------------


class Account:
    """Read-only, cached look-ups: each Twilio list is read at most once per run."""

    def __init__(self, client: Any, config: StackConfig) -> None:
        """Read through `client` what `config` names."""
        self.client = client
        self.config = config
        self._cache: dict[tuple[str, ...], Any] = {}

    def _list(self, key: tuple[str, ...], what: str, collection: Any, **filters: Any) -> list[Any]:
        """`collection.list(...)` once per run, at most MAX_SCAN records; [] on a 404."""
        filters.setdefault("limit", MAX_SCAN)
        if key not in self._cache:
            self._cache[key] = _read(what, lambda: list(collection.list(**filters)), [])
        found: list[Any] = self._cache[key]
        return found

    def _fetch(self, key: tuple[str, ...], what: str, context: Any) -> Any:
        """`context.fetch()` once per run; None on a 404."""
        if key not in self._cache:
            self._cache[key] = _read(what, context.fetch, None)
        return self._cache[key]

    @property
    def account_sid(self) -> str:
        """The account being read."""
        return str(self.client.account_sid)

    # Messaging

    def message(self, sid: str) -> Any:
        """The message with this SID, or None."""
        return self._fetch(("message", sid), f"fetch message {sid}", self.client.messages(sid))

    def messages_from(self, address: str) -> list[Any]:
        """The latest messages sent by `address` (Twilio lists newest first)."""
        return self._list(
            ("messages", address),
            f"list messages from {address}",
            self.client.messages,
            from_=address,
            limit=50,
        )

    def number(self, ref: str) -> Any:
        """The IncomingPhoneNumber for an E.164 number or PN SID, or None."""
        numbers = self.client.incoming_phone_numbers
        if ref.startswith("PN"):
            return self._fetch(("number", ref), f"fetch number {ref}", numbers(ref))
        found = self._list(
            ("number", ref), f"look up number {ref}", numbers, phone_number=ref, limit=2
        )
        return found[0] if found else None

    def managed_numbers(self) -> dict[str, str]:
        """E.164 -> configured reference, for the managed numbers (PN SIDs that exist)."""
        out: dict[str, str] = {}
        for ref in self.config.numbers:
            if not ref.startswith("PN"):
                out[ref] = ref
            elif (record := self.number(ref)) is not None:
                out[record.phone_number] = ref
        return out

    def flex_flows(self) -> list[Any]:
        """Every Flex Flow of the account."""
        return self._list(("flex_flows",), "list Flex Flows", self.client.flex_api.v1.flex_flow)

    # TaskRouter

    def workspaces(self) -> list[Any]:
        """The workspaces matching flexorch:workspace (one when all is well)."""
        ref = self.config.workspace
        workspaces = self.client.taskrouter.v1.workspaces
        if ref.sid:
            found = self._fetch(("workspace",), f"fetch workspace {ref.sid}", workspaces(ref.sid))
            return [found] if found is not None else []
        name = ref.friendly_name
        listed = self._list(
            ("workspace",), f'look up workspace "{name}"', workspaces, friendly_name=name, limit=20
        )
        return [w for w in listed if w.friendly_name == name]

    def workspace(self) -> Any:
        """The one workspace, or None."""
        found = self.workspaces()
        return found[0] if len(found) == 1 else None

    def _workspace_list(self, key: str, what: str, path: str, **filters: Any) -> list[Any]:
        """A list under the workspace (`path` like "tasks"); [] without a workspace."""
        ws = self.workspace()
        if ws is None:
            return []
        collection: Any = self.client.taskrouter.v1.workspaces(ws.sid)
        for part in path.split("."):
            name, _, sid = part.partition(":")
            collection = getattr(collection, name)
            if sid:
                collection = collection(sid)
        return self._list((key,), what, collection, **filters)

    def workflows(self) -> list[Any]:
        """The workspace's Workflows named like the stack's."""
        name = self.config.workflow.friendly_name
        found = self._workspace_list(
            "workflows", f'look up Workflow "{name}"', "workflows", friendly_name=name, limit=20
        )
        return [w for w in found if w.friendly_name == name]

    def task_channels(self) -> list[Any]:
        """The workspace's TaskChannels."""
        return self._workspace_list("task_channels", "list TaskChannels", "task_channels")

    def workers(self) -> list[Any]:
        """The workspace's workers."""
        return self._workspace_list("workers", "list workers", "workers")

    def tasks(self) -> list[Any]:
        """The workspace's tasks (TaskRouter keeps finished ones for a while)."""
        return self._workspace_list("tasks", "list tasks", "tasks")

    def reservations(self, task_sid: str) -> list[Any]:
        """A task's reservations."""
        return self._workspace_list(
            f"reservations {task_sid}",
            f"list reservations of {task_sid}",
            f"tasks:{task_sid}.reservations",
            limit=50,
        )

    def contact_uris(self) -> dict[str, list[Any]]:
        """contact_uri -> the workers that carry it."""
        out: dict[str, list[Any]] = {}
        for worker in self.workers():
            uri = _attributes(worker.attributes).get("contact_uri")
            if isinstance(uri, str) and uri:
                out.setdefault(uri, []).append(worker)
        return out

    def tasks_by_channel(self) -> dict[str, list[Any]]:
        """Chat channel SID -> the tasks whose `channelSid` attribute names it, newest first."""
        out: dict[str, list[Any]] = {}
        for task in _newest(self.tasks()):
            channel = _attributes(task.attributes).get("channelSid")
            if isinstance(channel, str):
                out.setdefault(channel, []).append(task)
        return out

    # Chat

    def _chat(self) -> Any:
        return self.client.chat.v2.services(self.config.chat_service.sid)

    def chat_service(self) -> Any:
        """The stack's chat service, or None."""
        return self._fetch(("chat_service",), "fetch the chat service", self._chat())

    def channels(self) -> list[Any]:
        """The chat service's channels."""
        return self._list(("channels",), "list chat channels", self._chat().channels)

    def chat_messages(self, channel: str) -> list[Any]:
        """A channel's latest messages."""
        return self._list(
            ("chat_messages", channel),
            f"list messages of {channel}",
            self._chat().channels(channel).messages,
            order="desc",
            limit=50,
        )

    def members(self, channel: str) -> list[Any]:
        """A channel's members."""
        return self._list(
            ("members", channel),
            f"list members of {channel}",
            self._chat().channels(channel).members,
        )

    def roles(self) -> dict[str, Any]:
        """The chat service's roles by SID."""
        roles = self._list(("roles",), "list chat roles", self._chat().roles)
        return {role.sid: role for role in roles}

    def users(self) -> list[Any]:
        """The chat service's users."""
        return self._list(("users",), "list chat users", self._chat().users)

    # Proxy and Studio

    def proxy_services(self) -> list[Any]:
        """The account's Proxy services."""
        return self._list(("proxy",), "list Proxy services", self.client.proxy.v1.services)

    def _proxy(self, sid: str) -> Any:
        return self.client.proxy.v1.services(sid)

    def sessions(self) -> list[Any]:
        """Every Proxy session of every Proxy service."""
        out: list[Any] = []
        for service in self.proxy_services():
            out += self._list(
                ("sessions", service.sid),
                f"list Proxy sessions of {service.sid}",
                self._proxy(service.sid).sessions,
            )
        return out

    def interactions(self, session: Any) -> list[Any]:
        """A Proxy session's interactions."""
        handle = self._proxy(session.service_sid).sessions(session.sid)
        return self._list(
            ("interactions", session.sid),
            f"list interactions of {session.sid}",
            handle.interactions,
            limit=50,
        )

    def proxy_pools(self) -> dict[str, list[str]]:
        """Proxy service SID -> the phone numbers in its pool."""
        out: dict[str, list[str]] = {}
        for service in self.proxy_services():
            numbers = self._list(
                ("proxy_numbers", service.sid),
                f"list numbers of {service.sid}",
                self._proxy(service.sid).phone_numbers,
            )
            out[service.sid] = [n.phone_number for n in numbers]
        return out

    def studio_flows(self) -> list[Any]:
        """The account's Studio flows."""
        return self._list(("studio",), "list Studio flows", self.client.studio.v2.flows)

    def executions(self) -> list[Any]:
        """Every execution of every Studio flow."""
        out: list[Any] = []
        for flow in self.studio_flows():
            out += self._list(
                ("executions", flow.sid),
                f"list executions of {flow.sid}",
                self.client.studio.v2.flows(flow.sid).executions,
            )
        return out

    def steps(self, execution: Any) -> list[Any]:
        """A Studio execution's steps, oldest first."""
        handle = self.client.studio.v2.flows(execution.flow_sid).executions(execution.sid)
        steps = self._list(("steps", execution.sid), f"list steps of {execution.sid}", handle.steps)
        return _oldest(steps)


def _guarded(check_id: str, title: str, run: Callable[[], Check]) -> Check:
    """Run a check; a read Twilio refuses (not a 401) fails that check, not the run."""
    try:
        return run()
    except TwilioApiError as exc:
        return Check(
            check_id,
            title,
            "fail",
            f"Twilio refused a read: {exc}",
            {"error": str(exc)},
            "Check that the credentials may read this product (an API key needs read access).",
        )


# --- checks shared by sections ------------------------------------------------------------


def number_check(account: Account, ref: str, check_id: str, title: str) -> Check:
    """A number exists, no enabled Flex Flow takes it, and its SMS webhook is the handler."""
    config = account.config
    record = account.number(ref)
    if record is None:
        return Check(
            check_id,
            title,
            "fail",
            f"{ref} is not a phone number of account {account.account_sid}",
            {"number": ref},
            "Check flexorch:numbers and the credentials: the number must belong to the "
            "account doctor reads.",
        )
    e164 = record.phone_number
    expected_url, expected_method = config.handler.effective_sms_url, config.handler.method
    url, method = record.sms_url or "", record.sms_method or ""
    flows = [
        f for f in account.flex_flows() if f.enabled and f.contact_identity in _identities(e164)
    ]
    evidence: dict[str, Any] = {
        "sid": record.sid,
        "number": e164,
        "sms_url": {"found": url, "expected": expected_url},
        "sms_method": {"found": method, "expected": expected_method},
        "enabled_flex_flows": [_flow(f) for f in flows],
    }
    problems: list[str] = []
    fixes: list[str] = []
    if flows:
        names = ", ".join(_flow(f) for f in flows)
        problems.append(f"enabled Flex Flow {names} still takes its messages")
        fixes.append(
            f"disable {'it' if len(flows) == 1 else 'them'} (or set flexorch:flexFlows: disable)"
        )
    webhook_wrong = True
    if PROXY_MESSAGE_WEBHOOK.search(url):
        problems.append(
            "SmsUrl is Twilio's Proxy message webhook, so Flex's own handling still owns the number"
        )
    elif flex_owned(url):
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
        fixes.append(
            "run `pulumi up` for this stack to point the number's SMS webhook at the handler"
        )
    if problems:
        return Check(check_id, title, "fail", "; ".join(problems), evidence, _sentence(fixes))
    detail = f"{e164} ({record.sid}) sends SMS to {method} {url}; no enabled Flex Flow takes it"
    return Check(check_id, title, "pass", detail, evidence)


# --- config -------------------------------------------------------------------------------


def config_checks(account: Account) -> list[Check]:
    """The stack's settings, live: numbers, chat service, workspace, Workflow, channels, workers."""
    config = account.config
    checks = [_number(account, ref) for ref in config.numbers]
    checks.append(_guarded("chat-service", "chat service webhooks", lambda: _chat_service(account)))
    workspace = _guarded("workspace", "TaskRouter workspace", lambda: _workspace(account))
    checks.append(workspace)
    dependents: list[tuple[str, str, Callable[[], Check]]] = [
        ("workflow", "contact_uri Workflow", lambda: _workflow(account)),
        ("task-channels", "task channels", lambda: _task_channels(account)),
        ("workers", "workers with a contact_uri", lambda: _workers(account)),
    ]
    for check_id, title, run in dependents:
        if workspace.status == "fail":
            checks.append(Check(check_id, title, "skipped", "because the workspace check failed"))
        else:
            checks.append(_guarded(check_id, title, run))
    return checks


def _number(account: Account, ref: str) -> Check:
    check_id, title = f"number:{ref}", f"number {ref}"
    return _guarded(check_id, title, lambda: number_check(account, ref, check_id, title))


def _chat_service(account: Account) -> Check:
    chat = account.config.chat_service
    handler = account.config.handler
    title = "chat service webhooks"
    service = account.chat_service()
    if service is None:
        return Check(
            "chat-service",
            title,
            "fail",
            f"chat service {chat.sid} does not exist",
            {"sid": chat.sid},
            "Set flexorch:chatService.sid to the Flex chat service of this account "
            "(Flex's configuration names it as chat_service_instance_sid).",
        )
    url = handler.effective_chat_url
    found = {
        "pre_webhook_url": service.pre_webhook_url or "",
        "post_webhook_url": service.post_webhook_url or "",
        "webhook_method": service.webhook_method or "",
        "webhook_filters": sorted(service.webhook_filters or []),
    }
    expected: dict[str, Any] = {
        "webhook_method": handler.method,
        "webhook_filters": sorted(chat.webhook_filters),
    }
    # Without pre (post) events the stack leaves that URL as it was: only the others are judged.
    if chat.pre_events:
        expected["pre_webhook_url"] = url
    if chat.post_events:
        expected["post_webhook_url"] = url
    same = {"webhook_method": same_method, "webhook_filters": same_events}
    wrong = [k for k, v in expected.items() if not same.get(k, same_url)(found[k], v)]
    evidence: dict[str, Any] = {"sid": service.sid}
    evidence.update({k: {"found": found[k], "expected": v} for k, v in expected.items()})
    retries = {
        "pre_webhook_retry_count": service.pre_webhook_retry_count,
        "post_webhook_retry_count": service.post_webhook_retry_count,
    }
    judged = [k for k in retries if k.split("_")[0] + "_webhook_url" in expected]
    off = [k for k in judged if (retries[k] or 0) != chat.retry_count]
    evidence.update({k: {"found": retries[k], "expected": chat.retry_count} for k in judged})
    fix = "Run `pulumi up` for this stack to restore the chat service's webhooks."
    if wrong:
        listed = ", ".join(f"{k} is {found[k] or 'empty'!r}" for k in wrong)
        return Check(
            "chat-service",
            title,
            "fail",
            f"{service.sid} does not send its events to the handler as the stack says: {listed}",
            evidence,
            fix,
        )
    if off:
        listed = ", ".join(f"{k} is {retries[k]}" for k in off)
        return Check(
            "chat-service",
            title,
            "warn",
            f"{service.sid} retries differently from the stack ({listed}, not {chat.retry_count})",
            evidence,
            fix,
        )
    events = ", ".join(chat.webhook_filters)
    return Check(
        "chat-service",
        title,
        "pass",
        f"{service.sid} sends {events} to {handler.method} {url}",
        evidence,
    )


def _workspace(account: Account) -> Check:
    ref = account.config.workspace
    found = account.workspaces()
    title = "TaskRouter workspace"
    if len(found) == 1:
        ws = found[0]
        return Check(
            "workspace",
            title,
            "pass",
            f'{ws.sid} "{ws.friendly_name}"',
            {"sid": ws.sid, "friendly_name": ws.friendly_name},
        )
    if not found:
        return Check(
            "workspace",
            title,
            "fail",
            f"no TaskRouter workspace {ref.describe()}",
            {"looked_up": ref.describe()},
            "Set flexorch:workspace to the Flex workspace of this account "
            '(usually friendlyName: "Flex Task Assignment").',
        )
    sids = [w.sid for w in found]
    return Check(
        "workspace",
        title,
        "fail",
        f"{len(found)} workspaces are named {ref.describe()}",
        {"sids": sids},
        "Set flexorch:workspace.sid to the Flex workspace's SID.",
    )


def _workflow(account: Account) -> Check:
    config = account.config
    title = "contact_uri Workflow"
    name = config.workflow.friendly_name
    found = account.workflows()
    ws = account.workspace()
    if not found:
        return Check(
            "workflow",
            title,
            "fail",
            f'no Workflow named "{name}" in {ws.sid}',
            {"workspace": ws.sid, "friendly_name": name},
            "Run `pulumi up` for this stack: it creates the contact_uri Workflow.",
        )
    if len(found) > 1:
        return Check(
            "workflow",
            title,
            "fail",
            f'{len(found)} Workflows are named "{name}"',
            {"sids": [w.sid for w in found]},
            "Delete the Workflows this stack does not own (`pulumi stack export` names its one).",
        )
    workflow = found[0]
    document = _attributes(workflow.configuration)
    filters = document.get("task_routing", {}).get("filters", [])
    target = target_expression(config)
    matching = [
        f
        for f in filters
        if any(_norm(t.get("expression")) == _norm(target) for t in f.get("targets", []))
    ]
    targets = [t.get("expression") for f in filters for t in f.get("targets", [])]
    evidence: dict[str, Any] = {
        "sid": workflow.sid,
        "target": {"found": targets, "expected": target},
    }
    fix = "Run `pulumi up` for this stack to restore the Workflow's document."
    if not matching:
        return Check(
            "workflow",
            title,
            "fail",
            f"{workflow.sid} does not route on {target}, so tasks do not reach the agent they name",
            evidence,
            fix,
        )
    wanted = filter_expression(config)
    evidence["filter"] = {"found": matching[0].get("expression"), "expected": wanted}
    if _norm(matching[0].get("expression")) != _norm(wanted):
        return Check(
            "workflow",
            title,
            "warn",
            f"{workflow.sid}'s filter is {matching[0].get('expression')!r}, the "
            f"stack's is {wanted!r}",
            evidence,
            fix,
        )
    return Check("workflow", title, "pass", f'{workflow.sid} "{name}" routes on {target}', evidence)


def _task_channels(account: Account) -> Check:
    title = "task channels"
    found = {c.unique_name: c.sid for c in account.task_channels()}
    wanted = [c.unique_name for c in account.config.task_channels]
    missing = [name for name in wanted if name not in found]
    evidence = {"found": {n: found[n] for n in wanted if n in found}, "missing": missing}
    if missing:
        return Check(
            "task-channels",
            title,
            "fail",
            f"TaskChannel {', '.join(missing)} does not exist in the workspace",
            evidence,
            "Run `pulumi up` for this stack to create the task channels.",
        )
    detail = ", ".join(f"{n} {found[n]}" for n in wanted) or "the stack declares none"
    return Check("task-channels", title, "pass", detail, evidence)


def _workers(account: Account) -> Check:
    title = "workers with a contact_uri"
    uris = account.contact_uris()
    evidence: dict[str, Any] = {
        "workers": len(account.workers()),
        "contact_uris": {u: [w.sid for w in ws] for u, ws in sorted(uris.items())[:EXAMPLES]},
    }
    if not uris:
        return Check(
            "workers",
            title,
            "warn",
            "no worker has a contact_uri attribute, so no task can name its agent",
            evidence,
            "Have each agent log in to Flex once (Flex sets contact_uri on the worker) "
            "or add contact_uri to the workers' attributes.",
        )
    duplicates = {u: ws for u, ws in uris.items() if len(ws) > 1}
    if duplicates:
        uri, workers = sorted(duplicates.items())[0]
        evidence["duplicates"] = {u: [w.sid for w in ws] for u, ws in sorted(duplicates.items())}
        return Check(
            "workers",
            title,
            "warn",
            f"contact_uri {uri} is on {len(workers)} workers "
            f"({', '.join(w.sid for w in workers)}), so its tasks may go to either",
            evidence,
            "Give every worker its own contact_uri (delete the duplicate workers).",
        )
    listed = ", ".join(sorted(uris)[:EXAMPLES])
    return Check(
        "workers", title, "pass", f"{len(uris)} workers with a contact_uri: {listed}", evidence
    )


# --- the message walk ---------------------------------------------------------------------

STEPS = {
    1: ("1-received", "1. message received"),
    2: ("2-number", "2. number on the handler"),
    3: ("3-proxy", "3. Proxy session"),
    4: ("4-channel", "4. chat channel"),
    5: ("5-studio", "5. Studio execution"),
    6: ("6-task", "6. TaskRouter task"),
    7: ("7-agent", "7. agent accepted and joined"),
    8: ("8-completed", "8. completed and closed"),
}
# A step runs only when the steps it needs did not fail.
DEPENDS = {2: (1,), 3: (2,), 4: (2,), 5: (2,), 6: (4, 5), 7: (6,), 8: (7,)}


class Walk:
    """The eight steps for one inbound message, in order, each given what earlier ones found."""

    def __init__(self, account: Account, message_sid: str | None, sender: str | None) -> None:
        """Walk `message_sid`, or the latest inbound message from `sender`."""
        self.account = account
        self.config = account.config
        self.message_sid = message_sid
        self.sender = sender
        self.message: Any = None
        self.channel: Any = None
        self.session: Any = None
        self.task: Any = None
        self.results: dict[int, Check] = {}
        self.root: dict[int, int] = {}

    @property
    def customer(self) -> str:
        """The customer's address (the message's From)."""
        return str(self.message.from_)

    def run(self) -> list[Check]:
        """Every step's check."""
        order: list[tuple[int, Callable[[], Check]]] = [
            (1, self.received),
            (2, self.number),
            (4, self.chat_channel),
            (3, self.proxy),
            (5, self.studio),
            (6, self.routed_task),
            (7, self.agent),
            (8, self.completed),
        ]
        # Step 3 finds its session by the chat channel, so step 4 is looked at first.
        for step, run in order:
            check_id, title = STEPS[step]
            blocked = [
                self.root.get(d, d)
                for d in DEPENDS.get(step, ())
                if self.results[d].status == "fail" or d in self.root
            ]
            if blocked:
                self.root[step] = blocked[0]
                reason = f"because step {blocked[0]} failed"
                self.results[step] = Check(check_id, title, "skipped", reason)
                continue
            self.results[step] = _guarded(check_id, title, run)
        return [self.results[step] for step in sorted(self.results)]

    def _check(
        self, step: int, status: Status, detail: str, evidence: dict[str, Any], fix: str = ""
    ) -> Check:
        check_id, title = STEPS[step]
        return Check(check_id, title, status, detail, evidence, fix)

    # 1
    def received(self) -> Check:
        """Did Twilio receive the message (Messages, direction inbound)."""
        managed = self.account.managed_numbers()
        if self.message_sid:
            message = self.account.message(self.message_sid)
            if message is None:
                return self._check(
                    1,
                    "fail",
                    f"no message {self.message_sid} in account {self.account.account_sid}",
                    {"sid": self.message_sid},
                    "Copy the SID from the Messaging logs of the account the "
                    "credentials belong to.",
                )
            if message.direction != "inbound":
                return self._check(
                    1,
                    "fail",
                    f"{message.sid} is {message.direction} (sent by this account), "
                    "not a customer's inbound message",
                    {"sid": message.sid, "direction": message.direction},
                    "Walk the customer's inbound message, or use --from with "
                    "the customer's number.",
                )
        else:
            sender = str(self.sender)
            sent = self.account.messages_from(sender)
            inbound = [m for m in sent if m.direction == "inbound" and m.to in managed]
            if not inbound:
                to = ", ".join(managed) or "none (flexorch:numbers is empty)"
                return self._check(
                    1,
                    "fail",
                    f"no inbound message from {sender} to a managed number ({to})",
                    {
                        "from": sender,
                        "managed_numbers": list(managed),
                        "messages_from_sender": len(sent),
                    },
                    "Check that the customer texts one of the stack's numbers "
                    "and that Twilio did not block it (Messaging logs, errors "
                    "21610 and 30007).",
                )
            message = _newest(inbound, "date_sent")[0]
        self.message = message
        evidence = {
            "sid": message.sid,
            "from": message.from_,
            "to": message.to,
            "direction": message.direction,
            "status": message.status,
            "date_sent": _stamp(message.date_sent or message.date_created),
        }
        detail = f"{message.sid} from {message.from_} to {message.to}, {message.status}"
        return self._check(1, "pass", detail, evidence)

    # 2
    def number(self) -> Check:
        """Is the number free of Flex Flows and pointed at the handler."""
        to = str(self.message.to)
        ref = self.account.managed_numbers().get(to)
        check_id, title = STEPS[2]
        if ref is None:
            return self._check(
                2,
                "fail",
                f"{to} is not one of this stack's numbers, so the stack does not "
                "route it to the handler",
                {"number": to, "managed_numbers": list(self.config.numbers)},
                "Add the number to flexorch:numbers and run `pulumi up`, or walk "
                "a message sent to a managed number.",
            )
        return number_check(self.account, ref, check_id, title)

    # 4 (looked at before 3)
    def chat_channel(self) -> Check:
        """Is there a chat channel with the customer's message."""
        customer = self.customer
        channels = self.account.channels()
        mine = _newest(c for c in channels if _attributes(c.attributes).get("from") == customer)
        sid = self.config.chat_service.sid
        if not mine:
            return self._check(
                4,
                "fail",
                f"no channel of chat service {sid} has attributes.from "
                f"{customer} ({len(channels)} channels looked at)",
                {"chat_service": sid, "customer": customer, "channels_scanned": len(channels)},
                "Make the handler create the customer's chat channel (Flex's "
                "Channels API, with the customer's address as identity) before "
                "it creates the task.",
            )
        body = (self.message.body or "").strip()
        for channel in mine[:3]:
            for posted in self.account.chat_messages(channel.sid):
                same = (posted.body or "").strip() == body if body else posted.from_ == customer
                if same:
                    self.channel = channel
                    status = _attributes(channel.attributes).get("status")
                    return self._check(
                        4,
                        "pass",
                        f"{channel.sid} holds the customer's message {posted.sid}",
                        {
                            "channel": channel.sid,
                            "chat_message": posted.sid,
                            "channel_status": status,
                            "channels_of_customer": len(mine),
                        },
                    )
        self.channel = mine[0]
        return self._check(
            4,
            "fail",
            f"{mine[0].sid} is the customer's channel, but none of its latest messages is the SMS",
            {"channel": mine[0].sid, "channels_of_customer": len(mine), "sms_body": body},
            "Make the handler post each inbound SMS into the customer's channel "
            "(Chat Messages API, from the customer's identity).",
        )

    # 3
    def proxy(self) -> Check:
        """If Proxy is in use, is there a Session with an Interaction."""
        to = str(self.message.to)
        pools = [ks for ks, numbers in self.account.proxy_pools().items() if to in numbers]
        named = []
        if self.channel is not None:
            named = [s for s in self.account.sessions() if s.unique_name == self.channel.sid]
        if not named:
            if not pools:
                return self._check(
                    3,
                    "skipped",
                    "Proxy is not in use for this message (no session named after "
                    "its chat channel, the number is in no Proxy pool)",
                    {"proxy_services": len(self.account.proxy_services())},
                )
            if self.channel is None:
                return self._check(
                    3,
                    "skipped",
                    "because step 4 failed (Flex names the session after the chat channel)",
                    {"proxy_pools": pools},
                )
            return self._check(
                3,
                "fail",
                f"{to} is in the pool of Proxy service {pools[0]}, but no session "
                f"is named after channel {self.channel.sid}",
                {"proxy_pools": pools, "channel": self.channel.sid},
                "Create the Proxy session with uniqueName set to the chat channel "
                "SID, or take the number out of the Proxy pool.",
            )
        session = _newest(named)[0]
        self.session = session
        interactions = self.account.interactions(session)
        evidence = {
            "session": session.sid,
            "service": session.service_sid,
            "status": session.status,
            "interactions": len(interactions),
        }
        if not interactions:
            return self._check(
                3,
                "fail",
                f"Proxy session {session.sid} ({session.status}) has no "
                "interaction, so the message did not go through it",
                evidence,
                "Check the session's participants (the customer's number and "
                "the proxy number) and the Proxy service's callbacks in the "
                "Proxy logs.",
            )
        channel_status = str(_attributes(self.channel.attributes).get("status", "")).upper()
        if session.status not in OPEN_SESSION and channel_status == "ACTIVE":
            return self._check(
                3,
                "fail",
                f"Proxy session {session.sid} is {session.status} "
                f"({session.closed_reason or 'no reason given'}) while channel "
                f"{self.channel.sid} is still active",
                evidence,
                "Lengthen the session's ttl, or close the chat channel when the session ends.",
            )
        return self._check(
            3,
            "pass",
            f"Proxy session {session.sid} ({session.status}) with "
            f"{len(interactions)} interaction(s)",
            evidence,
        )

    # 5
    def studio(self) -> Check:
        """If Studio is in use, did its execution for the customer avoid failed widgets."""
        customer = self.customer
        executions = [e for e in self.account.executions() if e.contact_channel_address == customer]
        if not executions:
            return self._check(
                5,
                "skipped",
                f"Studio is not in use for this message (no execution for {customer})",
                {"studio_flows": len(self.account.studio_flows())},
            )
        sent = _when(self.message.date_sent or self.message.date_created)
        earlier = [
            e
            for e in executions
            if sent is None or (_when(e.date_created) or sent) <= sent + timedelta(minutes=5)
        ]
        execution = _newest(earlier or executions)[0]
        steps = self.account.steps(execution)
        failed = [s for s in steps if str(s.name).lower() in FAILED_TRANSITIONS]
        evidence: dict[str, Any] = {
            "execution": execution.sid,
            "flow": execution.flow_sid,
            "status": execution.status,
            "steps": len(steps),
        }
        if failed:
            widget = failed[0].transitioned_from
            evidence["failed_widget"] = widget
            evidence["failed_step"] = failed[0].sid
            return self._check(
                5,
                "fail",
                f"execution {execution.sid} of flow {execution.flow_sid} left "
                f"widget {widget} by its failed transition",
                evidence,
                f"Open the execution in Studio's logs: fix what widget {widget} "
                "calls (its HTTP request or Function returned an error), or "
                "connect its failed transition.",
            )
        return self._check(
            5,
            "pass",
            f"execution {execution.sid} of flow {execution.flow_sid} "
            f"({execution.status}, {len(steps)} steps) has no failed widget",
            evidence,
        )

    # 6
    def routed_task(self) -> Check:
        """Is there a task referencing the channel and naming a worker's contact_uri."""
        if self.account.workspace() is None:
            return self._check(
                6,
                "fail",
                f"no TaskRouter workspace {self.config.workspace.describe()}",
                {"workspace": self.config.workspace.describe()},
                "Set flexorch:workspace to the Flex workspace of this account.",
            )
        channel = self.channel
        tasks = self.account.tasks_by_channel().get(channel.sid, [])
        if not tasks:
            status = str(_attributes(channel.attributes).get("status", "")).upper()
            evidence = {
                "channel": channel.sid,
                "channel_status": status,
                "tasks_scanned": len(self.account.tasks()),
            }
            if status == "INACTIVE":
                return self._check(
                    6,
                    "warn",
                    f"no task references {channel.sid} any more; the channel is "
                    "inactive, and TaskRouter deletes finished tasks after a while",
                    evidence,
                    "Walk a more recent message to see its task.",
                )
            return self._check(
                6,
                "fail",
                f"no TaskRouter task references channel {channel.sid}",
                evidence,
                "Make the handler create the task with attributes channelSid "
                f"and {self.config.workflow.target_attribute} on the contact_uri "
                "Workflow.",
            )
        task = tasks[0]
        self.task = task
        attributes = _attributes(task.attributes)
        attribute = self.config.workflow.target_attribute
        target = _lookup(attributes, attribute)
        uris = self.account.contact_uris()
        workflows = self.account.workflows()
        evidence = {
            "task": task.sid,
            "assignment_status": task.assignment_status,
            "channel": channel.sid,
            attribute: target,
            "worker_contact_uris": sorted(uris),
            "workflow": task.workflow_sid,
            "task_channel": task.task_channel_unique_name,
        }
        problems: list[str] = []
        fixes: list[str] = []
        if target is None:
            problems.append(f"it has no {attribute} attribute")
            fixes.append(f"make the handler set {attribute} to the agent's contact_uri")
        elif target not in uris:
            known = ", ".join(sorted(uris)) or "none"
            problems.append(
                f"{attribute} is {target!r}, which no worker has (contact_uris: {known})"
            )
            fixes.append(f"set {attribute} to the contact_uri of an existing worker")
        if workflows and task.workflow_sid != workflows[0].sid:
            problems.append(
                f'it was created on Workflow {task.workflow_sid} "{task.workflow_friendly_name}",'
                f' not "{self.config.workflow.friendly_name}" ({workflows[0].sid})'
            )
            fixes.append(f"create tasks on Workflow {workflows[0].sid}")
        managed = {c.unique_name for c in self.config.task_channels}
        types = {c.channel_type for c in self.config.task_channels if c.channel_type}
        in_channel = task.task_channel_unique_name in managed
        if managed and not in_channel and attributes.get("channelType") not in types:
            problems.append(
                f'it is on TaskChannel "{task.task_channel_unique_name}", not a managed channel '
                f"({', '.join(sorted(managed))}), so Flex orchestrates it itself"
            )
            fixes.append(f"create it on TaskChannel {sorted(managed)[0]}")
        if problems:
            return self._check(
                6, "fail", f"task {task.sid}: " + "; ".join(problems), evidence, _sentence(fixes)
            )
        return self._check(
            6,
            "pass",
            f"{task.sid} ({task.assignment_status}) references {channel.sid} and targets {target}",
            evidence,
        )

    # 7
    def agent(self) -> Check:
        """Did the targeted agent accept and join the channel with the standard agent role."""
        task, channel = self.task, self.channel
        if task is None:
            return self._check(7, "skipped", "because step 6 found no task", {})
        target = _lookup(_attributes(task.attributes), self.config.workflow.target_attribute)
        reservations = self.account.reservations(task.sid)
        accepted = [r for r in reservations if r.reservation_status in ACCEPTED]
        seen = [f"{r.sid} {r.reservation_status} ({r.worker_name})" for r in reservations]
        if not accepted:
            detail = (
                f"no reservation of {task.sid} was accepted ({', '.join(seen)})"
                if reservations
                else f"TaskRouter created no reservation for {task.sid}"
            )
            fix = (
                "Check that the agent is available and in the Workflow's queue, and that Flex "
                "auto-accepts (flexorch:autoAccept) or the agent accepts in time."
            )
            return self._check(7, "fail", detail, {"task": task.sid, "reservations": seen}, fix)
        reservation = _newest(accepted, "date_updated")[0]
        workers = {w.sid: w for w in self.account.workers()}
        worker = workers.get(reservation.worker_sid)
        uri = _attributes(worker.attributes).get("contact_uri") if worker else None
        evidence: dict[str, Any] = {
            "reservation": reservation.sid,
            "reservation_status": reservation.reservation_status,
            "worker": reservation.worker_sid,
            "contact_uri": {"found": uri, "expected": target},
        }
        if uri != target:
            return self._check(
                7,
                "fail",
                f"{reservation.sid} was accepted by {reservation.worker_name} "
                f"({uri}), not by {target}",
                evidence,
                "Run `pulumi up` to restore the contact_uri Workflow, which "
                "reserves only the worker the task names.",
            )
        identity = chat_identity(str(uri))
        members = self.account.members(channel.sid)
        member = next((m for m in members if m.identity == identity), None)
        evidence["identity"] = identity
        evidence["members"] = [m.identity for m in members]
        if member is None:
            left = "LeaveChatChannel" in (
                self.config.orchestration.wrapup + self.config.orchestration.completed
            )
            if left and task.assignment_status == "completed":
                return self._check(
                    7,
                    "pass",
                    f"{reservation.sid} accepted by {identity}, who left "
                    f"{channel.sid} on completion as the orchestration says",
                    evidence,
                )
            return self._check(
                7,
                "fail",
                f"{identity} accepted {reservation.sid} but is not a member of "
                f"{channel.sid}, so cannot see or answer the customer",
                evidence,
                "Make the handler add the agent to the channel when the "
                "reservation is accepted, or add AddToChatChannel to "
                "flexorch:orchestration.accepted.",
            )
        role = self.account.roles().get(member.role_sid)
        name = role.friendly_name if role is not None else member.role_sid
        permissions = list(role.permissions or []) if role is not None else []
        missing = [p for p in AGENT_PERMISSIONS if p not in permissions]
        extra = sorted(set(permissions) - set(AGENT_PERMISSIONS))
        evidence.update(
            member=member.sid,
            role={"found": name, "expected": "agent"},
            permissions={"missing": missing, "extra": extra},
        )
        if role is None or name != "agent":
            return self._check(
                7,
                "fail",
                f"member {member.sid} ({identity}) has role {name}, not agent",
                evidence,
                "Add the agent to the channel with the chat service's agent role.",
            )
        if missing:
            return self._check(
                7,
                "fail",
                f"role agent {role.sid} lacks {', '.join(missing)}",
                evidence,
                f"Give role {role.sid} back its standard permissions: "
                f"{', '.join(AGENT_PERMISSIONS)}.",
            )
        if extra:
            return self._check(
                7,
                "warn",
                f"role agent {role.sid} has more than the standard permissions: {', '.join(extra)}",
                evidence,
                f"Remove {', '.join(extra)} from role {role.sid}.",
            )
        return self._check(
            7,
            "pass",
            f"{reservation.sid} accepted by {identity} ({uri}), member "
            f"{member.sid} with role agent",
            evidence,
        )

    # 8
    def completed(self) -> Check:
        """After completion, is the task completed and the channel inactive."""
        task, channel = self.task, self.channel
        if task is None:
            return self._check(8, "skipped", "because step 6 found no task", {})
        status = str(_attributes(channel.attributes).get("status", "")).upper() or "(none)"
        evidence = {
            "task": task.sid,
            "assignment_status": task.assignment_status,
            "channel": channel.sid,
            "channel_status": {"found": status, "expected": "INACTIVE"},
        }
        if task.assignment_status == "completed":
            if status == "INACTIVE":
                return self._check(
                    8, "pass", f"{task.sid} completed and {channel.sid} INACTIVE", evidence
                )
            return self._check(
                8,
                "fail",
                f"{task.sid} is completed but {channel.sid} is still {status}, so "
                "the customer's next message lands in a channel no agent watches",
                evidence,
                "Set the channel's attributes status to INACTIVE when the task "
                "ends (in the handler, or with DeactivateChatChannel in "
                "flexorch:orchestration.wrapup).",
            )
        if task.assignment_status == "canceled":
            return self._check(
                8,
                "fail",
                f"{task.sid} was canceled ({task.reason or 'no reason given'}) "
                "after the agent accepted it",
                evidence,
                "Find what canceled the task (TaskRouter events of the task) "
                "and complete tasks instead.",
            )
        return self._check(
            8,
            "skipped",
            f"{task.sid} is still {task.assignment_status}; run doctor again after "
            "the agent completes it",
            evidence,
        )


# --- hygiene ------------------------------------------------------------------------------


def hygiene_checks(account: Account, now: datetime, judged: Iterable[str] = ()) -> list[Check]:
    """Account-wide leftovers that break conversations later; `judged` SIDs the walk covered."""
    judged = set(judged)
    return [
        _guarded("flex-flows", "Flex Flows per number", lambda: _flex_flows(account)),
        _guarded(
            "channel-limit", "chat users near the channel limit", lambda: _channel_limit(account)
        ),
        _guarded(
            "orphans",
            "orphaned channels and Proxy sessions",
            lambda: _orphans(account, now, judged),
        ),
        _guarded(
            "studio-stale", "Studio executions left active", lambda: _studio_stale(account, now)
        ),
    ]


def _flex_flows(account: Account) -> Check:
    title = "Flex Flows per number"
    flows = account.flex_flows()
    per_number: dict[str, Any] = {}
    crowded: list[str] = []
    janitors: list[str] = []
    for e164 in account.managed_numbers():
        naming = [f for f in flows if f.contact_identity in _identities(e164)]
        enabled = [f for f in naming if f.enabled]
        janitor = [f for f in naming if f.janitor_enabled]
        per_number[e164] = {
            "flex_flows": len(naming),
            "enabled": [f.sid for f in enabled],
            "janitor_enabled": [f.sid for f in janitor],
        }
        if len(enabled) > 1:
            crowded.append(f"{e164} ({', '.join(_flow(f) for f in enabled)})")
        janitors += [f"{_flow(f)} on {e164}" for f in janitor]
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


def _channel_limit(account: Account) -> Check:
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
            return f"task {found[0].sid} {status}" if status in FINISHED else None
        when = _when(since)
        if when is not None and now - when < ORPHAN_GRACE:
            return None
        return "no task"

    active = [
        c
        for c in account.channels()
        if str(_attributes(c.attributes).get("status", "")).upper() == "ACTIVE"
        and c.sid not in judged
    ]
    channels = []
    for channel in _oldest(active):
        why = task_gone(channel.sid, channel.date_updated)
        if why:
            channels.append(f"{channel.sid} ({_attributes(channel.attributes).get('from')}, {why})")
    sessions = []
    open_sessions = [
        s for s in account.sessions() if s.status in OPEN_SESSION and s.sid not in judged
    ]
    for session in _oldest(open_sessions):
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


def _studio_stale(account: Account, now: datetime) -> Check:
    title = "Studio executions left active"
    active = [e for e in account.executions() if e.status == "active"]
    stale: list[tuple[timedelta, Any]] = []
    for execution in active:
        started = _when(execution.date_created)
        if started is None or now - started < STALE_AFTER:
            continue
        steps = account.steps(execution)
        last = _when(steps[-1].date_created) if steps else started
        if last is not None and now - last >= STALE_AFTER:
            stale.append((now - last, execution))
    stale.sort(key=lambda pair: pair[0], reverse=True)
    examples = [
        f"{e.sid} of {e.flow_sid} for {e.contact_channel_address} (last step {_age(idle)} ago)"
        for idle, e in stale[:EXAMPLES]
    ]
    evidence = {"active": len(active), "stale": len(stale), "examples": examples}
    if stale:
        return Check(
            "studio-stale",
            title,
            "fail",
            f"{len(stale)} execution(s) active more than {_age(STALE_AFTER)} after "
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
        f"{len(active)} active execution(s), none idle for {_age(STALE_AFTER)}",
        evidence,
    )


# --- running it ---------------------------------------------------------------------------


def run_doctor(
    config: StackConfig,
    client: Any,
    *,
    stack: str = "",
    source: str = "",
    message: str | None = None,
    sender: str | None = None,
    now: datetime | None = None,
) -> Report:
    """Check the account `client` reads against `config`; walk a message when one is named.

    Raises:
        TwilioUnreachable: when Twilio cannot be reached or rejects the credentials.
    """
    started = time.monotonic()
    now = now or datetime.now(UTC)
    account = Account(client, config)
    sections: list[Section] = []
    judged: list[str] = []
    walked: dict[str, str] | None = None
    if message or sender:
        walk = Walk(account, message, sender)
        checks = walk.run()
        if walk.message is not None:
            walked = {"sid": walk.message.sid, "from": walk.message.from_, "to": walk.message.to}
        judged = [x.sid for x in (walk.channel, walk.session) if x is not None]
        heading = (
            f"message {walked['sid']} from {walked['from']} to {walked['to']}"
            if walked
            else f"message {message or 'from ' + str(sender)}"
        )
        sections.append(Section("message", tuple(checks), heading))
    else:
        sections.append(Section("config", tuple(config_checks(account)), "config"))
    sections.append(Section("hygiene", tuple(hygiene_checks(account, now, judged)), "hygiene"))
    http = getattr(client, "http_client", None)
    return Report(
        stack=stack,
        source=source,
        account_sid=account.account_sid,
        endpoint=os.environ.get(BASE_URL_ENV) or "https://*.twilio.com",
        sections=tuple(sections),
        message=walked,
        requests=int(getattr(http, "requests_made", 0) or 0),
        seconds=time.monotonic() - started,
    )


COLOURS = {"pass": "32", "fail": "31;1", "warn": "33", "skipped": "2"}


def render_text(report: Report, colour: bool = False) -> str:
    """The report as a table for people; ANSI colours only when asked (a terminal)."""

    def paint(status: str, text: str) -> str:
        return f"\x1b[{COLOURS[status]}m{text}\x1b[0m" if colour else text

    width = max((len(c.title) for c in report.checks), default=0)
    lines = [
        f"flexorch doctor: stack {report.stack} ({report.source}), account "
        f"{report.account_sid} at {report.endpoint}"
    ]
    for section in report.sections:
        lines.append("")
        lines.append(section.heading or section.name)
        for check in section.checks:
            status = paint(check.status, check.status.ljust(7))
            lines.append(f"  {status}  {check.title.ljust(width)}  {check.detail}")
            pad = " " * 11
            if check.evidence:
                lines.append(f"{pad}evidence: {_evidence(check.evidence)}")
            if check.fix and check.status in ("fail", "warn"):
                lines.append(f"{pad}fix: {check.fix}")
        if section.name == "config":
            lines.append(
                f"{' ' * 11}(walk one message with --message SM... or --from +E164 to check its "
                "path from SMS to agent)"
            )
    counts = report.counts()
    lines.append("")
    verdict = paint("fail" if report.exit_code else "pass", f"exit {report.exit_code}")
    lines.append(
        f"{counts['fail']} failed, {counts['warn']} warning(s), {counts['pass']} passed, "
        f"{counts['skipped']} skipped ({report.requests} read-only requests, "
        f"{report.seconds:.1f} s): {verdict}"
    )
    return "\n".join(lines)


def _evidence(evidence: Mapping[str, Any]) -> str:
    def show(value: Any) -> str:
        if isinstance(value, Mapping) and set(value) == {"found", "expected"}:
            found, expected = show(value["found"]), show(value["expected"])
            return found if found == expected else f"{found} (expected {expected})"
        if isinstance(value, Mapping):
            return "{" + ", ".join(f"{k}: {show(v)}" for k, v in value.items()) + "}"
        if isinstance(value, list | tuple):
            return ", ".join(show(v) for v in value) if value else "none"
        return "none" if value is None or value == "" else str(value)

    return "; ".join(f"{key} {show(value)}" for key, value in evidence.items())


def twilio_client(credentials: Credentials) -> Any:
    """The client doctor reads through: FLEXORCH_TWILIO_BASE_URL honoured, few retries.

    Doctor is interactive, so an unreachable endpoint is reported after three attempts (about
    1.5 s of backoff) rather than the providers' five.
    """
    http = RetryingHttpClient(os.environ.get(BASE_URL_ENV) or None, max_attempts=3, timeout=20.0)
    return make_client(credentials, http)


def stack_credentials_config(path: Path) -> Callable[[str], Any]:
    """The plain `twilio:` settings of a stack file (doctor cannot decrypt Pulumi secrets)."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        document = {}
    config = document.get("config") if isinstance(document, Mapping) else None
    if not isinstance(config, Mapping):
        config = document if isinstance(document, Mapping) else {}

    def get(key: str) -> Any:
        value = config.get(key)
        return value if isinstance(value, str) and key != "twilio:authToken" else None

    return get


def validate_target(message: str | None, sender: str | None) -> None:
    """Refuse a malformed --message or --from before anything is read.

    Raises:
        FlexorchError: naming the argument and what a valid one looks like.
    """
    if message is not None and not MESSAGE_SID.fullmatch(message):
        raise FlexorchError(
            f'--message: "{message}" is not a message SID; it is SM or MM followed by 32 hex '
            "digits (copy it from the Messaging logs)"
        )
    if sender is not None and not E164.fullmatch(sender):
        raise FlexorchError(
            f'--from: "{sender}" is not an E.164 number; write it like +15558675309 '
            "(a +, the country code and the number, no spaces)"
        )


def cmd_doctor(args: argparse.Namespace) -> int:
    """Run the checks for the stack named by --stack/--config and print the report.

    Raises:
        FlexorchError: for bad arguments or config (exit 2).
        TwilioUnreachable: when Twilio cannot be reached or rejects the credentials (exit 3).
    """
    from flexorch.cli import load

    validate_target(args.message, args.sender)
    loaded = load(args)
    credentials = Credentials.find(stack_credentials_config(Path(loaded.source)))
    report = run_doctor(
        loaded.config,
        twilio_client(credentials),
        stack=loaded.name,
        source=loaded.source,
        message=args.message,
        sender=args.sender,
    )
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        print(render_text(report, colour=colour))
    return report.exit_code
