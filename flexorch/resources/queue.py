"""TaskQueue: adopts a queue (e.g. Flex's `Everyone`) by SID or name, or creates one.

A TaskQueueSnapshot records, before any write, which queue the reference names (none: one is
created). So a queue found by name at create time although the snapshot found none was made
by an earlier run that was stopped before recording it: it is this stack's, and destroy
deletes it. An adopted queue is never deleted.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult
from typing_extensions import override

from flexorch.lookups import once
from flexorch.resources.base import (
    AdoptionSnapshot,
    SnapshotProvider,
    TwilioProvider,
    create_resolved,
    gone,
    pick_one,
    restoring,
    warn,
)
from flexorch.resources.resource import TwilioResource
from flexorch.resources.workspace import workspace_sid
from flexorch.twilio_client import twilio_call

# A queue that holds every worker, as Flex's own `Everyone` queue does.
ALL_WORKERS = "1==1"


def _label(props: dict[str, Any]) -> str:
    return f'TaskQueue "{props.get("lookup_sid") or props.get("lookup_name")}"'


def _queues(provider: TwilioProvider, workspace: str) -> Any:
    return provider.client().taskrouter.v1.workspaces(workspace).task_queues


def _named(provider: TwilioProvider, props: dict[str, Any], workspace: str) -> Any:
    """The queue of the reference's name now, or None (a fresh list: a refresh or a create)."""
    queues = _queues(provider, workspace)
    label = _label(props)
    with twilio_call(label, "look up"):
        found = list(queues.list(friendly_name=props["lookup_name"], limit=20))
    return pick_one(found, label, "TaskRouter queue", props["config_key"]) if found else None


def _gone_fix(props: dict[str, Any]) -> str:
    """What to do about an adopted queue deleted in Twilio (a refresh keeps failing on it)."""
    return (
        f"give flexorch:{props.get('config_key')} a queue that exists (or a name no queue has: "
        "one is created) and run `pulumi up` without --refresh, which replaces this one"
    )


class TaskQueueSnapshotProvider(SnapshotProvider):
    """Finds the queue the config names (by SID, or by name: none found means one is created)."""

    kind = "TaskQueueSnapshot"
    inputs = ("workspace_sid", "lookup_sid", "lookup_name")
    replace_on = inputs
    reference = "lookup_sid"

    @override
    def label(self, props: dict[str, Any]) -> str:
        return _label(props)

    @override
    def look_up(self, props: dict[str, Any]) -> dict[str, Any]:
        workspace = workspace_sid(self, props)
        client = self.client()
        sid, name = props.get("lookup_sid"), props.get("lookup_name")

        def fetch() -> Any:  # once per process: the check at preview and the create share it
            if sid:
                with twilio_call(_label(props), "look up"):
                    return _queues(self, workspace)(sid).fetch()
            return _named(self, props, workspace)

        found = once(client, ("queue", workspace, sid, name), fetch)
        return {"sid": found.sid if found else "", "previous": None}


class TaskQueueSnapshot(AdoptionSnapshot, module="flexorch", name="TaskQueueSnapshot"):
    """Which queue the config names, from before flexorch created any (read-only)."""

    def __init__(
        self,
        name: str,
        *,
        workspace_sid: pulumi.Input[str],
        workspace_lookup: pulumi.Input[dict[str, Any]],
        sid: pulumi.Input[str] | None,
        friendly_name: pulumi.Input[str] | None,
        config_key: str,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Find the queue `sid`, or the one named `friendly_name` (none: it is created)."""
        props = {
            "workspace_sid": workspace_sid,
            "workspace_lookup": workspace_lookup,  # for checks only; never compared
            "lookup_sid": sid,
            "lookup_name": friendly_name,
            "config_key": config_key,  # names it in errors; never compared
            "sid": None,
            "previous": None,
        }
        super().__init__(name, props, opts)


class TaskQueueProvider(TwilioProvider):
    """Adopts the queue its snapshot found; creates (and owns) one when it found none."""

    kind = "TaskQueue"
    inputs = ("workspace_sid", "lookup_sid", "lookup_name", "config_key")
    replace_on = ("workspace_sid", "lookup_sid", "lookup_name")

    @override
    def label(self, props: dict[str, Any]) -> str:
        return _label(props)

    @override
    def create(self, props: dict[str, Any]) -> CreateResult:
        label = self.label(props)
        adopted = (props.get("adopted") or {}).get("sid")
        if adopted:
            return CreateResult(adopted, self.outs(props, sid=adopted, created=False))
        workspace, name = props["workspace_sid"], props["lookup_name"]
        earlier = _named(self, props, workspace)
        if earlier is not None:  # none when the snapshot looked: an earlier run made it
            warn(f"{label}: found {earlier.sid}, made by an earlier run; took it over")
            return CreateResult(earlier.sid, self.outs(props, sid=earlier.sid, created=True))

        queues = _queues(self, workspace)

        def create() -> Any:
            with twilio_call(label, "create", ("FriendlyName", "TargetWorkers")):
                return queues.create(friendly_name=name, target_workers=ALL_WORKERS)

        queue = create_resolved(label, create, lambda: _named(self, props, workspace))
        return CreateResult(queue.sid, self.outs(props, sid=queue.sid, created=True))

    @override
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        live = None
        with twilio_call(self.label(props), "read", missing_ok=True):
            live = _queues(self, props["workspace_sid"])(id_).fetch()
        if live is None:
            return gone(self.label(props), id_, not props.get("created"), _gone_fix(props))
        return ReadResult(id_, self.refreshed(props, sid=id_))

    @override
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Delete only a queue this stack created; an adopted one stays."""
        if props.get("created"):
            with twilio_call(self.label(props), "delete", missing_ok=True):
                _queues(self, props["workspace_sid"])(id_).delete()


class TaskQueue(TwilioResource, module="flexorch", name="TaskQueue"):
    """A queue the Workflow targets."""

    sid: pulumi.Output[str]
    created: pulumi.Output[bool]

    def __init__(
        self,
        name: str,
        *,
        workspace_sid: pulumi.Input[str],
        sid: pulumi.Input[str] | None,
        friendly_name: pulumi.Input[str] | None,
        config_key: str,
        adopted: pulumi.Input[dict[str, Any]] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Adopt (or create, by name) the queue; `config_key` names it in error messages.

        `adopted`: the TaskQueueSnapshot's record of the queue the reference names.
        """
        props = {
            "workspace_sid": workspace_sid,
            "lookup_sid": sid,
            "lookup_name": friendly_name,
            "config_key": config_key,
            "adopted": adopted,  # consumed at create; never compared
            "sid": None,
            "created": None,
        }
        super().__init__(name, props, restoring(opts))
