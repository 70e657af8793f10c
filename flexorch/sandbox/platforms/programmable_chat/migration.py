"""Accounts for `flexorch migrate`: the 1.x sandbox stack applied, on its way to Conversations.

Every scenario starts from Programmable Chat's `scenarios.all_pass()` (the sandbox stack on
it, one finished conversation) with Flex UI 2.x pinned, which is ready for the move; each other one
holds one thing the move must deal with: `flexorch sandbox --scenario NAME`, then
`flexorch migrate --config examples/Pulumi.sandbox.yaml`.
"""

from __future__ import annotations

import json

from flexorch.sandbox import seed
from flexorch.sandbox.fake import FakeTwilio
from flexorch.sandbox.platforms.programmable_chat.scenarios import (
    CHANNEL_SID,
    CHAT_USERS,
    add_session,
    all_pass,
)
from flexorch.sandbox.toolkit import (
    Scenario,
    broken,
    conversations_defaults_off,
    in_messaging_service,
    twiml_app_on_number,
)

FLEX_UI_2 = "~2.17.1"
STUDIO_ADDRESS_SID = seed.sid("IG", "studio address of +15005550006")


def ready() -> FakeTwilio:
    """Ready to move: Flex UI 2.x, nothing in flight, no address on a managed number."""
    fake = all_pass()
    fake.singleton(seed.FLEX_CONFIGURATION).update(ui_version=FLEX_UI_2)
    return fake


def flex_ui_1() -> FakeTwilio:
    """Blocked: the account is still on Flex UI 1.x, and Conversations needs 2.x."""
    return all_pass()  # the seeded account pins Flex UI 1.x


def in_flight() -> FakeTwilio:
    """Blocked: the customer's chat channel is still ACTIVE and its Proxy session open."""
    fake = ready()
    channel = fake.find(seed.CHAT_CHANNELS, sid=CHANNEL_SID)
    channel["attributes"] = json.dumps({**json.loads(channel["attributes"]), "status": "ACTIVE"})
    add_session(fake, "open")
    return fake


def address_exists() -> FakeTwilio:
    """Warning: +15005550006 already has an Address Configuration (to Studio), to be adopted."""
    fake = ready()
    studio = {"enabled": True, "type": "studio", "studio_flow_sid": seed.STUDIO_FLOW_SID}
    fake.add(seed.ADDRESSES, sid=STUDIO_ADDRESS_SID, type="sms", address=seed.FREE_NUMBER,
             friendly_name="Studio", auto_creation=studio)  # fmt: skip
    return fake


def channel_limit() -> FakeTwilio:
    """Warning: bob is in 912 chat channels, near the 1,000 his conversations inherit."""
    fake = ready()
    fake.find(CHAT_USERS, identity="bob")["joined_channels_count"] = 912
    return fake


MIGRATION_CATALOGUE = (
    Scenario("migrate-ready", ready, None, "pass"),
    Scenario("migrate-flex-ui-1", flex_ui_1, "flex-ui"),
    Scenario("migrate-in-flight", in_flight, "in-flight"),
    Scenario("migrate-address-exists", address_exists, "number:+15005550006", "warn"),
    Scenario("migrate-channel-limit", channel_limit, "channel-limit", "warn"),
    Scenario(
        "migrate-messaging-service",
        broken(ready, in_messaging_service),
        "number:+15005550006",
    ),
    Scenario("migrate-twiml-app", broken(ready, twiml_app_on_number), "number:+15005550006"),
    Scenario(
        "migrate-conversations-defaults",
        broken(ready, conversations_defaults_off),
        "conversations-defaults",
        "warn",
    ),
)
