"""ChatServiceSnapshot and ChatServiceWebhooks: the Flex chat service's webhooks, at the handler.

The snapshot records what the service had before flexorch (read-only, in state before any
write); the webhooks resource points the service at the handler and puts that back on destroy.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, Resource, UpdateResult
from typing_extensions import override

from flexorch.resources.base import SnapshotProvider, TwilioProvider, form_fields, warn
from flexorch.resources.lookups import once
from flexorch.twilio_client import twilio_call
from flexorch.twilio_facts import chat_service_settings, same_events, same_method, same_url


class ChatServiceSnapshotProvider(SnapshotProvider):
    """Fetches the chat service and records its webhook settings."""

    kind = "ChatServiceSnapshot"
    inputs = ("service_sid",)
    replace_on = inputs

    @override
    def label(self, props: dict[str, Any]) -> str:
        return f'ChatService "{props.get("service_sid")}"'

    @override
    def look_up(self, props: dict[str, Any]) -> dict[str, Any]:
        client = self.client()
        sid = props["service_sid"]

        def fetch() -> Any:
            with twilio_call(self.label(props), "look up"):
                return client.chat.v2.services(sid).fetch()

        previous = chat_service_settings(once(client, ("chat-service", sid), fetch))
        handler = props.get("handler_url")
        on_handler = bool(handler) and any(
            same_url(previous[key], handler) for key in ("pre_webhook_url", "post_webhook_url")
        )
        return {"sid": sid, "previous": previous, "points_at_handler": on_handler}


class ChatServiceSnapshot(Resource, module="flexorch", name="ChatServiceSnapshot"):
    """The Flex chat service's webhook settings from before flexorch (read-only)."""

    previous: pulumi.Output[dict[str, Any]]
    points_at_handler: pulumi.Output[bool]

    def __init__(
        self,
        name: str,
        *,
        service_sid: pulumi.Input[str],
        handler_url: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Record the service's settings; `handler_url` only tells whether it is already there."""
        props = {
            "service_sid": service_sid,
            "handler_url": handler_url,
            "sid": None,
            "previous": None,
            "points_at_handler": None,
        }
        super().__init__(ChatServiceSnapshotProvider(), name, props, opts)

    def recorded(self) -> pulumi.Output[dict[str, Any]]:
        """What the webhooks resource needs of the snapshot, as one input."""
        return pulumi.Output.all(previous=self.previous, points_at_handler=self.points_at_handler)


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
    )
    replace_on = ("service_sid",)
    comparisons = {
        "pre_webhook_url": same_url,
        "post_webhook_url": same_url,
        "webhook_method": same_method,
        "webhook_filters": same_events,
    }

    @override
    def label(self, props: dict[str, Any]) -> str:
        return f'ChatServiceWebhooks "{props.get("service_sid")}"'

    def _apply(self, props: dict[str, Any], settings: dict[str, Any], action: str) -> None:
        # Twilio's spec types the webhook URLs as URIs, so an empty one cannot be sent: it is
        # left as it is. Events decide what fires, so a URL without its events stays silent.
        settings = {k: v for k, v in settings.items() if v != ""}
        # Numbers come back from Pulumi state as floats (protobuf); Twilio wants integers.
        for key in ("pre_webhook_retry_count", "post_webhook_retry_count"):
            if key in settings:
                settings[key] = int(settings[key])
        # An empty list would send no WebhookFilters key at all; one empty value clears it.
        if settings.get("webhook_filters") == []:
            settings["webhook_filters"] = [""]
        with twilio_call(self.label(props), action, form_fields(settings)):
            self.client().chat.v2.services(props["service_sid"]).update(**settings)

    @staticmethod
    def wanted(props: dict[str, Any]) -> dict[str, Any]:
        """The service settings the stack asks for."""
        return {
            "pre_webhook_url": props["pre_webhook_url"],
            "post_webhook_url": props["post_webhook_url"],
            "webhook_method": props["webhook_method"],
            "webhook_filters": list(props["webhook_filters"]),
            "pre_webhook_retry_count": props["retry_count"],
            "post_webhook_retry_count": props["retry_count"],
        }

    @override
    def create(self, props: dict[str, Any]) -> CreateResult:
        snapshot = props["snapshot"]
        if snapshot.get("points_at_handler"):
            warn(
                f"{self.label(props)}: its webhooks already pointed at this stack's handler when "
                "adopted, so their settings from before flexorch are unknown; destroy leaves them"
            )
        self._apply(props, self.wanted(props), "update")
        outs = self.outs(
            props,
            previous=dict(snapshot["previous"]),
            previous_unknown=bool(snapshot.get("points_at_handler")),
        )
        return CreateResult(props["service_sid"], outs)

    @override
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        self._apply(news, self.wanted(news), "update")
        return UpdateResult(self.carry(olds, news))

    @override
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        with twilio_call(self.label(props), "read"):
            live = chat_service_settings(self.client().chat.v2.services(id_).fetch())
        outs = self.outs(
            props,
            pre_webhook_url=live["pre_webhook_url"],
            post_webhook_url=live["post_webhook_url"],
            webhook_method=live["webhook_method"],
            webhook_filters=live["webhook_filters"],
            retry_count=live["post_webhook_retry_count"],
            previous=props.get("previous"),
            previous_unknown=props.get("previous_unknown") or False,
        )
        return ReadResult(id_, outs)

    @override
    def delete(self, _id: str, props: dict[str, Any]) -> None:
        """Put back what the service had before flexorch adopted it."""
        previous = props.get("previous")
        if previous:
            self._apply(props, dict(previous), "restore")


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
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Manage the service's webhook settings; empty URLs switch that kind of webhook off."""
        props = {
            "service_sid": service_sid,
            "snapshot": snapshot,  # consumed at create; never compared
            "pre_webhook_url": pre_webhook_url,
            "post_webhook_url": post_webhook_url,
            "webhook_method": webhook_method,
            "webhook_filters": webhook_filters,
            "retry_count": retry_count,
            "previous": None,
            "previous_unknown": None,
        }
        super().__init__(ChatServiceWebhooksProvider(), name, props, opts)
