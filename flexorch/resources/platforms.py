"""The registry of messaging platforms: one strategy per `flexorch:platform` value.

The resources that serve every platform look their strategy up here from their `platform`
input, once per operation (a strategy is never kept on a provider, which is pickled into state).
Adding a platform is a module with a `Platform` subclass and a line below; removing one is the
reverse.
"""

from __future__ import annotations

from typing import Any

from flexorch.resources.conversations import Conversations
from flexorch.resources.platform import Platform
from flexorch.resources.programmable_chat import ProgrammableChat
from flexorch.twilio_facts import platform_of

PLATFORMS: dict[str, Platform] = {
    strategy.name: strategy
    for strategy in (
        ProgrammableChat(),
        Conversations(),
    )
}


def platform(value: Any) -> Platform:
    """The strategy of a `platform` input or config value; without one, the default platform's."""
    return PLATFORMS[platform_of(value)]


def every_platform() -> tuple[Platform, ...]:
    """Every registered platform (each keeps its own record of the chat service's webhooks)."""
    return tuple(PLATFORMS.values())
