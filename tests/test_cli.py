"""The command line as users meet it: exit codes, stdout, stderr, never a traceback."""

from __future__ import annotations

from pathlib import Path

from helpers import ROOT, flexorch, minimal_config, write_stack


def test_validate_example_prints_a_summary() -> None:
    run = flexorch("validate", "--config", "examples/Pulumi.dev.yaml")
    assert run.code == 0, run.err
    assert run.err == ""
    assert run.out.startswith("Stack dev (examples/Pulumi.dev.yaml) is valid.")
    assert "task.targetWorker == worker.contact_uri" in run.out
    assert "custom1 (Flex UI: 'my-chat-channel', also channelType 'custom')" in run.out
    assert len(run.out.splitlines()) <= 25, "the summary fits one screen"


def test_validate_by_stack_name_reads_the_project_root(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: flexorch\nruntime: python\n")
    write_stack(tmp_path / "Pulumi.staging.yaml", minimal_config())
    sub = tmp_path / "sub"
    sub.mkdir()
    run = flexorch("validate", "--stack", "staging", cwd=sub)
    assert run.code == 0, run.err
    assert run.out.startswith(f"Stack staging ({tmp_path / 'Pulumi.staging.yaml'}) is valid.")


def test_bad_config_exits_2_with_every_problem_and_no_traceback() -> None:
    run = flexorch("validate", "--config", "tests/bad_configs/several_problems.yaml")
    assert run.code == 2
    assert run.out == ""
    assert len(run.err.splitlines()) == 6
    assert all(line.startswith("flexorch:") for line in run.err.splitlines())
    assert "Traceback" not in run.err


def test_missing_stack_file(tmp_path: Path) -> None:
    run = flexorch("validate", "--stack", "nope", cwd=tmp_path)
    assert run.code == 2
    assert run.err == (
        f"{tmp_path / 'Pulumi.nope.yaml'}: no such file; create it, or pass --stack NAME for "
        "Pulumi.NAME.yaml in the project root\n"
    )


def test_unreadable_path_is_a_clean_error(tmp_path: Path) -> None:
    run = flexorch("validate", "--config", str(tmp_path))
    assert run.code == 2
    assert run.err.startswith(f"{tmp_path}: cannot be read")
    assert "Traceback" not in run.err


def test_not_utf8_is_a_clean_error(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.bin.yaml"
    path.write_bytes(b"\xff\xfe\x00config")
    run = flexorch("validate", "--config", str(path))
    assert run.code == 2
    assert run.err.startswith(f"{path}: cannot be read")


def test_empty_file_reports_the_required_keys(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.empty.yaml"
    path.write_text("")
    run = flexorch("validate", "--config", str(path))
    assert run.code == 2
    assert [line.split(":")[1] for line in run.err.splitlines()] == [
        "handler",
        "workspace",
        "chatService",
    ]


def test_stack_and_config_are_exclusive_and_one_is_needed() -> None:
    assert flexorch("validate").code == 2
    both = flexorch("validate", "--stack", "dev", "--config", "x.yaml")
    assert both.code == 2
    assert "not allowed with argument" in both.err


def test_version() -> None:
    run = flexorch("--version")
    assert run.code == 0
    assert run.out.strip().startswith("flexorch ")


def test_project_root_has_the_requested_layout() -> None:
    pulumi_yaml = (ROOT / "Pulumi.yaml").read_text()
    assert "name: flexorch" in pulumi_yaml and "main: stack/" in pulumi_yaml
    assert "runtime:\n  name: python" in pulumi_yaml
