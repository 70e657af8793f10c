"""What a messaging platform gives the doctor: its reads, and each section's checks on it.

One implementation per platform lives in `flexorch.doctor.platforms` (one sub-package each),
registered there by the platform's name; `run_doctor` looks the stack's up once and never asks
which one it got. The shared frames the implementations fill in: `checks.config_section`,
`walk.Walk` and `hygiene.hygiene_section`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar

from flexorch.config import StackConfig
from flexorch.doctor.account import Account
from flexorch.doctor.report import Check
from flexorch.doctor.walk import Walk

A = TypeVar("A", bound=Account)


class Platform(ABC, Generic[A]):
    """A messaging platform's doctor, over its own account reads `A`."""

    on_conversations: ClassVar[bool]
    """Whether the platform runs on Flex Conversations (Flex UI 2.x): `migrate` moves a stack
    there from one that does not."""

    @abstractmethod
    def account(self, client: Any, config: StackConfig) -> A:
        """The account's reads through `client`, for `config`'s stack."""

    @abstractmethod
    def config_checks(self, account: A) -> list[Check]:
        """The config section: the stack's settings, live."""

    def judged_by_config(self, account: A) -> list[str]:
        """What the config section judged, which the hygiene section leaves to it."""
        return []

    @abstractmethod
    def walk(self, account: A, message: str | None, sender: str | None) -> Walk[A]:
        """The message section's walk of `message`, or of the latest inbound from `sender`."""

    @abstractmethod
    def hygiene_checks(self, account: A, now: datetime, judged: Iterable[str]) -> list[Check]:
        """The hygiene section; `judged` the SIDs and numbers another section covered."""
