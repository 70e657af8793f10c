"""Pulumi property values to and from the plain dicts flexorch's providers take and return.

The providers were written for the dynamic provider host, which hands them plain values with
snake_case keys; the real provider speaks `PropertyValue`s with camelCase property names (the
schema's, as every Pulumi language expects). Only top-level names are translated: nested maps
hold data keyed by what Twilio or the config names (E.164 numbers, SIDs, SDK argument names)
and pass unchanged. State written by the dynamic providers (snake_case) reads the same way.

Secrets: a plain dict cannot mark one, so each top-level property that held a secret anywhere
inside it is remembered and its output is secret as a whole. An unknown (a value the engine
still computes at preview) stays the engine's own unknown string, which `known()` recognises
and which goes back to the engine as unknown; `PropertyValue.computed()` cannot be sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.provider.experimental.property_value import Computed, PropertyValue
from pulumi.runtime.rpc import UNKNOWN

from flexorch.resources.resource import camel, snake


@dataclass(frozen=True)
class Props:
    """A resource's properties as its provider takes them, and which of them are secret."""

    values: dict[str, Any]
    secret: frozenset[str] = frozenset()


def plain(value: PropertyValue) -> Any:
    """The plain Python value inside `value` (secrets unwrapped, unknowns as the engine's)."""
    inner = value.value
    if isinstance(inner, Computed):
        return UNKNOWN
    if isinstance(inner, Mapping):
        return {key: plain(item) for key, item in inner.items()}
    if isinstance(inner, Sequence) and not isinstance(inner, str):
        return [plain(item) for item in inner]
    return inner


def to_props(properties: Mapping[str, PropertyValue]) -> Props:
    """What the engine sent, as a provider's plain dict.

    Internal properties (`__provider`, left by the dynamic providers) are dropped: nothing here
    unpickles code, and leaving them out of what is returned is what removes them from state.
    """
    values: dict[str, Any] = {}
    secret: set[str] = set()
    for name, value in properties.items():
        if name.startswith("__"):
            continue
        key = snake(name)
        values[key] = plain(value)
        if value.contains_secret():
            secret.add(key)
    return Props(values, frozenset(secret))


def to_value(value: Any, secret: bool = False) -> PropertyValue:
    """A plain value (what a provider returns) as a `PropertyValue`; numbers are floats there."""
    if isinstance(value, Mapping):
        inner: Any = {str(key): to_value(item) for key, item in value.items()}
    elif isinstance(value, list | tuple):
        inner = [to_value(item) for item in value]
    elif isinstance(value, int) and not isinstance(value, bool):
        inner = float(value)
    elif value is None or isinstance(value, bool | float | str):
        inner = value
    else:
        raise TypeError(f"a provider returned a {type(value).__name__}, which state cannot hold")
    return PropertyValue(inner, is_secret=secret)


def to_properties(values: Mapping[str, Any], secret: Iterable[str]) -> dict[str, PropertyValue]:
    """A provider's plain dict as properties for the engine; the `secret` names stay secret."""
    hidden = set(secret)
    return {camel(key): to_value(value, key in hidden) for key, value in values.items()}


def to_input(value: PropertyValue) -> Any:
    """A component input as a program's value: a secret or an unknown becomes an Output.

    What the component accepts as an Output (URLs, SIDs, names) is then validated when it
    resolves, as in a Python program; an unknown elsewhere is refused there, in its one line.
    """
    inner = value.value
    result: Any
    if isinstance(inner, Computed) or inner == UNKNOWN:
        result = _unknown()
    elif isinstance(inner, Mapping):
        result = {key: to_input(item) for key, item in inner.items()}
    elif isinstance(inner, Sequence) and not isinstance(inner, str):
        result = [to_input(item) for item in inner]
    elif isinstance(inner, float) and inner.is_integer():
        result = int(inner)  # the wire has only floats; the config's counts are whole
    else:
        result = inner
    return pulumi.Output.secret(result) if value.is_secret else result


def _unknown() -> pulumi.Output[Any]:
    """An Output whose value the engine does not know yet (a preview)."""
    loop = asyncio.get_running_loop()

    def done(value: Any) -> asyncio.Future[Any]:
        future = loop.create_future()
        future.set_result(value)
        return future

    return pulumi.Output(done(set()), done(None), done(False), done(False))


async def settled(output: pulumi.Output[Any]) -> PropertyValue | None:
    """A component output for the engine; None while unknown (the engine cannot take it)."""
    if not await output.is_known():
        return None
    urns = {await resource.urn.future() for resource in await output.resources()}
    value = to_value(await output.future(), await output.is_secret())
    return value.with_dependencies({urn for urn in urns if urn})
