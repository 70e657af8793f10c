"""Programmable Chat (Flex UI 1.x) in the sandbox: chat channels, Proxy sessions, Studio.

`scenarios` (what `up` leaves, the healthy account, one broken account per doctor check) and
`migration` (one account per `flexorch migrate` finding on the way to Flex Conversations).
"""

from __future__ import annotations

from flexorch.sandbox.platforms.programmable_chat import migration, scenarios
from flexorch.sandbox.toolkit import Platform

SANDBOX = Platform(
    config=scenarios.sandbox_config,
    apply_stack=scenarios.apply_stack,
    doctor=scenarios.CATALOGUE,
    migrate=migration.MIGRATION_CATALOGUE,
)
