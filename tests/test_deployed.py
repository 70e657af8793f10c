"""Stacks whose flexorch config lives outside their stack file's `flexorch:` keys.

A program that declares its components in code: the config a deployed component recorded in
the stack's state (`pulumi stack export`). A stack file importing ESC environments: the config
as `pulumi config` resolves it. The `pulumi` here is a stand-in printing what the real CLI
prints; tests/e2e/test_user_program.py reads a real stack's state with the real CLI.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import fake_pulumi, minimal_config, run_cli, write_stack

from flexorch.errors import FlexorchError
from flexorch.loading import load_stack


def component(name: str, config: dict[str, Any]) -> dict[str, Any]:
    return {
        "urn": f"urn:pulumi:dev::userapp::flexorch:index:CustomMessaging::{name}",
        "type": "flexorch:index:CustomMessaging",
        "outputs": {"config": config, "workflowSid": "WW" + "1" * 32},
    }


def exported(*resources: dict[str, Any]) -> str:
    """A script printing what `pulumi stack export` prints for a state holding `resources`."""
    other = {"urn": "urn:pulumi:dev::userapp::pulumi:pulumi:Stack::userapp-dev",
             "type": "pulumi:pulumi:Stack"}  # fmt: skip
    document = {"version": 3, "deployment": {"resources": [other, *resources]}}
    return "cat <<'EOF'\n" + json.dumps(document) + "\nEOF"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: userapp\nruntime: python\n")
    # A program configured in code: its stack file holds credentials only.
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  twilio:accountSid: AC" + "1" * 32 + "\n")
    return tmp_path


EAST = minimal_config(numbers=["+15005550006"])
WEST = minimal_config(handler={"url": "https://west.example.com/flex"})


def test_one_component_in_state_is_the_stacks_config(project: Path, monkeypatch) -> None:
    calls = fake_pulumi(project, monkeypatch, exported(component("east", EAST)))
    loaded = load_stack("dev", root=project)
    assert loaded.config.numbers == ("+15005550006",)
    assert loaded.source == 'stack dev, component CustomMessaging "east" (from its state)'
    assert calls.read_text() == f"{project} stack export --stack dev\n"


def test_several_components_need_one_named(project: Path, monkeypatch) -> None:
    fake_pulumi(project, monkeypatch, exported(component("east", EAST), component("west", WEST)))
    with pytest.raises(FlexorchError) as raised:
        load_stack("dev", root=project)
    assert raised.value.problems == [
        "--stack dev: the stack's state has 2 flexorch components (east, west); choose one "
        "with --component NAME"
    ]
    west = load_stack("dev", "west", root=project)
    assert west.config.handler.url == "https://west.example.com/flex"
    with pytest.raises(FlexorchError) as raised:
        load_stack("dev", "north", root=project)
    assert raised.value.problems == [
        "--component north: stack dev has no flexorch component of that name (its state has: "
        "east, west); give one of those"
    ]


def test_a_stack_with_no_keys_and_nothing_deployed_says_what_to_do(
    project: Path, monkeypatch
) -> None:
    fake_pulumi(project, monkeypatch, exported())
    with pytest.raises(FlexorchError) as raised:
        load_stack("dev", root=project)
    assert raised.value.problems == [
        "--stack dev: Pulumi.dev.yaml sets no flexorch: component keys and the stack's state "
        "has no deployed flexorch component; set the keys, run `pulumi up` for a program that "
        "declares flexorch.CustomMessaging, or give a file with --config FILE"
    ]


def test_without_the_pulumi_cli_the_state_cannot_be_read(project: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(project / "no-bin"))
    with pytest.raises(FlexorchError) as raised:
        load_stack("dev", root=project)
    assert raised.value.problems == [
        "--stack dev: reading the flexorch components of the stack's state failed: the Pulumi "
        "CLI is not on PATH; run it with the Pulumi CLI logged in to the stack's backend, or "
        "give the config with --config FILE"
    ]


def test_a_bad_recorded_config_names_its_component(project: Path, monkeypatch) -> None:
    fake_pulumi(project, monkeypatch, exported(component("east", {**EAST, "numbers": ["12"]})))
    with pytest.raises(FlexorchError) as raised:
        load_stack("dev", root=project)
    assert raised.value.problems == [
        'CustomMessaging "east": flexorch:numbers[0]: "12" is neither an E.164 number nor a '
        'phone number SID; write it like "+15005550006" (quoted, no spaces) or PN followed by '
        "32 hex digits"
    ]


def test_flexorch_keys_in_the_stack_file_are_read_without_pulumi(
    project: Path, monkeypatch
) -> None:
    calls = fake_pulumi(project, monkeypatch, "exit 1")
    write_stack(project / "Pulumi.dev.yaml", EAST)
    assert load_stack("dev", root=project).config.numbers == ("+15005550006",)
    assert not calls.exists()


def test_esc_environments_are_resolved_by_pulumi_config(project: Path, monkeypatch) -> None:
    (project / "Pulumi.dev.yaml").write_text("environment:\n  - flex/dev\n")
    shown = {f"flexorch:{k}": {"value": json.dumps(v), "objectValue": v, "secret": False}
             for k, v in EAST.items()}  # fmt: skip
    shown["twilio:authToken"] = {"secret": True}
    calls = fake_pulumi(project, monkeypatch, "cat <<'EOF'\n" + json.dumps(shown) + "\nEOF")
    loaded = load_stack("dev", root=project)
    assert loaded.config.numbers == ("+15005550006",)
    assert loaded.source == (
        f"{project / 'Pulumi.dev.yaml'}, with its ESC environments as `pulumi config` resolves them"
    )
    assert calls.read_text() == f"{project} config --json --stack dev\n"


def test_the_cli_reads_a_component_from_state(project: Path, monkeypatch, capsys) -> None:
    fake_pulumi(project, monkeypatch, exported(component("east", EAST), component("west", WEST)))
    monkeypatch.chdir(project)
    result = run_cli(capsys, "validate", "--stack", "dev", "--component", "west")
    assert result.code == 0
    assert result.out.splitlines()[0] == (
        'Stack dev (stack dev, component CustomMessaging "west" (from its state)) is valid. '
        "flexorch will manage:"
    )
    result = run_cli(capsys, "validate", "--config", "Pulumi.dev.yaml", "--component", "west")
    assert (result.code, result.err) == (
        2,
        "--component: reads a component from a stack's state, so it goes with --stack, not "
        "--config; drop one of them\n",
    )


def test_a_stack_holding_only_the_providers_credentials_reads_its_component_from_state(
    project: Path, monkeypatch, capsys
) -> None:
    # What README's "YAML programs" has users run: the component lives in Pulumi.yaml.
    (project / "Pulumi.dev.yaml").write_text(
        "config:\n  flexorch:accountSid: AC" + "1" * 32 + "\n"
        "  flexorch:authToken:\n    secure: v1:abc\n"
    )
    fake_pulumi(project, monkeypatch, exported(component("east", EAST)))
    monkeypatch.chdir(project)
    result = run_cli(capsys, "validate", "--stack", "dev")
    assert (result.code, result.err) == (0, "")
    assert result.out.splitlines()[0] == (
        'Stack dev (stack dev, component CustomMessaging "east" (from its state)) is valid. '
        "flexorch will manage:"
    )
    fake_pulumi(project, monkeypatch, exported())
    result = run_cli(capsys, "validate", "--stack", "dev")
    assert (result.code, result.out, result.err) == (
        2,
        "",
        "--stack dev: Pulumi.dev.yaml sets no flexorch: component keys and the stack's state "
        "has no deployed flexorch component; set the keys, run `pulumi up` for a program that "
        "declares flexorch.CustomMessaging, or give a file with --config FILE\n",
    )
