"""Workflow: the owned contact_uri Workflow; its JSON is compared by value, not by text."""

from __future__ import annotations

import json
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, Resource, UpdateResult
from typing_extensions import override

from flexorch.resources.base import TwilioProvider
from flexorch.resources.client import twilio_call
from flexorch.routing import canonical_json


def same_document(a: Any, b: Any) -> bool:
    """Workflow JSON equal by value: whitespace and key order are no change."""
    try:
        return canonical_json(json.loads(a)) == canonical_json(json.loads(b))
    except (TypeError, ValueError):
        return bool(a == b)


class WorkflowProvider(TwilioProvider):
    """Creates, updates in place and deletes the Workflow.

    Numbers arrive from the engine as floats (protobuf), hence the int() before sending.
    """

    kind = "Workflow"
    inputs = ("workspace_sid", "friendly_name", "configuration", "task_reservation_timeout")
    replace_on = ("workspace_sid",)
    comparisons = {"configuration": same_document}
    fields = ("FriendlyName", "Configuration", "TaskReservationTimeout")

    @override
    def label(self, props: dict[str, Any]) -> str:
        return f'Workflow "{props.get("friendly_name")}"'

    def _workflows(self, props: dict[str, Any]) -> Any:
        return self.client().taskrouter.v1.workspaces(props["workspace_sid"]).workflows

    @override
    def create(self, props: dict[str, Any]) -> CreateResult:
        with twilio_call(self.label(props), "create", self.fields):
            workflow = self._workflows(props).create(
                friendly_name=props["friendly_name"],
                configuration=props["configuration"],
                task_reservation_timeout=int(props["task_reservation_timeout"]),
            )
        return CreateResult(workflow.sid, self.outs(props, sid=workflow.sid))

    @override
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        with twilio_call(self.label(news), "update", self.fields):
            self._workflows(news)(id_).update(
                friendly_name=news["friendly_name"],
                configuration=news["configuration"],
                task_reservation_timeout=int(news["task_reservation_timeout"]),
            )
        return UpdateResult(self.carry(olds, news, sid=id_))

    @override
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        with twilio_call(self.label(props), "read"):
            live = self._workflows(props)(id_).fetch()
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
        friendly_name: str,
        configuration: pulumi.Input[str],
        task_reservation_timeout: int,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Own a Workflow with this JSON configuration in the workspace."""
        props = {
            "workspace_sid": workspace_sid,
            "friendly_name": friendly_name,
            "configuration": configuration,
            "task_reservation_timeout": task_reservation_timeout,
            "sid": None,
        }
        super().__init__(WorkflowProvider(), name, props, opts)
