"""What the package ships instead of reading the repo: the Twilio specs, the sandbox's stack, and a
sandbox that runs without Node (no Prism: the fake alone, and it says so)."""

from __future__ import annotations

import base64
import gzip
import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import yaml
from helpers import ROOT

from flexorch.sandbox import seed, specs, toolkit
from flexorch.sandbox.platforms.conversations import scenarios as conversations
from flexorch.sandbox.platforms.programmable_chat import scenarios as programmable_chat
from flexorch.sandbox.prism import PRISM_ENV, PrismNotFound, prism_binary
from flexorch.sandbox.server import Sandbox

SHIPPED_SPECS = ROOT / "flexorch" / "sandbox" / specs.SPEC_FILE


def test_shipped_specs_are_what_build_specs_makes_from_node_modules(tmp_path: Path) -> None:
    fresh = tmp_path / "twilio-specs.json.gz"
    done = subprocess.run(
        [sys.executable, ROOT / "scripts" / "build-specs", "--out", fresh],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "from npm @twilio-alpha/mcp@" in done.stdout
    assert gzip.decompress(fresh.read_bytes()) == gzip.decompress(SHIPPED_SPECS.read_bytes()), (
        "flexorch/sandbox/twilio-specs.json.gz is stale: run scripts/build-specs"
    )
    # Deterministic: no timestamp or file name in the gzip header, same bytes on a rebuild.
    assert SHIPPED_SPECS.read_bytes()[3:8] == b"\0\0\0\0\0"
    rebuilt = tmp_path / "again.json.gz"
    subprocess.run([sys.executable, ROOT / "scripts" / "build-specs", "--out", rebuilt], check=True)
    assert rebuilt.read_bytes() == fresh.read_bytes()


def test_build_specs_check_reports_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "stale.json.gz"
    stale.write_bytes(gzip.compress(b"{}"))
    command = [sys.executable, ROOT / "scripts" / "build-specs", "--check"]
    assert subprocess.run([*command, "--out", SHIPPED_SPECS], check=False).returncode == 0
    done = subprocess.run([*command, "--out", stale], capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert "out of date; run scripts/build-specs" in done.stderr


def test_the_merged_spec_has_every_product_and_the_form_array_encoding() -> None:
    document = specs.merged()
    for path in (
        "/v1/Workspaces",
        "/v2/Services/{Sid}",
        "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json",
        "/v1/FlexFlows",
        "/v1/Services/{ServiceSid}/Sessions",
        "/v2/Flows/{FlowSid}/Executions",
    ):
        assert path in document["paths"], path
    body = document["paths"]["/v2/Services/{Sid}"]["post"]["requestBody"]["content"]
    encoding = body["application/x-www-form-urlencoded"]["encoding"]
    assert encoding["WebhookFilters"] == {"style": "form", "explode": True}
    assert all("servers" not in item for item in document["paths"].values())
    assert specs.merged() is not document  # a fresh copy each time


def test_the_shipped_sandbox_stack_equals_the_example() -> None:
    shipped = ROOT / "flexorch" / "sandbox" / toolkit.SANDBOX_STACK
    assert shipped.read_bytes() == (ROOT / "examples" / "Pulumi.sandbox.yaml").read_bytes(), (
        "flexorch/sandbox/Pulumi.sandbox.yaml must be a copy of examples/Pulumi.sandbox.yaml"
    )
    assert programmable_chat.sandbox_config().numbers == ("+15005550006", "+15005550007")


def test_the_conversations_example_is_the_sandbox_stack_moved() -> None:
    """What the `conversations-*` scenarios apply is the example users run doctor with."""
    example = ROOT / "examples" / "Pulumi.sandbox-conversations.yaml"
    document = yaml.safe_load(example.read_text())
    assert document["config"] == conversations.conversations_stack()["config"]


@pytest.fixture
def no_node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user's folder outside any checkout, and a PATH with neither node nor prism."""
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv(PRISM_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _get(sandbox: Sandbox, path: str) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(sandbox.url + path)
    token = base64.b64encode(f"{seed.ACCOUNT_SID}:{seed.AUTH_TOKEN}".encode()).decode()
    request.add_header("Authorization", f"Basic {token}")
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, json.load(response)


def test_without_prism_the_sandbox_serves_the_fake_and_says_checks_are_off(no_node: Path) -> None:
    with pytest.raises(PrismNotFound, match="Prism not found: install @stoplight/prism-cli"):
        prism_binary()
    with Sandbox(seed.flex_account()) as sandbox:
        assert sandbox.prism is None
        assert sandbox.checks == (
            "contract checks: off (Prism not found: install @stoplight/prism-cli (npm), put "
            "prism on PATH or set FLEXORCH_PRISM); the fake's own checks (credentials, paths, "
            "methods): on"
        )
        status, body = _get(sandbox, "/v1/Workspaces")
        assert status == 200
        assert [w["friendly_name"] for w in body["workspaces"]] == ["Flex Task Assignment"]  # type: ignore[attr-defined, index]
        assert sandbox.requests[-1]["status"] == 200


def test_a_sandbox_that_requires_prism_fails_without_it(no_node: Path) -> None:
    with pytest.raises(PrismNotFound):
        Sandbox(seed.flex_account(), contract=True).start()


def test_prism_found_but_no_node_or_a_bad_env_var_is_said_in_one_line(
    no_node: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = no_node / "prism"
    script.write_text("#!/usr/bin/env node\n")
    monkeypatch.setenv(PRISM_ENV, str(script))
    with pytest.raises(PrismNotFound, match=r"Prism found \(FLEXORCH_PRISM: .*\) but node is not"):
        prism_binary()
    monkeypatch.setenv(PRISM_ENV, str(no_node / "missing"))
    with pytest.raises(PrismNotFound, match="FLEXORCH_PRISM=.*missing: no such file"):
        prism_binary()


def test_prism_is_found_in_node_modules_above_the_current_folder() -> None:
    assert prism_binary(ROOT / "tests" / "e2e") == ROOT / "node_modules" / ".bin" / "prism"


def test_the_sandbox_command_prints_which_checks_are_active() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "flexorch.cli", "sandbox", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(2)]
    finally:
        process.terminate()
        process.communicate(timeout=30)
    assert lines[0].startswith("flexorch sandbox: a local Twilio at http://127.0.0.1:")
    assert not lines[0].startswith("flexorch sandbox: a local Twilio at http://127.0.0.1:0 ")
    assert lines[1].startswith("contract checks: on (Prism, Twilio's official OpenAPI specs); ")
