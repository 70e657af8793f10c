"""What the doctor reads of Flex Conversations: addresses, conversations, their participants.

Conversations pages are smaller than the other products' (Twilio's specs: at most 50 addresses
or participant conversations, 100 conversations, messages or participants, 5 scoped webhooks a
page), so each list asks for pages that size, still reading at most MAX_SCAN records.
"""

from __future__ import annotations

from typing import Any

from flexorch.doctor.account import Account

# The task attribute naming the conversation a task is for (the Interactions API sets it).
TASK_REFERENCE = "conversationSid"
ADDRESS_PAGE = 50
PARTICIPANT_CONVERSATIONS_PAGE = 50
PAGE = 100
# A conversation has at most five scoped webhooks.
WEBHOOK_PAGE = 5


def binding(record: Any, attribute: str = "messaging_binding") -> dict[str, Any]:
    """A participant's messaging binding (`address`, `proxy_address`, `type`); {} for chat ones."""
    value = getattr(record, attribute, None)
    return value if isinstance(value, dict) else {}


def conversation_author(message: Any) -> str:
    """Who wrote a Conversations message: a chat identity, or an SMS participant's address."""
    return str(getattr(message, "author", "") or "")


class ConversationsAccount(Account):
    """The account's reads, plus those of Flex Conversations (same cache, GET only)."""

    def _service(self) -> Any:
        return self.client.conversations.v1.services(self.config.chat_service.sid)

    def service_webhooks(self) -> Any:
        """The Conversations service's webhook configuration; None when the service is gone."""
        return self._fetch(
            ("service_webhooks",),
            "fetch the Conversations service's webhooks",
            self._service().configuration.webhooks(),
        )

    def configuration(self) -> Any:
        """Conversations' account defaults (default service, timers); None without them."""
        return self._fetch(
            ("conversations_configuration",),
            "fetch Conversations' Configuration",
            self.client.conversations.v1.configuration(),
        )

    def sms_addresses(self) -> list[Any]:
        """The account's SMS Address Configurations."""
        return self._list(
            ("sms_addresses",),
            "list SMS Address Configurations",
            self.client.conversations.v1.address_configurations,
            type="sms",
            page_size=ADDRESS_PAGE,
        )

    def addresses_of(self, e164: str) -> list[Any]:
        """The SMS Address Configurations of one number (Twilio keeps at most one)."""
        return [a for a in self.sms_addresses() if a.address == e164]

    def participant_conversations(self, address: str) -> list[Any]:
        """The service's conversations in which `address` is a participant (its SMS binding).

        One read for the customer's conversations, rather than the participants of every
        conversation of the service.
        """
        return self._list(
            ("participant_conversations", address),
            f"list the conversations of {address}",
            self._service().participant_conversations,
            address=address,
            page_size=PARTICIPANT_CONVERSATIONS_PAGE,
        )

    def active_conversations(self) -> list[Any]:
        """The service's active conversations."""
        return self._list(
            ("active_conversations",),
            "list active conversations",
            self._service().conversations,
            state="active",
            page_size=PAGE,
        )

    def conversation_messages(self, conversation: str) -> list[Any]:
        """A conversation's latest messages."""
        return self._list(
            ("conversation_messages", conversation),
            f"list messages of {conversation}",
            self._service().conversations(conversation).messages,
            order="desc",
            limit=50,
        )

    def participants(self, conversation: str) -> list[Any]:
        """A conversation's participants."""
        return self._list(
            ("participants", conversation),
            f"list participants of {conversation}",
            self._service().conversations(conversation).participants,
            page_size=PAGE,
        )

    def conversation_webhooks(self, conversation: str) -> list[Any]:
        """A conversation's scoped webhooks (a Studio address gives each conversation one)."""
        return self._list(
            ("conversation_webhooks", conversation),
            f"list webhooks of {conversation}",
            self._service().conversations(conversation).webhooks,
            limit=WEBHOOK_PAGE,
        )

    def tasks_by_conversation(self) -> dict[str, list[Any]]:
        """Conversation SID -> the tasks whose `conversationSid` attribute names it, newest first.

        The Interactions API sets it on each task it creates for a conversation.
        """
        return self.tasks_by(TASK_REFERENCE)
