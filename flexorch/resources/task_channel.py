"""TaskChannel: an owned custom TaskChannel; a new unique name means a new channel."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, Resource, UpdateResult
from typing_extensions import override

from flexorch.resources.base import TwilioProvider
from flexorch.resources.client import twilio_call


class TaskChannelProvider(TwilioProvider):
    """Creates the channel, renames it in place, deletes it on destroy."""

    kind = "TaskChannel"
    inputs = ("workspace_sid", "unique_name", "friendly_name")
    # TaskRouter cannot change a channel's unique name.
    replace_on = ("workspace_sid", "unique_name")

    @override
    def label(self, props: dict[str, Any]) -> str:
        return f'TaskChannel "{props.get("unique_name")}"'

    def _channels(self, props: dict[str, Any]) -> Any:
        return self.client().taskrouter.v1.workspaces(props["workspace_sid"]).task_channels

    @override
    def create(self, props: dict[str, Any]) -> CreateResult:
        with twilio_call(self.label(props), "create", ("FriendlyName", "UniqueName")):
            channel = self._channels(props).create(
                friendly_name=props["friendly_name"], unique_name=props["unique_name"]
            )
        return CreateResult(channel.sid, self.outs(props, sid=channel.sid))

    @override
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        with twilio_call(self.label(news), "update", ("FriendlyName",)):
            self._channels(news)(id_).update(friendly_name=news["friendly_name"])
        return UpdateResult(self.carry(olds, news, sid=id_))

    @override
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        with twilio_call(self.label(props), "read"):
            live = self._channels(props)(id_).fetch()
        outs = self.outs(
            props, sid=id_, unique_name=live.unique_name, friendly_name=live.friendly_name
        )
        return ReadResult(id_, outs)

    @override
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        with twilio_call(self.label(props), "delete", missing_ok=True):
            self._channels(props)(id_).delete()


class TaskChannel(Resource, module="flexorch", name="TaskChannel"):
    """A custom chat TaskChannel."""

    sid: pulumi.Output[str]
    unique_name: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        *,
        workspace_sid: pulumi.Input[str],
        unique_name: str,
        friendly_name: str,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Own the TaskChannel `unique_name` in the workspace."""
        props = {
            "workspace_sid": workspace_sid,
            "unique_name": unique_name,
            "friendly_name": friendly_name,
            "sid": None,
        }
        super().__init__(TaskChannelProvider(), name, props, opts)
