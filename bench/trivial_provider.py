"""The trivial dynamic provider of the engine's per-resource floor (`bench/resource_floor.py`).

Copied next to the floor program's `__main__.py` and imported from there as `trivial_provider`,
an importable module, so dill pickles the provider by reference (the module and class name), as
it does flexorch's providers, not by value. No network, no state: `create` answers a fixed id and
its inputs, `diff` compares one input, `delete` has nothing to undo. What an operation on N of
these costs is the engine's own (the CLI, the program's registrations, the dynamic provider host,
the state file), which no provider can go below.
"""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import CreateResult, DiffResult, Resource, ResourceProvider

FIXED_ID = "trivial"
COMPARED = "value"


class TrivialProvider(ResourceProvider):
    """Creates nothing anywhere: the engine's floor for one dynamic resource."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        """A fixed id and the inputs as outputs."""
        return CreateResult(FIXED_ID, dict(props))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Changed when the one compared input differs."""
        return DiffResult(changes=olds.get(COMPARED) != news.get(COMPARED))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Nothing to undo."""


class Trivial(Resource, module="bench", name="Trivial"):
    """One trivial dynamic resource."""

    def __init__(self, name: str, value: str, index: int) -> None:
        super().__init__(TrivialProvider(), name, {COMPARED: value, "index": index})
