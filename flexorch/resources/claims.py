"""Which resource of this run owns which Twilio object, so a look-up never takes a sibling's.

A create first looks for the object an earlier, stopped run of the same resource would have made
(same name, same settings) and takes it over (DESIGN: an ambiguous create is resolved, never
repeated). Twilio cannot say who made an object, and two components of one program may want
identical ones (a Workflow of the default name): the second would take over the first's, and
destroying either would delete both's. So the provider process notes the SID of every object the
engine tells it a resource holds (its id, in diff, read, update) and of every object it creates,
and a look-up passes over what another resource of the run holds. Another stack's objects it
cannot know of: the README says to give each stack of one account its own names.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")

# The URN of the resource a provider call is for; empty outside one (the dynamic providers' host).
_ACTING_FOR: ContextVar[str] = ContextVar("acting_for", default="")
_HOLDERS: dict[str, str] = {}
_GUARD = threading.Lock()
_NAME_LOCKS: dict[tuple[str, ...], threading.Lock] = {}


@contextmanager
def acting_for(urn: str) -> Iterator[None]:
    """Provider calls inside are for the resource `urn` (it holds what they find or create)."""
    reset = _ACTING_FOR.set(urn)
    try:
        yield
    finally:
        _ACTING_FOR.reset(reset)


def hold(urn: str, sid: str) -> None:
    """The resource `urn` holds the object `sid` (a later holder wins: a replace)."""
    if urn and sid:
        with _GUARD:
            _HOLDERS[sid] = urn


def hold_here(sid: str) -> None:
    """The resource this call is for holds `sid` (before its create's lock is let go)."""
    hold(_ACTING_FOR.get(), sid)


def holder(sid: str) -> str | None:
    """The URN of another resource of this run that holds `sid`, if any."""
    urn = _ACTING_FOR.get()
    if not urn:
        return None
    with _GUARD:
        found = _HOLDERS.get(sid)
    return found if found and found != urn else None


def unheld(found: Iterable[T]) -> list[T]:
    """The objects of `found` (Twilio records with a `sid`) no other resource of the run holds."""
    return [item for item in found if holder(getattr(item, "sid", "")) is None]


@contextmanager
def one_at_a_time(*key: str) -> Iterator[None]:
    """Look-up and create of one name, one resource at a time, so two cannot both find none.

    Without it, a second resource could look the name up while the first's create is on its way
    and then take over what the first made.
    """
    with _GUARD:
        lock = _NAME_LOCKS.setdefault(key, threading.Lock())
    with lock:
        yield


def forget() -> None:
    """Drop every record (tests: each starts as a fresh provider process would)."""
    with _GUARD:
        _HOLDERS.clear()
        _NAME_LOCKS.clear()


def described(sid: Any) -> str:
    """`resource <name> of this stack`, the other resource that holds `sid`."""
    urn = holder(str(sid)) or ""
    return f"resource {urn.rsplit('::', 1)[-1]} of this stack"
