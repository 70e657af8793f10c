"""Workspace: adopts Flex's TaskRouter workspace by SID or friendly name; never deletes it."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, Resource
from typing_extensions import override

from flexorch.resources.base import TwilioProvider, pick_one
from flexorch.twilio_client import twilio_call


class WorkspaceProvider(TwilioProvider):
    """Looks the workspace up; Flex owns it, so delete only forgets it."""

    kind = "Workspace"
    inputs = ("lookup_sid", "lookup_name")
    replace_on = inputs

    @override
    def label(self, props: dict[str, Any]) -> str:
        return f'Workspace "{props.get("lookup_sid") or props.get("lookup_name")}"'

    def _find(self, props: dict[str, Any]) -> Any:
        workspaces = self.client().taskrouter.v1.workspaces
        with twilio_call(self.label(props), "look up"):
            if props.get("lookup_sid"):
                return workspaces(props["lookup_sid"]).fetch()
            found = workspaces.list(friendly_name=props["lookup_name"], limit=20)
        return pick_one(found, self.label(props), "TaskRouter workspace", "workspace.sid")

    @override
    def create(self, props: dict[str, Any]) -> CreateResult:
        found = self._find(props)
        return CreateResult(
            found.sid, self.outs(props, sid=found.sid, friendly_name=found.friendly_name)
        )

    @override
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        with twilio_call(self.label(props), "read"):
            found = self.client().taskrouter.v1.workspaces(id_).fetch()
        return ReadResult(id_, self.outs(props, sid=found.sid, friendly_name=found.friendly_name))

    @override
    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """The Flex workspace outlives the stack: nothing to do."""


class Workspace(Resource, module="flexorch", name="Workspace"):
    """The Flex workspace, adopted."""

    sid: pulumi.Output[str]
    friendly_name: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        *,
        sid: str | None,
        friendly_name: str | None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Adopt the workspace with this SID, or the one with this friendly name."""
        props = {
            "lookup_sid": sid,
            "lookup_name": friendly_name,
            "sid": None,
            "friendly_name": None,
        }
        super().__init__(WorkspaceProvider(), name, props, opts)
