"""TwiML Apps on managed numbers: found, refused, or detached from the number.

IncomingPhoneNumber (api v2010, https://www.twilio.com/docs/phone-numbers/api/incomingphonenumber-resource):
"If an `sms_application_sid` is present, we ignore all `sms_*_url` values and use those of the
application", so the route flexorch sets would never be called. Opted in (`flexorch:twimlApps:
detach`), flexorch empties the number's SmsApplicationSid (touching that number only; Twilio's
CLI clears a field by sending it empty) and sets it back on destroy. Reads: none beyond the
numbers' list, which carries the field; one fetch per app in use on a managed number, for its
name and URL.
"""

from __future__ import annotations

from typing import Any, ClassVar

from twilio.rest import Client
from typing_extensions import override

from flexorch.lookups import account_numbers, numbers_now
from flexorch.takers.base import Record, Taker
from flexorch.twilio_client import twilio_call
from flexorch.twilio_facts import app_takes_inbound


class TwimlApps(Taker):
    """A TwiML App whose SMS URL gets a managed number's messages."""

    key: ClassVar[str] = "twiml_apps"
    config_key: ClassVar[str] = "twimlApps"
    fix_mode: ClassVar[str] = "detach"
    undone_again: ClassVar[str] = "take the TwiML App off the number again"

    @override
    def scan(self, client: Client, numbers: list[str], first: bool) -> list[Record]:
        """One record per managed number with an app (its SID is the number's)."""
        found = account_numbers(client) if first else numbers_now(client)
        with_app = [found[n] for n in numbers if n in found]
        with_app = [n for n in with_app if app_takes_inbound(n.sms_application_sid)]
        apps = {sid: _app(client, sid) for sid in {n.sms_application_sid for n in with_app}}
        return [
            {
                "sid": number.sid,
                "numbers": [number.phone_number],
                "app_sid": number.sms_application_sid,
                **apps[number.sms_application_sid],
            }
            for number in with_app
        ]

    @override
    def takes(self, record: Record) -> bool:
        return app_takes_inbound(record["app_sid"])

    @override
    def name(self, record: Record) -> str:
        return f'TwiML App {record["app_sid"]} "{record["friendly_name"]}"'

    @override
    def problem(self, record: Record, number: str) -> str:
        return (
            f"{number} has {self.name(record)}, whose SMS URL ({record['sms_url'] or 'none'}) "
            "gets its messages: Twilio ignores the number's own SMS URL while an app is set"
        )

    @override
    def fix(self, record: Record, number: str) -> str:
        return (
            f"remove the app from the number (Console: Phone Numbers > {number} > Messaging, or "
            f"`twilio api:core:incoming-phone-numbers:update --sid {record['sid']} "
            '--sms-application-sid ""`), or set flexorch:twimlApps: detach to let flexorch '
            "remove it and put it back on destroy"
        )

    @override
    def undo(self, client: Client, record: Record) -> str:
        self._set(client, record, "")
        return (
            f'detached TwiML App {record["app_sid"]} "{record["friendly_name"]}" from '
            f"{record['numbers'][0]}: it took the number's messages; destroy attaches it again"
        )

    @override
    def restore(self, client: Client, record: Record) -> str:
        self._set(client, record, record["app_sid"])
        return f"attached TwiML App {record['app_sid']} to {record['numbers'][0]} again"

    def _set(self, client: Client, record: Record, app: str) -> None:
        """One absolute write (safe to repeat); a number released since is left alone."""
        with twilio_call(
            f"PhoneNumber {record['numbers'][0]}",
            "set its TwiML App",
            ("SmsApplicationSid",),
            missing_ok=True,
        ):
            client.incoming_phone_numbers(record["sid"]).update(sms_application_sid=app)


def _app(client: Client, sid: str) -> dict[str, Any]:
    """The app's name and SMS URL; a deleted app still takes nothing and reads as unnamed."""
    app: Any = None
    with twilio_call(f"TwiML App {sid}", "fetch it", missing_ok=True):
        app = client.applications(sid).fetch()
    return {
        "friendly_name": (app.friendly_name or "") if app else "",
        "sms_url": (app.sms_url or "") if app else "",
    }
