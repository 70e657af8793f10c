"""What Twilio means by a URL, a method, an event set, an identity or the agent role, said once.

The resources (to diff and adopt), the doctor (to judge a live account) and the sandbox (to seed
one) must agree on these, so they live here, below all three and with no Pulumi import.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:  # only a type here: the providers need no pydantic at start-up
    from flexorch.config import StackConfig

# Twilio's default method for every webhook it calls (SmsMethod, a chat service's WebhookMethod).
DEFAULT_METHOD = "POST"

# The forms a phone number takes as a Flex Flow's contact identity (and a chat `from`).
IDENTITY_PREFIXES = ("", "whatsapp:", "messenger:")

# The permissions of Flex's `agent` chat channel role; an agent member with fewer cannot reply.
# https://www.twilio.com/docs/flex/developer/messaging/troubleshooting
AGENT_PERMISSIONS = (
    "sendMessage",
    "sendMediaMessage",
    "leaveChannel",
    "editChannelAttributes",
    "editOwnMessage",
    "editOwnMessageAttributes",
    "deleteOwnMessage",
)
AGENT_ROLE = "agent"

# Twilio error 45207: a Chat user can be a member of at most 1,000 channels.
CHANNEL_LIMIT = 1000

MESSAGE_SID = re.compile(r"(SM|MM)[0-9a-fA-F]{32}")
CHANNEL_SID = re.compile(r"CH[0-9a-fA-F]{32}")
# The SmsUrl Flex gives a number it handles through Proxy.
PROXY_MESSAGE_WEBHOOK = re.compile(r"/Proxy/KS[0-9a-fA-F]{32}/Webhooks/Message")


def same_url(a: Any, b: Any) -> bool:
    """URLs equal up to scheme/host case and a trailing slash."""
    return _url_key(a) == _url_key(b)


def _url_key(url: Any) -> str:
    if not isinstance(url, str) or not url:
        return ""
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))


def same_method(a: Any, b: Any) -> bool:
    """HTTP methods equal up to case."""
    return str(a or "").upper() == str(b or "").upper()


def same_events(a: Any, b: Any) -> bool:
    """Webhook filters equal as sets: their order means nothing to Twilio."""
    return sorted(a or []) == sorted(b or [])


def twilio_hosted(url: str | None) -> bool:
    """A Twilio-hosted webhook (Flex's Proxy/Studio handling) rather than the team's own."""
    host = urlsplit(url or "").hostname or ""
    return host == "webhooks.twilio.com" or host.endswith(".twilio.com")


def identities(number: str) -> set[str]:
    """Every contact identity under which a Flex Flow or a chat channel names `number`."""
    return {prefix + number for prefix in IDENTITY_PREFIXES}


def chat_identity(contact_uri: str) -> str:
    """The Flex chat identity of a worker: its contact_uri without `client:`."""
    return contact_uri.removeprefix("client:")


def chat_service_settings(service: Any) -> dict[str, Any]:
    """The webhook settings of a fetched Chat v2 service, Twilio's defaults filled in."""
    return {
        "pre_webhook_url": service.pre_webhook_url or "",
        "post_webhook_url": service.post_webhook_url or "",
        "webhook_method": service.webhook_method or DEFAULT_METHOD,
        "webhook_filters": list(service.webhook_filters or []),
        "pre_webhook_retry_count": service.pre_webhook_retry_count or 0,
        "post_webhook_retry_count": service.post_webhook_retry_count or 0,
    }


def sms_settings(number: Any) -> dict[str, Any]:
    """The SMS webhook settings of a fetched IncomingPhoneNumber, Twilio's defaults filled in."""
    return {
        "sms_url": number.sms_url or "",
        "sms_method": number.sms_method or DEFAULT_METHOD,
        "sms_fallback_url": number.sms_fallback_url or "",
    }


def on_managed_channel(
    config: StackConfig, task_channel: str | None, attributes: Mapping[str, Any]
) -> bool:
    """Whether a task belongs to one of the stack's task channels, so Flex leaves it alone.

    As the generated plugin decides: the task is on a managed TaskChannel, or its `channelType`
    attribute is one a managed channel declares.
    """
    if task_channel in {c.unique_name for c in config.task_channels}:
        return True
    types = {c.channel_type for c in config.task_channels if c.channel_type}
    return attributes.get("channelType") in types


# Reservation statuses of a reservation the agent accepted (it may since have moved on).
ACCEPTED_RESERVATION = ("accepted", "wrapping", "completed")
# Task assignment statuses of a task that is over.
FINISHED_TASK = ("completed", "canceled")
# Proxy session statuses of a session that still relays messages.
OPEN_SESSION = ("open", "in-progress")
