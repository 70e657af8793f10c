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

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

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
