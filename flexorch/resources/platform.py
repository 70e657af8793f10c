"""What a messaging platform does to the resources that serve every platform: the interface.

A Flex account's chat service and its phone numbers serve whichever platform the stack targets
(`flexorch:platform`). Each stays one resource (ChatServiceWebhooks, PhoneNumberRoute) whatever
the platform, so that a switch gives back one platform's settings in the same resource that
sets the other's, in the write order that keeps a path for every message. The resource asks
its `platform` input's strategy (programmable_chat.py, conversations.py, registered in
platforms.py) what to read and write; only the strategies and the registry name a platform.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from twilio.rest import Client

from flexorch.resources.base import known
from flexorch.twilio_facts import WebhookSettings

T = TypeVar("T")


class Route(Protocol):
    """What a platform needs of a number's route (phone_number.PhoneNumberRouteProvider)."""

    def client(self) -> Client:
        """The process's Twilio client."""

    def label(self, props: dict[str, Any]) -> str:
        """How errors name the route."""

    def set_sms(
        self, props: dict[str, Any], sid: str, settings: dict[str, Any], action: str
    ) -> None:
        """Write the number's SMS settings (SmsUrl, SmsMethod, ...), SDK argument names."""


class Platform:
    """One messaging platform's part in the chat service's webhooks and the numbers' routes.

    Subclasses are stateless (one instance each, in the registry): everything they need comes
    in with the call, so nothing of theirs is pickled into state.
    """

    name: str = ""
    """The `flexorch:platform` value."""

    # --- what the component declares ---------------------------------------------------------

    addresses: bool = False
    """Whether a number's messages come through its Conversations Address Configuration, so the
    numbers' snapshot records the configurations too."""
    scans_chat_channels: bool = False
    """Whether the Flex Flow guard also covers the webhooks Flex left on the numbers' chat
    channels (Programmable Chat channels)."""

    def route_sms_url(self, url: T) -> T | str:
        """The SmsUrl a managed number gets, given the handler's SMS URL."""
        return url

    def route_address(self, url: str, method: str, service_sid: str) -> dict[str, Any] | None:
        """The Address Configuration a managed number gets (None: it needs none)."""
        return None

    # --- the chat service's webhooks (chat_webhooks.py) ----------------------------------------

    recorded: str = ""
    """The output that records the service's webhook settings from before flexorch; each
    platform's are kept apart, in the SDK's names (`fields`)."""

    def fetch_webhooks(self, client: Client, label: str, sid: str, action: str) -> WebhookSettings:
        """The service's webhook settings as Twilio has them now."""
        raise NotImplementedError

    def fields(self, settings: WebhookSettings) -> dict[str, Any]:
        """`settings` as the SDK's arguments: what is written, and what state records."""
        raise NotImplementedError

    def write_webhooks(
        self, client: Client, label: str, sid: str, fields: dict[str, Any], action: str
    ) -> None:
        """Set the service's webhooks to `fields` (SDK argument names, as recorded)."""
        raise NotImplementedError

    def adopted_at_handler(
        self, label: str, olds: dict[str, Any], found: dict[str, Any]
    ) -> dict[str, Any]:
        """The snapshot's record when a switch onto this platform found it already adopted.

        `found` is what the look-up recorded; `olds` what was recorded on the other platform.
        """
        return found

    # --- a number's route (phone_number.py) ------------------------------------------------

    def create_route(
        self,
        route: Route,
        props: dict[str, Any],
        sid: str,
        phone_number: str,
        wanted: dict[str, Any],
    ) -> dict[str, Any]:
        """Put the number on this platform's path; the outputs that record what it holds."""
        raise NotImplementedError

    def update_route(
        self,
        route: Route,
        sid: str,
        olds: dict[str, Any],
        news: dict[str, Any],
        wanted: dict[str, Any],
        changed: list[str],
        moved: bool,
    ) -> dict[str, Any]:
        """Apply a change; `moved`: the number comes from another platform's path.

        A move puts this platform's path in place before the other one's goes
        (`leave_route` of the platform it comes from runs next).
        """
        raise NotImplementedError

    def leave_route(
        self, route: Route, sid: str, olds: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        """After a move to another platform: what is left of this one's path is given back."""
        return {}

    def route_pending(self, olds: dict[str, Any], news: dict[str, Any]) -> bool:
        """Whether the route has work that no input shows (diff says it changed)."""
        return False

    def read_route(self, route: Route, sid: str, props: dict[str, Any]) -> dict[str, Any]:
        """What a refresh reads beyond the number's SMS settings (its address, if any)."""
        return {"address": props.get("address"), "address_sid": props.get("address_sid") or ""}

    def delete_route(self, route: Route, sid: str, props: dict[str, Any]) -> None:
        """After the number's SMS settings are put back: give back what else the route holds."""


def sendable(fields: dict[str, Any], filters: str) -> dict[str, Any]:
    """Webhook settings as Twilio takes them (`filters`: the SDK's name of the event list).

    The specs type webhook URLs as URIs, so an empty one cannot be sent: it is left as it is.
    Events decide what fires, so a URL without its events stays silent. An empty list would
    send no filters key at all; one empty value clears it.
    """
    fields = {k: v for k, v in fields.items() if v != ""}
    if fields.get(filters) == []:
        fields[filters] = [""]
    return fields


def recorded_address(props: dict[str, Any]) -> dict[str, Any] | None:
    """The snapshot's record of the number's address from before Conversations ({}: it had none).

    None while the number never moved onto Conversations (the snapshot records addresses only
    from then on, and keeps the record after a move back) or the record is not known yet.
    """
    snapshot = props.get("snapshot")
    if not isinstance(snapshot, dict) or "address" not in snapshot or not known(snapshot):
        return None
    return dict(snapshot["address"] or {})
