"""TaskQueue: adopts a queue (e.g. Flex's `Everyone`) by SID or name, or creates one."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, Resource
from typing_extensions import override

from flexorch.resources.base import TwilioProvider, pick_one
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

    @override
    def create(self, props: dict[str, Any]) -> CreateResult:
        queues = self.client().taskrouter.v1.workspaces(props["workspace_sid"]).task_queues
        label = self.label(props)
        with twilio_call(label, "look up"):
            if props.get("lookup_sid"):
                found = [queues(props["lookup_sid"]).fetch()]
            else:
                found = queues.list(friendly_name=props["lookup_name"], limit=20)
        if not found and props.get("lookup_name"):
            with twilio_call(label, "create", ("FriendlyName", "TargetWorkers")):
                queue = queues.create(
                    friendly_name=props["lookup_name"], target_workers=ALL_WORKERS
                )
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
        sid: str | None,
        friendly_name: str | None,
        config_key: str,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Adopt (or create, by name) the queue; `config_key` names it in error messages."""
        props = {
            "workspace_sid": workspace_sid,
            "lookup_sid": sid,
            "lookup_name": friendly_name,
            "config_key": config_key,
            "sid": None,
            "created": None,
        }
        super().__init__(TaskQueueProvider(), name, props, opts)
