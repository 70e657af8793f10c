"""Faults on the workspace's event callback write, against the real engine: nothing lost.

The workspace starts out sending its events to another integration. Each case loses the answer
to the write that points it at the handler (dropped after Twilio applied it, 502, garbled), or
to the write destroy puts back, or kills the CLI right after Twilio applied the first: `up`
again converges, a preview then has nothing to change, and destroy gives the integration its
URL and filter back exactly as the read-only snapshot recorded them before any write, never the
stack's own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from engine import sandbox_config
from faults.proxy import FaultProxy
from faults.test_faults import no_traceback, stack_behind, up_killed_after

from flexorch.sandbox import seed
from flexorch.sandbox.server import Sandbox

WORKSPACE_UPDATE = rf"/v1/Workspaces/{seed.WORKSPACE_SID}$"
THEIRS = ("https://wfm.example.com/taskrouter-events", "task.created, worker.activity.update")
OURS = "https://handler.example.com/flex/taskrouter"
EVENTS = ["reservation.accepted", "task.completed", "task.canceled"]
SET = (OURS, ",".join(EVENTS))
FAULTS: dict[str, Callable[[FaultProxy, str], Any]] = {
    "drop": lambda p, path: p.drop("POST", path),
    "502": lambda p, path: p.error("POST", path, status=502),
    "garbled": lambda p, path: p.garble("POST", path),
}


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    fake = seed.flex_account()
    workspace = fake.find(seed.WORKSPACES, sid=seed.WORKSPACE_SID)
    workspace.update(event_callback_url=THEIRS[0], events_filter=THEIRS[1])
    with Sandbox(fake) as running:
        yield running


@pytest.fixture
def proxy(sandbox: Sandbox) -> Iterator[FaultProxy]:
    with FaultProxy(sandbox.url) as running:
        yield running


def config() -> dict[str, Any]:
    base = sandbox_config()
    workspace = {**base["flexorch:workspace"], "eventCallback": {"url": OURS, "events": EVENTS}}
    return {**base, "flexorch:workspace": workspace}


def callback_of(sandbox: Sandbox) -> tuple[Any, Any]:
    found = sandbox.fake.find(seed.WORKSPACES, sid=seed.WORKSPACE_SID)
    return found["event_callback_url"], found["events_filter"]


def settles(stack: Any, up: Any, sandbox: Sandbox) -> None:
    """No change left to make, and destroy gives the integration its callback back."""
    stack.preview(expect_no_changes=True)
    destroy = stack.destroy()
    assert callback_of(sandbox) == THEIRS
    no_traceback(up.stdout, up.stderr, destroy.stdout, destroy.stderr)


@pytest.mark.parametrize("fault", FAULTS)
def test_a_lost_answer_to_the_write_converges_and_destroy_gives_it_back(
    fault: str, sandbox: Sandbox, proxy: FaultProxy, tmp_path: Path
) -> None:
    rule = FAULTS[fault](proxy, WORKSPACE_UPDATE)
    stack = stack_behind(proxy, sandbox, tmp_path, config(), FLEXORCH_TWILIO_TIMEOUT="1")
    up = stack.up()
    assert proxy.fired(rule) == 1
    assert callback_of(sandbox) == SET
    settles(stack, up, sandbox)


@pytest.mark.parametrize("fault", FAULTS)
def test_a_lost_answer_to_the_restore_still_gives_it_back(
    fault: str, sandbox: Sandbox, proxy: FaultProxy, tmp_path: Path
) -> None:
    stack = stack_behind(proxy, sandbox, tmp_path, config(), FLEXORCH_TWILIO_TIMEOUT="1")
    up = stack.up()
    rule = FAULTS[fault](proxy, WORKSPACE_UPDATE)
    destroy = stack.destroy()
    assert proxy.fired(rule) == 1
    assert callback_of(sandbox) == THEIRS
    no_traceback(up.stdout, up.stderr, destroy.stdout, destroy.stderr)


def test_killed_right_after_the_write_destroy_still_gives_the_integration_its_callback(
    sandbox: Sandbox, proxy: FaultProxy, tmp_path: Path
) -> None:
    """The snapshot recorded the integration's callback before the write: never the stack's."""
    stack = stack_behind(proxy, sandbox, tmp_path, config())
    up_killed_after(stack, proxy, "POST", WORKSPACE_UPDATE)
    assert callback_of(sandbox) == SET  # Twilio applied it; the state never heard
    up = stack.up()
    assert callback_of(sandbox) == SET
    settles(stack, up, sandbox)
