"""TaskQueue: adopts a queue (e.g. Flex's `Everyone`) by SID or name, or creates one."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CheckResult, CreateResult, ReadResult, Resource
from typing_extensions import override

from flexorch.resources.base import TwilioProvider, create_resolved, pick_one
from flexorch.resources.lookups import once
from flexorch.resources.workspace import workspace_sid
from flexorch.twilio_client import twilio_call

# A queue that holds every worker, as Flex's own `Everyone` queue does.
ALL_WORKERS = "1==1"


class TaskQueueProvider(TwilioProvider):
    """Adopts by SID or name; a queue that is not found by name is created (and owned)."""

    kind = "TaskQueue"
    inputs = ("workspace_sid", "lookup_sid", "lookup_name", "config_key")
    replace_on = ("workspace_sid", "lookup_sid", "lookup_name")

    @override
    def label(self, props: dict[str, Any]) -> str:
        return f'TaskQueue "{props.get("lookup_sid") or props.get("lookup_name")}"'

    def _found(self, props: dict[str, Any], workspace: str) -> list[Any]:
        """The queues the reference names (once per process: check and create share it)."""
        client = self.client()
        sid, name = props.get("lookup_sid"), props.get("lookup_name")

        def fetch() -> list[Any]:
            queues = client.taskrouter.v1.workspaces(workspace).task_queues
            with twilio_call(self.label(props), "look up"):
                if sid:
                    return [queues(sid).fetch()]
                return list(queues.list(friendly_name=name, limit=20))

        return once(client, ("queue", workspace, sid, name), fetch)

    @override
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """A new queue reference is looked up at preview, so a wrong SID fails before any write."""

        def look_up(props: dict[str, Any]) -> None:
            found = self._found(props, workspace_sid(self, props))
            if found or not props.get("lookup_name"):  # a name not found is created
                pick_one(found, self.label(props), "TaskRouter queue", props["config_key"])

        return self.looked_up(olds, news, look_up, "lookup_sid")

    @override
    def create(self, props: dict[str, Any]) -> CreateResult:
        queues = self.client().taskrouter.v1.workspaces(props["workspace_sid"]).task_queues
        label = self.label(props)
        found = self._found(props, props["workspace_sid"])
        if not found and props.get("lookup_name"):
            name = props["lookup_name"]

            def create() -> Any:
                with twilio_call(label, "create", ("FriendlyName", "TargetWorkers")):
                    return queues.create(friendly_name=name, target_workers=ALL_WORKERS)

            def find() -> Any:
                with twilio_call(label, "look up"):
                    return next(iter(queues.list(friendly_name=name, limit=1)), None)

            queue = create_resolved(label, create, find)
            return CreateResult(queue.sid, self.outs(props, sid=queue.sid, created=True))
        queue = pick_one(found, label, "TaskRouter queue", props["config_key"])
        return CreateResult(queue.sid, self.outs(props, sid=queue.sid, created=False))

    @override
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        with twilio_call(self.label(props), "read"):
            self.client().taskrouter.v1.workspaces(props["workspace_sid"]).task_queues(id_).fetch()
        return ReadResult(id_, self.outs(props, sid=id_, created=props.get("created", False)))

    @override
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Delete only a queue this stack created; an adopted one stays."""
        if props.get("created"):
            with twilio_call(self.label(props), "delete", missing_ok=True):
                self.client().taskrouter.v1.workspaces(props["workspace_sid"]).task_queues(
                    id_
                ).delete()


class TaskQueue(Resource, module="flexorch", name="TaskQueue"):
    """A queue the Workflow targets."""

    sid: pulumi.Output[str]
    created: pulumi.Output[bool]

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
        """Adopt (or create, by name) the queue; `config_key` names it in error messages.

        `workspace_lookup` (the config's workspace `sid` / `friendly_name`) lets a preview
        look the queue up before the workspace's SID is known.
        """
        props = {
            "workspace_sid": workspace_sid,
            "workspace_lookup": workspace_lookup,  # for checks only; never compared
            "lookup_sid": sid,
            "lookup_name": friendly_name,
            "config_key": config_key,
            "sid": None,
            "created": None,
        }
        super().__init__(TaskQueueProvider(), name, props, opts)
