"""What the doctor reads of Programmable Chat: the chat service, and Proxy.

The chat service's channels, their messages, members and webhooks, its roles and users; and
Proxy, which Flex 1.x puts between a number and a chat channel.
"""

from __future__ import annotations

from typing import Any

from flexorch.doctor.account import Account

# The task attribute naming the chat channel a task is for (Flex's Channels API sets it).
TASK_REFERENCE = "channelSid"


def chat_author(message: Any) -> Any:
    """Who wrote a Chat v2 message: the SDK keeps its `from` as `_from` (API messages: `from_`)."""
    return getattr(message, "_from", None)


class ChatAccount(Account):
    """The account's reads, plus those of Chat v2 and Proxy (same cache, GET only)."""

    def _chat(self) -> Any:
        return self.client.chat.v2.services(self.config.chat_service.sid)

    def chat_service(self) -> Any:
        """The stack's chat service, or None."""
        return self._fetch(("chat_service",), "fetch the chat service", self._chat())

    def channels(self) -> list[Any]:
        """The chat service's channels."""
        return self._list(("channels",), "list chat channels", self._chat().channels)

    def chat_messages(self, channel: str) -> list[Any]:
        """A channel's latest messages."""
        return self._list(
            ("chat_messages", channel),
            f"list messages of {channel}",
            self._chat().channels(channel).messages,
            order="desc",
            limit=50,
        )

    def members(self, channel: str) -> list[Any]:
        """A channel's members."""
        return self._list(
            ("members", channel),
            f"list members of {channel}",
            self._chat().channels(channel).members,
        )

    def channel_webhooks(self, channel: str) -> list[Any]:
        """A channel's own webhooks (Flex gives the channels it creates one to Studio)."""
        return self._list(
            ("channel_webhooks", channel),
            f"list webhooks of {channel}",
            self._chat().channels(channel).webhooks,
        )

    def roles(self) -> dict[str, Any]:
        """The chat service's roles by SID."""
        roles = self._list(("roles",), "list chat roles", self._chat().roles)
        return {role.sid: role for role in roles}

    def users(self) -> list[Any]:
        """The chat service's users."""
        return self._list(("users",), "list chat users", self._chat().users)

    # Proxy

    def proxy_services(self) -> list[Any]:
        """The account's Proxy services."""
        return self._list(("proxy",), "list Proxy services", self.client.proxy.v1.services)

    def _proxy(self, sid: str) -> Any:
        return self.client.proxy.v1.services(sid)

    def sessions(self) -> list[Any]:
        """Every Proxy session of every Proxy service."""
        out: list[Any] = []
        for service in self.proxy_services():
            out += self._list(
                ("sessions", service.sid),
                f"list Proxy sessions of {service.sid}",
                self._proxy(service.sid).sessions,
            )
        return out

    def interactions(self, session: Any) -> list[Any]:
        """A Proxy session's interactions."""
        handle = self._proxy(session.service_sid).sessions(session.sid)
        return self._list(
            ("interactions", session.sid),
            f"list interactions of {session.sid}",
            handle.interactions,
            limit=50,
        )

    def proxy_pools(self) -> dict[str, list[str]]:
        """Proxy service SID -> the phone numbers in its pool."""
        out: dict[str, list[str]] = {}
        for service in self.proxy_services():
            numbers = self._list(
                ("proxy_numbers", service.sid),
                f"list numbers of {service.sid}",
                self._proxy(service.sid).phone_numbers,
            )
            out[service.sid] = [n.phone_number for n in numbers]
        return out

    def tasks_by_channel(self) -> dict[str, list[Any]]:
        """Chat channel SID -> the tasks whose `channelSid` attribute names it, newest first."""
        return self.tasks_by(TASK_REFERENCE)
