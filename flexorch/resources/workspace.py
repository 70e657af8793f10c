"""Workspace: adopts Flex's TaskRouter workspace by SID or friendly name; never deletes it."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import ReadResult
from typing_extensions import override

from flexorch.lookups import once
from flexorch.resources.base import SnapshotProvider, TwilioProvider, known, pick_one
from flexorch.resources.resource import TwilioResource
from flexorch.twilio_client import twilio_call


def find_workspace(client: Any, sid: str | None, name: str | None) -> Any:
    """The workspace with this SID, or the one with this friendly name (once per process)."""
    label = f'Workspace "{sid or name}"'

    def fetch() -> Any:
        workspaces = client.taskrouter.v1.workspaces
        with twilio_call(label, "look up"):
            if sid:
                return workspaces(sid).fetch()
            found = workspaces.list(friendly_name=name, limit=20)
        return pick_one(found, label, "TaskRouter workspace", "workspace.sid")

    return once(client, ("workspace", sid, name), fetch)


def workspace_sid(provider: TwilioProvider, props: dict[str, Any]) -> str:
    """The workspace a resource lives in, also at a preview where the engine has no SID yet.

    Such resources carry the workspace's `workspace_lookup` from the config, so their checks
    can look things up in it before the Workspace resource exists.
    """
    if known(props.get("workspace_sid")):
        return str(props["workspace_sid"])
    lookup = props.get("workspace_lookup") or {}
    found = find_workspace(provider.client(), lookup.get("sid"), lookup.get("friendly_name"))
    return str(found.sid)


class WorkspaceProvider(SnapshotProvider):
    """Looks the workspace up (at preview too); Flex owns it, so delete only forgets it."""

    kind = "Workspace"
    inputs = ("lookup_sid", "lookup_name")
    replace_on = inputs

    @override
    def label(self, props: dict[str, Any]) -> str:
        return f'Workspace "{props.get("lookup_sid") or props.get("lookup_name")}"'

    @override
    def look_up(self, props: dict[str, Any]) -> dict[str, Any]:
        found = find_workspace(self.client(), props.get("lookup_sid"), props.get("lookup_name"))
        return {"sid": found.sid, "friendly_name": found.friendly_name}

    @override
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        with twilio_call(self.label(props), "read"):
            found = self.client().taskrouter.v1.workspaces(id_).fetch()
        outs = self.refreshed(props, sid=found.sid, friendly_name=found.friendly_name)
        return ReadResult(id_, outs)


class Workspace(TwilioResource, module="flexorch", name="Workspace"):
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
        super().__init__(name, props, opts)
