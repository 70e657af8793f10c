"""Flex Conversations (Flex UI 2.x): the service's webhook configuration, each number's address.

The Conversations service's webhooks live in its webhook configuration
(`/v1/Services/{sid}/Configuration/Webhooks`). A number's messages reach the handler through
its Address Configuration (autoCreation webhook, addresses.py) and its own SmsUrl is empty:
Twilio would run it in parallel with the address. A move onto Conversations is two consecutive
requests, the address first; a move back sets the SmsUrl before the address goes. Either way,
for the one request between them both deliver (a duplicate, never a lost message).
"""

from __future__ import annotations

import contextlib
from typing import Any, TypeVar

from twilio.rest import Client
from typing_extensions import override

from flexorch.errors import FlexorchError
from flexorch.resources import addresses
from flexorch.resources.base import form_fields, warn
from flexorch.resources.platform import Platform, Route, recorded_address, sendable
from flexorch.twilio_client import twilio_call
from flexorch.twilio_facts import (
    ADDRESS_WEBHOOK_FILTERS,
    CONVERSATIONS,
    WebhookSettings,
    address_settings,
    same_url,
)

T = TypeVar("T")


class Conversations(Platform):
    """Webhooks in the service's webhook configuration; a number's messages via its address."""

    name = CONVERSATIONS
    addresses = True
    recorded = "previous_conversations"

    @override
    def route_sms_url(self, url: T) -> T | str:
        return ""  # the address takes the number's messages

    @override
    def route_address(self, url: str, method: str, service_sid: str) -> dict[str, Any] | None:
        return {
            "webhook_url": url,
            "webhook_method": method,
            "webhook_filters": list(ADDRESS_WEBHOOK_FILTERS),
            "conversation_service_sid": service_sid,
        }

    # --- the service's webhooks ------------------------------------------------------------

    @override
    def fetch_webhooks(self, client: Client, label: str, sid: str, action: str) -> WebhookSettings:
        with twilio_call(f'ConversationsService "{sid}"', f"{action} its webhooks"):
            return WebhookSettings.of_conversations_service(service_webhooks(client, sid).fetch())

    @override
    def fields(self, settings: WebhookSettings) -> dict[str, Any]:
        return settings.conversations_fields()

    @override
    def write_webhooks(
        self, client: Client, label: str, sid: str, fields: dict[str, Any], action: str
    ) -> None:
        fields = sendable(fields, "filters")
        with twilio_call(f'ConversationsService "{sid}"', action, form_fields(fields)):
            service_webhooks(client, sid).update(**fields)

    @override
    def adopted_at_handler(
        self, label: str, olds: dict[str, Any], found: dict[str, Any]
    ) -> dict[str, Any]:
        """Already at the handler after a move from Programmable Chat: the Chat v2 settings.

        They are this stack's own, if Twilio stores the two platforms' webhooks together: what
        was there before flexorch is the Chat one (its `previous`), as its counterparts.
        """
        chat = olds.get("previous")
        if found.get("points_at_handler") and chat:
            warn(
                f"{label}: its Conversations webhooks already point at this stack's "
                "handler; recording its settings from before flexorch (Chat v2) instead"
            )
            before = WebhookSettings.from_chat_fields(chat).on_conversations()
            found[self.recorded] = self.fields(before)
        return found

    # --- a number's route --------------------------------------------------------------------

    @override
    def create_route(
        self,
        route: Route,
        props: dict[str, Any],
        sid: str,
        phone_number: str,
        wanted: dict[str, Any],
    ) -> dict[str, Any]:
        recorded = (props.get("snapshot") or {}).get("address")
        held = _take_address(route, props, phone_number, recorded)
        _empty_sms_url(route, props, sid, wanted, held)
        return {**held, "address_given_back": None}

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
        phone_number = olds.get("phone_number") or news["number"]
        if moved:
            return self.create_route(route, news, sid, phone_number, wanted)
        held = _hold_address(
            route, news, phone_number, olds.get("address_sid") or "", olds.get("address_previous")
        )
        # Only the address changed (a new handler URL): the SmsUrl is empty already.
        if {"sms_url", "sms_method"} & set(changed):
            route.set_sms(news, sid, wanted, "update")
        return {**held, "address_given_back": None}

    @override
    def leave_route(
        self, route: Route, sid: str, olds: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        """The second write of a move back to Programmable Chat: the address given back.

        A failure is read back: the address gone (or put back) means Twilio applied it; still
        at the handler, the SmsUrl is emptied again, as the state still records.
        """
        client, label = route.client(), route.label(news)
        address_sid, previous = olds.get("address_sid") or "", olds.get("address_previous")
        try:
            addresses.release(client, label, address_sid, previous)
        except FlexorchError as failed:
            try:
                held = addresses.still_held(client, label, address_sid, previous)
            except FlexorchError:
                raise failed from None  # not known: the SmsUrl stays too, the next up ends it
            if held:
                route.set_sms(news, sid, {"sms_url": "", "sms_method": news["sms_method"]}, "undo")
                raise
            warn(f"{failed}; read back, Twilio had applied it: the move back is complete")
        return {"address_given_back": recorded_address(news)}

    @override
    def read_route(self, route: Route, sid: str, props: dict[str, Any]) -> dict[str, Any]:
        found = addresses.sms_addresses_now(route.client()).get(props.get("address_sid") or "")
        # Gone (deleted in the Console): "" makes the next up create it again.
        return {
            "address": address_settings(found) if found else None,
            "address_sid": found.sid if found else "",
        }

    @override
    def delete_route(self, route: Route, sid: str, props: dict[str, Any]) -> None:
        addresses.release(
            route.client(),
            route.label(props),
            props.get("address_sid") or "",
            props.get("address_previous"),
        )


def service_webhooks(client: Client, sid: str) -> Any:
    """The webhook configuration of Conversations service `sid` (fetch or update it)."""
    return client.conversations.v1.services(sid).configuration.webhooks()


def _hold_address(
    route: Route,
    props: dict[str, Any],
    phone_number: str,
    sid: str,
    previous: dict[str, Any] | None,
) -> dict[str, Any]:
    """The number's Address Configuration at the handler; the outputs that record it."""
    if not sid and previous:
        sid = previous["sid"]
    sid = addresses.hold(route.client(), route.label(props), phone_number, sid, props["address"])
    # An empty record: the number had none, so the one held is deleted on destroy.
    return {"address_sid": sid, "address_previous": previous or None}


def _take_address(
    route: Route, props: dict[str, Any], phone_number: str, recorded: dict[str, Any] | None
) -> dict[str, Any]:
    """The first write of a move onto Conversations: the number's address at the handler.

    When it fails, it may still have been applied (an answer lost): what Twilio shows of it
    is given back, while the SmsUrl still delivers. Unreadable, the next run finds it.
    """
    try:
        return _hold_address(route, props, phone_number, "", recorded)
    except FlexorchError:
        client = route.client()
        with contextlib.suppress(FlexorchError):
            left = addresses.leftover(client, phone_number, recorded)
            if left is not None:
                addresses.release(client, route.label(props), *left)
        raise


def _empty_sms_url(
    route: Route, props: dict[str, Any], sid: str, wanted: dict[str, Any], held: dict[str, Any]
) -> None:
    """The second write of a move onto Conversations; a failure is read back before undoing.

    When it fails, its answer may have been lost after Twilio applied it, so it is read back
    before the first write is undone: applied, the move is done; not applied, the address is
    given back and the SmsUrl stays; not known, nothing is undone (both paths deliver: a
    duplicate, never a lost message) and the next run ends it.
    """
    try:
        route.set_sms(props, sid, wanted, "update")
    except FlexorchError as failed:
        try:
            with twilio_call(route.label(props), "read back its SmsUrl"):
                now = route.client().incoming_phone_numbers(sid).fetch()
        except FlexorchError:
            raise failed from None  # not known: the address stays, a path either way
        if same_url(now.sms_url, wanted["sms_url"]):
            warn(f"{failed}; read back, Twilio had applied it: the move is complete")
            return
        # Not applied: the SmsUrl still delivers, so the address this move took goes back.
        addresses.release(
            route.client(), route.label(props), held["address_sid"], held["address_previous"]
        )
        raise
