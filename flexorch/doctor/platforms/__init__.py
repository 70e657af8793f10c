"""The doctor's platforms by the name `flexorch:platform` gives them: the one place that picks.

Each platform is a sub-package implementing `flexorch.doctor.platform.Platform`. Adding one is
adding its sub-package and its line below; removing one is deleting both.
"""

from __future__ import annotations

from typing import Any

from flexorch.config import StackConfig
from flexorch.doctor.platform import Platform
from flexorch.doctor.platforms import conversations, programmable_chat
from flexorch.twilio_facts import CONVERSATIONS, PROGRAMMABLE_CHAT

PLATFORMS: dict[str, Platform[Any]] = {
    PROGRAMMABLE_CHAT: programmable_chat.ProgrammableChat(),
    CONVERSATIONS: conversations.Conversations(),
}


def for_stack(config: StackConfig) -> Platform[Any]:
    """The doctor of the stack's platform."""
    return PLATFORMS[config.platform]
