"""PhoneNumberSnapshot and PhoneNumberRoute: an adopted number's SMS webhook, at the handler.

Numbers are never bought or released. The snapshot records the number's SMS settings before
flexorch changes them (one list of the account's numbers serves every snapshot of a process);
the route points the number at the handler and puts those settings back on destroy.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, Resource, UpdateResult
from typing_extensions import override

from flexorch.errors import FlexorchError
from flexorch.resources.base import SnapshotProvider, TwilioProvider, form_fields, warn
from flexorch.resources.lookups import account_numbers
from flexorch.twilio_client import twilio_call
from flexorch.twilio_facts import same_method, same_url, sms_settings, twilio_hosted


class PhoneNumberSnapshotProvider(SnapshotProvider):
    """Finds the number (E.164 or PN SID) among the account's and records its SMS settings."""

    kind = "PhoneNumberSnapshot"
    inputs = ("number",)
    replace_on = inputs

    @override
    def label(self, props: dict[str, Any]) -> str:
        return f'PhoneNumber "{props.get("number")}"'

    @override
    def look_up(self, props: dict[str, Any]) -> dict[str, Any]:
        record = account_numbers(self.client()).get(props["number"])
        if record is None:
            raise FlexorchError(
                f"{self.label(props)}: no phone number of this account is {props['number']}; "
                "check flexorch:numbers (E.164 like +15005550006, or a PN SID)"
            )
        previous = sms_settings(record)
        handler = props.get("handler_url")
        custom = previous["sms_url"] and not twilio_hosted(previous["sms_url"])
        return {
            "sid": record.sid,
            "phone_number": record.phone_number,
            "previous": previous,
            # Already on this stack's handler: what it had before flexorch is not known.
            "points_at_handler": bool(handler) and same_url(previous["sms_url"], handler),
            # On someone else's handler (another stack's?): destroy order then matters.
            "other_handler": previous["sms_url"]
            if custom and not same_url(previous["sms_url"], handler)
            else "",
        }


class PhoneNumberSnapshot(Resource, module="flexorch", name="PhoneNumberSnapshot"):
    """A managed number's SMS settings from before flexorch (read-only)."""

    sid: pulumi.Output[str]
    phone_number: pulumi.Output[str]
    previous: pulumi.Output[dict[str, Any]]
    points_at_handler: pulumi.Output[bool]
    other_handler: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        *,
        number: str,
        handler_url: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Record `number`'s settings; `handler_url` only tells whether it is already there."""
        props = {
            "number": number,
            "handler_url": handler_url,
            "sid": None,
            "phone_number": None,
            "previous": None,
            "points_at_handler": None,
            "other_handler": None,
        }
        super().__init__(PhoneNumberSnapshotProvider(), name, props, opts)

    def recorded(self) -> pulumi.Output[dict[str, Any]]:
        """What the route needs of the snapshot, as one input."""
        return pulumi.Output.all(
            sid=self.sid,
            phone_number=self.phone_number,
            previous=self.previous,
            points_at_handler=self.points_at_handler,
            other_handler=self.other_handler,
        )


class PhoneNumberRouteProvider(TwilioProvider):
    """Sets SmsUrl/SmsMethod of the number its snapshot found; restores the snapshot on destroy."""

    kind = "PhoneNumberRoute"
    inputs = ("number", "sms_url", "sms_method")
    replace_on = ("number",)
    comparisons = {"sms_url": same_url, "sms_method": same_method}

    @override
    def label(self, props: dict[str, Any]) -> str:
        return f'PhoneNumberRoute "{props.get("number")}"'

    def _set(self, props: dict[str, Any], sid: str, settings: dict[str, Any], action: str) -> None:
        # Twilio's spec types these URLs as URIs: an empty one cannot be sent, so it is left as is.
        settings = {k: v for k, v in settings.items() if v != ""}
        with twilio_call(self.label(props), action, form_fields(settings)):
            self.client().incoming_phone_numbers(sid).update(**settings)

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
        wanted = {"sms_url": props["sms_url"], "sms_method": props["sms_method"]}
        # A fallback into Flex's own handling would hand failed messages back to Flex: it
        # points at the handler too while flexorch manages the number.
        if twilio_hosted(previous["sms_fallback_url"]):
            wanted["sms_fallback_url"] = props["sms_url"]
        self._set(props, snapshot["sid"], wanted, "update")
        outs = self.outs(
            props,
            sid=snapshot["sid"],
            phone_number=snapshot["phone_number"],
            previous=previous,
            previous_unknown=bool(snapshot.get("points_at_handler")),
        )
        return CreateResult(snapshot["sid"], outs)

    @override
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        wanted = {"sms_url": news["sms_url"], "sms_method": news["sms_method"]}
        previous = olds.get("previous") or {}
        if twilio_hosted(previous.get("sms_fallback_url")):  # create moved it to the handler
            wanted["sms_fallback_url"] = news["sms_url"]
        self._set(news, id_, wanted, "update")
        return UpdateResult(self.carry(olds, news))

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
        outs = self.outs(
            props,
            sms_url=live.sms_url,
            sms_method=live.sms_method,
            sid=id_,
            phone_number=live.phone_number,
            previous=props.get("previous"),
            previous_unknown=props.get("previous_unknown") or False,
        )
        return ReadResult(id_, outs)

    @override
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Restore the number's SMS settings as they were before adoption."""
        previous = props.get("previous")
        if previous:
            self._set(props, id_, dict(previous), "restore")


class PhoneNumberRoute(Resource, module="flexorch", name="PhoneNumberRoute"):
    """A managed number's SMS webhook, pointed at the handler."""

    sid: pulumi.Output[str]
    phone_number: pulumi.Output[str]
    previous: pulumi.Output[dict[str, Any]]

    def __init__(
        self,
        name: str,
        *,
        number: str,
        snapshot: pulumi.Input[dict[str, Any]],
        sms_url: pulumi.Input[str],
        sms_method: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Route `number`'s SMS to `sms_url`; `snapshot` is its PhoneNumberSnapshot's record."""
        props = {
            "number": number,
            "snapshot": snapshot,  # consumed at create; never compared
            "sms_url": sms_url,
            "sms_method": sms_method,
            "sid": None,
            "phone_number": None,
            "previous": None,
            "previous_unknown": None,
        }
        super().__init__(PhoneNumberRouteProvider(), name, props, opts)
