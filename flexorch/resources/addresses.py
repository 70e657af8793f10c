"""A managed number's Conversations Address Configuration: adopted or created, then given back.

On Flex Conversations a number's inbound messages reach the handler through its Address
Configuration (autoCreation of type webhook, to smsUrl) instead of its own SmsUrl. The number's
route holds it (phone_number.py), so that the two writes of a cut-over are one request apart.
"""

from __future__ import annotations

from typing import Any

from twilio.rest import Client

from flexorch.errors import FlexorchError
from flexorch.lookups import once
from flexorch.resources.base import create_resolved, form_fields, warn
from flexorch.twilio_client import TwilioApiError, twilio_call
from flexorch.twilio_facts import ADDRESS_FRIENDLY_NAME, address_settings

# Twilio's largest page of Address Configurations.
PAGE_SIZE = 50


def list_sms_addresses(client: Client) -> dict[str, Any]:
    """The account's SMS Address Configurations now, by address (a refresh sees the Console's)."""
    with twilio_call("AddressConfigurations", "list SMS addresses"):
        found = client.conversations.v1.address_configurations.list(type="sms", page_size=PAGE_SIZE)
    return {address.address: address for address in found}


def sms_addresses(client: Client) -> dict[str, Any]:
    """The account's SMS Address Configurations as listed before this process changed any."""
    return once(client, "sms-addresses", lambda: list_sms_addresses(client))


def sms_addresses_now(client: Client) -> dict[str, Any]:
    """The account's SMS Address Configurations as a refresh finds them, by SID."""

    def by_sid() -> dict[str, Any]:
        return {address.sid: address for address in list_sms_addresses(client).values()}

    return once(client, "sms-addresses-now", by_sid)


def _wanted_fields(wanted: dict[str, Any]) -> dict[str, Any]:
    """SDK arguments for the Address Configuration the stack asks for."""
    return {
        "auto_creation_enabled": True,
        "auto_creation_type": "webhook",
        "auto_creation_conversation_service_sid": wanted["conversation_service_sid"],
        "auto_creation_webhook_url": wanted["webhook_url"],
        # The spec's enum is lower case (get | post).
        "auto_creation_webhook_method": str(wanted["webhook_method"]).lower(),
        "auto_creation_webhook_filters": list(wanted["webhook_filters"]),
    }


def _previous_fields(previous: dict[str, Any]) -> dict[str, Any]:
    """SDK arguments that put back an adopted Address Configuration as it was recorded."""
    fields: dict[str, Any] = {
        "friendly_name": previous.get("friendly_name"),
        "auto_creation_enabled": bool(previous.get("enabled")),
        "auto_creation_type": previous.get("type"),
        "auto_creation_conversation_service_sid": previous.get("conversation_service_sid"),
        "auto_creation_webhook_url": previous.get("webhook_url"),
        "auto_creation_webhook_method": str(previous.get("webhook_method") or "").lower(),
        "auto_creation_webhook_filters": list(previous.get("webhook_filters") or []) or None,
        "auto_creation_studio_flow_sid": previous.get("studio_flow_sid"),
        "auto_creation_studio_retry_count": int(previous.get("studio_retry_count") or 0) or None,
    }
    # What was empty stays as Twilio has it: the spec has no way to send "none" for these.
    return {k: v for k, v in fields.items() if v not in (None, "")}


def hold(client: Client, label: str, number: str, sid: str, wanted: dict[str, Any]) -> str:
    """Point `number`'s Address Configuration `sid` (or a new one) at the handler; its SID.

    A configuration deleted in the Console is created again; a create whose answer was lost is
    resolved by listing the account's SMS addresses, never sent blindly twice.
    """
    fields = _wanted_fields(wanted)

    def update(sid: str, missing_ok: bool = False) -> Any:
        """The configuration updated; None when it is gone (only with `missing_ok`)."""
        action = "update its Address Configuration"
        with twilio_call(label, action, form_fields(fields), missing_ok):
            return client.conversations.v1.address_configurations(sid).update(**fields)
        return None

    if sid and update(sid, missing_ok=True) is not None:
        return sid

    def create() -> Any:
        try:
            with twilio_call(label, "create its Address Configuration", form_fields(fields)):
                return client.conversations.v1.address_configurations.create(
                    type="sms", address=number, friendly_name=ADDRESS_FRIENDLY_NAME, **fields
                )
        except TwilioApiError as refused:
            # Twilio keeps one configuration per address: one made by a run that was stopped
            # before it could record it (it carries flexorch's name) is taken over.
            # Decided by the listing, not the refusal's code: Twilio's is not documented.
            status = refused.status or 0
            found = list_sms_addresses(client).get(number) if 400 <= status < 500 else None
            if found is None:
                raise
            if found.friendly_name != ADDRESS_FRIENDLY_NAME:
                raise FlexorchError(
                    f"{label}: {number} got an Address Configuration ({found.sid}) outside "
                    "flexorch after this stack recorded it; delete it in the Console, then run "
                    "up again"
                ) from None
            warn(f"{label}: took over {found.sid}, made for {number} by an earlier run")
            return update(found.sid)

    created = create_resolved(label, create, lambda: list_sms_addresses(client).get(number))
    return str(created.sid)


def release(client: Client, label: str, sid: str, previous: dict[str, Any] | None) -> None:
    """Give the Address Configuration back: as recorded when adopted, deleted when created."""
    if not sid:
        return
    configuration = client.conversations.v1.address_configurations(sid)
    if previous:
        fields = _previous_fields(previous)
        with twilio_call(label, "restore its Address Configuration", form_fields(fields), True):
            configuration.update(**fields)
        return
    with twilio_call(label, "delete its Address Configuration", missing_ok=True):
        configuration.delete()


def as_recorded(found: Any, previous: dict[str, Any]) -> bool:
    """Whether the Address Configuration `found` is as `release` puts `previous` back.

    Compared on what a put-back sends: what was empty stays as Twilio has it (see above).
    """
    now = _previous_fields(address_settings(found))
    return all(now.get(key) == value for key, value in _previous_fields(previous).items())


def still_held(client: Client, label: str, sid: str, previous: dict[str, Any] | None) -> bool:
    """Whether `sid` still takes its number's messages for flexorch, read back from Twilio.

    False once it is gone or put back as `previous` was (a created one: once it is gone).
    Raises FlexorchError when Twilio's answer cannot be had: then nobody knows.
    """
    found = live(client, label, sid)
    if found is None:
        return False
    return not previous or not as_recorded(found, previous)


def leftover(
    client: Client, number: str, recorded: dict[str, Any] | None
) -> tuple[str, dict[str, Any] | None] | None:
    """An Address Configuration of `number` that flexorch holds with no record of holding it.

    `recorded` is the number's configuration before flexorch (empty: it had none, so one was
    created). A move onto Conversations stopped after its address write (the CLI killed, the
    answer lost) leaves one: the adopted configuration not as recorded, or one carrying
    flexorch's name. Returns its SID and what `release` needs to give it back; None when
    Twilio shows nothing of flexorch's. One request: the account's SMS addresses, now.
    """
    found = list_sms_addresses(client).get(number)
    if found is None:
        return None
    if recorded and found.sid == recorded.get("sid"):
        return None if as_recorded(found, recorded) else (str(found.sid), recorded)
    if found.friendly_name == ADDRESS_FRIENDLY_NAME:
        return str(found.sid), None
    return None  # someone else's: not flexorch's to give back


def live(client: Client, label: str, sid: str) -> Any:
    """The Address Configuration `sid` as Twilio has it now; None when it is gone."""
    if not sid:
        return None
    found = None
    with twilio_call(label, "read its Address Configuration", missing_ok=True):
        found = client.conversations.v1.address_configurations(sid).fetch()
    return found
