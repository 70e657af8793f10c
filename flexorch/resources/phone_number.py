"""PhoneNumbersSnapshot and PhoneNumberRoute: an adopted number's inbound SMS, at the handler.

Numbers are never bought or released. The snapshot records the numbers' SMS settings (and, on
Flex Conversations, their Address Configurations) before flexorch changes them, in as few
list pages as Twilio allows; each number's route points it at the handler and puts its
settings back on destroy.

What the route writes is its platform's (platform.py): on Programmable Chat the number's SmsUrl;
on Conversations the number's Address Configuration (autoCreation webhook to the handler) with
the SmsUrl emptied, which would otherwise run in parallel with the address. The route switches
a number between the two itself, so a cut-over is two consecutive requests: the new path is in
place before the old one goes, and for the one request between them both deliver (a duplicate,
never a lost message).
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    UpdateResult,
)
from typing_extensions import override

from flexorch.errors import FlexorchError
from flexorch.lookups import account_numbers, numbers_now
from flexorch.resources import addresses
from flexorch.resources.base import SnapshotProvider, TwilioProvider, form_fields, restoring, warn
from flexorch.resources.platforms import platform
from flexorch.resources.resource import TwilioResource
from flexorch.twilio_client import twilio_call
from flexorch.twilio_facts import (
    address_settings,
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

    @override
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Look new numbers up at preview, also while the handler URL is still an unknown Output."""
        return self.looked_up(olds, news, self.look_up, "numbers", annotating=("handler_url",))

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
        first: dict[str, str] = {}
        twice = [
            f'flexorch:numbers: "{first[found[n].sid]}" and "{n}" are the same number '
            f"({found[n].phone_number}, {found[n].sid}); list it once"
            for n in numbers
            if first.setdefault(found[n].sid, n) != n
        ]
        if twice:
            raise FlexorchError(twice)
        records = {n: _record(found[n], handler) for n in numbers}
        if props.get("addresses"):
            self._add_addresses(records)
        return records

    def _add_addresses(self, records: dict[str, Any]) -> None:
        """Record each number's Address Configuration ({}: it has none, one is created).

        Not None: Pulumi drops None values inside a mapping when it reads state, and the route
        must see that the number had no address (to give back one a stopped cut-over left).
        """
        listed = addresses.sms_addresses(self.client())
        for record in records.values():
            if "address" not in record:
                found = listed.get(record["phone_number"])
                record["address"] = address_settings(found) if found else {}

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


class PhoneNumbersSnapshot(TwilioResource, module="flexorch", name="PhoneNumbersSnapshot"):
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
        super().__init__(name, props, opts)

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

    def set_sms(
        self, props: dict[str, Any], sid: str, settings: dict[str, Any], action: str
    ) -> None:
        """Write the number's SMS settings (SDK argument names: `sms_url`, ...)."""
        # Twilio's spec types these URLs as URIs, so an empty one cannot be sent and is left as
        # it is; the SmsUrl is the exception: Twilio clears it when sent empty.
        settings = {k: v for k, v in settings.items() if v != "" or k == "sms_url"}
        with twilio_call(self.label(props), action, form_fields(settings)):
            self.client().incoming_phone_numbers(sid).update(**settings)

    @override
    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """The inputs that changed; also work the platform has that no input shows.

        (On Programmable Chat: an address a stopped move onto Conversations left.)
        """
        result = super().diff(id_, olds, news)
        if result.changes or not platform(news.get("platform")).route_pending(olds, news):
            return result
        return DiffResult(changes=True, replaces=[], delete_before_replace=True)

    @override
    def create(self, props: dict[str, Any]) -> CreateResult:
        snapshot = props["snapshot"]
        previous = dict(snapshot["previous"])
        sid, phone_number = snapshot["sid"], snapshot["phone_number"]
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
        on = platform(props.get("platform"))
        held = on.create_route(self, props, sid, phone_number, _wanted(props, previous))
        outs = self.outs(
            props,
            sid=sid,
            phone_number=phone_number,
            previous=previous,
            previous_unknown=bool(snapshot.get("points_at_handler")),
            **held,
        )
        return CreateResult(sid, outs)

    @override
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Apply the change; a platform switch puts the new path in place before the old goes.

        When a switch's second write fails, its answer may have been lost after Twilio applied
        it, so it is read back before the first write is undone: applied, the switch is done;
        not applied, the first write is undone and the old path stays; not known, nothing is
        undone (both paths deliver: a duplicate, never a lost message) and the next run ends it.
        """
        was, now = platform(olds.get("platform")), platform(news.get("platform"))
        wanted = _wanted(news, olds.get("previous") or {})
        changed = self.changed(olds, news)
        held = now.update_route(self, id_, olds, news, wanted, changed, moved=now is not was)
        if now is not was:
            held.update(was.leave_route(self, id_, olds, news))
        return UpdateResult(self.carry(olds, news, **held))

    @override
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        live = numbers_now(self.client()).get(id_)
        if live is None:
            raise FlexorchError(
                f"{self.label(props)}: {id_} is no longer a number of this account; remove it "
                "from flexorch:numbers (and `pulumi state delete` its resources)"
            )
        held = platform(props.get("platform")).read_route(self, id_, props)
        outs = self.refreshed(
            props,
            sms_url=live.sms_url,
            sms_method=live.sms_method,
            address=held["address"],
            sid=id_,
            phone_number=live.phone_number,
            address_sid=held["address_sid"],
        )
        return ReadResult(id_, outs)

    @override
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Restore the number's SMS settings, then what else its platform's path holds."""
        previous = props.get("previous")
        if previous:
            self.set_sms(props, id_, dict(previous), "restore")
        platform(props.get("platform")).delete_route(self, id_, props)


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


class PhoneNumberRoute(TwilioResource, module="flexorch", name="PhoneNumberRoute"):
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
            "address_given_back": None,
        }
        super().__init__(name, props, restoring(opts))
