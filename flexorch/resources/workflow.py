"""Workflow: the contact_uri Workflow, created or adopted; its JSON is compared by value.

An adopted Workflow (`workflow.sid`, or `workflow.adopt` by friendly name) keeps its SID, which
handlers have wired in; its settings from before are recorded at adoption and put back on
destroy instead of deleting it.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, Resource, UpdateResult
from typing_extensions import override

from flexorch.resources.base import TwilioProvider, gone, pick_one
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


class WorkflowProvider(TwilioProvider):
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
    replace_on = ("workspace_sid", "adopt_sid", "adopt_by_name")
    comparisons = {"configuration": same_document}
    fields = ("FriendlyName", "Configuration", "TaskReservationTimeout")

    @override
    def label(self, props: dict[str, Any]) -> str:
        return f'Workflow "{props.get("friendly_name")}"'

    def _workflows(self, props: dict[str, Any]) -> Any:
        return self.client().taskrouter.v1.workspaces(props["workspace_sid"]).workflows

    def _existing(self, props: dict[str, Any]) -> Any:
        """The Workflow to adopt, or None when there is none to adopt (then one is created)."""
        workflows = self._workflows(props)
        if props.get("adopt_sid"):
            with twilio_call(self.label(props), "read"):
                return workflows(props["adopt_sid"]).fetch()
        if props.get("adopt_by_name"):
            with twilio_call(self.label(props), "read"):
                found = workflows.list(friendly_name=props["friendly_name"])
            if found:
                return pick_one(found, self.label(props), "Workflow", "workflow.sid")
        return None

    @override
    def create(self, props: dict[str, Any]) -> CreateResult:
        settings = _settings(props)
        existing = self._existing(props)
        if existing is not None:
            previous = {key: getattr(existing, key) for key in settings}
            with twilio_call(self.label(props), "update", self.fields):
                self._workflows(props)(existing.sid).update(**settings)
            return CreateResult(
                existing.sid, self.outs(props, sid=existing.sid, adopted_previous=previous)
            )
        with twilio_call(self.label(props), "create", self.fields):
            workflow = self._workflows(props).create(**settings)
        return CreateResult(workflow.sid, self.outs(props, sid=workflow.sid))

    @override
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        with twilio_call(self.label(news), "update", self.fields):
            self._workflows(news)(id_).update(**_settings(news))
        return UpdateResult(self.carry(olds, news, sid=id_))

    @override
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        live = None
        with twilio_call(self.label(props), "read", missing_ok=True):
            live = self._workflows(props)(id_).fetch()
        if live is None:
            return gone(self.label(props), id_, props)
        # Keep the stack's own text when the live document is the same by value, so a refresh
        # of an unchanged workflow shows no drift.
        configuration = props.get("configuration")
        if not same_document(configuration, live.configuration):
            configuration = live.configuration
        outs = self.outs(
            props,
            sid=id_,
            friendly_name=live.friendly_name,
            configuration=configuration,
            task_reservation_timeout=live.task_reservation_timeout,
        )
        return ReadResult(id_, outs)

    @override
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        previous = props.get("adopted_previous")
        if previous:  # adopted: put back what it was, never delete it
            with twilio_call(self.label(props), "restore", self.fields, missing_ok=True):
                self._workflows(props)(id_).update(**_settings(previous))
            return
        with twilio_call(self.label(props), "delete", missing_ok=True):
            self._workflows(props)(id_).delete()


class Workflow(Resource, module="flexorch", name="Workflow"):
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
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Own a Workflow with this JSON configuration, created or adopted in the workspace."""
        props = {
            "workspace_sid": workspace_sid,
            "friendly_name": friendly_name,
            "configuration": configuration,
            "task_reservation_timeout": task_reservation_timeout,
            "adopt_sid": adopt_sid,
            "adopt_by_name": adopt_by_name or None,
            "sid": None,
            "adopted_previous": None,
        }
        super().__init__(WorkflowProvider(), name, props, opts)
