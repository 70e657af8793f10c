"""What else can take a managed number's inbound messages: one interface, one module per kind.

Besides Flex Flows (the guard's own), Twilio sends a number's inbound SMS elsewhere than the
route flexorch sets when the number is in a Messaging Service that does not defer to the
number's webhook (messaging_services) or has a TwiML App (twiml_apps). The FlexFlowSnapshot
records each kind before any write; the guard fails preview and up on them (mode `fail`, the
default) or, opted in, undoes them and puts them back on destroy; its refresh reads them again,
so one put back in the Console is drift. Records are plain mappings (they live in state): `sid`
identifies one, `numbers` are the managed numbers it concerns.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from twilio.rest import Client

from flexorch.resources.lookups import once

Record = dict[str, Any]


class Taker(ABC):
    """One kind of object that can take a number's messages: found, reported, undone, restored."""

    key: ClassVar[str]
    """Its state key, config attribute and guard input (`messaging_services`)."""
    config_key: ClassVar[str]
    """Its key under `flexorch:` (`messagingServices`)."""
    fix: ClassVar[str]
    """The mode in which flexorch undoes it (`defer`)."""

    @abstractmethod
    def scan(self, client: Client, numbers: list[str], first: bool) -> list[Record]:
        """The records concerning `numbers` (E.164); `first`: this process's first answers do."""

    def scan_once(self, client: Client, numbers: list[str]) -> list[Record]:
        """`scan` once per provider process: the snapshot and the guard's check ask the same."""
        key = (self.key, tuple(sorted(numbers)))
        return once(client, key, lambda: self.scan(client, numbers, first=True))

    @abstractmethod
    def takes(self, record: Record) -> bool:
        """Whether it takes the messages now."""

    @abstractmethod
    def lines(self, record: Record) -> list[str]:
        """One line per managed number it takes: what takes it, where it sends them, the fix."""

    def refusal(self, record: Record) -> str:
        """Why the `fix` mode cannot undo it ("" when it can)."""
        return ""

    @abstractmethod
    def undo(self, client: Client, record: Record) -> None:
        """Stop it taking the numbers' messages (the `fix` mode's one write)."""

    @abstractmethod
    def restore(self, client: Client, record: Record) -> None:
        """Put it back as recorded (destroy, or its numbers no longer managed)."""

    def report(self, records: list[Record], mode: str) -> str:
        """What stops preview and up: each taking one (`fail`), or what `fix` cannot undo."""
        taking = [r for r in records if self.takes(r)]
        if mode != self.fix:
            return "\n".join(line for r in taking for line in self.lines(r))
        return "\n".join(reason for r in taking if (reason := self.refusal(r)))
