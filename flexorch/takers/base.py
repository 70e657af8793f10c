"""The interface every kind of taker implements (the package says what takers are).

Records are plain mappings (they live in Pulumi state): `sid` identifies one, `numbers` are the
managed numbers it concerns.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from twilio.rest import Client

from flexorch.lookups import once

Record = dict[str, Any]


class Taker(ABC):
    """One kind of object that can take a number's messages: found, reported, undone, restored."""

    key: ClassVar[str]
    """Its state key, config attribute and guard input (`messaging_services`)."""
    config_key: ClassVar[str]
    """Its key under `flexorch:` (`messagingServices`)."""
    fix_mode: ClassVar[str]
    """The mode in which flexorch undoes it (`defer`)."""
    undone_again: ClassVar[str]
    """What a refreshing `pulumi up` of a stack in `fix_mode` does to one back since, after
    "to": "make the Messaging Service defer to the number's webhook again"."""

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
    def name(self, record: Record) -> str:
        """The object, as a person finds it in the Console: kind, SID, friendly name."""

    @abstractmethod
    def problem(self, record: Record, number: str) -> str:
        """What takes `number`'s messages and where it sends them, in one sentence."""

    @abstractmethod
    def fix(self, record: Record, number: str) -> str:
        """How a person stops it, or lets flexorch do it (its `fix_mode`)."""

    def lines(self, record: Record) -> list[str]:
        """One line per managed number it takes: the problem, then the fix."""
        return [f"{self.problem(record, n)}. Fix: {self.fix(record, n)}" for n in record["numbers"]]

    def refusal(self, record: Record) -> str:
        """Why the `fix_mode` cannot undo it ("" when it can)."""
        return ""

    def undoes(self, mode: str, record: Record) -> bool:
        """Whether a stack in `mode` undoes it: opted in, and nothing refuses it."""
        return mode == self.fix_mode and not self.refusal(record)

    @abstractmethod
    def undo(self, client: Client, record: Record) -> str:
        """Stop it taking the numbers' messages (the `fix_mode`'s one write); what was done."""

    @abstractmethod
    def restore(self, client: Client, record: Record) -> str:
        """Put it back as recorded (destroy, or its numbers no longer managed); what was done."""

    def report(self, records: list[Record], mode: str) -> str:
        """What stops preview and up: each taking one (`fail`), or what `fix_mode` cannot undo."""
        taking = [r for r in records if self.takes(r)]
        if mode != self.fix_mode:
            return "\n".join(line for r in taking for line in self.lines(r))
        return "\n".join(reason for r in taking if (reason := self.refusal(r)))
