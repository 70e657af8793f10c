"""How sandbox requests are counted: reads and writes, per Twilio resource kind, and budgets.

Accounting for "up from scratch" (the target "at most 1 write per owned resource plus 1 read per
adopted one"), precisely:

- owned: the Workflow, each TaskChannel, and the TaskQueue when flexorch creates it (the bench
  stacks adopt `Everyone`, so none). Each may cost 1 write (its create); the Workflow also 1
  read (the look-up by name that finds one an earlier, stopped run made).
- adopted: the Workspace, the TaskQueue, the Flex chat service, each 1 read (the look-up by
  SID or name); the numbers, 1 read per page of the account's numbers (1000 a page).
- a write that configures an adopted resource counts as the owned-style write of that adoption:
  1 write for the chat service's webhooks, 1 per number's SMS webhook (Workspace and TaskQueue
  are only read).
- the Flex Flow guard: 1 read per page of Flex Flows (the list, once per process; 1000 a page)
  plus 1 write per conflicting flow it disables (`flexFlows: disable`).
- on Programmable Chat, the guard's channel scan when a Flex Flow (enabled or not) names a
  managed number: 1 read per page of the chat service's channels (kind `ChatChannel`), then, if
  any is ACTIVE, 1 per page of Flex channels (`FlexChannel`) and 1 webhook list per ACTIVE
  channel of a managed number; 1 write per Studio/Flex webhook on those it removes.
- on Flex Conversations (`flexorch:platform: conversations`) the same without the channel scan,
  but: each number's Conversations Address Configuration (kind `Address`) is owned, 1 write
  each (its create), and the account's SMS addresses are read once, 1 read per page (50 a page,
  by the number of managed numbers); the number's own write empties its SmsUrl (still 1 per
  number); the chat service's 1 read and 1 write are its Conversations webhook configuration
  (`/v1/Services/IS.../Configuration/Webhooks`) instead of Chat's `/v2/Services/IS...`.

A read is a GET; a write is any other method (POST creates/updates, DELETE). Requests Prism
rejected (422) are logged by the sandbox's front and counted too, as `rejected`. A request's kind
is told by its host and path (Proxy's `/v1/Services` is not Conversations'); a log entry without
a host (from before the sandbox logged it) is classified by its path, as a 1.x one.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bench.shapes import CONVERSATIONS, Shape

TASKROUTER = "taskrouter.twilio.com"
CHAT = "chat.twilio.com"
API = "api.twilio.com"
FLEX = "flex-api.twilio.com"
CONVERSATIONS_HOST = "conversations.twilio.com"


@dataclass(frozen=True)
class Kind:
    """A Twilio resource kind: the host and path pattern of its requests.

    `needs_host`: only a request that says its host is this kind (the path alone is another
    product's too: Conversations' `/v1/Services` is Proxy's, its `/v1/Configuration` Flex's).
    """

    name: str
    host: str
    pattern: re.Pattern[str]
    needs_host: bool = False

    def matches(self, path: str, host: str) -> bool:
        """Whether a request to `host` (lower case, no port; "" if unknown) and `path` is one."""
        if host != self.host and (host or self.needs_host):
            return False
        return self.pattern.match(path) is not None


# First match wins: the nested TaskRouter collections before the workspace itself.
KINDS: tuple[Kind, ...] = (
    Kind("TaskQueue", TASKROUTER, re.compile(r"^/v1/Workspaces/[^/]+/TaskQueues")),
    Kind("TaskChannel", TASKROUTER, re.compile(r"^/v1/Workspaces/[^/]+/TaskChannels")),
    Kind("Workflow", TASKROUTER, re.compile(r"^/v1/Workspaces/[^/]+/Workflows")),
    Kind("Workspace", TASKROUTER, re.compile(r"^/v1/Workspaces")),
    Kind("ChatChannel", CHAT, re.compile(r"^/v2/Services/[^/]+/Channels")),
    Kind("ChatService", CHAT, re.compile(r"^/v2/Services")),
    Kind("PhoneNumber", API, re.compile(r"^/2010-04-01/Accounts/[^/]+/IncomingPhoneNumbers")),
    Kind("FlexFlow", FLEX, re.compile(r"^/v1/FlexFlows")),
    Kind("FlexChannel", FLEX, re.compile(r"^/v1/Channels")),
    # Flex Conversations: the numbers' Address Configurations, and the Conversations service
    # (the chat service's SID) with its webhook configuration, which stands in for Chat's.
    Kind("Address", CONVERSATIONS_HOST, re.compile(r"^/v1/Configuration/Addresses"), True),
    Kind(
        "ChatService",
        CONVERSATIONS_HOST,
        re.compile(r"^/v1/Services/[^/]+(/Configuration/Webhooks)?/?$"),
        True,
    ),
)
# Twilio's largest page, which flexorch's lists ask for (flexorch/lookups.py).
PAGE = 1000
# Twilio's largest page of Address Configurations (flexorch/resources/addresses.py).
ADDRESS_PAGE = 50


def kind_of(path: str, host: str = "") -> str:
    """The Twilio resource kind a request is about (`other` if none of flexorch's).

    `host`: the product the request was for, as the sandbox logs it (`conversations.twilio.com`);
    without one, only the 1.x kinds are told, by path.
    """
    host = host.split(":", 1)[0].lower()
    for kind in KINDS:
        if kind.matches(path, host):
            return kind.name
    return "other"


@dataclass
class Tally:
    """Requests of one operation, split into reads and writes, per kind."""

    reads: int = 0
    writes: int = 0
    rejected: int = 0
    by_kind: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Every request, read or write."""
        return self.reads + self.writes

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "total": self.total,
            "reads": self.reads,
            "writes": self.writes,
            "rejected": self.rejected,
            "by_kind": self.by_kind,
        }


def tally(requests: Iterable[Mapping[str, Any]]) -> Tally:
    """Count the sandbox log entries of one operation."""
    result = Tally()
    counts: Counter[tuple[str, str]] = Counter()
    for request in requests:
        side = "reads" if request["method"] == "GET" else "writes"
        counts[(kind_of(request["path"], request.get("host") or ""), side)] += 1
        setattr(result, side, getattr(result, side) + 1)
        if request.get("status") == 422:
            result.rejected += 1
    for (kind, side), count in sorted(counts.items()):
        result.by_kind.setdefault(kind, {"reads": 0, "writes": 0})[side] = count
    return result


@dataclass(frozen=True)
class Budget:
    """The most requests `up` from scratch may make, per kind, under the accounting above."""

    by_kind: dict[str, dict[str, int]]

    @property
    def reads(self) -> int:
        """Allowed reads in all."""
        return sum(k["reads"] for k in self.by_kind.values())

    @property
    def writes(self) -> int:
        """Allowed writes in all."""
        return sum(k["writes"] for k in self.by_kind.values())

    def over(self, actual: Tally) -> list[str]:
        """Each kind whose reads or writes exceed the budget, as `kind reads 3 > 1`."""
        problems = []
        kinds = sorted(set(self.by_kind) | set(actual.by_kind))
        for kind in kinds:
            allowed = self.by_kind.get(kind, {"reads": 0, "writes": 0})
            made = actual.by_kind.get(kind, {"reads": 0, "writes": 0})
            for side in ("reads", "writes"):
                if made[side] > allowed[side]:
                    problems.append(f"{kind} {side} {made[side]} > {allowed[side]}")
        return problems


@dataclass(frozen=True)
class ChannelScan:
    """What the guard's channel scan meets (Programmable Chat, a Flex Flow on a managed number).

    `chat_channels`: the chat service's channels; `active`: how many are ACTIVE;
    `flex_channels`: Flex channel records; `active_managed`: ACTIVE channels a managed number's
    Flex Flow made; `handoffs`: the Studio/Flex webhooks on those.
    """

    chat_channels: int = 0
    active: int = 0
    flex_channels: int = 0
    active_managed: int = 0
    handoffs: int = 0


def up_budget(
    shape: Shape,
    flex_flows: int,
    conflicts: int,
    created_queues: int = 0,
    scan: ChannelScan | None = None,
) -> Budget:
    """The budget of `up` from scratch for a shape, on its platform.

    Args:
        shape: numbers, channels and platform of the stack.
        flex_flows: how many Flex Flows the account has (listed once, 1000 a page).
        conflicts: how many of them the guard disables.
        created_queues: TaskQueues flexorch creates rather than adopts (they are then owned).
        scan: what the guard's channel scan meets; None when it makes none (no Flex Flow names
            a managed number, or the stack is on Conversations).
    """
    by_kind = {
        "Workflow": {"reads": 1, "writes": 1},
        "TaskChannel": {"reads": 0, "writes": shape.channels},
        "TaskQueue": {"reads": 1, "writes": created_queues},
        "Workspace": {"reads": 1, "writes": 0},
        "ChatService": {"reads": 1, "writes": 1},
        "PhoneNumber": {"reads": math.ceil(shape.numbers / PAGE), "writes": shape.numbers},
        "FlexFlow": {
            "reads": max(1, math.ceil(flex_flows / PAGE)),
            "writes": conflicts,
        },
    }
    if scan is not None and shape.platform != CONVERSATIONS:
        by_kind["ChatChannel"] = {
            "reads": max(1, math.ceil(scan.chat_channels / PAGE)) + scan.active_managed,
            "writes": scan.handoffs,
        }
        if scan.active:
            by_kind["FlexChannel"] = {
                "reads": max(1, math.ceil(scan.flex_channels / PAGE)),
                "writes": 0,
            }
    if shape.platform == CONVERSATIONS:
        by_kind["Address"] = {
            "reads": math.ceil(shape.numbers / ADDRESS_PAGE),
            "writes": shape.numbers,
        }
    return Budget(by_kind)


# A Twilio SID in a path: two letters and 32 hex digits (`PN0123...`), as in `.../PNxx.json`.
_SID = re.compile(r"\b[A-Z]{2}[0-9a-f]{32}\b")


def collection_of(request: Mapping[str, Any]) -> str:
    """`PhoneNumber /2010-04-01/Accounts/{sid}/IncomingPhoneNumbers/{sid}.json`: what a read reads.

    The kind and the path with every SID as `{sid}`: reads of one collection (or of one kind of
    item, one at a time) share it, whichever item or page they ask for.
    """
    path = _SID.sub("{sid}", str(request["path"]))
    return f"{kind_of(str(request['path']), str(request.get('host') or ''))} {path}"


def _next_page(query: Mapping[str, Any]) -> bool:
    """Whether a read follows a list's next page (Twilio's next_page_uri: Page > 0, PageToken)."""
    page = (query.get("Page") or ["0"])[0]
    return bool(query.get("PageToken")) or (page.isdigit() and int(page) > 0)


@dataclass(frozen=True)
class Reads:
    """The reads of one operation, as issue #24 judges them.

    `lists`: per collection (`collection_of`), how many times it was read from its first page
    (a later page of the same list does not count again): 1 is one list, 100 a read per item.
    `repeated`: each identical read (host, path and query) made more than once, with its count.
    """

    lists: dict[str, int] = field(default_factory=dict)
    repeated: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"lists": self.lists, "repeated": self.repeated}


def reads_of(requests: Iterable[Mapping[str, Any]]) -> Reads:
    """The lists and the repeated reads among one operation's requests (GETs only)."""
    lists: Counter[str] = Counter()
    same: Counter[str] = Counter()
    for request in requests:
        if request["method"] != "GET":
            continue
        query = request.get("query") or {}
        if not _next_page(query):
            lists[collection_of(request)] += 1
        pairs = "&".join(f"{k}={v}" for k, values in sorted(query.items()) for v in values)
        same[f"{request.get('host') or ''}{request['path']}" + (f"?{pairs}" if pairs else "")] += 1
    return Reads(dict(sorted(lists.items())), {k: n for k, n in sorted(same.items()) if n > 1})
