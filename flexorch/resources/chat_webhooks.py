"""ChatServiceSnapshot and ChatServiceWebhooks: the Flex chat service's webhooks, at the handler.

The snapshot records what the service had before flexorch (read-only, in state before any
write); the webhooks resource points the service at the handler and puts that back on destroy.
On Programmable Chat these are the Chat v2 service's own webhook settings; on Flex
Conversations its webhook configuration (`/v1/Services/{sid}/Configuration/Webhooks`). One
resource holds both, so that a platform switch gives back one platform's settings before it
sets the other's, whether or not Twilio stores the two apart (a Chat service is a Conversations
service, and its docs do not say).
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CheckResult, CreateResult, ReadResult, Resource, UpdateResult
from twilio.rest import Client
from typing_extensions import override

from flexorch.resources.base import SnapshotProvider, TwilioProvider, form_fields, restoring, warn
from flexorch.resources.lookups import once
from flexorch.twilio_client import TwilioApiError, twilio_call
from flexorch.twilio_facts import (
    CONVERSATIONS,
    DEFAULT_METHOD,
    chat_service_settings,
    conversations_twin,
    conversations_webhook_settings,
    platform_of,
    same_events,
    same_method,
    same_platform,
    same_url,
    twilio_hosted,
)


class ChatServiceSnapshotProvider(SnapshotProvider):
    """Fetches the chat service and records its webhook settings."""

    kind = "ChatServiceSnapshot"
    inputs = ("service_sid", "platform")
    replace_on = ("service_sid",)
    comparisons = {"platform": same_platform}

    @override
    def label(self, props: dict[str, Any]) -> str:
        return f'ChatService "{props.get("service_sid")}"'

    @override
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """A bad service SID fails preview even while the handler URL is an unknown Output."""
        return self.looked_up(olds, news, self.look_up, "service_sid", annotating=("handler_url",))

    @override
    def look_up(self, props: dict[str, Any]) -> dict[str, Any]:
        """The platform's settings: `previous` (Chat v2) or `previous_conversations`."""
        client = self.client()
        sid = props["service_sid"]
        conversations = platform_of(props.get("platform")) == CONVERSATIONS

        def fetch() -> Any:
            if conversations:
                with twilio_call(f'ConversationsService "{sid}"', "look up its webhooks"):
                    return conversations_webhook_settings(service_webhooks(client, sid).fetch())
            with twilio_call(self.label(props), "look up"):
                return chat_service_settings(client.chat.v2.services(sid).fetch())

        key = ("conversations-webhooks" if conversations else "chat-service", sid)
        previous = once(client, key, fetch)
        handler = props.get("handler_url")
        on_handler = bool(handler) and any(
            same_url(previous[key], handler) for key in ("pre_webhook_url", "post_webhook_url")
        )
        recorded = "previous_conversations" if conversations else "previous"
        return {"sid": sid, recorded: previous, "points_at_handler": on_handler}

    @override
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """A platform switch: record the new platform's settings once, keep the other's."""
        conversations = platform_of(news.get("platform")) == CONVERSATIONS
        recorded = olds.get("previous_conversations" if conversations else "previous")
        found = {} if recorded else self.look_up(news)
        chat = olds.get("previous")
        if conversations and found.get("points_at_handler") and chat:
            # Already at the handler: this stack's own Chat v2 settings, if Twilio stores the
            # two platforms' webhooks together. What was there before flexorch is the Chat one.
            warn(
                f"{self.label(news)}: its Conversations webhooks already point at this stack's "
                "handler; recording its settings from before flexorch (Chat v2) instead"
            )
            found["previous_conversations"] = as_conversations(chat)
        return UpdateResult(self.carry(olds, news, **found))


class ChatServiceSnapshot(Resource, module="flexorch", name="ChatServiceSnapshot"):
    """The Flex chat service's webhook settings from before flexorch (read-only)."""

    previous: pulumi.Output[dict[str, Any]]
    previous_conversations: pulumi.Output[dict[str, Any] | None]
    points_at_handler: pulumi.Output[bool]

    def __init__(
        self,
        name: str,
        *,
        service_sid: pulumi.Input[str],
        handler_url: pulumi.Input[str],
        platform: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Record the service's settings; `handler_url` only tells whether it is already there."""
        props = {
            "service_sid": service_sid,
            "platform": platform,
            "handler_url": handler_url,
            "sid": None,
            "previous": None,
            "previous_conversations": None,
            "points_at_handler": None,
        }
        super().__init__(ChatServiceSnapshotProvider(), name, props, opts)

    def recorded(self) -> pulumi.Output[dict[str, Any]]:
        """What the webhooks resource needs of the snapshot, as one input."""
        return pulumi.Output.all(
            previous=self.previous,
            previous_conversations=self.previous_conversations,
            points_at_handler=self.points_at_handler,
        )


class ChatServiceWebhooksProvider(TwilioProvider):
    """Adopts the chat service; only its webhook settings are managed."""

    kind = "ChatServiceWebhooks"
    inputs = (
        "service_sid",
        "pre_webhook_url",
        "post_webhook_url",
        "webhook_method",
        "webhook_filters",
        "retry_count",
        "platform",
    )
    replace_on = ("service_sid",)
    comparisons = {
        "pre_webhook_url": same_url,
        "post_webhook_url": same_url,
        "webhook_method": same_method,
        "webhook_filters": same_events,
        "platform": same_platform,
    }

    @override
    def label(self, props: dict[str, Any]) -> str:
        return f'ChatServiceWebhooks "{props.get("service_sid")}"'

    def _apply(self, props: dict[str, Any], settings: dict[str, Any], action: str) -> None:
        """Set the Chat v2 service's webhook settings."""
        settings = _sendable(settings, "webhook_filters")
        # Numbers come back from Pulumi state as floats (protobuf); Twilio wants integers.
        for key in ("pre_webhook_retry_count", "post_webhook_retry_count"):
            if key in settings:
                settings[key] = int(settings[key])
        with twilio_call(self.label(props), action, form_fields(settings)):
            self.client().chat.v2.services(props["service_sid"]).update(**settings)

    def _apply_conversations(
        self, props: dict[str, Any], settings: dict[str, Any], action: str
    ) -> None:
        """Set the Conversations service's webhook configuration."""
        settings = _sendable(settings, "filters")
        sid = props["service_sid"]
        with twilio_call(f'ConversationsService "{sid}"', action, form_fields(settings)):
            service_webhooks(self.client(), sid).update(**settings)

    @staticmethod
    def wanted(props: dict[str, Any]) -> dict[str, Any]:
        """The Chat v2 service settings the stack asks for."""
        return {
            "pre_webhook_url": props["pre_webhook_url"],
            "post_webhook_url": props["post_webhook_url"],
            "webhook_method": props["webhook_method"],
            "webhook_filters": list(props["webhook_filters"]),
            "pre_webhook_retry_count": props["retry_count"],
            "post_webhook_retry_count": props["retry_count"],
        }

    @staticmethod
    def wanted_conversations(props: dict[str, Any]) -> dict[str, Any]:
        """The Conversations webhook configuration the stack asks for (it has no retry count)."""
        return {
            "pre_webhook_url": props["pre_webhook_url"],
            "post_webhook_url": props["post_webhook_url"],
            "method": props["webhook_method"],
            "filters": list(props["webhook_filters"]),
        }

    def _point(self, props: dict[str, Any]) -> None:
        """Point the platform's webhooks at the handler."""
        if platform_of(props.get("platform")) == CONVERSATIONS:
            self._apply_conversations(props, self.wanted_conversations(props), "update")
        else:
            self._apply(props, self.wanted(props), "update")

    def _give_back(self, props: dict[str, Any], platform: str, recorded: dict[str, Any]) -> None:
        """Put back what `platform`'s webhooks had before flexorch, if that is known."""
        if platform == CONVERSATIONS and recorded.get("previous_conversations"):
            self._apply_conversations(props, dict(recorded["previous_conversations"]), "restore")
        elif platform != CONVERSATIONS and recorded.get("previous"):
            self._apply(props, dict(recorded["previous"]), "restore")

    @override
    def create(self, props: dict[str, Any]) -> CreateResult:
        snapshot = props["snapshot"]
        if snapshot.get("points_at_handler"):
            warn(
                f"{self.label(props)}: its webhooks already pointed at this stack's handler when "
                "adopted, so their settings from before flexorch are unknown; destroy leaves them"
            )
        elif other := _other_handler(props, snapshot):
            warn(
                f"{self.label(props)}: its webhooks pointed at another handler ({other}); if "
                "another stack manages this service, remove it from one of them: destroying "
                "them in the wrong order leaves it on the first one's handler"
            )
        self._point(props)
        outs = self.outs(
            props,
            previous=_copy(snapshot.get("previous")),
            previous_conversations=_copy(snapshot.get("previous_conversations")),
            previous_unknown=bool(snapshot.get("points_at_handler")),
        )
        return CreateResult(props["service_sid"], outs)

    @override
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Apply the change; a platform switch first gives back the old platform's settings."""
        was, now = platform_of(olds.get("platform")), platform_of(news.get("platform"))
        snapshot = news.get("snapshot") or {}
        recorded = {
            "previous": olds.get("previous") or _copy(snapshot.get("previous")),
            "previous_conversations": olds.get("previous_conversations")
            or _copy(snapshot.get("previous_conversations")),
        }
        if was != now:
            try:
                self._give_back(news, was, recorded)
            except TwilioApiError as refused:
                # Programmable Chat for Flex has ended: its API may refuse. The new platform
                # must still be set, so this is said and the switch goes on.
                warn(f"{self.label(news)}: could not give back the {was} webhooks: {refused}")
        self._point(news)
        return UpdateResult(self.carry(olds, news, **recorded))

    @override
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        if platform_of(props.get("platform")) == CONVERSATIONS:
            with twilio_call(f'ConversationsService "{id_}"', "read its webhooks"):
                now = conversations_webhook_settings(service_webhooks(self.client(), id_).fetch())
            live = {
                "pre_webhook_url": now["pre_webhook_url"],
                "post_webhook_url": now["post_webhook_url"],
                "webhook_method": now["method"],
                "webhook_filters": now["filters"],
                # Conversations has no retry count: what the stack asks for stands.
                "retry_count": props.get("retry_count"),
            }
        else:
            with twilio_call(self.label(props), "read"):
                chat = chat_service_settings(self.client().chat.v2.services(id_).fetch())
            live = {
                "pre_webhook_url": chat["pre_webhook_url"],
                "post_webhook_url": chat["post_webhook_url"],
                "webhook_method": chat["webhook_method"],
                "webhook_filters": chat["webhook_filters"],
                "retry_count": chat["post_webhook_retry_count"],
            }
        outs = self.refreshed(props, **live)
        return ReadResult(id_, outs)

    @override
    def delete(self, _id: str, props: dict[str, Any]) -> None:
        """Put back what the service had before flexorch adopted it."""
        self._give_back(props, platform_of(props.get("platform")), props)


def _other_handler(props: dict[str, Any], snapshot: dict[str, Any]) -> str:
    """A team's own webhook URL the service had before, other than this stack's ("" if none)."""
    conversations = platform_of(props.get("platform")) == CONVERSATIONS
    previous = snapshot.get("previous_conversations" if conversations else "previous") or {}
    ours = props["post_webhook_url"] or props["pre_webhook_url"]
    for key in ("post_webhook_url", "pre_webhook_url"):
        url = previous.get(key) or ""
        if url and not twilio_hosted(url) and not same_url(url, ours):
            return str(url)
    return ""


def service_webhooks(client: Client, sid: str) -> Any:
    """The webhook configuration of Conversations service `sid` (fetch or update it)."""
    return client.conversations.v1.services(sid).configuration.webhooks()


def as_conversations(chat: dict[str, Any]) -> dict[str, Any]:
    """Chat v2 webhook settings as their Conversations counterparts (events without one go)."""
    twins = [conversations_twin(e) for e in chat.get("webhook_filters") or []]
    return {
        "pre_webhook_url": chat.get("pre_webhook_url") or "",
        "post_webhook_url": chat.get("post_webhook_url") or "",
        "method": chat.get("webhook_method") or DEFAULT_METHOD,
        "filters": [e for e in dict.fromkeys(twins) if e],
    }


def _sendable(settings: dict[str, Any], filters: str) -> dict[str, Any]:
    """Settings as Twilio takes them.

    The specs type webhook URLs as URIs, so an empty one cannot be sent: it is left as it is.
    Events decide what fires, so a URL without its events stays silent. An empty list would
    send no filters key at all; one empty value clears it.
    """
    settings = {k: v for k, v in settings.items() if v != ""}
    if settings.get(filters) == []:
        settings[filters] = [""]
    return settings


def _copy(value: Any) -> dict[str, Any] | None:
    return dict(value) if value else None


class ChatServiceWebhooks(Resource, module="flexorch", name="ChatServiceWebhooks"):
    """The Flex chat service's webhooks, pointed at the handler."""

    previous: pulumi.Output[dict[str, Any]]

    def __init__(
        self,
        name: str,
        *,
        service_sid: pulumi.Input[str],
        snapshot: pulumi.Input[dict[str, Any]],
        pre_webhook_url: pulumi.Input[str],
        post_webhook_url: str,
        webhook_method: str,
        webhook_filters: list[str],
        retry_count: int,
        platform: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Manage the service's webhook settings; empty URLs switch that kind of webhook off."""
        props = {
            "service_sid": service_sid,
            "snapshot": snapshot,  # consumed at create and on a platform switch; never compared
            "pre_webhook_url": pre_webhook_url,
            "post_webhook_url": post_webhook_url,
            "webhook_method": webhook_method,
            "webhook_filters": webhook_filters,
            "retry_count": retry_count,
            "platform": platform,
            "previous": None,
            "previous_conversations": None,
            "previous_unknown": None,
        }
        super().__init__(ChatServiceWebhooksProvider(), name, props, restoring(opts))
