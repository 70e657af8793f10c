"""Every account `flexorch sandbox --scenario NAME` can start with, by name.

The seeded account (also with a returning customer's chat channel that still hands messages
to Studio, and with each other thing that can take a managed number's messages, for `up`), then
each platform's accounts for `flexorch doctor` (one broken account
per check), then those for `flexorch migrate` (one per finding), in the registry's order
(`flexorch.sandbox.platforms`).
"""

from __future__ import annotations

from collections.abc import Callable

from flexorch.sandbox import seed
from flexorch.sandbox.fake import FakeTwilio
from flexorch.sandbox.platforms import PLATFORMS

DOCTOR = [s for platform in PLATFORMS.values() for s in platform.doctor]
MIGRATE = [s for platform in PLATFORMS.values() for s in platform.migrate]
ALL: dict[str, Callable[[], FakeTwilio]] = {s.name: s.build for s in DOCTOR + MIGRATE}
SCENARIOS: dict[str, Callable[[], FakeTwilio]] = {
    "flex-account": seed.flex_account,
    "flex-account-returning-customer": seed.returning_customer_account,
    "flex-account-messaging-service": seed.messaging_service_account,
    "flex-account-shared-messaging-service": seed.shared_messaging_service_account,
    "flex-account-deferring-messaging-service": seed.deferring_messaging_service_account,
    "flex-account-twiml-app": seed.twiml_app_account,
    "flex-account-full-workspace": seed.full_workspace_account,
    **ALL,
}


def scenario(name: str) -> FakeTwilio:
    """A new fake account for the named scenario."""
    return SCENARIOS[name]()
