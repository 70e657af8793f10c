"""Look-ups made once per provider process: one list of the account's numbers, of its Flex Flows.

A deployment's snapshots and checks all run before the writes that depend on them, so one
answer per process serves every resource that asks (100 numbers cost one list page, not 100
fetches). A refresh has its own lists (`*_now`), one per process too: it reads every resource
before any of this process's writes, so one list answers each resource's read (what a write
reads back after an ambiguous answer is always asked anew). Entries are keyed on the client,
which `make_client` keeps per account and endpoint.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from twilio.rest import Client

from flexorch.errors import FlexorchError
from flexorch.twilio_client import twilio_call

T = TypeVar("T")
R = TypeVar("R")
# Twilio's largest page: the account's numbers in as few requests as it allows.
PAGE_SIZE = 1000
# Requests a step makes at once (one per chat channel, Messaging Service...): the engine runs the
# other resources beside it.
CONCURRENT = 8


@dataclass
class _Entry:
    lock: threading.Lock = field(default_factory=threading.Lock)
    done: bool = False
    value: Any = None
    error: FlexorchError | None = None


_MEMO: weakref.WeakKeyDictionary[Client, dict[Hashable, _Entry]] = weakref.WeakKeyDictionary()
_MEMO_LOCK = threading.Lock()


def once(client: Client, key: Hashable, fetch: Callable[[], T]) -> T:
    """`fetch()` the first time this process asks `key` of this client; its answer after that.

    A user error (a bad reference, rejected credentials) is kept too: every resource that asks
    gets the same line without another request.
    """
    with _MEMO_LOCK:
        entry = _MEMO.setdefault(client, {}).setdefault(key, _Entry())
    with entry.lock:
        if not entry.done:
            try:
                entry.value = fetch()
            except FlexorchError as error:
                entry.error = error
            entry.done = True
    if entry.error is not None:
        raise entry.error
    return entry.value  # type: ignore[no-any-return]


def each(work: Callable[[T], R], items: list[T]) -> list[R]:
    """`work` on each item, a few at once (one request each), results in order."""
    if len(items) <= 1:
        return [work(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(CONCURRENT, len(items))) as pool:
        return list(pool.map(work, items))


def at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Each call on its own thread (independent look-ups side by side), results in order."""
    return each(lambda call: call(), list(calls))


def forget() -> None:
    """Drop every remembered answer (tests that change the account between steps)."""
    with _MEMO_LOCK:
        _MEMO.clear()


def account_numbers(client: Client) -> dict[str, Any]:
    """The account's incoming numbers by E.164 number and by PN SID, as first listed."""
    return once(client, "numbers", lambda: list_account_numbers(client))


def numbers_now(client: Client) -> dict[str, Any]:
    """The account's numbers as a refresh finds them, by E.164 number and by PN SID."""
    return once(client, "numbers-now", lambda: list_account_numbers(client))


def list_account_numbers(client: Client) -> dict[str, Any]:
    """The account's incoming numbers now, by E.164 number and by PN SID (a refresh's)."""
    with twilio_call("PhoneNumbers", "list the account's numbers"):
        records = client.incoming_phone_numbers.list(page_size=PAGE_SIZE)
    found: dict[str, Any] = {}
    for record in records:
        found[record.phone_number] = record
        found[record.sid] = record
    return found


def flex_flows(client: Client) -> list[Any]:
    """The account's Flex Flows, as listed before this process changed any."""
    return once(client, "flex-flows", lambda: list_flex_flows(client))


def list_flex_flows(client: Client) -> list[Any]:
    """The account's Flex Flows now (a refresh must see the Console's changes)."""
    with twilio_call("FlexFlowGuard", "list Flex Flows"):
        return list(client.flex_api.v1.flex_flow.list(page_size=PAGE_SIZE))
