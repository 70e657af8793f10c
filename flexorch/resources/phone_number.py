"""PhoneNumberRoute: points an adopted number's SMS webhook at the handler.

Numbers are never bought or released; their previous SMS settings are restored on destroy.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, Resource, UpdateResult
from typing_extensions import override

from flexorch.resources.base import TwilioProvider, form_fields, pick_one
from flexorch.twilio_client import twilio_call
from flexorch.twilio_facts import same_method, same_url, sms_settings, twilio_hosted


class PhoneNumberRouteProvider(TwilioProvider):
    """Looks the number up by E.164 or SID and sets SmsUrl/SmsMethod."""

    kind = "PhoneNumberRoute"
    inputs = ("number", "sms_url", "sms_method")
    replace_on = ("number",)
    comparisons = {"sms_url": same_url, "sms_method": same_method}

    @override
    def label(self, props: dict[str, Any]) -> str:
        return f'PhoneNumberRoute "{props.get("number")}"'

    def _find(self, props: dict[str, Any]) -> Any:
        numbers = self.client().incoming_phone_numbers
        number = props["number"]
        with twilio_call(self.label(props), "look up"):
            if number.startswith("PN"):
                return numbers(number).fetch()
            found = numbers.list(phone_number=number, limit=2)
        return pick_one(found, self.label(props), "phone number of this account", "numbers")

    def _set(self, props: dict[str, Any], sid: str, settings: dict[str, Any], action: str) -> None:
        # Twilio's spec types these URLs as URIs: an empty one cannot be sent, so it is left as is.
        settings = {k: v for k, v in settings.items() if v != ""}
        with twilio_call(self.label(props), action, form_fields(settings)):
            self.client().incoming_phone_numbers(sid).update(**settings)

    @override
    def create(self, props: dict[str, Any]) -> CreateResult:
        found = self._find(props)
        previous = sms_settings(found)
        wanted = {"sms_url": props["sms_url"], "sms_method": props["sms_method"]}
        # A fallback into Flex's own handling would hand failed messages back to Flex: it
        # points at the handler too while flexorch manages the number.
        if twilio_hosted(previous["sms_fallback_url"]):
            wanted["sms_fallback_url"] = props["sms_url"]
        self._set(props, found.sid, wanted, "update")
        outs = self.outs(props, sid=found.sid, phone_number=found.phone_number, previous=previous)
        return CreateResult(found.sid, outs)

    @override
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        self._set(
            news, id_, {"sms_url": news["sms_url"], "sms_method": news["sms_method"]}, "update"
        )
        return UpdateResult(self.carry(olds, news))

    @override
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        with twilio_call(self.label(props), "read"):
            live = self.client().incoming_phone_numbers(id_).fetch()
        outs = self.outs(
            props,
            sms_url=live.sms_url,
            sms_method=live.sms_method,
            sid=id_,
            phone_number=live.phone_number,
            previous=props.get("previous"),
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
        sms_url: str,
        sms_method: str,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Adopt `number` (E.164 or PN SID) and route its SMS to `sms_url`."""
        props = {
            "number": number,
            "sms_url": sms_url,
            "sms_method": sms_method,
            "sid": None,
            "phone_number": None,
            "previous": None,
        }
        super().__init__(PhoneNumberRouteProvider(), name, props, opts)
