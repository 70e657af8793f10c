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
from pulumi.dynamic import CheckResult, CreateResult, ReadResult, UpdateResult
from typing_extensions import override

from flexorch.lookups import once
from flexorch.resources.base import SnapshotProvider, TwilioProvider, restoring, warn
from flexorch.resources.platform import Platform
from flexorch.resources.platforms import every_platform, platform
from flexorch.resources.resource import TwilioResource
from flexorch.twilio_client import TwilioApiError
from flexorch.twilio_facts import (
    WebhookSettings,
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
        """The platform's settings, recorded under its own output (`Platform.recorded`)."""
        client = self.client()
        sid = props["service_sid"]
        on = platform(props.get("platform"))

        def fetch() -> dict[str, Any]:
            return on.fields(on.fetch_webhooks(client, self.label(props), sid, "look up"))

        previous = once(client, (on.recorded, sid), fetch)
        handler = props.get("handler_url")
        on_handler = bool(handler) and any(
            same_url(previous[key], handler) for key in ("pre_webhook_url", "post_webhook_url")
        )
        return {"sid": sid, on.recorded: previous, "points_at_handler": on_handler}

    @override
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """A platform switch: record the new platform's settings once, keep the other's."""
        on = platform(news.get("platform"))
        found = {} if olds.get(on.recorded) else self.look_up(news)
        found = on.adopted_at_handler(self.label(news), olds, found)
        return UpdateResult(self.carry(olds, news, **found))


class ChatServiceSnapshot(TwilioResource, module="flexorch", name="ChatServiceSnapshot"):
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
        super().__init__(name, props, opts)

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

    def _write(
        self, props: dict[str, Any], on: Platform, fields: dict[str, Any], action: str
    ) -> None:
        on.write_webhooks(self.client(), self.label(props), props["service_sid"], fields, action)

    def _point(self, props: dict[str, Any]) -> None:
        """Point the platform's webhooks at the handler."""
        on = platform(props.get("platform"))
        self._write(props, on, on.fields(wanted(props)), "update")

    def _give_back(self, props: dict[str, Any], on: Platform, recorded: dict[str, Any]) -> None:
        """Put back what the platform's webhooks had before flexorch, if that is known."""
        previous = recorded.get(on.recorded)
        if previous:
            self._write(props, on, dict(previous), "restore")

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
            **{on.recorded: _copy(snapshot.get(on.recorded)) for on in every_platform()},
            previous_unknown=bool(snapshot.get("points_at_handler")),
        )
        return CreateResult(props["service_sid"], outs)

    @override
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Apply the change; a platform switch first gives back the old platform's settings."""
        was, now = platform(olds.get("platform")), platform(news.get("platform"))
        snapshot = news.get("snapshot") or {}
        recorded = {
            on.recorded: olds.get(on.recorded) or _copy(snapshot.get(on.recorded))
            for on in every_platform()
        }
        if was is not now:
            try:
                self._give_back(news, was, recorded)
            except TwilioApiError as refused:
                # Programmable Chat for Flex has ended: its API may refuse. The new platform
                # must still be set, so this is said and the switch goes on.
                warn(f"{self.label(news)}: could not give back the {was.name} webhooks: {refused}")
        self._point(news)
        return UpdateResult(self.carry(olds, news, **recorded))

    @override
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        now = platform(props.get("platform")).fetch_webhooks(
            self.client(), self.label(props), id_, "read"
        )
        outs = self.refreshed(
            props,
            pre_webhook_url=now.pre_webhook_url,
            post_webhook_url=now.post_webhook_url,
            webhook_method=now.method,
            webhook_filters=list(now.filters),
            # A platform without a retry count (Conversations): what the stack asks for stands.
            retry_count=props.get("retry_count")
            if now.post_retry_count is None
            else now.post_retry_count,
        )
        return ReadResult(id_, outs)

    @override
    def delete(self, _id: str, props: dict[str, Any]) -> None:
        """Put back what the service had before flexorch adopted it."""
        self._give_back(props, platform(props.get("platform")), props)


def wanted(props: dict[str, Any]) -> WebhookSettings:
    """The webhook settings the stack asks for (a retry count only where the platform has one)."""
    return WebhookSettings(
        pre_webhook_url=props["pre_webhook_url"],
        post_webhook_url=props["post_webhook_url"],
        method=props["webhook_method"],
        filters=tuple(props["webhook_filters"]),
        pre_retry_count=props["retry_count"],
        post_retry_count=props["retry_count"],
    )


def _other_handler(props: dict[str, Any], snapshot: dict[str, Any]) -> str:
    """A team's own webhook URL the service had before, other than this stack's ("" if none)."""
    previous = snapshot.get(platform(props.get("platform")).recorded) or {}
    ours = props["post_webhook_url"] or props["pre_webhook_url"]
    for key in ("post_webhook_url", "pre_webhook_url"):
        url = previous.get(key) or ""
        if url and not twilio_hosted(url) and not same_url(url, ours):
            return str(url)
    return ""


def _copy(value: Any) -> dict[str, Any] | None:
    return dict(value) if value else None


class ChatServiceWebhooks(TwilioResource, module="flexorch", name="ChatServiceWebhooks"):
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
        super().__init__(name, props, restoring(opts))
