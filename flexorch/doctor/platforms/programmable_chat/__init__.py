"""Programmable Chat (Flex UI 1.x): the doctor on Chat v2 channels, Proxy and Studio.

`account` (Chat v2 and Proxy reads), `checks` (the config section: numbers on the handler, the
chat service's webhooks), `walk` (the message section's nine steps), `hygiene`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flexorch.config import StackConfig
from flexorch.doctor.platform import Platform
from flexorch.doctor.platforms.programmable_chat.account import ChatAccount
from flexorch.doctor.platforms.programmable_chat.checks import config_checks
from flexorch.doctor.platforms.programmable_chat.hygiene import hygiene_checks
from flexorch.doctor.platforms.programmable_chat.walk import ChatWalk
from flexorch.doctor.report import Check


class ProgrammableChat(Platform[ChatAccount]):
    """The doctor on Programmable Chat."""

    on_conversations = False

    def account(self, client: Any, config: StackConfig) -> ChatAccount:
        """Reads of Chat v2 and Proxy besides the shared ones."""
        return ChatAccount(client, config)

    def config_checks(self, account: ChatAccount) -> list[Check]:
        """Numbers on the handler, the chat service's webhooks, TaskRouter."""
        return config_checks(account)

    def walk(self, account: ChatAccount, message: str | None, sender: str | None) -> ChatWalk:
        """The nine steps of Flex's messaging checklist."""
        return ChatWalk(account, message, sender)

    def hygiene_checks(
        self, account: ChatAccount, now: datetime, judged: Iterable[str]
    ) -> list[Check]:
        """Flex Flows, channel webhooks, the channel limit, orphans, Studio."""
        return hygiene_checks(account, now, judged)
