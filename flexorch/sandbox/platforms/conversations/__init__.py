"""Flex Conversations (Flex UI 2.x) in the sandbox: addresses, conversations, participants.

`scenarios`: what `up` leaves, the healthy account, one broken account per doctor check.
"""

from __future__ import annotations

from flexorch.sandbox.platforms.conversations import scenarios
from flexorch.sandbox.toolkit import Platform

SANDBOX = Platform(
    config=scenarios.conversations_config,
    apply_stack=scenarios.apply_conversations_stack,
    doctor=scenarios.CONVERSATIONS_CATALOGUE,
)
