"""Programmable Chat (Flex UI 1.x): the Chat v2 service's webhooks, and each number's SmsUrl.

Twilio ended Programmable Chat for Flex on 2026-06-01; it stays the default platform (a stack
or a state without `platform` is on it). Removing it is deleting this module and its line in
platforms.py.
"""

from __future__ import annotations

from typing import Any

from twilio.rest import Client
from typing_extensions import override

from flexorch.resources import addresses
from flexorch.resources.base import form_fields, warn
from flexorch.resources.platform import Platform, Route, recorded_address, sendable
from flexorch.twilio_client import twilio_call
from flexorch.twilio_facts import PROGRAMMABLE_CHAT, WebhookSettings


class ProgrammableChat(Platform):
    """Webhooks on the Chat v2 service itself; a number's messages through its SmsUrl."""

    name = PROGRAMMABLE_CHAT
    # The guard also covers the webhooks Flex left on the numbers' chat channels.
    scans_chat_channels = True
    recorded = "previous"

    @override
    def fetch_webhooks(self, client: Client, label: str, sid: str, action: str) -> WebhookSettings:
        with twilio_call(label, action):
            return WebhookSettings.of_chat_service(client.chat.v2.services(sid).fetch())

    @override
    def fields(self, settings: WebhookSettings) -> dict[str, Any]:
        return settings.chat_fields()

    @override
    def write_webhooks(
        self, client: Client, label: str, sid: str, fields: dict[str, Any], action: str
    ) -> None:
        fields = sendable(fields, "webhook_filters")
        # Numbers come back from Pulumi state as floats (protobuf); Twilio wants integers.
        for key in ("pre_webhook_retry_count", "post_webhook_retry_count"):
            if key in fields:
                fields[key] = int(fields[key])
        with twilio_call(label, action, form_fields(fields)):
            client.chat.v2.services(sid).update(**fields)

    @override
    def create_route(
        self,
        route: Route,
        props: dict[str, Any],
        sid: str,
        phone_number: str,
        wanted: dict[str, Any],
    ) -> dict[str, Any]:
        route.set_sms(props, sid, wanted, "update")
        given_back = _give_back_left(route, props, {}, sid, phone_number, wanted, True)
        return {"address_sid": "", "address_previous": None, "address_given_back": given_back}

    @override
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
        if changed:
            route.set_sms(news, sid, wanted, "update")
        outs: dict[str, Any] = {"address_sid": "", "address_previous": None}
        if not moved:  # after a move, the platform left gives back what it held
            phone_number = olds.get("phone_number") or news["number"]
            given_back = _give_back_left(
                route, news, olds, sid, phone_number, wanted, bool(changed)
            )
            outs["address_given_back"] = given_back
        return outs

    @override
    def route_pending(self, olds: dict[str, Any], news: dict[str, Any]) -> bool:
        """An address a stopped move onto Conversations left (the inputs are as they were).

        A move onto Conversations stopped after its address write (the CLI killed, the answer
        lost) and then reverted leaves this route's inputs as they were: only the snapshot's
        record of the number's address says that the number moved. Still no request.
        """
        return _left_to_give_back(olds, news) is not None


def _left_to_give_back(olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any] | None:
    """The recorded address a route staying on Programmable Chat has not given back yet."""
    recorded = recorded_address(news)
    if recorded is None or recorded == olds.get("address_given_back"):
        return None
    return recorded


def _give_back_left(
    route: Route,
    props: dict[str, Any],
    olds: dict[str, Any],
    sid: str,
    phone_number: str,
    wanted: dict[str, Any],
    path_set: bool,
) -> dict[str, Any] | None:
    """Give back an address a stopped move onto Conversations left; what is now given back.

    One request (the account's SMS addresses), only when the snapshot's record says that the
    number moved and this route has not given that record back. Before a write, the number's
    SmsUrl is set (unless `path_set`): never a moment with no path.
    """
    recorded = _left_to_give_back(olds, props)
    if recorded is None:
        given_back: dict[str, Any] | None = olds.get("address_given_back")
        return given_back
    client, label = route.client(), route.label(props)
    left = addresses.leftover(client, phone_number, recorded)
    if left is not None:
        warn(
            f"{label}: still had the Address Configuration {left[0]} from a move onto "
            "Conversations that was stopped; giving it back"
        )
        if not path_set:
            route.set_sms(props, sid, wanted, "update")
        addresses.release(client, label, *left)
    return recorded
