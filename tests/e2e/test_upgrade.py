"""Upgrade: a stack deployed by the previous release is taken over by this code.

The previous release (PREVIOUS, the last commit that shipped the package as `stack`) is
exported with `git archive` and installed, not editable, into its own venv with the same pinned
dependencies (constraints.txt), both cached under `.cache/upgrade-<commit>/`. Its own program
deploys a stack against the sandbox; then the same project and state run with this repo's
program and `.venv`:

- preview and up: no replace, no delete, no Twilio write (the old children are aliased);
  destroy: every adopted setting is back as the seed had it, owned objects are gone;
- refresh and destroy straight away: the state still holds the old release's pickled providers
  (`stack.providers.<module>.<Class>`), which load through flexorch/_legacy.py.
"""

from __future__ import annotations

import base64
import json
import os
import pickletools
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pulumi.automation as auto
import pytest
import yaml
from engine import TOOLS, adopted_settings, engine_env, rewrite_flexorch_config
from helpers import ROOT

from flexorch.sandbox import seed
from flexorch.sandbox.server import Sandbox

PREVIOUS = "4521f9f"  # the previous release
HANDLER = "http://localhost:3000/flex"
NAME = "upgrade"
# What the previous release's state references: one provider module per resource type.
OLD_PROVIDER_MODULES = {
    f"stack.providers.{m}"
    for m in (
        "workspace",
        "queue",
        "task_channel",
        "workflow",
        "chat_webhooks",
        "phone_number",
        "flex_flow_guard",
    )
}


def previous_release() -> tuple[Path, Path]:
    """The previous release's source tree and the python of a venv it is installed in."""
    found = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{PREVIOUS}^{{commit}}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if found.returncode != 0:
        pytest.fail(f"commit {PREVIOUS} (the previous release) is not in this clone: fetch history")
    base = ROOT / ".cache" / f"upgrade-{found.stdout.strip()}"
    src, venv, ready = base / "src", base / "venv", base / "ready"
    python = venv / "bin" / "python"
    if not ready.exists():
        shutil.rmtree(base, ignore_errors=True)
        src.mkdir(parents=True)
        archive = subprocess.run(
            ["git", "archive", found.stdout.strip()], cwd=ROOT, capture_output=True, check=True
        )
        subprocess.run(["tar", "-x", "-C", src], input=archive.stdout, check=True)
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run(
            [python, "-m", "pip", "install", "-q", "-c", ROOT / "constraints.txt", src],
            check=True,
            timeout=900,
        )
        ready.write_text(found.stdout)
    return src, python


def sandbox_config(tree: Path) -> dict[str, Any]:
    return yaml.safe_load((tree / "examples" / "Pulumi.sandbox.yaml").read_text())["config"]


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed.flex_account()) as running:
        yield running


@pytest.fixture
def before(sandbox: Sandbox) -> dict[str, Any]:
    """The adopted settings as the seeded account has them, before any up."""
    return adopted_settings(sandbox)


@pytest.fixture
def deployed(sandbox: Sandbox, before: dict[str, Any], tmp_path: Path) -> auto.Stack:
    """A stack that the previous release's program and venv deployed; now on this code."""
    src, old_python = previous_release()
    project = tmp_path / NAME
    project.mkdir()
    (tmp_path / "state").mkdir()
    (project / "Pulumi.yaml").write_text((src / "Pulumi.yaml").read_text())
    (project / "stack").symlink_to(src / "stack")
    (project / f"Pulumi.{NAME}.yaml").write_text(yaml.safe_dump({"config": sandbox_config(src)}))
    options = auto.LocalWorkspaceOptions(
        work_dir=str(project),
        pulumi_home=str(tmp_path / "home"),
        env_vars=engine_env(tmp_path, sandbox, python=str(old_python)),
        pulumi_command=auto.PulumiCommand(root=str(TOOLS)),
    )
    stack = auto.create_stack(stack_name=NAME, work_dir=str(project), opts=options)
    stack.set_config("twilio:accountSid", auto.ConfigValue(seed.ACCOUNT_SID))
    stack.set_config("twilio:authToken", auto.ConfigValue(seed.AUTH_TOKEN, secret=True))
    up = stack.up()
    assert up.summary.resource_changes == {"create": 10}
    fake = sandbox.fake
    for number in (seed.FREE_NUMBER, seed.FLEX_FLOW_NUMBER):
        assert fake.find(seed.NUMBERS, phone_number=number)["sms_url"] == HANDLER
    assert fake.find(seed.FLEX_FLOWS, friendly_name="SMS Flex Flow")["enabled"] is False
    assert pickled_modules(stack) == OLD_PROVIDER_MODULES

    # The upgrade: this repo's program, run by this venv's python, on the same project and state.
    (project / "stack").unlink()
    (project / "stack").symlink_to(ROOT / "stack")
    stack.workspace.env_vars = engine_env(tmp_path, sandbox)
    rewrite_flexorch_config(project / f"Pulumi.{NAME}.yaml", sandbox_config(ROOT))
    return stack


def pickled_modules(stack: auto.Stack) -> set[str]:
    """The modules the state's pickled providers reference (`--show-secrets`: they are secret)."""
    workspace = stack.workspace
    env = {**os.environ, **workspace.env_vars, "PULUMI_HOME": str(workspace.pulumi_home)}
    exported = subprocess.run(
        [TOOLS / "bin" / "pulumi", "stack", "export", "--show-secrets", "--stack", stack.name],
        cwd=workspace.work_dir,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    modules: set[str] = set()
    for resource in json.loads(exported.stdout)["deployment"]["resources"]:
        provider = resource.get("inputs", {}).get("__provider")
        if provider is None:
            continue
        if isinstance(provider, dict):  # a secret: {"<sig>": ..., "plaintext": "<JSON string>"}
            provider = json.loads(provider["plaintext"])
        strings: list[str] = []
        for op, arg, _ in pickletools.genops(base64.b64decode(provider)):
            if isinstance(arg, str):
                strings.append(arg)
            if op.name == "STACK_GLOBAL":
                modules.add(strings[-2])
            elif op.name == "GLOBAL":
                modules.add(str(arg).split(" ")[0])
    return modules


def non_gets(requests: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(r["method"], r["path"]) for r in requests if r["method"] != "GET"]


def assert_restored(sandbox: Sandbox, before: dict[str, Any]) -> None:
    fake = sandbox.fake
    for number, record in before["numbers"].items():
        now = fake.find(seed.NUMBERS, phone_number=number)
        assert (now["sms_url"], now["sms_method"]) == (record["sms_url"], record["sms_method"])
        assert now.get("sms_fallback_url") == record.get("sms_fallback_url")
    chat = fake.find(seed.CHAT_SERVICES, sid=seed.CHAT_SERVICE_SID)
    for key in ("webhook_filters", "webhook_method"):
        assert chat.get(key) == before["chat"].get(key), key
    # An empty URL cannot be sent back (Twilio's spec types it as a URI): it stays, silent
    # without its events (flexorch/resources/chat_webhooks.py); one the seed had is restored.
    for key in ("pre_webhook_url", "post_webhook_url"):
        if before["chat"].get(key):
            assert chat.get(key) == before["chat"][key], key
    assert chat.get("post_webhook_retry_count") == before["chat"].get("post_webhook_retry_count")
    assert {f["sid"]: f["enabled"] for f in fake.all(seed.FLEX_FLOWS)} == before["flows"]
    assert {w["sid"] for w in fake.all(seed.WORKFLOWS)} == before["workflows"]
    assert {c["sid"] for c in fake.all(seed.TASK_CHANNELS)} == before["channels"]
    assert fake.find(seed.WORKSPACES, sid=seed.WORKSPACE_SID)
    assert fake.find(seed.QUEUES, sid=seed.EVERYONE_SID)


def test_preview_and_up_take_the_old_stack_over_without_writing(
    deployed: auto.Stack, sandbox: Sandbox, before: dict[str, Any]
) -> None:
    mark = len(sandbox.requests)
    preview = deployed.preview(diff=True)
    # Old children keep their URNs through aliases: nothing is replaced or deleted; a later
    # release may add read-only resources, which show as creates, and have a snapshot record
    # more (the Flex Flow snapshot now records Messaging Services and TwiML Apps too), which
    # shows as its update. Nothing is written in Twilio.
    assert set(preview.change_summary) <= {"same", "create", "update"}, preview.stdout
    assert preview.change_summary.get("update", 0) <= 1, preview.stdout
    assert preview.change_summary.get("same") == 10 - preview.change_summary.get("update", 0)
    up = deployed.up()
    assert set(up.summary.resource_changes or {}) <= {"same", "create", "update"}, up.stdout
    assert non_gets(sandbox.since(mark)) == []
    # The up wrote this release's providers into state; nothing references `stack` any more.
    modules = pickled_modules(deployed)
    assert modules and all(m.startswith("flexorch.resources.") for m in modules), modules
    deployed.preview(expect_no_changes=True)

    deployed.destroy()
    assert_restored(sandbox, before)


def test_refresh_and_destroy_load_the_old_pickled_providers(
    deployed: auto.Stack, sandbox: Sandbox, before: dict[str, Any]
) -> None:
    mark = len(sandbox.requests)
    refresh = deployed.refresh()
    assert refresh.summary.result == "succeeded"
    assert set(refresh.summary.resource_changes or {}) <= {"same"}, refresh.stdout
    assert non_gets(sandbox.since(mark)) == []
    # refresh updates outputs only: destroy still runs the old release's pickles
    assert pickled_modules(deployed) == OLD_PROVIDER_MODULES

    destroy = deployed.destroy()
    assert destroy.summary.result == "succeeded"
    assert "Traceback" not in destroy.stdout
    assert_restored(sandbox, before)
