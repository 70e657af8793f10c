"""Messaging Services holding managed numbers: found, refused, or made to defer to the number.

Twilio's Service resource (https://www.twilio.com/docs/messaging/api/service-resource):
"Inbound messages received on any phone number associated to a Messaging Service are passed to
the inbound request URL of the Service", unless `use_inbound_webhook_on_number` is true (the
Console's "Defer to sender's webhook"). IncomingPhoneNumber has no Messaging Service field:
membership is each service's PhoneNumbers list (https://www.twilio.com/docs/messaging/api/phonenumber-resource),
and a number is in at most one service (error 21712). US A2P 10DLC traffic must go through a
service, so this is the common case there.

Opted in (`flexorch:messagingServices: defer`), flexorch sets the service to defer, only when
every number in it is managed by the stack (deferring moves all of them), and sets it back on
destroy. Reads: one list of services; one PhoneNumbers list per service, none without services.
"""

from __future__ import annotations

from typing import Any, ClassVar

from twilio.rest import Client
from typing_extensions import override

from flexorch.lookups import PAGE_SIZE, each
from flexorch.takers.base import Record, Taker
from flexorch.twilio_client import twilio_call
from flexorch.twilio_facts import identities, service_takes_inbound


class MessagingServices(Taker):
    """A Messaging Service that sends its numbers' inbound messages to its own URL."""

    key: ClassVar[str] = "messaging_services"
    config_key: ClassVar[str] = "messagingServices"
    fix_mode: ClassVar[str] = "defer"
    undone_again: ClassVar[str] = "make the Messaging Service defer to the number's webhook again"

    @override
    def scan(self, client: Client, numbers: list[str], first: bool) -> list[Record]:
        """Every service holding a managed number, as it routes inbound messages now.

        A list answered 404 (a gateway or stand-in without the Messaging product) holds none.
        """
        services: list[Any] = []
        with twilio_call("Messaging Services", "list them", missing_ok=True):
            services = list(client.messaging.v1.services.list(page_size=PAGE_SIZE))
        managed = {form for n in numbers for form in identities(n)}

        def members(service: Any) -> list[str]:
            listing = client.messaging.v1.services(service.sid).phone_numbers
            with twilio_call(f"Messaging Service {service.sid}", "list its phone numbers"):
                return [p.phone_number for p in listing.list(page_size=PAGE_SIZE)]

        records = []
        for service, held in zip(services, each(members, services), strict=True):
            mine = [n for n in held if n in managed]
            if mine:
                records.append(
                    {
                        "sid": service.sid,
                        "friendly_name": service.friendly_name or "",
                        "inbound_request_url": service.inbound_request_url or "",
                        "use_inbound_webhook_on_number": bool(
                            service.use_inbound_webhook_on_number
                        ),
                        "numbers": mine,
                        "others": [n for n in held if n not in managed],
                    }
                )
        return records

    @override
    def takes(self, record: Record) -> bool:
        return service_takes_inbound(
            record["use_inbound_webhook_on_number"], record["inbound_request_url"]
        )

    @override
    def name(self, record: Record) -> str:
        return f'Messaging Service {record["sid"]} "{record["friendly_name"]}"'

    @override
    def problem(self, record: Record, number: str) -> str:
        return (
            f"{number} is in {self.name(record)}, which sends its inbound messages to "
            f"{record['inbound_request_url']}, not to the number's own webhook"
        )

    @override
    def fix(self, record: Record, number: str) -> str:
        return (
            "make the service defer to the sender's webhook (Console: Messaging > Services > "
            f'"{record["friendly_name"]}" > Integration, or `twilio api:messaging:v1:services:'
            f"update --sid {record['sid']} --use-inbound-webhook-on-number`), take the number "
            "out of it, or set flexorch:messagingServices: defer to let flexorch do it and "
            "undo it on destroy"
        )

    @override
    def refusal(self, record: Record) -> str:
        others = record.get("others") or []
        if not others:
            return ""
        return (
            f"flexorch:messagingServices: defer would make Messaging Service {record['sid']} "
            f'"{record["friendly_name"]}" defer to the sender\'s webhook for every number in it, '
            f"so it would also move {', '.join(others)} (not in flexorch:numbers) off "
            f"{record['inbound_request_url']}. Fix: add them to flexorch:numbers, or move "
            f"{', '.join(record['numbers'])} to a Messaging Service of their own"
        )

    @override
    def undo(self, client: Client, record: Record) -> str:
        self._set(client, record, defer=True)
        return (
            f'Messaging Service {record["sid"]} "{record["friendly_name"]}" now defers to the '
            f"sender's webhook (it sent {', '.join(record['numbers'])}'s messages to "
            f"{record['inbound_request_url']}); destroy sets it back"
        )

    @override
    def restore(self, client: Client, record: Record) -> str:
        self._set(client, record, defer=bool(record["use_inbound_webhook_on_number"]))
        return f'Messaging Service {record["sid"]} "{record["friendly_name"]}" set back as it was'

    def _set(self, client: Client, record: Record, defer: bool) -> None:
        """One absolute write (safe to repeat); a service deleted since is left alone."""
        with twilio_call(
            f"Messaging Service {record['sid']}",
            "set whether it defers to the sender's webhook",
            ("UseInboundWebhookOnNumber",),
            missing_ok=True,
        ):
            client.messaging.v1.services(record["sid"]).update(use_inbound_webhook_on_number=defer)
