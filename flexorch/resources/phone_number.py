"""PhoneNumbersSnapshot and PhoneNumberRoute: an adopted number's inbound SMS, at the handler.

Numbers are never bought or released. The snapshot records the numbers' SMS settings (and, on
Flex Conversations, their Address Configurations) before flexorch changes them, in as few
list pages as Twilio allows; each number's route points it at the handler and puts its
settings back on destroy.

On Programmable Chat the route sets the number's SmsUrl. On Conversations it holds the number's
Address Configuration (autoCreation webhook to the handler) and empties the SmsUrl, which would
otherwise run in parallel with the address. The route switches a number between the two itself,
so a cut-over is two consecutive requests: the new path is in place before the old one goes,
and for the one request between them both deliver (a duplicate, never a lost message).
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, Resource, UpdateResult
from typing_extensions import override

from flexorch.errors import FlexorchError
from flexorch.resources import addresses
from flexorch.resources.base import SnapshotProvider, TwilioProvider, form_fields, warn
from flexorch.resources.lookups import account_numbers
from flexorch.twilio_client import twilio_call
from flexorch.twilio_facts import (
    CONVERSATIONS,
    address_settings,
    platform_of,
    same_address,
    same_method,
    same_platform,
    same_url,
    sms_settings,
    twilio_hosted,
)


class PhoneNumbersSnapshotProvider(SnapshotProvider):
    """Finds the managed numbers among the account's and records each one's SMS settings.

    One resource for all numbers: a number added later is looked up and recorded on its own,
    the others keep what was recorded when they were adopted.
    """

    kind = "PhoneNumbersSnapshot"
    inputs = ("numbers", "addresses")
    comparisons = {"addresses": lambda a, b: bool(a) == bool(b)}

    @override
    def label(self, props: dict[str, Any]) -> str:
        return "PhoneNumbers"

    def _records(self, props: dict[str, Any], numbers: list[str]) -> dict[str, Any]:
        if not numbers:
            return {}
        found = account_numbers(self.client())
        handler = props.get("handler_url")
        missing = [n for n in numbers if n not in found]
        if missing:
            raise FlexorchError(
                [
                    f'PhoneNumber "{n}": no phone number of this account is {n}; check '
                    "flexorch:numbers (E.164 like +15005550006, or a PN SID)"
                    for n in missing
                ]
            )
        records = {n: _record(found[n], handler) for n in numbers}
        if props.get("addresses"):
            self._add_addresses(records)
        return records

    def _add_addresses(self, records: dict[str, Any]) -> None:
        """Record each number's Address Configuration (None: it has none, one is created)."""
        listed = addresses.sms_addresses(self.client())
        for record in records.values():
            if "address" not in record:
                found = listed.get(record["phone_number"])
                record["address"] = address_settings(found) if found else None

    @override
    def look_up(self, props: dict[str, Any]) -> dict[str, Any]:
        return {"sid": "phone-numbers", "records": self._records(props, list(props["numbers"]))}

    @override
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Numbers added or removed: record the new ones, keep what was recorded for the rest."""
        recorded = olds.get("records") or {}
        kept = {n: dict(recorded[n]) for n in news["numbers"] if n in recorded}
        if news.get("addresses") and not olds.get("addresses"):
            # Moved onto Conversations (again): the addresses as they are now, not as they were
            # on an earlier stay there.
            for record in kept.values():
                record.pop("address", None)
        if news.get("addresses"):
            self._add_addresses(kept)
        added = self._records(news, [n for n in news["numbers"] if n not in recorded])
        return UpdateResult(self.carry(olds, news, records={**kept, **added}))


def _record(number: Any, handler: str | None) -> dict[str, Any]:
    """What a route needs of a number: its SID, E.164 form and SMS settings from before."""
    previous = sms_settings(number)
    custom = previous["sms_url"] and not twilio_hosted(previous["sms_url"])
    return {
        "sid": number.sid,
        "phone_number": number.phone_number,
        "previous": previous,
        # Already on this stack's handler: what it had before flexorch is not known.
        "points_at_handler": bool(handler) and same_url(previous["sms_url"], handler),
        # On someone else's handler (another stack's?): destroy order then matters.
        "other_handler": previous["sms_url"]
        if custom and not same_url(previous["sms_url"], handler)
        else "",
    }


class PhoneNumbersSnapshot(Resource, module="flexorch", name="PhoneNumbersSnapshot"):
    """The managed numbers' SMS settings from before flexorch (read-only)."""

    records: pulumi.Output[dict[str, dict[str, Any]]]

    def __init__(
        self,
        name: str,
        *,
        numbers: list[str],
        handler_url: pulumi.Input[str],
        addresses: bool = False,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Record `numbers`' settings (with `addresses`, their Address Configurations too).

        `handler_url` only tells whether a number is already there.
        """
        props = {
            "numbers": numbers,
            "addresses": addresses,
            "handler_url": handler_url,  # never compared
            "sid": None,
            "records": None,
        }
        super().__init__(PhoneNumbersSnapshotProvider(), name, props, opts)

    def recorded(self, number: str) -> pulumi.Output[dict[str, Any] | None]:
        """What the route of `number` needs of the snapshot."""
        # None only under Pulumi's mocks, which answer with the inputs.
        return self.records.apply(lambda records: (records or {}).get(number))


class PhoneNumberRouteProvider(TwilioProvider):
    """Routes the number its snapshot found to the handler; restores the snapshot on destroy."""

    kind = "PhoneNumberRoute"
    inputs = ("number", "sms_url", "sms_method", "platform", "address")
    replace_on = ("number",)
    comparisons = {
        "sms_url": same_url,
        "sms_method": same_method,
        "platform": same_platform,
        "address": same_address,
    }

    @override
    def label(self, props: dict[str, Any]) -> str:
        return f'PhoneNumberRoute "{props.get("number")}"'

    def _set(self, props: dict[str, Any], sid: str, settings: dict[str, Any], action: str) -> None:
        # Twilio's spec types these URLs as URIs, so an empty one cannot be sent and is left as
        # it is; the SmsUrl is the exception: Twilio clears it when sent empty.
        settings = {k: v for k, v in settings.items() if v != "" or k == "sms_url"}
        with twilio_call(self.label(props), action, form_fields(settings)):
            self.client().incoming_phone_numbers(sid).update(**settings)

    def _hold_address(
        self, props: dict[str, Any], phone_number: str, sid: str, previous: dict[str, Any] | None
    ) -> dict[str, Any]:
        """The number's Address Configuration at the handler; the outputs that record it."""
        if not sid and previous:
            sid = previous["sid"]
        sid = addresses.hold(self.client(), self.label(props), phone_number, sid, props["address"])
        return {"address_sid": sid, "address_previous": previous}

    @override
    def create(self, props: dict[str, Any]) -> CreateResult:
        snapshot = props["snapshot"]
        previous = dict(snapshot["previous"])
        label = self.label(props)
        if snapshot.get("points_at_handler"):
            warn(
                f"{label}: already pointed at this stack's handler when adopted, so its SMS "
                "settings from before flexorch are unknown; destroy leaves it on the handler"
            )
        elif snapshot.get("other_handler"):
            warn(
                f"{label}: was pointed at another handler ({snapshot['other_handler']}); if "
                "another stack manages this number, remove it from one of them: destroying "
                "them in the wrong order leaves it on the first one's handler"
            )
        held: dict[str, Any] = {"address_sid": "", "address_previous": None}
        if platform_of(props.get("platform")) == CONVERSATIONS:
            held = self._hold_address(props, snapshot["phone_number"], "", snapshot.get("address"))
        try:
            self._set(props, snapshot["sid"], _wanted(props, previous), "update")
        except FlexorchError:
            self._undo_hold(props, held)  # not recorded: no address may stay behind
            raise
        outs = self.outs(
            props,
            sid=snapshot["sid"],
            phone_number=snapshot["phone_number"],
            previous=previous,
            previous_unknown=bool(snapshot.get("points_at_handler")),
            **held,
        )
        return CreateResult(snapshot["sid"], outs)

    @override
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Apply the change; a platform switch puts the new path in place before the old goes."""
        was = platform_of(olds.get("platform"))
        label = self.label(news)
        wanted = _wanted(news, olds.get("previous") or {})
        if platform_of(news.get("platform")) == CONVERSATIONS:
            phone_number = olds.get("phone_number") or news["number"]
            if was == CONVERSATIONS:
                previous = olds.get("address_previous")
            else:
                previous = (news.get("snapshot") or {}).get("address")
            held = self._hold_address(news, phone_number, olds.get("address_sid") or "", previous)
            # Only the address changed (a new handler URL): the SmsUrl is empty already.
            if was != CONVERSATIONS or {"sms_url", "sms_method"} & set(self.changed(olds, news)):
                try:
                    self._set(news, id_, wanted, "update")
                except FlexorchError:
                    if was != CONVERSATIONS:  # the switch failed: back to the state recorded
                        self._undo_hold(news, held)
                    raise
            return UpdateResult(self.carry(olds, news, **held))
        self._set(news, id_, wanted, "update")
        if was == CONVERSATIONS:
            try:
                sid = olds.get("address_sid") or ""
                addresses.release(self.client(), label, sid, olds.get("address_previous"))
            except FlexorchError:
                # The switch back failed: the SmsUrl empty again, as the state still records.
                self._set(news, id_, {"sms_url": "", "sms_method": news["sms_method"]}, "undo")
                raise
        return UpdateResult(self.carry(olds, news, address_sid="", address_previous=None))

    def _undo_hold(self, props: dict[str, Any], held: dict[str, Any]) -> None:
        """Give back an address this failed operation took, so nothing unrecorded stays."""
        addresses.release(
            self.client(), self.label(props), held["address_sid"], held["address_previous"]
        )

    @override
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        live = None
        with twilio_call(self.label(props), "read", missing_ok=True):
            live = self.client().incoming_phone_numbers(id_).fetch()
        if live is None:
            raise FlexorchError(
                f"{self.label(props)}: {id_} is no longer a number of this account; remove it "
                "from flexorch:numbers (and `pulumi state delete` its resources)"
            )
        address_sid, address = props.get("address_sid") or "", props.get("address")
        if platform_of(props.get("platform")) == CONVERSATIONS:
            found = addresses.live(self.client(), self.label(props), address_sid)
            # Gone (deleted in the Console): "" makes the next up create it again.
            address_sid = found.sid if found else ""
            address = address_settings(found) if found else None
        outs = self.outs(
            props,
            sms_url=live.sms_url,
            sms_method=live.sms_method,
            address=address,
            sid=id_,
            phone_number=live.phone_number,
            previous=props.get("previous"),
            previous_unknown=props.get("previous_unknown") or False,
            address_sid=address_sid,
            address_previous=props.get("address_previous"),
        )
        return ReadResult(id_, outs)

    @override
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Restore the number's SMS settings, then its Address Configuration, as they were."""
        previous = props.get("previous")
        if previous:
            self._set(props, id_, dict(previous), "restore")
        if platform_of(props.get("platform")) == CONVERSATIONS:
            addresses.release(
                self.client(),
                self.label(props),
                props.get("address_sid") or "",
                props.get("address_previous"),
            )


def _wanted(props: dict[str, Any], previous: dict[str, Any]) -> dict[str, Any]:
    """The SMS settings a managed number gets, given what it had before flexorch.

    A fallback into Flex's own handling would hand failed messages back to Flex: it points at
    the handler too while flexorch manages the number. On Conversations the address handles
    inbound messages and `sms_url` is empty.
    """
    wanted = {"sms_url": props["sms_url"], "sms_method": props["sms_method"]}
    if props["sms_url"] and twilio_hosted(previous.get("sms_fallback_url")):
        wanted["sms_fallback_url"] = props["sms_url"]
    return wanted


class PhoneNumberRoute(Resource, module="flexorch", name="PhoneNumberRoute"):
    """A managed number's inbound SMS, pointed at the handler (its SmsUrl, or its address)."""

    sid: pulumi.Output[str]
    phone_number: pulumi.Output[str]
    previous: pulumi.Output[dict[str, Any]]
    address_sid: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        *,
        number: str,
        snapshot: pulumi.Input[dict[str, Any] | None],
        sms_url: pulumi.Input[str],
        sms_method: pulumi.Input[str],
        platform: str | None = None,
        address: pulumi.Input[dict[str, Any] | None] = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Route `number`'s SMS; `snapshot` is its PhoneNumbersSnapshot record.

        On Conversations `sms_url` is "" and `address` is the Address Configuration it gets.
        """
        props = {
            "number": number,
            "snapshot": snapshot,  # consumed at create and on a platform switch; never compared
            "sms_url": sms_url,
            "sms_method": sms_method,
            "platform": platform,
            "address": address,
            "sid": None,
            "phone_number": None,
            "previous": None,
            "previous_unknown": None,
            "address_sid": None,
            "address_previous": None,
        }
        super().__init__(PhoneNumberRouteProvider(), name, props, opts)
