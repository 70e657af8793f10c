"""The one base of flexorch's resource classes: the real provider's resources.

Each class declares its inputs once and is the resource `flexorch:index:<kind>` (see
`flexorch.provider`), with no pickle in state. Its kind is the name its dynamic resource had
(`pulumi-python:dynamic/flexorch:<kind>`, the type stacks of 0.1 and 0.2 hold), which it
aliases, so such a stack moves with no replacement. The classes stay `pulumi.dynamic`
subclasses with their `ResourceProvider`s at the same module paths: those are what old
states' `__provider` pickles name, and they must load until every stack has been upgraded.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import pulumi
import pulumi.log
from pulumi.dynamic import Resource
from pulumi.runtime import resource as pulumi_runtime_resource
from pulumi.runtime.proto import source_pb2

PACKAGE = "flexorch"
# The package of every dynamic resource's type token (`pulumi-python:dynamic/flexorch:<kind>`).
DYNAMIC_PACKAGE = "pulumi-python"
_MODULE = "index"
_UPPER = re.compile(r"(?<=[a-z0-9])([A-Z])")

_SERVED_BY: ContextVar[pulumi.ProviderResource | None] = ContextVar("served_by", default=None)
# The lines Pulumi's SDK logs at debug level for every resource it registers.
_ROUTINE = (
    "registering resource: ",
    "beginning rpc register resource",
    "resource registration prepared: ",
    "resource registration successful: ",
)


def token(kind: str) -> str:
    """The real provider's type token of the resource `kind` (e.g. `flexorch:index:Workflow`).

    The kind is the name the dynamic resource has, so a stack moves by a type alias. Tokens
    are stable: renaming one later changes URNs and needs an alias.
    """
    return f"{PACKAGE}:{_MODULE}:{kind}"


def _moved(opts: pulumi.ResourceOptions | None, dynamic: str) -> list[pulumi.Alias]:
    """Aliases that find this resource where a dynamic provider left it: its type `dynamic`.

    One for today's name, and one per name the caller already aliases (flexorch 0.1's
    unprefixed children): the engine matches an alias whole, so the old type has to be
    paired with each old name. The provider then reports the pickle's removal as an update
    that makes no Twilio call (`flexorch.provider`).
    """
    moved = [pulumi.Alias(type_=dynamic)]
    for given in (opts.aliases if opts else None) or []:
        if isinstance(given, pulumi.Alias):
            alias = copy.copy(given)
            alias.type_ = dynamic
            moved.append(alias)
    return moved


def camel(name: str) -> str:
    """`workspace_sid` -> `workspaceSid`: a property name as the provider's schema has it."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def snake(name: str) -> str:
    """`workspaceSid` -> `workspace_sid`: a property name as the providers' dicts have it."""
    return _UPPER.sub(lambda found: "_" + found.group(1).lower(), name)


@contextmanager
def served_by(provider: pulumi.ProviderResource) -> Iterator[None]:
    """Resources declared inside are served by `provider` (one Twilio account).

    They are declared with no stack trace: Pulumi's SDK records each resource's whole Python
    stack in state (about 1.5 KB a resource, half of a number's route, and all of it frames of
    flexorch and of Pulumi's own runner), and the file backend writes the whole state again
    after every step, so 100 numbers wrote it 100 times over. The component keeps its own,
    which is where the program declared it. With an SDK that has no such hook, nothing changes.
    """
    reset = _SERVED_BY.set(provider)
    _quieten_routine_debug()
    traces = pulumi_runtime_resource
    recorded = getattr(traces, "_get_stack_trace", None)
    if recorded is not None:
        traces._get_stack_trace = _no_stack_trace  # private: Pulumi offers no setting
    try:
        yield
    finally:
        _SERVED_BY.reset(reset)
        if recorded is not None:
            traces._get_stack_trace = recorded


def _no_stack_trace() -> source_pb2.StackTrace:
    return source_pb2.StackTrace()


def _quieten_routine_debug() -> None:
    """Drop the SDK's routine debug lines for flexorch's own resources; keep every other line.

    The SDK sends each debug line to the engine as a blocking call on the program's event
    loop, four for every resource it registers, whether or not anyone shows debug output:
    468 round trips for 100 numbers, which held up registering the resources behind them
    (a no-change preview of 100 numbers took 0.24 s longer). Lines about failures, and
    every line about the program's other resources, still reach the engine. The resources
    declared inside `served_by` register in tasks that inherit its context, which is how
    their lines are told apart.
    """
    debug = pulumi.log.debug
    if getattr(debug, "_flexorch_quiet", False):
        return

    def quiet(msg: str, *args: Any, **kwargs: Any) -> None:
        if _SERVED_BY.get() is not None and msg.startswith(_ROUTINE):
            return
        debug(msg, *args, **kwargs)

    quiet._flexorch_quiet = True  # type: ignore[attr-defined]
    pulumi.log.debug = quiet


class TwilioResource(Resource):
    """A flexorch resource, served by the provider of `served_by`, else by the one in `opts`."""

    def __init__(
        self, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions | None = None
    ) -> None:
        """Declare it; the plugin finds its logic by type (`flexorch.provider.registry`)."""
        real = _SERVED_BY.get()
        kind = self._resource_type_name.rsplit(":", 1)[-1]
        moved = _moved(opts, f"{DYNAMIC_PACKAGE}:{self._resource_type_name}")
        # Only top-level names are translated (the SDK's `translate_*_property` hooks would
        # rename keys of nested data too), and `pulumi.dynamic`'s pickling is skipped.
        pulumi.CustomResource.__init__(
            self,
            token(kind),
            name,
            {camel(key): value for key, value in props.items()},
            pulumi.ResourceOptions.merge(
                opts,
                pulumi.ResourceOptions(aliases=moved)
                if real is None
                else pulumi.ResourceOptions(provider=real, aliases=moved),
            ),
        )
        for key in props:
            setattr(self, key, getattr(self, camel(key)))
