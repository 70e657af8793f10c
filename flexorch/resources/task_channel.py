"""TaskChannel: a custom TaskChannel, created or adopted; a new unique name means a new channel.

An adopted channel (`taskChannels[].sid`, or `adopt: true` by unique name) keeps its SID; a
TaskChannelSnapshot records its friendly name before any write, and destroy puts it back instead
of deleting it. TaskRouter refuses a second channel of one unique name, so a create whose answer
was lost, or one an earlier stopped run made, is found by that name and taken over.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.dynamic import (
    CreateResult,
    ReadResult,
    UpdateResult,
)
from typing_extensions import override

from flexorch.errors import FlexorchError
from flexorch.lookups import PAGE_SIZE, once
from flexorch.resources.base import (
    AdoptingProvider,
    AdoptionSnapshot,
    AdoptionSnapshotProvider,
    create_resolved,
    gone,
    restoring,
    warn,
)
from flexorch.resources.importing import find_imported
from flexorch.resources.resource import TwilioResource
from flexorch.resources.workspace import workspace_sid
from flexorch.twilio_client import TwilioApiError, twilio_call
from flexorch.twilio_facts import BUILTIN_TASK_CHANNELS


def find_channel(channels: Any, label: str, unique_name: str) -> Any:
    """The workspace's channel of this unique name, or None."""
    with twilio_call(label, "look up"):
        return next((c for c in channels.list() if c.unique_name == unique_name), None)


class TaskChannelSnapshotProvider(AdoptionSnapshotProvider):
    """Finds the channel to adopt (by SID, or by unique name) and records its friendly name."""

    kind = "TaskChannelSnapshot"
    inputs = ("workspace_sid", "unique_name", "adopt_sid", "adopt_by_name")
    replace_on = ("workspace_sid", "unique_name")
    reference = "adopt_sid"

    @override
    def label(self, props: dict[str, Any]) -> str:
        return f'TaskChannel "{props.get("unique_name")}"'

    @override
    def look_up(self, props: dict[str, Any]) -> dict[str, Any]:
        channels = self.client().taskrouter.v1.workspaces(workspace_sid(self, props)).task_channels
        label = self.label(props)
        if props.get("adopt_sid"):
            with twilio_call(label, "look up"):
                found = channels(props["adopt_sid"]).fetch()
            if found.unique_name != props["unique_name"]:
                raise FlexorchError(
                    f"{label}: {props['adopt_sid']} has the unique name "
                    f'"{found.unique_name}"; set taskChannels[].uniqueName to it (TaskRouter '
                    "cannot rename a channel's unique name)"
                )
        else:
            found = find_channel(channels, label, props["unique_name"])
        if found is None:  # adopt by name, none has it: one is created
            return {"sid": "", "previous": None}
        return {"sid": found.sid, "previous": {"friendly_name": found.friendly_name}}


class TaskChannelSnapshot(AdoptionSnapshot, module="flexorch", name="TaskChannelSnapshot"):
    """The friendly name of the channel to adopt, from before flexorch (read-only)."""

    def __init__(
        self,
        name: str,
        *,
        workspace_sid: pulumi.Input[str],
        workspace_lookup: pulumi.Input[dict[str, Any]],
        unique_name: str,
        adopt_sid: str | None,
        adopt_by_name: bool | None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Find the channel `adopt_sid`, or (`adopt_by_name`) the one named `unique_name`."""
        props = {
            "workspace_sid": workspace_sid,
            "workspace_lookup": workspace_lookup,  # for checks only; never compared
            "unique_name": unique_name,
            "adopt_sid": adopt_sid,
            "adopt_by_name": adopt_by_name or None,
            "sid": None,
            "previous": None,
        }
        super().__init__(name, props, opts)


def list_channels(client: Any, sid: str) -> list[Any]:
    """Workspace `sid`'s TaskChannels now."""
    with twilio_call(f"Workspace {sid}", "list its TaskChannels"):
        return list(client.taskrouter.v1.workspaces(sid).task_channels.list(page_size=PAGE_SIZE))


def channels_now(client: Any, sid: str) -> dict[str, Any]:
    """Workspace `sid`'s TaskChannels as a refresh finds them, by SID."""
    return once(
        client,
        ("task-channels-now", sid),
        lambda: {channel.sid: channel for channel in list_channels(client, sid)},
    )


def no_room(client: Any, sid: str, wanted: list[str], limit: int) -> str:
    """Why workspace `sid` cannot take the channels `wanted` would add ("" when it can).

    One list of the workspace's channels per process.
    """
    listed = once(client, ("task-channels", sid), lambda: list_channels(client, sid))
    existing = [channel.unique_name for channel in listed]
    added = [name for name in wanted if name not in existing]
    total = len(existing) + len(added)
    if total <= limit:
        return ""
    return (
        f"flexorch:taskChannels: workspace {sid} has {len(existing)} TaskChannels "
        f"({', '.join(existing)}) and the stack would add {len(added)} ({', '.join(added)}): "
        f"{total}, more than the {limit} TaskRouter allows per workspace, the default one "
        "included (flexorch:taskChannelLimit). Fix: take channels out of flexorch:taskChannels, "
        "delete unused ones from the workspace, or ask Twilio to raise the workspace's limit "
        "and set flexorch:taskChannelLimit"
    )


class TaskChannelProvider(AdoptingProvider):
    """Creates the channel, renames it in place, deletes it on destroy."""

    kind = "TaskChannel"
    inputs = ("workspace_sid", "unique_name", "friendly_name", "adopt_sid", "adopt_by_name")
    # TaskRouter cannot change a channel's unique name.
    replace_on = ("workspace_sid", "unique_name")

    @override
    def label(self, props: dict[str, Any]) -> str:
        return f'TaskChannel "{props.get("unique_name")}"'

    @override
    def same_name(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
        """A unique name is one channel per workspace, and a new one replaces it anyway."""
        return True

    def _channels(self, props: dict[str, Any]) -> Any:
        return self.client().taskrouter.v1.workspaces(props["workspace_sid"]).task_channels

    def _ours(self, props: dict[str, Any]) -> Any:
        """The channel of this unique name if it is the one this stack would make, else None."""
        found = find_channel(self._channels(props), self.label(props), props["unique_name"])
        if found is None or found.friendly_name == props["friendly_name"]:
            return found
        raise FlexorchError(
            f"{self.label(props)}: a TaskChannel with this unique name already exists "
            f'({found.sid}, friendly name "{found.friendly_name}"); set adopt: true on it in '
            "flexorch:taskChannels to adopt it (restored on destroy), or choose another uniqueName"
        )

    @override
    def create(self, props: dict[str, Any]) -> CreateResult:
        adopted = props.get("adopted") or {}
        label = self.label(props)
        if adopted.get("sid"):
            with twilio_call(label, "update", ("FriendlyName",)):
                self._channels(props)(adopted["sid"]).update(friendly_name=props["friendly_name"])
            outs = self.outs(props, sid=adopted["sid"], adopted_previous=adopted["previous"])
            return CreateResult(adopted["sid"], outs)

        def create() -> Any:
            with twilio_call(label, "create", ("FriendlyName", "UniqueName")):
                return self._channels(props).create(
                    friendly_name=props["friendly_name"], unique_name=props["unique_name"]
                )

        try:
            channel = create_resolved(label, create, lambda: self._ours(props))
        except TwilioApiError as refused:
            # TaskRouter refuses a unique name it has: made by an earlier run that was stopped?
            earlier = self._ours(props) if refused.status == 400 else None
            if earlier is None:
                raise
            warn(f"{label}: found {earlier.sid}, made by an earlier run; took it over")
            channel = earlier
        return CreateResult(channel.sid, self.outs(props, sid=channel.sid))

    @override
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        if self.check_same_object(id_, olds, news):
            with twilio_call(self.label(news), "update", ("FriendlyName",)):
                self._channels(news)(id_).update(friendly_name=news["friendly_name"])
        return UpdateResult(self.carry(olds, news, sid=id_))

    @override
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """From one list of the workspace's channels per refresh, not one request per channel."""
        live = channels_now(self.client(), props["workspace_sid"]).get(id_)
        if live is None:
            return gone(self.label(props), id_, bool(props.get("adopted_previous")))
        outs = self.refreshed(
            props, sid=id_, unique_name=live.unique_name, friendly_name=live.friendly_name
        )
        return ReadResult(id_, outs)

    @override
    def import_(self, id_: str) -> ReadResult:
        """The channel `id_` (`TC...`, or `WS.../TC...`), owned from now on like one created.

        No snapshot records its friendly name, so destroy deletes it (the config's
        `taskChannels[].sid` adopts it instead). Flex's built-in channels are refused, as the
        config refuses their names: Flex needs them.
        """
        workspace, live = find_imported(
            self.client(), id_, "TaskChannel", "TC", lambda workspace: workspace.task_channels
        )
        if live.unique_name.lower() in BUILTIN_TASK_CHANNELS:
            raise FlexorchError(
                f'TaskChannel {live.sid}: is Flex\'s built-in "{live.unique_name}" channel, which '
                "Flex needs; flexorch owns only custom channels (destroy deletes what it owns), "
                "so import a custom one"
            )
        inputs = {
            "workspace_sid": workspace,
            "unique_name": live.unique_name,
            "friendly_name": live.friendly_name,
        }
        return ReadResult(live.sid, {**inputs, "sid": live.sid})

    @override
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        previous = props.get("adopted_previous")
        if previous:  # adopted: put back what it was, never delete it
            with twilio_call(self.label(props), "restore", ("FriendlyName",), missing_ok=True):
                self._channels(props)(id_).update(friendly_name=previous["friendly_name"])
            return
        with twilio_call(self.label(props), "delete", missing_ok=True):
            self._channels(props)(id_).delete()


class TaskChannel(TwilioResource, module="flexorch", name="TaskChannel"):
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
        adopted: pulumi.Input[dict[str, Any]] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Own the TaskChannel `unique_name` in the workspace, created or adopted.

        `adopted`: the TaskChannelSnapshot's record, when the config adopts one.
        """
        props = {
            "workspace_sid": workspace_sid,
            "unique_name": unique_name,
            "friendly_name": friendly_name,
            "adopt_sid": adopt_sid,
            "adopt_by_name": adopt_by_name or None,
            "adopted": adopted,  # consumed at create; never compared
            "sid": None,
            "adopted_previous": None,
        }
        super().__init__(name, props, restoring(opts))
