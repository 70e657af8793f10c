"""What the doctor reads from Twilio on every platform: one cached, read-only look-up per list.

`Account` holds the reads every platform shares (Messaging, numbers, Flex Flows and Flex's
Configuration, TaskRouter, Studio); each platform's account adds its own product's reads (Chat
v2 and Proxy, or Conversations) in `flexorch.doctor.platforms`. Also here: the record readers
the checks share, and the client doctor and migrate read through.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

from flexorch import twilio_client as clients
from flexorch.config import StackConfig
from flexorch.takers import TAKERS, Record, Taker
from flexorch.twilio_client import BASE_URL_ENV, Credentials, RetryingHttpClient, twilio_call
from flexorch.twilio_facts import attributes_of

T = TypeVar("T")


@dataclass(frozen=True)
class AgentName:
    """How the stack's tasks name their agent in `workflow.targetAttribute`, for the checks.

    A worker's contact_uri by default; her SID or friendly name with `workflow.knownAgent`
    (Known Agent Routing). Each field is the words or evidence key the checks use for it.
    """

    what: str
    """One of them in a sentence: "contact_uri", "worker SID"."""
    key: str
    """The evidence key of the one a reservation's worker has."""
    plural: str
    """The evidence key of the workers' ones."""
    listed: str
    """The evidence key of the workers' ones beside a task."""
    none: str
    """Why no task can name its agent when no worker has one."""
    none_fix: str
    """How workers get one."""
    read: Callable[[Any], Any]
    """A worker record's one."""


_FLEX_LOGIN = "Have each agent log in to Flex once (Flex creates her worker)."
AGENT_NAMES = {
    None: AgentName(
        "contact_uri",
        "contact_uri",
        "contact_uris",
        "worker_contact_uris",
        "no worker has a contact_uri attribute, so no task can name its agent",
        "Have each agent log in to Flex once (Flex sets contact_uri on the worker) "
        "or add contact_uri to the workers' attributes.",
        lambda worker: attributes_of(worker.attributes).get("contact_uri"),
    ),
    "sid": AgentName(
        "worker SID",
        "worker_sid",
        "worker_sids",
        "worker_sids",
        "the workspace has no worker, so no task can name its agent",
        _FLEX_LOGIN,
        lambda worker: worker.sid,
    ),
    "friendlyName": AgentName(
        "worker friendly name",
        "friendly_name",
        "friendly_names",
        "worker_friendly_names",
        "the workspace has no worker, so no task can name its agent",
        _FLEX_LOGIN,
        lambda worker: worker.friendly_name,
    ),
}
"""`workflow.knownAgent` -> how tasks name their agent."""
PUBLIC_ENDPOINT = "https://*.twilio.com"
# Each Twilio list is read at most this many records (one page).
MAX_SCAN = 1000


def lookup(attributes: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted TaskRouter attribute path, or None."""
    value: Any = attributes
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def parse_time(value: Any) -> datetime | None:
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


def stamp(value: Any) -> str | None:
    """A timestamp as ISO 8601 UTC text, for evidence; None when unreadable."""
    when = parse_time(value)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if when else None


def oldest(records: Iterable[Any], attribute: str = "date_created") -> list[Any]:
    """Records by `attribute`, oldest first (unreadable times last)."""
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(records, key=lambda r: parse_time(getattr(r, attribute, None)) or far)


def newest(records: Iterable[Any], attribute: str = "date_created") -> list[Any]:
    """Records by `attribute`, newest first."""
    return list(reversed(oldest(records, attribute)))


def describe_flow(flow: Any) -> str:
    """A Flex Flow as the checks name it: SID, friendly name and contact identity."""
    return f'{flow.sid} "{flow.friendly_name}" ({flow.contact_identity})'


def read_once(what: str, fetch: Callable[[], T], missing: T) -> T:
    """One read; a 404 gives `missing`, a 401 TwilioUnreachable, others a TwilioApiError."""
    result = missing
    with twilio_call("doctor", what, missing_ok=True):
        result = fetch()
    return result


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
            self._cache[key] = read_once(what, lambda: list(collection.list(**filters)), [])
        found: list[Any] = self._cache[key]
        return found

    def _fetch(self, key: tuple[str, ...], what: str, context: Any) -> Any:
        """`context.fetch()` once per run; None on a 404."""
        if key not in self._cache:
            self._cache[key] = read_once(what, context.fetch, None)
        return self._cache[key]

    @property
    def account_sid(self) -> str:
        """The account being read."""
        return str(self.client.account_sid)

    def flex_configuration(self) -> Any:
        """Flex's Configuration of the account (its pinned UI version); None without Flex."""
        return self._fetch(
            ("flex-configuration",),
            "fetch Flex's Configuration",
            self.client.flex_api.v1.configuration(),
        )

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

    def messages_to(self, address: str) -> list[Any]:
        """The latest messages sent to `address`: who texts a managed number."""
        return self._list(
            ("messages_to", address),
            f"list messages to {address}",
            self.client.messages,
            to=address,
        )

    def messages_between(self, sender: str, recipient: str) -> list[Any]:
        """The latest messages from `sender` to `recipient` (twice the chat messages read)."""
        return self._list(
            ("messages_between", sender, recipient),
            f"list messages from {sender} to {recipient}",
            self.client.messages,
            from_=sender,
            to=recipient,
            limit=100,
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

    def takers(self, taker: Taker) -> list[Record]:
        """What of this kind takes a managed number's messages now (flexorch.takers)."""
        key = ("takers", taker.key)
        if key not in self._cache:
            numbers = list(self.managed_numbers())
            found = taker.scan(self.client, numbers, first=False)
            self._cache[key] = [r for r in found if taker.takes(r)]
        records: list[Record] = self._cache[key]
        return records

    def takers_of(self, e164: str) -> dict[str, list[Record]]:
        """What takes this number's messages, by taker key (in TAKERS order); none left out."""
        found = {t.key: [r for r in self.takers(t) if e164 in r["numbers"]] for t in TAKERS}
        return {key: records for key, records in found.items() if records}

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

    @property
    def agent_name(self) -> AgentName:
        """How the stack's tasks name their agent (`workflow.knownAgent`)."""
        return AGENT_NAMES[self.config.workflow.known_agent]

    def named_workers(self) -> dict[str, list[Any]]:
        """What a task may name its agent by (her contact_uri, SID or friendly name) -> workers."""
        out: dict[str, list[Any]] = {}
        for worker in self.workers():
            name = self.agent_name.read(worker)
            if isinstance(name, str) and name:
                out.setdefault(name, []).append(worker)
        return out

    def tasks_by(self, attribute: str) -> dict[str, list[Any]]:
        """SID -> the tasks whose `attribute` (like `channelSid`) names it, newest first."""
        out: dict[str, list[Any]] = {}
        for task in newest(self.tasks()):
            reference = attributes_of(task.attributes).get(attribute)
            if isinstance(reference, str):
                out.setdefault(reference, []).append(task)
        return out

    # Studio

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

    def execution_steps(self, execution: Any) -> list[Any]:
        """A Studio execution's steps, oldest first."""
        handle = self.client.studio.v2.flows(execution.flow_sid).executions(execution.sid)
        steps = self._list(("steps", execution.sid), f"list steps of {execution.sid}", handle.steps)
        return oldest(steps)


def reading_client(credentials: Credentials) -> Any:
    """The client doctor and migrate read through: FLEXORCH_TWILIO_BASE_URL honoured, few retries.

    Doctor is interactive, so an unreachable endpoint is reported after three attempts (about
    1.5 s of backoff) rather than the providers' five.
    """
    http = RetryingHttpClient(
        os.environ.get(BASE_URL_ENV) or None,
        max_attempts=3,
        timeout=20.0,
        busy_is_unreachable=True,
    )
    return clients.make_client(credentials, http)


def endpoint() -> str:
    """Where the doctor's requests go: FLEXORCH_TWILIO_BASE_URL, else Twilio itself."""
    return os.environ.get(BASE_URL_ENV) or PUBLIC_ENDPOINT


def requests_made(client: Any) -> int:
    """How many HTTP requests `client` sent (retries included), when its HTTP client counts."""
    return int(getattr(getattr(client, "http_client", None), "requests_made", 0) or 0)
