"""What Twilio means by a URL, a method, an event set, an identity or the agent role, said once.

The resources (to diff and adopt), the doctor (to judge a live account) and the sandbox (to seed
one) must agree on these, so they live here, below all three and with no Pulumi import.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

# The credentials of a Twilio account as stack config names them, alike under `twilio:` and in
# the flexorch provider's own config (`pulumi config set flexorch:accountSid AC...`), where they
# share the namespace with the component's keys but are none of them. The token and the API
# secret must be set with --secret, or state holds them in plain text.
PROVIDER_CREDENTIALS = ("accountSid", "authToken", "apiKey", "apiSecret")
SECRET_CREDENTIALS = ("authToken", "apiSecret")

# Twilio's default method for every webhook it calls (SmsMethod, a chat service's WebhookMethod).
DEFAULT_METHOD = "POST"

# The messaging platform a stack targets (`flexorch:platform`): Flex UI 1.x with Programmable
# Chat, or Flex UI 2.x with Flex Conversations. Twilio ended Programmable Chat for Flex on
# 2026-06-01 (Flex UI 1.x: 2024-06-30). A state written before the key existed is 1.x.
PROGRAMMABLE_CHAT = "programmable-chat"
CONVERSATIONS = "conversations"
PLATFORMS = (PROGRAMMABLE_CHAT, CONVERSATIONS)
DEFAULT_PLATFORM = PROGRAMMABLE_CHAT

# Programmable Chat v2 webhook events (https://www.twilio.com/docs/chat/webhook-events).
# Pre-events fire before the action is committed and go to the pre-event URL; post-events after.
CHAT_PRE_EVENTS = (
    "onMessageSend",
    "onMessageUpdate",
    "onMessageRemove",
    "onMediaMessageSend",
    "onChannelAdd",
    "onChannelUpdate",
    "onChannelDestroy",
    "onMemberAdd",
    "onMemberUpdate",
    "onMemberRemove",
    "onUserUpdate",
)
CHAT_POST_EVENTS = (
    "onMessageSent",
    "onMessageUpdated",
    "onMessageRemoved",
    "onMediaMessageSent",
    "onChannelAdded",
    "onChannelUpdated",
    "onChannelDestroyed",
    "onMemberAdded",
    "onMemberUpdated",
    "onMemberRemoved",
    "onUserAdded",
    "onUserUpdated",
)
CHAT_WEBHOOK_EVENTS = CHAT_PRE_EVENTS + CHAT_POST_EVENTS

# The events a Conversations service's own webhooks (/v1/Services/{sid}/Configuration/Webhooks)
# can send: the Filters values of https://www.twilio.com/docs/conversations/api/per-service-webhook-resource
# (the same list as the spec and twilio-python 9.13). onUserAdded, onUserUpdate and onUserUpdated
# exist only for the account-level webhooks, not a service's. As in Chat, pre-events go to the
# pre-event URL before the action is committed, post-events after
# (https://www.twilio.com/docs/conversations/conversations-webhooks).
CONVERSATIONS_PRE_EVENTS = (
    "onMessageAdd",
    "onMessageUpdate",
    "onMessageRemove",
    "onConversationAdd",
    "onConversationUpdate",
    "onConversationRemove",
    "onParticipantAdd",
    "onParticipantUpdate",
    "onParticipantRemove",
)
CONVERSATIONS_POST_EVENTS = (
    "onMessageAdded",
    "onMessageUpdated",
    "onMessageRemoved",
    "onConversationAdded",
    "onConversationUpdated",
    "onConversationRemoved",
    "onConversationStateUpdated",
    "onParticipantAdded",
    "onParticipantUpdated",
    "onParticipantRemoved",
    "onDeliveryUpdated",
)
CONVERSATIONS_EVENTS = CONVERSATIONS_PRE_EVENTS + CONVERSATIONS_POST_EVENTS

# The Conversations event a Chat event became (a channel is a conversation there, a member a
# participant: https://www.twilio.com/docs/conversations/migrating-chat-conversations). Chat
# events missing here and not named alike in Conversations have no counterpart.
CHAT_TO_CONVERSATIONS = {
    "onMessageSend": "onMessageAdd",
    "onMediaMessageSend": "onMessageAdd",
    "onChannelAdd": "onConversationAdd",
    "onChannelUpdate": "onConversationUpdate",
    "onChannelDestroy": "onConversationRemove",
    "onMemberAdd": "onParticipantAdd",
    "onMemberUpdate": "onParticipantUpdate",
    "onMemberRemove": "onParticipantRemove",
    "onMessageSent": "onMessageAdded",
    "onMediaMessageSent": "onMessageAdded",
    "onChannelAdded": "onConversationAdded",
    "onChannelUpdated": "onConversationUpdated",
    "onChannelDestroyed": "onConversationRemoved",
    "onMemberAdded": "onParticipantAdded",
    "onMemberUpdated": "onParticipantUpdated",
    "onMemberRemoved": "onParticipantRemoved",
}


def conversations_twin(event: str) -> str | None:
    """A Chat webhook event's Conversations counterpart; None when it has none."""
    if event in CONVERSATIONS_EVENTS:
        return event  # named alike on both platforms
    return CHAT_TO_CONVERSATIONS.get(event)


# The Conversations event an Address Configuration's webhook needs: the customer's message.
ADDRESS_WEBHOOK_FILTERS = ("onMessageAdded",)
# What flexorch names the Address Configurations it creates, and so tells them apart by.
ADDRESS_FRIENDLY_NAME = "Custom messaging (flexorch)"

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
# TaskChannels a workspace may hold, the default one included: 15 in Twilio's older TaskRouter
# docs. Today's limits page (https://www.twilio.com/docs/taskrouter/limits) calls its limits
# defaults that support can raise, shown per workspace on its Limits page in the Console, hence
# `flexorch:taskChannelLimit`. Flex's own channels (voice, chat, sms, video, ...) count.
TASK_CHANNEL_LIMIT = 15
# TaskChannels every Flex account has; TaskRouter refuses a second one and Flex UI owns them.
BUILTIN_TASK_CHANNELS = ("default", "voice", "chat", "sms", "video", "email")

MESSAGE_SID = re.compile(r"(SM|MM)[0-9a-fA-F]{32}")
CHANNEL_SID = re.compile(r"CH[0-9a-fA-F]{32}")
# The SmsUrl Flex gives a number it handles through Proxy.
PROXY_MESSAGE_WEBHOOK = re.compile(r"/Proxy/KS[0-9a-fA-F]{32}/Webhooks/Message")


def same_url(a: Any, b: Any) -> bool:
    """URLs equal as Twilio stores them: only scheme and host case and a default port differ.

    Twilio keeps connection overrides in the fragment (`#rc=3&ct=2000`,
    https://www.twilio.com/docs/usage/webhooks/webhooks-connection-overrides), a handler may
    route `/flex` and `/flex/` apart, and userinfo, path and query are case-sensitive (RFC 3986
    6.2.2.1 and 6.2.3 make only scheme, host and an explicit default port equivalent).
    """
    return _url_key(a) == _url_key(b)


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _url_key(url: Any) -> str:
    if not isinstance(url, str) or not url:
        return ""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:  # not a port: nothing to normalise, compared as written
        return url
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc = f"{netloc}:{port}"
    userinfo, at, _ = parts.netloc.rpartition("@")
    if at:
        netloc = f"{userinfo}@{netloc}"
    return urlunsplit((scheme, netloc, parts.path, parts.query, parts.fragment))


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


def attributes_of(text: Any) -> dict[str, Any]:
    """A JSON attributes string (a channel's, a task's) as a dict; anything unreadable is empty."""
    if isinstance(text, dict):
        return text
    try:
        value = json.loads(text or "{}")
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def channel_status(channel: Any) -> str:
    """A Flex chat channel's attributes.status (ACTIVE, INACTIVE), upper case; "" when unset."""
    return str(attributes_of(channel.attributes).get("status", "")).upper()


def flex_handoff(webhook_type: str | None, configuration: Any) -> str | None:
    """Where a chat channel's own webhook hands its messages, if to Studio or Flex; else None.

    Flex gives each channel it creates a channel-scoped webhook (type `studio`, to the Flex
    Flow's Studio flow); it outlives the switch to a custom handler, and every message posted
    into the channel then goes there too. The guide's first rule: no Flex message handler on
    the chat channels either. A webhook to the team's own URL is theirs, not a handoff.
    """
    settings = attributes_of(configuration)
    if webhook_type == "studio":
        return f"Studio flow {settings.get('flow_sid') or '(none)'}"
    url = settings.get("url")
    if isinstance(url, str) and twilio_hosted(url):
        return url
    return None


def identities(number: str) -> set[str]:
    """Every contact identity under which a Flex Flow or a chat channel names `number`."""
    return {prefix + number for prefix in IDENTITY_PREFIXES}


def chat_identity(contact_uri: str) -> str:
    """The Flex chat identity of a worker: its contact_uri without `client:`."""
    return contact_uri.removeprefix("client:")


@dataclass(frozen=True)
class WebhookSettings:
    """A chat service's webhooks, named alike on both platforms, Twilio's defaults filled in.

    Programmable Chat (a Chat v2 service) and Conversations (a service's webhook configuration)
    hold the same settings under different SDK argument names (`webhook_method` / `method`,
    `webhook_filters` / `filters`), and only Chat has retry counts. Read into this record; the
    SDK's names come back only to write (`chat_fields`, `conversations_fields`), which are also
    the shapes recorded in state.
    """

    pre_webhook_url: str = ""
    post_webhook_url: str = ""
    method: str = DEFAULT_METHOD
    filters: tuple[str, ...] = ()
    # Programmable Chat only: None where the platform has none.
    pre_retry_count: int | None = None
    post_retry_count: int | None = None

    @classmethod
    def of_chat_service(cls, service: Any) -> WebhookSettings:
        """The settings of a fetched Chat v2 service."""
        return cls(
            pre_webhook_url=service.pre_webhook_url or "",
            post_webhook_url=service.post_webhook_url or "",
            method=service.webhook_method or DEFAULT_METHOD,
            filters=tuple(service.webhook_filters or ()),
            pre_retry_count=service.pre_webhook_retry_count or 0,
            post_retry_count=service.post_webhook_retry_count or 0,
        )

    @classmethod
    def of_conversations_service(cls, webhooks: Any) -> WebhookSettings:
        """The settings of a fetched Conversations service webhook configuration."""
        return cls(
            pre_webhook_url=webhooks.pre_webhook_url or "",
            post_webhook_url=webhooks.post_webhook_url or "",
            method=webhooks.method or DEFAULT_METHOD,
            filters=tuple(webhooks.filters or ()),
        )

    @classmethod
    def from_chat_fields(cls, fields: Mapping[str, Any]) -> WebhookSettings:
        """Settings recorded under the Chat v2 SDK's names (`chat_fields`)."""
        return cls(
            pre_webhook_url=fields.get("pre_webhook_url") or "",
            post_webhook_url=fields.get("post_webhook_url") or "",
            method=fields.get("webhook_method") or DEFAULT_METHOD,
            filters=tuple(fields.get("webhook_filters") or ()),
            pre_retry_count=fields.get("pre_webhook_retry_count"),
            post_retry_count=fields.get("post_webhook_retry_count"),
        )

    @classmethod
    def from_conversations_fields(cls, fields: Mapping[str, Any]) -> WebhookSettings:
        """Settings recorded under the Conversations SDK's names (`conversations_fields`)."""
        return cls(
            pre_webhook_url=fields.get("pre_webhook_url") or "",
            post_webhook_url=fields.get("post_webhook_url") or "",
            method=fields.get("method") or DEFAULT_METHOD,
            filters=tuple(fields.get("filters") or ()),
        )

    def chat_fields(self) -> dict[str, Any]:
        """The Chat v2 service update's SDK arguments (absent retry counts as Twilio's 0)."""
        return {
            "pre_webhook_url": self.pre_webhook_url,
            "post_webhook_url": self.post_webhook_url,
            "webhook_method": self.method,
            "webhook_filters": list(self.filters),
            "pre_webhook_retry_count": self.pre_retry_count or 0,
            "post_webhook_retry_count": self.post_retry_count or 0,
        }

    def conversations_fields(self) -> dict[str, Any]:
        """The Conversations service webhook update's SDK arguments."""
        return {
            "pre_webhook_url": self.pre_webhook_url,
            "post_webhook_url": self.post_webhook_url,
            "method": self.method,
            "filters": list(self.filters),
        }

    def on_conversations(self) -> WebhookSettings:
        """Chat v2 settings as their Conversations counterparts (events without one go)."""
        twins = (conversations_twin(event) for event in self.filters)
        return WebhookSettings(
            pre_webhook_url=self.pre_webhook_url,
            post_webhook_url=self.post_webhook_url,
            method=self.method,
            filters=tuple(event for event in dict.fromkeys(twins) if event),
        )


def chat_service_settings(service: Any) -> dict[str, Any]:
    """The webhook settings of a fetched Chat v2 service under its SDK's names."""
    return WebhookSettings.of_chat_service(service).chat_fields()


def conversations_webhook_settings(webhooks: Any) -> dict[str, Any]:
    """The settings of a fetched Conversations service webhook configuration, its SDK's names."""
    return WebhookSettings.of_conversations_service(webhooks).conversations_fields()


def platform_of(value: Any) -> str:
    """A stack's platform; a state or config without one is Programmable Chat (the default)."""
    return str(value) if value in PLATFORMS else DEFAULT_PLATFORM


def same_platform(a: Any, b: Any) -> bool:
    """Platforms equal, an absent one being Programmable Chat."""
    return platform_of(a) == platform_of(b)


def address_settings(address: Any) -> dict[str, Any]:
    """What an Address Configuration does with inbound messages: its SID, name and autoCreation."""
    auto: Mapping[str, Any] = address.auto_creation or {}
    return {
        "sid": address.sid,
        "address": address.address,
        "friendly_name": address.friendly_name or "",
        "enabled": bool(auto.get("enabled")),
        "type": auto.get("type") or "",
        "conversation_service_sid": auto.get("conversation_service_sid") or "",
        "webhook_url": auto.get("webhook_url") or "",
        "webhook_method": str(auto.get("webhook_method") or DEFAULT_METHOD).upper(),
        "webhook_filters": list(auto.get("webhook_filters") or []),
        "studio_flow_sid": auto.get("studio_flow_sid") or "",
        "studio_retry_count": int(auto.get("studio_retry_count") or 0),
    }


def same_address(a: Any, b: Any) -> bool:
    """Two wanted Address Configurations equal where Twilio would not tell them apart."""
    if not a or not b:
        return not a and not b
    return (
        same_url(a.get("webhook_url"), b.get("webhook_url"))
        and same_method(a.get("webhook_method"), b.get("webhook_method"))
        and same_events(a.get("webhook_filters"), b.get("webhook_filters"))
        and a.get("conversation_service_sid") == b.get("conversation_service_sid")
        and bool(a.get("enabled", True)) == bool(b.get("enabled", True))
        and (a.get("type") or "webhook") == (b.get("type") or "webhook")
    )


def sms_settings(number: Any) -> dict[str, Any]:
    """The SMS webhook settings of a fetched IncomingPhoneNumber, Twilio's defaults filled in."""
    return {
        "sms_url": number.sms_url or "",
        "sms_method": number.sms_method or DEFAULT_METHOD,
        "sms_fallback_url": number.sms_fallback_url or "",
    }


class ManagedChannel(Protocol):
    """What the rule below needs of a configured task channel (flexorch:taskChannels[])."""

    @property
    def unique_name(self) -> str:
        """The TaskRouter unique name."""

    @property
    def channel_type(self) -> str | None:
        """Tasks whose channelType attribute is this belong to the channel too."""


def on_managed_channel(
    channels: Iterable[ManagedChannel], task_channel: str | None, attributes: Mapping[str, Any]
) -> bool:
    """Whether a task belongs to one of the stack's task channels, so Flex leaves it alone.

    As the generated plugin decides: the task is on a managed TaskChannel, or its `channelType`
    attribute is one a managed channel declares.
    """
    channels = list(channels)
    if task_channel in {c.unique_name for c in channels}:
        return True
    types = {c.channel_type for c in channels if c.channel_type}
    return attributes.get("channelType") in types


# Reservation statuses of a reservation the agent accepted (it may since have moved on).
ACCEPTED_RESERVATION = ("accepted", "wrapping", "completed")
# Task assignment statuses of a task that is over.
FINISHED_TASK = ("completed", "canceled")
# Proxy session statuses of a session that still relays messages.
OPEN_SESSION = ("open", "in-progress")


def service_takes_inbound(use_inbound_webhook_on_number: Any, inbound_request_url: Any) -> bool:
    """Whether a Messaging Service, not its number's own webhook, gets the number's inbound SMS.

    Twilio's Service resource (https://www.twilio.com/docs/messaging/api/service-resource):
    inbound messages to a number in a service go to the service's `inbound_request_url`, unless
    `use_inbound_webhook_on_number` is true ("Defer to sender's webhook" in the Console). A
    service with neither sends nothing elsewhere that the API tells of (the Console's "Drop the
    message" and "Autocreate a Conversation" are not in the Messaging v1 API), so it is not
    counted as taking the number: no false alarm on a service used only to send.
    """
    return not use_inbound_webhook_on_number and bool(inbound_request_url)


def app_takes_inbound(sms_application_sid: Any) -> bool:
    """Whether a number's TwiML App gets its inbound SMS instead of its own SmsUrl.

    IncomingPhoneNumber (api v2010 spec, `sms_application_sid`): "If an `sms_application_sid` is
    present, we ignore all `sms_*_url` values and use those of the application." Twilio answers
    "" (or null) for a number without one.
    """
    return bool(sms_application_sid)


# Conversations' account defaults (/v1/Configuration, conversations v1 spec and
# https://www.twilio.com/docs/conversations/api/configuration-resource): ISO 8601 durations after
# which a conversation becomes inactive, then closed. "Minimum value for this timer is 1 minute"
# (inactive), "10 minutes" (closed). Twilio's Flex Conversations best practices ask for them, so
# conversations do not pile up (a participant identity is in at most 1,000).
CONVERSATION_TIMER_MINIMUMS = {"inactive": 60, "closed": 600}
_ISO_DURATION = re.compile(
    r"P(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+)S)?)?"
)


def duration_seconds(text: Any) -> int | None:
    """Seconds in an ISO 8601 duration without years or months (`PT10M`, `P1D`); else None."""
    found = _ISO_DURATION.fullmatch(text) if isinstance(text, str) else None
    if found is None or text in ("P", "PT") or text.endswith("T"):
        return None
    units = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
    return sum(int(found[unit] or 0) * seconds for unit, seconds in units.items())


def same_duration(a: Any, b: Any) -> bool:
    """Durations compare by length (Twilio may store PT60M as PT1H); unset is ""."""
    if not a or not b:
        return (a or "") == (b or "")
    length_a, length_b = duration_seconds(a), duration_seconds(b)
    return length_a == length_b if None not in (length_a, length_b) else a == b


# Known Agent Routing: a Workflow target names its one worker by a task attribute, under one of
# two keys, "known_worker_sid" OR "known_worker_friendly_name", whose value "should be an
# attribute in the Task attributes" (written `task.<attribute>`, as in Twilio's examples); the
# worker must be in the target's queue (error 40152) and workspace (error 40155).
# https://www.twilio.com/docs/taskrouter/workflow-configuration/known-agent-routing
KNOWN_WORKER_KEYS = {"sid": "known_worker_sid", "friendlyName": "known_worker_friendly_name"}
_TASK_ATTRIBUTE = re.compile(r"task(\.[A-Za-z_][A-Za-z0-9_]*)+")


def known_worker_problem(target: Any) -> str | None:
    """Why TaskRouter refuses a Workflow target's known-worker keys; None when it takes them."""
    if not isinstance(target, dict):
        return None
    keys = [key for key in KNOWN_WORKER_KEYS.values() if key in target]
    if len(keys) > 1:
        return f"a target takes {' or '.join(keys)}, not both"
    for key in keys:
        value = target[key]
        if not isinstance(value, str) or not _TASK_ATTRIBUTE.fullmatch(value.strip()):
            return f"{key} must name a task attribute (like task.agent_sid), not {value!r}"
    return None


# The event types TaskRouter sends to a workspace's EventCallbackUrl, as the Events reference
# lists them (https://www.twilio.com/docs/taskrouter/api/event/reference). The workspace's
# `EventsFilter` is one string of them, comma-separated (the TaskRouter v1 spec's example:
# `task.created,task.canceled,worker.activity.update`); a workspace without a filter (null) sends
# every event.
TASKROUTER_EVENTS = (
    "activity.created", "activity.updated", "activity.deleted",
    "reservation.created", "reservation.accepted", "reservation.rejected",
    "reservation.timeout", "reservation.canceled", "reservation.rescinded",
    "reservation.completed", "reservation.failed", "reservation.wrapup",
    "task.created", "task.updated", "task.canceled", "task.wrapup", "task.completed",
    "task.deleted", "task.system-deleted", "task.transfer-initiated",
    "task.transfer-attempt-failed", "task.transfer-failed", "task.transfer-canceled",
    "task.transfer-completed",
    "task-channel.created", "task-channel.updated", "task-channel.deleted",
    "task-queue.created", "task-queue.deleted", "task-queue.entered", "task-queue.timeout",
    "task-queue.moved", "task-queue.expression.updated",
    "worker.created", "worker.activity.update", "worker.attributes.update",
    "worker.capacity.update", "worker.channel.availability.update", "worker.deleted",
    "workflow.created", "workflow.updated", "workflow.deleted", "workflow.target-matched",
    "workflow.entered", "workflow.timeout", "workflow.skipped",
    "workspace.created", "workspace.updated", "workspace.deleted",
)  # fmt: skip
# What a custom orchestration's handler needs by default: every reservation event (it adds the
# agent to the conversation on `reservation.accepted` and removes her on wrap-up, completion, or
# a reservation that ends unaccepted), and the events that end a task, so that no conversation is
# left open without one (Twilio's Flex Conversations best practices: "handle certain terminal
# TaskRouter events", https://www.twilio.com/docs/flex/developer/conversations/best-practices).
# A task ends completed, canceled, deleted (by the API or at its TTL), or leaves the workspace at
# the end of its Workflow (`workflow.timeout`, `workflow.skipped`); `task.wrapup` is where Flex's
# own orchestration takes the agent out, so the handler gets it too.
DEFAULT_CALLBACK_EVENTS = (
    "reservation.created", "reservation.accepted", "reservation.rejected",
    "reservation.timeout", "reservation.canceled", "reservation.rescinded",
    "reservation.wrapup", "reservation.completed", "reservation.failed",
    "task.wrapup", "task.completed", "task.canceled", "task.deleted", "task.system-deleted",
    "workflow.timeout", "workflow.skipped",
)  # fmt: skip


def events_filter(events: Any) -> str:
    """The `EventsFilter` form value of a list of event types ("" for none: every event)."""
    return ",".join(events or ())


def filter_events(text: Any) -> tuple[str, ...]:
    """The event types of a workspace's `events_filter` as Twilio answers it (spaces allowed)."""
    if not isinstance(text, str):
        return ()
    return tuple(part.strip() for part in text.split(",") if part.strip())
