"""The doctor's platforms by the name `flexorch:platform` gives them: the one place that picks.

Each platform is a sub-package implementing `flexorch.doctor.platform.Platform`. Adding one is
adding its sub-package and its line below; removing one is deleting both. A platform whose
`flexorch:taskCreation` variants differ has them in VARIANTS (as render.py's plugin files do).
"""

from __future__ import annotations

from typing import Any

from flexorch.config import TASKROUTER, StackConfig
from flexorch.doctor.platform import Platform
from flexorch.doctor.platforms import conversations, programmable_chat
from flexorch.doctor.platforms.conversations import taskrouter
from flexorch.twilio_facts import CONVERSATIONS, PROGRAMMABLE_CHAT

PLATFORMS: dict[str, Platform[Any]] = {
    PROGRAMMABLE_CHAT: programmable_chat.ProgrammableChat(),
    CONVERSATIONS: conversations.Conversations(),
}

VARIANTS: dict[str, dict[str, Platform[Any]]] = {
    CONVERSATIONS: {TASKROUTER: taskrouter.ConversationsTaskRouter()},
}
"""Platform -> `flexorch:taskCreation` value -> its doctor, where it differs."""


def for_stack(config: StackConfig) -> Platform[Any]:
    """The doctor of the stack's platform, and of its taskCreation variant if it has one."""
    platform = PLATFORMS[config.platform]
    return VARIANTS.get(config.platform, {}).get(config.task_creation, platform)
