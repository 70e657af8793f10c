"""The real provider's credentials: secrets stay secret, or the provider refuses them.

What the engine sends Configure, built by hand: the stack's `flexorch:` config (or a provider
resource's inputs), each value marked secret or not as the stack has it.
"""

from __future__ import annotations

import asyncio

import pytest
from pulumi.provider.experimental import provider as api
from pulumi.provider.experimental.property_value import PropertyValue

from flexorch.errors import FlexorchError
from flexorch.provider.provider import FlexorchProvider

SID = "AC" + "1" * 32


def configure(args: dict[str, PropertyValue]) -> FlexorchProvider:
    provider = FlexorchProvider(workers=1)
    asyncio.run(provider.configure(api.ConfigureRequest({}, args, True, True)))
    return provider


@pytest.mark.parametrize("key", ["authToken", "apiSecret"])
def test_a_plain_text_token_or_api_secret_is_refused(key: str) -> None:
    with pytest.raises(FlexorchError) as raised:
        configure({"accountSid": PropertyValue(SID), key: PropertyValue("hunter2")})
    assert str(raised.value) == (
        f"flexorch:{key}: is not a secret, so state would hold it in plain text; run "
        f"`pulumi config set --secret flexorch:{key}` (for a provider resource, pass a secret)"
    )


def test_secret_credentials_are_kept_for_the_calls() -> None:
    provider = configure(
        {
            "accountSid": PropertyValue(SID),
            "authToken": PropertyValue("hunter2", is_secret=True),
            "workspace": PropertyValue("not a credential"),
        }
    )
    assert provider._config_get("twilio:accountSid") == SID
    assert provider._config_get("twilio:authToken") == "hunter2"
    assert provider._config_get("twilio:workspace") is None
