"""The resource graph the Pulumi program declares, under Pulumi's own mocks."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pulumi
import pytest
from helpers import EXAMPLES

from flexorch.component import CustomMessaging
from flexorch.loading import load_stack_file

TOKEN = "super-secret-auth-token-value"


class Recorder(pulumi.runtime.Mocks):
    """Records every registered resource and hands back plausible outputs."""

    def __init__(self) -> None:
        self.resources: list[pulumi.runtime.MockResourceArgs] = []
        self.outputs: dict[str, dict] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        self.resources.append(args)
        kind = args.typ.rsplit(":", 1)[-1]
        prefix = {"Workspace": "WS", "TaskQueue": "WQ", "Workflow": "WW", "TaskChannel": "TC",
                  "PhoneNumberRoute": "PN"}.get(kind, "XX")  # fmt: skip
        sid = prefix + format(len(self.resources), "032x")
        outputs = dict(args.inputs, sid=sid)
        if kind == "PhoneNumberRoute":
            outputs["phone_number"] = args.inputs["number"]
        self.outputs[args.name] = outputs
        return [f"{args.name}-id", outputs]

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}

    def of(self, kind: str) -> list[pulumi.runtime.MockResourceArgs]:
        return [r for r in self.resources if r.typ.endswith(":" + kind)]


@pytest.fixture
def mocks(monkeypatch):
    """Install Pulumi mocks for one test and restore the runtime settings afterwards."""
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    saved = pulumi.runtime.settings.SETTINGS
    recorder = Recorder()
    pulumi.runtime.set_mocks(recorder, project="flexorch", stack="test", preview=False)
    yield recorder
    pulumi.runtime.settings.configure(saved)


def declare(path: Path):
    config = load_stack_file(path).config
    component = CustomMessaging("flexorch", config)
    return config, component


def settle(*outputs):
    """Wait for the outputs the test needs (the mocks resolve them asynchronously)."""
    return pulumi.Output.all(*outputs)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
@pulumi.runtime.test
def test_example_stack_graph(mocks, path: Path):
    config, component = declare(path)

    def check(values):
        kinds = sorted(r.typ for r in mocks.resources)
        assert "flexorch:index:CustomMessaging" in kinds
        assert len(mocks.of("FlexFlowGuard")) == 1
        assert len(mocks.of("Workspace")) == 1
        assert len(mocks.of("Workflow")) == 1
        assert len(mocks.of("ChatServiceWebhooks")) == 1
        channels = mocks.of("TaskChannel")
        assert sorted(c.inputs["unique_name"] for c in channels) == sorted(
            c.unique_name for c in config.task_channels
        )
        routes = mocks.of("PhoneNumberRoute")
        assert sorted(r.inputs["number"] for r in routes) == sorted(config.numbers)
        assert all(r.inputs["sms_url"] == config.handler.effective_sms_url for r in routes)
        queues = mocks.of("TaskQueue")
        expected_queues = (
            1 if config.workflow.fallback_queue in (None, config.workflow.queue) else 2
        )
        assert len(queues) == expected_queues
        workflow = mocks.of("Workflow")[0]
        document = json.loads(workflow.inputs["configuration"])
        target = document["task_routing"]["filters"][0]["targets"][0]
        assert target["expression"] == "task.targetWorker == worker.contact_uri"
        assert target["queue"] == mocks.outputs["queue"]["sid"]
        guard = mocks.of("FlexFlowGuard")[0]
        assert guard.inputs["mode"] == config.flex_flows
        # Resource types are stable type tokens (renaming them would change URNs).
        assert workflow.typ == "pulumi-python:dynamic/flexorch:Workflow"

    return settle(*[child.urn for child in component.children]).apply(check)


@pulumi.runtime.test
def test_no_credential_reaches_any_registered_input(mocks):
    _config, component = declare(EXAMPLES[0])
    checked: list[str] = []

    def check(_):
        for resource in mocks.resources:
            text = json.dumps(resource.inputs, default=str)
            assert TOKEN not in text
            provider = resource.inputs.get("__provider")
            if isinstance(provider, dict):  # serialised as a secret: {sig: ..., "value": ...}
                provider = provider.get("value")
            if provider:
                assert TOKEN.encode() not in base64.b64decode(provider)
                checked.append(resource.name)
        assert len(checked) >= 7, checked  # every dynamic resource's pickled provider was read

    return settle(*[child.urn for child in component.children]).apply(check)
