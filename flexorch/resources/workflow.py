"""Workflow: the contact_uri Workflow, created or adopted; its JSON is compared by value.

An adopted Workflow (`workflow.sid`, or `workflow.adopt` by friendly name) keeps its SID, which
handlers have wired in; a WorkflowSnapshot records its settings before any write, and destroy
puts them back instead of deleting it. A create whose answer was lost, or one an earlier run
made before it was stopped, is found by name and taken over rather than made twice.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, UpdateResult
from typing_extensions import override

from flexorch.errors import FlexorchError
from flexorch.resources.base import (
    AdoptingProvider,
    AdoptionSnapshot,
    AdoptionSnapshotProvider,
    create_resolved,
    gone,
    pick_one,
    restoring,
    warn,
)
from flexorch.resources.importing import find_imported
from flexorch.resources.resource import TwilioResource
from flexorch.resources.workspace import workspace_sid
from flexorch.routing import canonical_json
from flexorch.twilio_client import twilio_call


def same_document(a: Any, b: Any) -> bool:
    """Workflow JSON equal by value: whitespace and key order are no change."""
    try:
        return canonical_json(json.loads(a)) == canonical_json(json.loads(b))
    except (TypeError, ValueError):
        return bool(a == b)


def _settings(values: dict[str, Any]) -> dict[str, Any]:
    """What flexorch writes to a Workflow (create, update, restore): the engine's floats as int."""
    return {
        "friendly_name": values["friendly_name"],
        "configuration": values["configuration"],
        "task_reservation_timeout": int(values["task_reservation_timeout"]),
    }


class WorkflowSnapshotProvider(AdoptionSnapshotProvider):
    """Finds the Workflow to adopt (by SID, or by friendly name) and records its settings."""

    kind = "WorkflowSnapshot"
    inputs = ("workspace_sid", "adopt_sid", "adopt_by_name")
    replace_on = ("workspace_sid",)
    reference = "adopt_sid"

    @override
    def label(self, props: dict[str, Any]) -> str:
        return f'Workflow "{props.get("adopt_sid") or props.get("friendly_name")}"'

    @override
    def look_up(self, props: dict[str, Any]) -> dict[str, Any]:
        workflows = self.client().taskrouter.v1.workspaces(workspace_sid(self, props)).workflows
        label = self.label(props)
        with twilio_call(label, "look up"):
            if props.get("adopt_sid"):
                found = workflows(props["adopt_sid"]).fetch()
            else:
                named = workflows.list(friendly_name=props["friendly_name"])
                found = pick_one(named, label, "Workflow", "workflow.sid") if named else None
        if found is None:  # adopt by name, none has it: one is created
            return {"sid": "", "previous": None}
        previous = {
            "friendly_name": found.friendly_name,
            "configuration": found.configuration,
            "task_reservation_timeout": found.task_reservation_timeout,
        }
        return {"sid": found.sid, "previous": previous}


class WorkflowSnapshot(AdoptionSnapshot, module="flexorch", name="WorkflowSnapshot"):
    """The settings of the Workflow to adopt, from before flexorch (read-only)."""

    def __init__(
        self,
        name: str,
        *,
        workspace_sid: pulumi.Input[str],
        workspace_lookup: pulumi.Input[dict[str, Any]],
        adopt_sid: pulumi.Input[str] | None,
        adopt_by_name: bool | None,
        friendly_name: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Find the Workflow `adopt_sid`, or (`adopt_by_name`) the one named `friendly_name`."""
        props = {
            "workspace_sid": workspace_sid,
            "workspace_lookup": workspace_lookup,  # for checks only; never compared
            "adopt_sid": adopt_sid,
            "adopt_by_name": adopt_by_name or None,
            "friendly_name": friendly_name,  # the name to adopt by; never compared
            "sid": None,
            "previous": None,
        }
        super().__init__(name, props, opts)


class WorkflowProvider(AdoptingProvider):
    """Creates, updates in place and deletes the Workflow.

    Numbers arrive from the engine as floats (protobuf), hence the int() before sending.
    """

    kind = "Workflow"
    inputs = (
        "workspace_sid",
        "friendly_name",
        "configuration",
        "task_reservation_timeout",
        "adopt_sid",
        "adopt_by_name",
    )
    replace_on = ("workspace_sid",)
    comparisons = {"configuration": same_document}
    fields = ("FriendlyName", "Configuration", "TaskReservationTimeout")

    @override
    def label(self, props: dict[str, Any]) -> str:
        return f'Workflow "{props.get("friendly_name")}"'

    @override
    def same_name(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
        """The Workflow held carries the config's name (flexorch set it): that name finds it."""
        return bool(olds.get("friendly_name") == news.get("friendly_name"))

    def _workflows(self, props: dict[str, Any]) -> Any:
        return self.client().taskrouter.v1.workspaces(props["workspace_sid"]).workflows

    def _named(self, props: dict[str, Any]) -> list[Any]:
        with twilio_call(self.label(props), "look up"):
            return list(self._workflows(props).list(friendly_name=props["friendly_name"]))

    def _ours(self, props: dict[str, Any]) -> Any:
        """A Workflow this resource would have made: its name and its document (None if none).

        Not one of `siblings`, the Workflows of the program's other components: two components
        may want the same one (the default name and document), and each owns its own.
        """
        siblings = set(props.get("siblings") or ())
        found = [w for w in self._named(props) if w.sid not in siblings]
        same = [w for w in found if same_document(w.configuration, props["configuration"])]
        if same:
            return same[0]
        if found:
            raise FlexorchError(
                f"{self.label(props)}: a Workflow of that name already exists ({found[0].sid}) "
                "with another configuration; set flexorch:workflow.adopt: true to adopt it "
                "(restored on destroy), or give flexorch:workflow.friendlyName another name"
            )
        return None

    @override
    def create(self, props: dict[str, Any]) -> CreateResult:
        settings = _settings(props)
        adopted = props.get("adopted") or {}
        if adopted.get("sid"):
            with twilio_call(self.label(props), "update", self.fields):
                self._workflows(props)(adopted["sid"]).update(**settings)
            outs = self.outs(props, sid=adopted["sid"], adopted_previous=adopted["previous"])
            return CreateResult(adopted["sid"], outs)
        # An earlier run may have made it and been stopped before recording it.
        earlier = self._ours(props)
        if earlier is not None:
            warn(f"{self.label(props)}: found {earlier.sid}, made by an earlier run; took it over")
            workflow = earlier
        else:

            def create() -> Any:
                with twilio_call(self.label(props), "create", self.fields):
                    return self._workflows(props).create(**settings)

            workflow = create_resolved(self.label(props), create, lambda: self._ours(props))
        return CreateResult(workflow.sid, self.outs(props, sid=workflow.sid))

    @override
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        if self.check_same_object(id_, olds, news):
            with twilio_call(self.label(news), "update", self.fields):
                self._workflows(news)(id_).update(**_settings(news))
        return UpdateResult(self.carry(olds, news, sid=id_))

    @override
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        live = None
        with twilio_call(self.label(props), "read", missing_ok=True):
            live = self._workflows(props)(id_).fetch()
        if live is None:
            return gone(self.label(props), id_, bool(props.get("adopted_previous")))
        # Keep the stack's own text when the live document is the same by value, so a refresh
        # of an unchanged workflow shows no drift.
        configuration = props.get("configuration")
        if not same_document(configuration, live.configuration):
            configuration = live.configuration
        outs = self.refreshed(
            props,
            sid=id_,
            friendly_name=live.friendly_name,
            configuration=configuration,
            task_reservation_timeout=live.task_reservation_timeout,
        )
        return ReadResult(id_, outs)

    @override
    def import_(self, id_: str) -> ReadResult:
        """The Workflow `id_` (`WW...`, or `WS.../WW...`), owned from now on like one created.

        No snapshot records its settings (an import reads one object; a snapshot is a resource
        of its own), so destroy deletes it; the config's `workflow.sid` adopts it instead.
        """
        workspace, live = find_imported(
            self.client(), id_, "Workflow", "WW", lambda workspace: workspace.workflows
        )
        inputs = {
            "workspace_sid": workspace,
            "friendly_name": live.friendly_name,
            "configuration": live.configuration,
            "task_reservation_timeout": live.task_reservation_timeout,
        }
        return ReadResult(live.sid, {**inputs, "sid": live.sid})

    @override
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        previous = props.get("adopted_previous")
        if previous:  # adopted: put back what it was, never delete it
            with twilio_call(self.label(props), "restore", self.fields, missing_ok=True):
                self._workflows(props)(id_).update(**_settings(previous))
            return
        with twilio_call(self.label(props), "delete", missing_ok=True):
            self._workflows(props)(id_).delete()


class Workflow(TwilioResource, module="flexorch", name="Workflow"):
    """The Workflow that routes a task to the worker whose contact_uri it names."""

    sid: pulumi.Output[str]
    configuration: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        *,
        workspace_sid: pulumi.Input[str],
        friendly_name: pulumi.Input[str],
        configuration: pulumi.Input[str],
        task_reservation_timeout: int,
        adopt_sid: pulumi.Input[str] | None = None,
        adopt_by_name: bool | None = None,
        adopted: pulumi.Input[dict[str, Any]] | None = None,
        siblings: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Own a Workflow with this JSON configuration, created or adopted in the workspace.

        `adopted`: the WorkflowSnapshot's record, when the config adopts one. `siblings`: the
        SIDs of the Workflows the program's components declared before this one, which its
        create never takes for one an earlier run of its own left.
        """
        props = {
            "workspace_sid": workspace_sid,
            "friendly_name": friendly_name,
            "configuration": configuration,
            "task_reservation_timeout": task_reservation_timeout,
            "adopt_sid": adopt_sid,
            "adopt_by_name": adopt_by_name or None,
            "adopted": adopted,  # consumed at create; never compared
            "siblings": siblings or [],  # consumed at create; never compared
            "sid": None,
            "adopted_previous": None,
        }
        super().__init__(name, props, restoring(opts))
