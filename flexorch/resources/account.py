"""The provider resource a program declares for one Twilio account (`pulumi:providers:flexorch`).

Several of them let one program manage several accounts (dev and prod, or one per brand):
each resource is given the one it belongs to (`opts=ResourceOptions(provider=...)`).
"""

from __future__ import annotations

import pulumi

from flexorch.resources.resource import PACKAGE
from flexorch.twilio_facts import PROVIDER_CREDENTIALS


def _secret(value: pulumi.Input[str] | None) -> pulumi.Input[str] | None:
    return None if value is None else pulumi.Output.secret(value)


class Provider(pulumi.ProviderResource):
    """The flexorch provider for one Twilio account: an auth token, or an API key pair.

    Whatever is not given comes from the provider's environment (`TWILIO_ACCOUNT_SID`,
    `TWILIO_AUTH_TOKEN`, `TWILIO_API_KEY`, `TWILIO_API_SECRET`). The token and the API secret are
    always secret in state.
    """

    def __init__(
        self,
        resource_name: str,
        *,
        account_sid: pulumi.Input[str] | None = None,
        auth_token: pulumi.Input[str] | None = None,
        api_key: pulumi.Input[str] | None = None,
        api_secret: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Declare the provider; its config keys are those of the `twilio:` namespace."""
        props = {
            "accountSid": account_sid,
            "authToken": _secret(auth_token),
            "apiKey": api_key,
            "apiSecret": _secret(api_secret),
        }
        super().__init__(PACKAGE, resource_name, props, opts)

    @staticmethod
    def from_stack_config(
        resource_name: str, opts: pulumi.ResourceOptions | None = None
    ) -> Provider:
        """The provider for the account of the stack's config (or the environment).

        A real provider receives only its own namespace's config, so the stack's credentials
        reach it through this resource: `flexorch:accountSid` and its kin when any is set (the
        default provider's own config, as YAML programs set it: the component the provider
        constructs sees the whole stack config), else `twilio:accountSid` and secret
        `twilio:authToken`, as Python stacks have them.
        """
        own = pulumi.Config(PACKAGE)
        config = (
            own if any(own.get(key) for key in PROVIDER_CREDENTIALS) else pulumi.Config("twilio")
        )
        return Provider(
            resource_name,
            account_sid=config.get("accountSid"),
            auth_token=config.get_secret("authToken"),
            api_key=config.get("apiKey"),
            api_secret=config.get_secret("apiSecret"),
            opts=opts,
        )
