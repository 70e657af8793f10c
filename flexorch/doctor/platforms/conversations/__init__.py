"""Flex Conversations (Flex UI 2.x): the doctor on addresses, conversations and participants.

`account` (Conversations reads), `checks` (the config section: numbers on their addresses, the
Conversations service's webhooks), `walk` (the message section's seven steps), `hygiene`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flexorch.config import StackConfig
from flexorch.doctor.platform import Platform
from flexorch.doctor.platforms.conversations.account import ConversationsAccount
from flexorch.doctor.platforms.conversations.checks import config_checks
from flexorch.doctor.platforms.conversations.hygiene import hygiene_checks
from flexorch.doctor.platforms.conversations.walk import ConversationsWalk
from flexorch.doctor.report import Check


class Conversations(Platform[ConversationsAccount]):
    """The doctor on Flex Conversations."""

    on_conversations = True

    def account(self, client: Any, config: StackConfig) -> ConversationsAccount:
        """Reads of Conversations besides the shared ones."""
        return ConversationsAccount(client, config)

    def config_checks(self, account: ConversationsAccount) -> list[Check]:
        """Numbers on their addresses, the Conversations service's webhooks, TaskRouter."""
        return config_checks(account)

    def judged_by_config(self, account: ConversationsAccount) -> list[str]:
        """The config section judged every managed number's address."""
        return list(account.managed_numbers())

    def walk(
        self, account: ConversationsAccount, message: str | None, sender: str | None
    ) -> ConversationsWalk:
        """Seven steps from the customer's SMS to the reply."""
        return ConversationsWalk(account, message, sender)

    def hygiene_checks(
        self, account: ConversationsAccount, now: datetime, judged: Iterable[str]
    ) -> list[Check]:
        """Flex Flows, addresses, conversation webhooks, orphans, Studio."""
        return hygiene_checks(account, now, judged)
