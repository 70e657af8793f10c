"""Every account `flexorch sandbox --scenario NAME` can start with, by name.

The seeded account (also with a returning customer's chat channel that still hands messages
to Studio, for `up`), then one broken account per doctor check on each platform
(`scenarios` for Programmable Chat, `conversations_scenarios` for Flex Conversations), and one
per `flexorch migrate` finding (`migration_scenarios`).
"""

from __future__ import annotations

from collections.abc import Callable

from flexorch.sandbox import seed
from flexorch.sandbox.conversations_scenarios import CONVERSATIONS_CATALOGUE
from flexorch.sandbox.fake import FakeTwilio
from flexorch.sandbox.migration_scenarios import MIGRATION_CATALOGUE
from flexorch.sandbox.scenarios import CATALOGUE

ALL: dict[str, Callable[[], FakeTwilio]] = {
    s.name: s.build for s in CATALOGUE + CONVERSATIONS_CATALOGUE + MIGRATION_CATALOGUE
}
SCENARIOS: dict[str, Callable[[], FakeTwilio]] = {
    "flex-account": seed.flex_account,
    "flex-account-returning-customer": seed.returning_customer_account,
    "flex-account-messaging-service": seed.messaging_service_account,
    "flex-account-shared-messaging-service": seed.shared_messaging_service_account,
    "flex-account-deferring-messaging-service": seed.deferring_messaging_service_account,
    "flex-account-twiml-app": seed.twiml_app_account,
    **ALL,
}


def scenario(name: str) -> FakeTwilio:
    """A new fake account for the named scenario."""
    return SCENARIOS[name]()
