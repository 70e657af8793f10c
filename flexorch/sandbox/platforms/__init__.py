"""The sandbox's platforms by the name `flexorch:platform` gives them: the one place listing them.

Each platform is a sub-package whose `SANDBOX` is a `flexorch.sandbox.toolkit.Platform`: its
stack applied, its healthy account and one broken account per check. Adding one is adding its
sub-package and its line below; removing one is deleting both. A variant of a platform's stack
with accounts of its own (path (b), `taskCreation: taskrouter`) is one more line.
"""

from __future__ import annotations

from flexorch.sandbox.platforms import conversations, programmable_chat
from flexorch.sandbox.toolkit import Platform
from flexorch.twilio_facts import CONVERSATIONS, PROGRAMMABLE_CHAT

PLATFORMS: dict[str, Platform] = {
    PROGRAMMABLE_CHAT: programmable_chat.SANDBOX,
    CONVERSATIONS: conversations.SANDBOX,
    # Variants of a platform's stack (taskCreation, knownAgent): their own accounts, same platform.
    f"{CONVERSATIONS}-taskrouter": conversations.TASKROUTER,
    f"{CONVERSATIONS}-taskrouter-known-agent": conversations.KNOWN_AGENT,
}
