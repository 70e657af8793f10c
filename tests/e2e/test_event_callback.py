"""End to end: `flexorch:workspace.eventCallback` points the workspace's events at the handler.

With the real Pulumi CLI on the sandbox, whose workspace already sends its events to another
integration (a workforce-management tool, say): preview names that integration and writes
nothing, up sets the stack's URL and filter in one request after the snapshot recorded the
integration's, a no-change preview makes no request at all, a Console change is drift set back
by `up --refresh`, and destroy gives the integration its URL and filter back, exactly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi.automation as auto
import pytest
import yaml
from engine import ROOT, engine, rewrite_flexorch_config

from flexorch.sandbox import seed
from flexorch.sandbox.server import Sandbox

THEIRS = "https://wfm.example.com/taskrouter-events"
THEIR_FILTER = "task.created, worker.activity.update"
OURS = "https://handler.example.com/flex/taskrouter"
EVENTS = ["reservation.accepted", "task.completed", "task.canceled"]


def sandbox_config(**callback: Any) -> dict[str, Any]:
    path = ROOT / "examples" / "Pulumi.sandbox.yaml"
    config: dict[str, Any] = yaml.safe_load(path.read_text())["config"]
    workspace = {**config["flexorch:workspace"], "eventCallback": callback}
    return {**config, "flexorch:workspace": workspace}


def callback_of(sandbox: Sandbox) -> tuple[Any, Any]:
    found = sandbox.fake.find(seed.WORKSPACES, sid=seed.WORKSPACE_SID)
    return found["event_callback_url"], found["events_filter"]


def writes(requests: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [(r["path"], r["form"]) for r in requests if r["method"] != "GET"]


def test_up_sets_it_and_destroy_gives_the_integration_its_callback_back(tmp_path: Path) -> None:
    with Sandbox(seed.flex_account()) as sandbox:
        sandbox.fake.find(seed.WORKSPACES, sid=seed.WORKSPACE_SID).update(
            event_callback_url=THEIRS, events_filter=THEIR_FILTER
        )
        stack = engine(tmp_path, sandbox, "callback", sandbox_config(url=OURS, events=EVENTS))
        mark = len(sandbox.requests)
        preview = stack.preview()
        assert f"(task.created, worker.activity.update) to {THEIRS}, another integration's URL" in (
            preview.stdout
        )
        assert writes(sandbox.since(mark)) == []
        mark = len(sandbox.requests)
        up = stack.up()
        assert "another integration's URL" in up.stdout
        assert callback_of(sandbox) == (OURS, ",".join(EVENTS))
        workspace = f"/v1/Workspaces/{seed.WORKSPACE_SID}"
        ours = {"EventCallbackUrl": [OURS], "EventsFilter": [",".join(EVENTS)]}
        assert [w for w in writes(sandbox.since(mark)) if w[0] == workspace] == [(workspace, ours)]
        mark = len(sandbox.requests)
        stack.preview(expect_no_changes=True)
        assert sandbox.since(mark) == []
        sandbox.fake.find(seed.WORKSPACES, sid=seed.WORKSPACE_SID)["event_callback_url"] = (
            "https://someone.example.com/else"  # a person, in the Console
        )
        up = stack.up(refresh=True)
        assert up.summary.resource_changes.get("update") == 1
        assert callback_of(sandbox) == (OURS, ",".join(EVENTS))
        destroy = stack.destroy()
        assert callback_of(sandbox) == (THEIRS, THEIR_FILTER)
        assert "Traceback" not in up.stdout + up.stderr + destroy.stdout + destroy.stderr


def test_a_stack_adds_the_callback_later_and_a_workspace_without_one_gets_none_back(
    tmp_path: Path,
) -> None:
    with Sandbox(seed.flex_account()) as sandbox:
        before = callback_of(sandbox)
        config = sandbox_config(url=OURS)
        workspace = config["flexorch:workspace"]
        without = {**config, "flexorch:workspace": {"friendlyName": workspace["friendlyName"]}}
        stack = engine(tmp_path, sandbox, "later", without)
        stack.up()
        assert callback_of(sandbox) == before
        rewrite_flexorch_config(Path(stack.workspace.work_dir) / "Pulumi.later.yaml", config)
        preview = stack.preview()
        assert preview.change_summary.get("create") == 2
        assert "replace" not in preview.change_summary and "update" not in preview.change_summary
        stack.up()
        url, events = callback_of(sandbox)
        assert url == OURS and events.startswith("reservation.created,reservation.accepted,")
        stack.destroy()
        assert callback_of(sandbox) == ("", None)


def test_an_unknown_event_type_is_refused_before_any_write(tmp_path: Path) -> None:
    with Sandbox(seed.flex_account()) as sandbox:
        config = sandbox_config(url=OURS, events=["task.complete"])
        stack = engine(tmp_path, sandbox, "typo", config)
        with pytest.raises(auto.errors.CommandError) as caught:
            stack.preview()
        text = str(caught.value)
        assert (
            'flexorch:workspace.eventCallback.events[0]: "task.complete" is not a TaskRouter '
            'event type; did you mean "task.completed"?'
        ) in text
        assert "Traceback" not in text
        assert [r for r in sandbox.requests if r["method"] != "GET"] == []
