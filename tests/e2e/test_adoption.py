"""End to end: adopted objects survive a refresh, a change of their adoption keys, a replace.

A refresh used to drop the record of an adopted Workflow or TaskChannel, so the next destroy
deleted the customer's object instead of putting it back; setting `adopt` on objects the stack
had made replaced (deleted) them. Each case runs the real Pulumi CLI against a fresh sandbox.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from engine import engine, rewrite_flexorch_config, sandbox_config

from flexorch.sandbox import seed
from flexorch.sandbox.server import Sandbox

OLD_DOCUMENT = json.dumps({"task_routing": {"filters": []}})
WORKFLOW_NAME = "Handler routing"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed.flex_account()) as running:
        yield running


def customers_objects(sandbox: Sandbox) -> tuple[dict[str, Any], dict[str, Any]]:
    """A Workflow and a TaskChannel the team made by hand before flexorch."""
    workspace = {"WorkspaceSid": seed.WORKSPACE_SID}
    workflow = sandbox.fake.add(
        seed.WORKFLOWS, workspace, friendly_name=WORKFLOW_NAME, configuration=OLD_DOCUMENT,
        task_reservation_timeout=30,
    )  # fmt: skip
    channel = sandbox.fake.add(
        seed.TASK_CHANNELS, workspace, unique_name="custom1", friendly_name="Made by hand"
    )
    return dict(workflow), dict(channel)


def adopting(by_sid: bool, workflow: dict[str, Any], channel: dict[str, Any]) -> dict[str, Any]:
    config = sandbox_config()
    config["flexorch:workflow"] = {
        **config["flexorch:workflow"],
        "friendlyName": WORKFLOW_NAME,
        **({"sid": workflow["sid"]} if by_sid else {"adopt": True}),
    }
    [custom] = config["flexorch:taskChannels"]
    custom.update({"sid": channel["sid"]} if by_sid else {"adopt": True})
    return config


def assert_put_back(sandbox: Sandbox, workflow: dict[str, Any], channel: dict[str, Any]) -> None:
    live = sandbox.fake.find(seed.WORKFLOWS, sid=workflow["sid"])
    assert (live["configuration"], live["task_reservation_timeout"]) == (OLD_DOCUMENT, 30)
    assert sandbox.fake.find(seed.TASK_CHANNELS, sid=channel["sid"])["friendly_name"] == (
        "Made by hand"
    )


@pytest.mark.parametrize("by_sid", [True, False], ids=["by-sid", "by-name"])
def test_up_refresh_destroy_puts_an_adopted_workflow_and_channel_back(
    sandbox: Sandbox, tmp_path: Path, by_sid: bool
) -> None:
    workflow, channel = customers_objects(sandbox)
    stack = engine(tmp_path, sandbox, "adopt", adopting(by_sid, workflow, channel))
    up = stack.up()
    assert up.outputs["workflowSid"].value == workflow["sid"]
    stack.refresh()
    stack.up(refresh=True)  # the GitHub kit's merge job
    stack.destroy()
    assert_put_back(sandbox, workflow, channel)


def test_adopt_set_on_objects_the_stack_made_deletes_nothing(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    config = sandbox_config()
    stack = engine(tmp_path, sandbox, "made", config)
    made = stack.up().outputs
    workflow_sid = made["workflowSid"].value
    channel_sid = made["taskChannelSids"].value["custom1"]
    config["flexorch:workflow"] = {**config["flexorch:workflow"], "adopt": True}
    config["flexorch:taskChannels"][0]["adopt"] = True
    rewrite_flexorch_config(Path(stack.workspace.work_dir) / "Pulumi.made.yaml", config)
    preview = stack.preview()
    assert "replace" not in preview.change_summary and "delete" not in preview.change_summary
    up = stack.up()
    assert (up.outputs["workflowSid"].value, up.outputs["taskChannelSids"].value) == (
        workflow_sid,
        {"custom1": channel_sid},
    )
    assert sandbox.fake.find(seed.WORKFLOWS, sid=workflow_sid)
    assert sandbox.fake.find(seed.TASK_CHANNELS, sid=channel_sid)
    assert f"{workflow_sid} was made by this stack, so adopting it changes nothing" in up.stdout
    stack.preview(expect_no_changes=True)
    stack.up()  # every later up works
    stack.destroy()  # still the stack's own: deleted
    assert [w for w in sandbox.fake.all(seed.WORKFLOWS) if w["sid"] == workflow_sid] == []
    assert [c for c in sandbox.fake.all(seed.TASK_CHANNELS) if c["sid"] == channel_sid] == []


def test_moving_an_adoption_from_sid_to_adopt_keeps_what_destroy_puts_back(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    workflow, channel = customers_objects(sandbox)
    stack = engine(tmp_path, sandbox, "moved", adopting(True, workflow, channel))
    stack.up()
    moved = adopting(False, workflow, channel)
    rewrite_flexorch_config(Path(stack.workspace.work_dir) / "Pulumi.moved.yaml", moved)
    preview = stack.preview()
    assert "replace" not in preview.change_summary and "delete" not in preview.change_summary
    stack.up()
    stack.destroy()
    assert_put_back(sandbox, workflow, channel)


def test_a_queue_deleted_in_the_console_is_made_again_by_up_refresh(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    config = sandbox_config()
    config["flexorch:workflow"] = {
        **config["flexorch:workflow"],
        "fallbackQueue": {"friendlyName": "Overflow"},
    }
    stack = engine(tmp_path, sandbox, "queue", config)
    stack.up()
    overflow = sandbox.fake.find(seed.QUEUES, friendly_name="Overflow")
    del sandbox.fake.records[seed.QUEUES][overflow["sid"]]  # deleted in the Console
    stack.up(refresh=True)
    again = sandbox.fake.find(seed.QUEUES, friendly_name="Overflow")
    assert again["sid"] != overflow["sid"]
    stack.destroy()
    assert [q for q in sandbox.fake.all(seed.QUEUES) if q["friendly_name"] == "Overflow"] == []


def test_up_replace_of_the_guard_leaves_the_flex_flow_disabled(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """Replaced create-first, the old guard's delete would enable the flow the new one holds."""
    stack = engine(tmp_path, sandbox, "replace", sandbox_config())
    stack.up()
    flow = sandbox.fake.find(seed.FLEX_FLOWS, friendly_name="SMS Flex Flow")
    resources = stack.export_stack().deployment["resources"]
    [guard] = [r["urn"] for r in resources if r["type"].endswith(":FlexFlowGuard")]
    up = stack.up(replace=[guard])
    assert up.summary.resource_changes == {"replace": 1, "same": 14}
    assert flow["enabled"] is False
    stack.preview(expect_no_changes=True)
    stack.destroy()
    assert flow["enabled"] is True
