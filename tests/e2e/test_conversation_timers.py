"""End to end: `flexorch:conversationTimers` sets the account's default Conversations timers.

With the real Pulumi CLI on the sandbox (whose account has PT1H / P1D, as seeded): up sets the
stack's timers after the snapshot recorded the account's, a no-change run costs nothing, a
Console change is drift set back by `up --refresh`, and destroy puts the recorded ones back.
A timer below Twilio's minimum is refused by validate and preview alike, before any write.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi.automation as auto
import pytest
import yaml
from engine import ROOT, engine

from flexorch.sandbox import seed
from flexorch.sandbox.server import Sandbox


def conversations_config(**timers: str) -> dict[str, Any]:
    path = ROOT / "examples" / "Pulumi.sandbox-conversations.yaml"
    config: dict[str, Any] = yaml.safe_load(path.read_text())["config"]
    return {**config, "flexorch:conversationTimers": timers}


def timers(sandbox: Sandbox) -> tuple[Any, Any]:
    found = sandbox.fake.singleton(seed.CONVERSATIONS_CONFIGURATION)
    return found["default_inactive_timer"], found["default_closed_timer"]


def test_up_sets_the_timers_and_destroy_puts_the_accounts_back(tmp_path: Path) -> None:
    with Sandbox(seed.flex_account()) as sandbox:
        stack = engine(
            tmp_path, sandbox, "timers", conversations_config(inactive="PT5M", closed="PT2H")
        )
        stack.up()
        assert timers(sandbox) == ("PT5M", "PT2H")
        mark = len(sandbox.requests)
        stack.preview(expect_no_changes=True)
        assert sandbox.since(mark) == []
        sandbox.fake.singleton(seed.CONVERSATIONS_CONFIGURATION)["default_closed_timer"] = "P7D"
        up = stack.up(refresh=True)
        assert up.summary.resource_changes.get("update") == 1
        assert timers(sandbox) == ("PT5M", "PT2H")
        destroy = stack.destroy()
        assert timers(sandbox) == ("PT1H", "P1D")
        assert "Traceback" not in destroy.stdout + destroy.stderr


def test_a_timer_below_twilios_minimum_is_refused_before_any_write(tmp_path: Path) -> None:
    with Sandbox(seed.flex_account()) as sandbox:
        stack = engine(tmp_path, sandbox, "short", conversations_config(closed="PT5M"))
        with pytest.raises(auto.errors.CommandError) as caught:
            stack.preview()
        text = str(caught.value)
        assert (
            'flexorch:conversationTimers.closed: "PT5M" is shorter than Twilio\'s minimum' in text
        )
        assert "Traceback" not in text
        assert [r for r in sandbox.requests if r["method"] != "GET"] == []
