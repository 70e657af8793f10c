"""TaskChannel: a custom TaskChannel, created or adopted; a new unique name means a new channel.

An adopted channel (`taskChannels[].sid`, or `adopt: true` by unique name) keeps its SID; its
friendly name from before is recorded at adoption and put back on destroy instead of deleting it.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, Resource, UpdateResult
from typing_extensions import override

from flexorch.errors import FlexorchError
from flexorch.resources.base import TwilioProvider, gone
from flexorch.twilio_client import twilio_call


class TaskChannelProvider(TwilioProvider):
    """Creates the channel, renames it in place, deletes it on destroy."""

    kind = "TaskChannel"
    inputs = ("workspace_sid", "unique_name", "friendly_name", "adopt_sid", "adopt_by_name")
    # TaskRouter cannot change a channel's unique name.
    replace_on = ("workspace_sid", "unique_name", "adopt_sid", "adopt_by_name")

    @override
    def label(self, props: dict[str, Any]) -> str:
        return f'TaskChannel "{props.get("unique_name")}"'

    def _channels(self, props: dict[str, Any]) -> Any:
        return self.client().taskrouter.v1.workspaces(props["workspace_sid"]).task_channels

    def _existing(self, props: dict[str, Any]) -> Any:
        """The channel to adopt, or None when there is none to adopt (then one is created)."""
        channels = self._channels(props)
        if props.get("adopt_sid"):
            with twilio_call(self.label(props), "read"):
                existing = channels(props["adopt_sid"]).fetch()
            if existing.unique_name != props["unique_name"]:
                raise FlexorchError(
                    f"{self.label(props)}: {props['adopt_sid']} has the unique name "
                    f'"{existing.unique_name}"; set taskChannels[].uniqueName to it (TaskRouter '
                    "cannot rename a channel's unique name)"
                )
            return existing
        if props.get("adopt_by_name"):
            with twilio_call(self.label(props), "read"):
                found = [c for c in channels.list() if c.unique_name == props["unique_name"]]
            return found[0] if found else None
        return None

    @override
    def create(self, props: dict[str, Any]) -> CreateResult:
        existing = self._existing(props)
        if existing is not None:
            with twilio_call(self.label(props), "update", ("FriendlyName",)):
                self._channels(props)(existing.sid).update(friendly_name=props["friendly_name"])
            previous = {"friendly_name": existing.friendly_name}
            return CreateResult(
                existing.sid, self.outs(props, sid=existing.sid, adopted_previous=previous)
            )
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
        live = None
        with twilio_call(self.label(props), "read", missing_ok=True):
            live = self._channels(props)(id_).fetch()
        if live is None:
            return gone(self.label(props), id_, props)
        outs = self.outs(
            props, sid=id_, unique_name=live.unique_name, friendly_name=live.friendly_name
        )
        return ReadResult(id_, outs)

    @override
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        previous = props.get("adopted_previous")
        if previous:  # adopted: put back what it was, never delete it
            with twilio_call(self.label(props), "restore", ("FriendlyName",), missing_ok=True):
                self._channels(props)(id_).update(friendly_name=previous["friendly_name"])
            return
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
        friendly_name: pulumi.Input[str],
        adopt_sid: str | None = None,
        adopt_by_name: bool | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Own the TaskChannel `unique_name` in the workspace, created or adopted."""
        props = {
            "workspace_sid": workspace_sid,
            "unique_name": unique_name,
            "friendly_name": friendly_name,
            "adopt_sid": adopt_sid,
            "adopt_by_name": adopt_by_name or None,
            "sid": None,
            "adopted_previous": None,
        }
        super().__init__(TaskChannelProvider(), name, props, opts)
