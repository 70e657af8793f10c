"""End to end on path (b): Flex Conversations with `taskCreation: taskrouter`, the real engine.

The handler creates its tasks through TaskRouter, so the stack sets what the handler needs and
nothing of the Interactions API: each number's Address Configuration to the handler, the
Conversations service's webhooks, a Known Agent Routing Workflow (`workflow.knownAgent: sid`),
and the workspace's event callback for reservation and terminal task events. A no-change preview
and up make no request; destroy puts every adopted setting back. The steps share the sandbox and
run in file order.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from engine import adopted_settings, engine
from helpers import ROOT

from flexorch.sandbox import seed
from flexorch.sandbox.server import Sandbox

CALLBACK = "http://localhost:3000/flex/taskrouter"
EVENTS = ["reservation.accepted", "reservation.completed", "task.completed", "task.canceled"]


def taskrouter_config() -> dict[str, Any]:
    """The sandbox's Conversations stack, moved onto path (b) with its two TaskRouter keys."""
    path = ROOT / "examples" / "Pulumi.sandbox-conversations.yaml"
    config: dict[str, Any] = yaml.safe_load(path.read_text())["config"]
    return {
        **config,
        "flexorch:taskCreation": "taskrouter",
        "flexorch:flexActions": {"completed": ["DeactivateConversation"]},
        "flexorch:workspace": {
            **config["flexorch:workspace"],
            "eventCallback": {"url": CALLBACK, "events": EVENTS},
        },
        "flexorch:workflow": {**config["flexorch:workflow"], "knownAgent": "sid"},
    }


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed.flex_account()) as running:
        yield running


def settings(sandbox: Sandbox) -> dict[str, Any]:
    """What up changes and destroy must put back: the numbers' inbound paths, the flows, the
    stack's own objects, the chat service, and the workspace's callback ("" and null: none)."""
    workspace = sandbox.fake.find(seed.WORKSPACES, sid=seed.WORKSPACE_SID)
    adopted = adopted_settings(sandbox)
    sms = ("sms_url", "sms_method", "sms_fallback_url", "sms_application_sid")
    return {
        **adopted,
        "numbers": {n: {k: r[k] for k in sms} for n, r in adopted["numbers"].items()},
        "callback": (workspace["event_callback_url"] or "", workspace["events_filter"] or ""),
        "addresses": {a["sid"] for a in sandbox.fake.all(seed.ADDRESSES)},
    }


@pytest.fixture(scope="module")
def before(sandbox: Sandbox) -> dict[str, Any]:
    return settings(sandbox)


@pytest.fixture(scope="module")
def stack(sandbox: Sandbox, before: dict, tmp_path_factory: pytest.TempPathFactory) -> Any:
    return engine(tmp_path_factory.mktemp("path-b"), sandbox, "path-b", taskrouter_config())


def test_up_sets_what_the_handler_needs_and_nothing_of_the_interactions_api(
    stack: Any, sandbox: Sandbox, before: dict
) -> None:
    mark = len(sandbox.requests)
    stack.up()
    requests = sandbox.since(mark)
    assert not any("/Interactions" in r["path"] for r in requests), requests
    fake = sandbox.fake
    workflow = next(w for w in fake.all(seed.WORKFLOWS) if w["sid"] not in before["workflows"])
    target = json.loads(workflow["configuration"])["task_routing"]["filters"][0]["targets"][0]
    assert target["known_worker_sid"] == "task.targetWorker"
    assert "expression" not in target
    workspace = fake.find(seed.WORKSPACES, sid=seed.WORKSPACE_SID)
    assert (workspace["event_callback_url"], workspace["events_filter"]) == (
        CALLBACK,
        ",".join(EVENTS),
    )
    handler = taskrouter_config()["flexorch:handler"]
    sms_url = handler.get("smsUrl", handler["url"])
    for number in (seed.FREE_NUMBER, seed.FLEX_FLOW_NUMBER):
        address = fake.find(seed.ADDRESSES, address=number)
        assert address["auto_creation"]["webhook_url"] == sms_url
        assert fake.find(seed.NUMBERS, phone_number=number)["sms_url"] == ""


def test_no_change_preview_and_up_make_no_request(stack: Any, sandbox: Sandbox) -> None:
    mark = len(sandbox.requests)
    stack.preview(expect_no_changes=True)
    changes = stack.up().summary.resource_changes
    assert set(changes) == {"same"}, changes
    assert sandbox.since(mark) == []


def test_destroy_restores_every_adopted_setting(stack: Any, sandbox: Sandbox, before: dict) -> None:
    stack.destroy()
    assert settings(sandbox) == before
