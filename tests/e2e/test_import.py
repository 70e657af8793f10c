"""`pulumi import` of a Workflow and a TaskChannel by SID, with the real CLI against the sandbox.

Into a stack of a user's own program: `pulumi import` by the SIDs the Console shows (the Workflow
in the account's second workspace, found by listing them; the channel as `WS.../TC...`), only
reads, and the Python code it prints; that code, pasted as the program, previews with no change
and no Twilio request. A Workflow deleted in the Console is reported gone by `preview --refresh`
and removed from state by `pulumi refresh`. The `import_` resource option imports both at `up`
with only reads; they are owned from then on, so `destroy` deletes them. A SID the account does
not hold, an id that is not a SID and a Flex built-in channel fail the import in one line. In a
YAML project, `pulumi import` prints YAML that, pasted as the program, previews with no change.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
import urllib.request
from base64 import b64encode
from collections.abc import Iterator
from pathlib import Path

import pulumi.automation as auto
import pytest
from engine import TOOLS, local_stack, user_program

from flexorch.sandbox import seed
from flexorch.sandbox.seed import ACCOUNT_SID, AUTH_TOKEN, WORKSPACE_SID
from flexorch.sandbox.server import Sandbox

SALES_WORKSPACE = seed.sid("WS", "Sales")
SALES_QUEUE = seed.sid("WQ", "Sales")
SALES_ROUTING = seed.sid("WW", "Sales routing")
SALES_DOCUMENT = json.dumps(
    {"task_routing": {"filters": [], "default_filter": {"queue": SALES_QUEUE}}}
)
VENDOR_CHANNEL = seed.sid("TC", "vendor_sms")
WORKFLOW_PATH = f"/v1/Workspaces/{SALES_WORKSPACE}/Workflows/{SALES_ROUTING}"
CHANNEL_PATH = f"/v1/Workspaces/{WORKSPACE_SID}/TaskChannels/{VENDOR_CHANNEL}"

# What `pulumi import` prints after its progress, each time (the CLI's own words).
ADVICE = """\
Please copy the following code into your Pulumi application. Not doing so
will cause Pulumi to report that an update will happen on the next update command.

Please note that the imported resources are marked as protected. To destroy them
you will need to remove the `protect` option and run `pulumi update` *before*
the destroy will take effect.

"""

WORKFLOW_CODE = f"""\
import pulumi
import flexorch as flexorch

sales_routing = flexorch.Workflow("sales-routing",
    configuration={json.dumps(SALES_DOCUMENT)},
    friendly_name="Sales routing",
    task_reservation_timeout=60,
    workspace_sid="{SALES_WORKSPACE}",
    opts = pulumi.ResourceOptions(protect=True))
"""

CHANNEL_CODE = f"""\
import pulumi
import flexorch as flexorch

vendor_sms = flexorch.TaskChannel("vendor-sms",
    friendly_name="Vendor SMS",
    unique_name="vendor_sms",
    workspace_sid="{WORKSPACE_SID}",
    opts = pulumi.ResourceOptions(protect=True))
"""

# The same two objects declared by a program that imports them itself, the Workflow's document
# written another way (spacing, key order): the same document.
IMPORTING_PROGRAM = f"""
import json
import pulumi
import flexorch

routing = flexorch.Workflow(
    "sales-routing",
    workspace_sid={SALES_WORKSPACE!r},
    friendly_name="Sales routing",
    configuration=json.dumps(json.loads({SALES_DOCUMENT!r}), indent=2, sort_keys=True),
    task_reservation_timeout=60,
    opts=pulumi.ResourceOptions(import_={SALES_ROUTING!r}),
)
channel = flexorch.TaskChannel(
    "vendor-sms",
    workspace_sid={WORKSPACE_SID!r},
    unique_name="vendor_sms",
    friendly_name="Vendor SMS",
    opts=pulumi.ResourceOptions(import_={f"{WORKSPACE_SID}/{VENDOR_CHANNEL}"!r}),
)
pulumi.export("workflowSid", routing.sid)
"""


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A Flex account with a second workspace (and its Workflow) and a custom TaskChannel."""
    account = seed.flex_account()
    account.add(seed.WORKSPACES, sid=SALES_WORKSPACE, friendly_name="Sales")
    sales = {"WorkspaceSid": SALES_WORKSPACE}
    account.add(seed.QUEUES, sales, sid=SALES_QUEUE, friendly_name="Sales", target_workers="1==1")
    account.add(
        seed.WORKFLOWS,
        sales,
        sid=SALES_ROUTING,
        friendly_name="Sales routing",
        configuration=SALES_DOCUMENT,
        task_reservation_timeout=60,
    )
    account.add(
        seed.TASK_CHANNELS,
        {"WorkspaceSid": WORKSPACE_SID},
        sid=VENDOR_CHANNEL,
        unique_name="vendor_sms",
        friendly_name="Vendor SMS",
    )
    with Sandbox(account) as running:
        yield running


WORKFLOW_YAML = f"""\
resources:
  sales-routing:
    type: flexorch:Workflow
    properties:
      configuration: '{SALES_DOCUMENT}'
      friendlyName: Sales routing
      taskReservationTimeout: 60
      workspaceSid: {SALES_WORKSPACE}
    options:
      protect: true
"""


def new_stack(tmp: Path, sandbox: Sandbox, program: str) -> auto.Stack:
    """A user's program whose resources the default provider serves: its `flexorch:` credentials."""
    stack = user_program(
        tmp, sandbox, lambda project: (project / "__main__.py").write_text(textwrap.dedent(program))
    )
    stack.set_config("flexorch:accountSid", auto.ConfigValue(ACCOUNT_SID))
    stack.set_config("flexorch:authToken", auto.ConfigValue(AUTH_TOKEN, secret=True))
    return stack


def pulumi(stack: auto.Stack, *args: str) -> subprocess.CompletedProcess[str]:
    """The `pulumi` CLI in the stack's project, as a user types it."""
    workspace = stack.workspace
    env = {**os.environ, **workspace.env_vars, "PULUMI_HOME": str(workspace.pulumi_home)}
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"):  # the stack's config is used
        env.pop(name, None)
    return subprocess.run(
        [str(TOOLS / "bin" / "pulumi"), *args, "--stack", stack.name, "--non-interactive"],
        cwd=workspace.work_dir, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def printed_code(stdout: str) -> str:
    """The program `pulumi import` prints after its advice."""
    assert ADVICE in stdout, stdout
    return stdout.split(ADVICE, 1)[1]


def requests(sandbox: Sandbox, mark: int) -> list[tuple[str, str, int]]:
    return [(r["method"], r["path"], r["status"]) for r in sandbox.since(mark)]


def delete_in_console(sandbox: Sandbox, path: str) -> None:
    """Delete an object as the Console does: Twilio's API, outside Pulumi."""
    token = b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    request = urllib.request.Request(
        sandbox.url + path,
        method="DELETE",
        headers={"Authorization": f"Basic {token}", "Host": "taskrouter.twilio.com"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 204


def resource_types(stack: auto.Stack) -> list[str]:
    return sorted(r["type"] for r in stack.export_stack().deployment.get("resources", []))


def lines(output: str) -> list[str]:
    return [line.strip() for line in output.splitlines()]


def test_cli_import_by_sid_prints_code_that_previews_with_no_change(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    stack = new_stack(tmp_path, sandbox, "import pulumi\n")

    mark = len(sandbox.requests)
    workflow = pulumi(
        stack, "import", "flexorch:index:Workflow", "sales-routing", SALES_ROUTING, "--yes"
    )
    assert workflow.returncode == 0, workflow.stdout + workflow.stderr
    assert printed_code(workflow.stdout) == WORKFLOW_CODE
    # Its preview and the import each find the workspace holding it: only reads.
    find = [
        ("GET", "/v1/Workspaces", 200),
        ("GET", f"/v1/Workspaces/{WORKSPACE_SID}/Workflows/{SALES_ROUTING}", 404),
        ("GET", WORKFLOW_PATH, 200),
    ]
    assert requests(sandbox, mark) == find + find

    mark = len(sandbox.requests)
    channel_id = f"{WORKSPACE_SID}/{VENDOR_CHANNEL}"
    channel = pulumi(
        stack, "import", "flexorch:index:TaskChannel", "vendor-sms", channel_id, "--yes"
    )
    assert channel.returncode == 0, channel.stdout + channel.stderr
    assert printed_code(channel.stdout) == CHANNEL_CODE
    assert requests(sandbox, mark) == [("GET", CHANNEL_PATH, 200)] * 2
    assert "Traceback" not in workflow.stdout + workflow.stderr + channel.stdout + channel.stderr

    # The user pastes both into the program.
    program = WORKFLOW_CODE + CHANNEL_CODE.split("\n\n", 1)[1]
    (Path(stack.workspace.work_dir) / "__main__.py").write_text(program)
    mark = len(sandbox.requests)
    stack.preview(expect_no_changes=True)
    assert sandbox.since(mark) == []

    # Deleted in the Console: owned, so reported gone, and a refresh removes it from state.
    delete_in_console(sandbox, WORKFLOW_PATH)
    mark = len(sandbox.requests)
    preview = stack.preview(refresh=True, diff=True)
    assert {op: n for op, n in preview.change_summary.items() if op != "same"} == {"create": 1}
    shown = lines(preview.stdout)
    # The refresh drops every output (gone); the program's Workflow is then to be made again.
    assert "~ flexorch:index:Workflow: (refresh) 🔒" in shown
    assert f'- sid                   : "{SALES_ROUTING}"' in shown
    assert "+ flexorch:index:Workflow: (create) 🔒" in shown
    refresh = stack.refresh()
    assert refresh.summary.resource_changes == {"delete": 1, "same": 2}
    assert resource_types(stack) == [
        "flexorch:index:TaskChannel", "pulumi:providers:flexorch", "pulumi:pulumi:Stack",
    ]  # fmt: skip
    assert {method for method, _, _ in requests(sandbox, mark)} == {"GET"}


def test_the_import_option_imports_at_up_and_destroy_deletes_what_it_imported(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    stack = new_stack(tmp_path, sandbox, IMPORTING_PROGRAM)
    mark = len(sandbox.requests)
    up = stack.up()
    assert up.summary.resource_changes == {"create": 1, "import": 2}  # create: the stack
    assert up.outputs["workflowSid"].value == SALES_ROUTING
    assert {method for method, _, _ in requests(sandbox, mark)} == {"GET"}

    mark = len(sandbox.requests)
    stack.preview(expect_no_changes=True)
    assert sandbox.since(mark) == []

    # Imported is owned (no snapshot records settings to put back): destroy deletes both.
    mark = len(sandbox.requests)
    stack.destroy()
    assert sorted(r for r in requests(sandbox, mark) if r[0] != "GET") == sorted(
        [("DELETE", CHANNEL_PATH, 204), ("DELETE", WORKFLOW_PATH, 204)]
    )


def test_a_sid_the_account_does_not_hold_fails_the_import_in_one_line(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    stack = new_stack(tmp_path, sandbox, "import pulumi\n")
    nowhere = "WW" + "0" * 32
    sms = seed.sid("TC", "sms")
    refusals = {
        ("Workflow", nowhere): (
            f"Workflow {nowhere}: not found in any TaskRouter workspace ({WORKSPACE_SID}, "
            f"{SALES_WORKSPACE}) of account {ACCOUNT_SID}; check the SID in the Twilio Console "
            "(TaskRouter > Workspaces) and that the provider's credentials (flexorch:accountSid, "
            "or TWILIO_ACCOUNT_SID) are that account's"
        ),
        ("Workflow", "Sales routing"): (
            'Workflow "Sales routing": is not a Workflow SID; import it by the SID the Twilio '
            "Console shows (WW followed by 32 hex digits), or as WS.../WW... to name its workspace"
        ),
        ("TaskChannel", sms): (
            f'TaskChannel {sms}: is Flex\'s built-in "sms" channel, which Flex needs; flexorch '
            "owns only custom channels (destroy deletes what it owns), so import a custom one"
        ),
    }
    mark = len(sandbox.requests)
    for (kind, id_), message in refusals.items():
        failed = pulumi(stack, "import", f"flexorch:index:{kind}", "imported", id_, "--yes")
        output = failed.stdout + failed.stderr
        assert failed.returncode != 0
        assert f"error: Preview failed: {message}" in lines(output), output
        assert "Traceback" not in output
    assert {method for method, _, _ in requests(sandbox, mark)} == {"GET"}
    assert resource_types(stack) == []  # nothing was imported


def test_cli_import_in_a_yaml_project_prints_yaml_that_previews_with_no_change(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    host = TOOLS / "bin" / "pulumi-language-yaml"
    assert host.exists(), f"{host}: no YAML language host; run scripts/install-pulumi"
    project = tmp_path / "yamlapp"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: yamlapp\nruntime: yaml\nresources: {}\n")
    stack = local_stack(project, "dev", sandbox, twilio_config=False)
    stack.set_config("flexorch:accountSid", auto.ConfigValue(ACCOUNT_SID))
    stack.set_config("flexorch:authToken", auto.ConfigValue(AUTH_TOKEN, secret=True))

    imported = pulumi(
        stack, "import", "flexorch:index:Workflow", "sales-routing", SALES_ROUTING, "--yes"
    )
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert printed_code(imported.stdout) == WORKFLOW_YAML

    (project / "Pulumi.yaml").write_text("name: yamlapp\nruntime: yaml\n" + WORKFLOW_YAML)
    mark = len(sandbox.requests)
    stack.preview(expect_no_changes=True)
    assert sandbox.since(mark) == []
