"""What else can take a managed number's inbound messages: one interface, one module per kind.

Besides Flex Flows, Twilio sends a number's inbound SMS elsewhere than the route flexorch sets
when the number is in a Messaging Service that does not defer to the number's webhook
(messaging_services) or has a TwiML App (twiml_apps). One rule for everyone who asks: the
guard's snapshot records each kind before any write and the guard fails preview and up on them
(mode `fail`, the default) or, opted in, undoes them and puts them back on destroy; `doctor`
and `migrate` name them per number. No Pulumi import here. Adding a kind is adding a module
and a line below.
"""

from __future__ import annotations

from flexorch.takers.base import Record, Taker
from flexorch.takers.messaging_services import MessagingServices
from flexorch.takers.twiml_apps import TwimlApps

# Every kind, in report order.
TAKERS: tuple[Taker, ...] = (MessagingServices(), TwimlApps())

__all__ = ["TAKERS", "Record", "Taker"]
