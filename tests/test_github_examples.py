"""The GitHub Actions kit in examples/github: valid workflows that run commands that exist.

A workflow that names a missing `flexorch` subcommand or option only fails in a user's CI, after
a merge; these tests fail here instead.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

import pytest
import yaml
from helpers import ROOT, flexorch

from flexorch import __version__

KIT = ROOT / "examples" / "github"
WORKFLOWS = {"pull-request": KIT / "pull-request.yml", "main": KIT / "main.yml"}
ENVIRONMENTS = ["dev", "staging", "prod"]

# The inputs of pulumi/actions (action.yml of v7, unchanged from v6): a misspelt input is
# silently ignored by GitHub, so the kit's inputs are checked against this list.
PULUMI_ACTION_INPUTS = {
    "command", "stack-name", "pulumi-version", "pulumi-version-file", "work-dir",
    "comment-on-pr", "comment-on-pr-number", "comment-on-summary", "github-token", "cloud-url",
    "secrets-provider", "parallel", "message", "config-map", "expect-no-changes", "diff",
    "replace", "target", "target-dependents", "policyPacks", "policyPackConfigs", "refresh",
    "upsert", "remove", "edit-pr-comment", "color", "exclude-protected", "plan",
    "suppress-outputs", "suppress-progress", "always-include-summary",
}  # fmt: skip

# Names whose values must come from the secret store.
SECRET_NAME = re.compile(r"TOKEN|PASSPHRASE|SECRET|PASSWORD|API_KEY", re.IGNORECASE)
SECRET_REF = re.compile(r"^\$\{\{\s*secrets\.[A-Z_][A-Z0-9_]*\s*\}\}$")
# Credentials that must never appear literally: Twilio auth tokens and API keys, Pulumi and
# GitHub tokens.
LITERAL_CREDENTIALS = re.compile(
    r"\b[0-9a-f]{32}\b|\bSK[0-9a-f]{32}\b|\bpul-[0-9a-f]{20,}|\bgh[pousr]_[A-Za-z0-9]{20,}"
    r"|\bgithub_pat_[A-Za-z0-9_]{20,}"
)
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@(v\d+\.\d+\.\d+|[0-9a-f]{40})$")


def load(name: str) -> dict[str, Any]:
    document = yaml.safe_load(WORKFLOWS[name].read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    # YAML 1.1 reads the bare key `on` as the boolean true.
    if True in document:
        document["on"] = document.pop(True)
    return document


def steps(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in document["jobs"].values() for step in job["steps"]]


def uses(document: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in steps(document) if str(s.get("uses", "")).split("@")[0] == action]


def shell_commands(script: str) -> list[list[str]]:
    """The simple commands of a `run:` script, as words, up to their redirections."""
    joined = re.sub(r"\\\n\s*", " ", script)
    commands = []
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        for segment in re.split(r"&&|\|\||;|\|", line):
            words = shlex.split(segment, comments=True)
            while words and words[0] in {"if", "then", "else", "do", "!", "time"}:
                words = words[1:]
            cut = [i for i, w in enumerate(words) if re.match(r"^\d?>|^<", w)]
            commands.append(words[: cut[0]] if cut else words)
    return [c for c in commands if c]


def flexorch_commands() -> list[tuple[str, list[str]]]:
    """Every `flexorch ...` command the kit runs, with the workflow it is in."""
    found = []
    for name in WORKFLOWS:
        for step in steps(load(name)):
            for words in shell_commands(step.get("run", "")):
                if words[0] == "flexorch":
                    found.append((name, words[1:]))
    return found


def all_mappings(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        return [node] + [m for value in node.values() for m in all_mappings(value)]
    if isinstance(node, list):
        return [m for item in node for m in all_mappings(item)]
    return []


@pytest.mark.parametrize("name", sorted(WORKFLOWS))
def test_workflow_is_valid_yaml_with_jobs_and_steps(name: str) -> None:
    document = load(name)
    assert document["name"]
    assert document["jobs"], "no jobs"
    for job_id, job in document["jobs"].items():
        assert job["runs-on"], job_id
        assert job["steps"], job_id
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), step
            assert step.get("name") or step.get("uses"), step


def test_pull_request_previews_each_environment_in_one_edited_comment() -> None:
    document = load("pull-request")
    assert set(document["on"]) == {"pull_request"}
    assert document["permissions"] == {"contents": "read", "pull-requests": "write"}
    job = document["jobs"]["preview"]
    assert job["strategy"]["matrix"]["env"] == ENVIRONMENTS
    assert job["strategy"]["fail-fast"] is False, "one broken environment hides the others"
    (pulumi,) = uses(document, "pulumi/actions")
    assert pulumi["with"]["command"] == "preview"
    assert pulumi["with"]["stack-name"] == "${{ matrix.env }}"
    assert pulumi["with"]["diff"] is True
    assert pulumi["with"]["comment-on-pr"] is True
    assert pulumi["with"]["edit-pr-comment"] is True
    assert pulumi["with"]["github-token"] == "${{ secrets.GITHUB_TOKEN }}"
    commands = [args for wf, args in flexorch_commands() if wf == "pull-request"]
    assert ["render", "--stack", "$STACK", "--diff", "flex-plugin/src", "--format",
            "markdown"] in commands  # fmt: skip
    script = next(s["run"] for s in steps(document) if "--diff" in s.get("run", ""))
    assert "$GITHUB_STEP_SUMMARY" in script
    assert uses(document, "actions/github-script"), "the plugin diff is also a PR comment"


def test_main_applies_each_environment_in_turn_and_renders_the_plugin() -> None:
    document = load("main")
    assert document["on"] == {"push": {"branches": ["main"]}}
    job = document["jobs"]["up"]
    assert job["strategy"]["matrix"]["env"] == ENVIRONMENTS
    assert job["strategy"]["max-parallel"] == 1
    assert job["strategy"]["fail-fast"] is True
    assert job["environment"] == "${{ matrix.env }}"
    assert job["concurrency"]["cancel-in-progress"] is False
    (pulumi,) = uses(document, "pulumi/actions")
    assert pulumi["with"]["command"] == "up"
    assert pulumi["with"]["stack-name"] == "${{ matrix.env }}"
    commands = [args for wf, args in flexorch_commands() if wf == "main"]
    assert ["render", "--stack", "$STACK", "--out", "rendered/$STACK"] in commands
    assert ["render", "--stack", "$STACK", "--out", "flex-plugin/src"] in commands
    (artifact,) = uses(document, "actions/upload-artifact")
    assert artifact["with"]["path"] == "rendered/${{ matrix.env }}"


@pytest.mark.parametrize("name", sorted(WORKFLOWS))
def test_pulumi_action_inputs_exist(name: str) -> None:
    for step in uses(load(name), "pulumi/actions"):
        assert set(step["with"]) <= PULUMI_ACTION_INPUTS, set(step["with"]) - PULUMI_ACTION_INPUTS


@pytest.mark.parametrize("name", sorted(WORKFLOWS))
def test_actions_are_pinned_to_exact_versions(name: str) -> None:
    for step in steps(load(name)):
        if "uses" in step:
            assert PINNED.match(step["uses"]), f"{step['uses']}: pin an exact tag or commit SHA"


@pytest.mark.parametrize("name", sorted(WORKFLOWS))
def test_secrets_come_only_from_the_secret_store(name: str) -> None:
    text = WORKFLOWS[name].read_text(encoding="utf-8")
    assert not LITERAL_CREDENTIALS.search(text), LITERAL_CREDENTIALS.search(text)
    document = load(name)
    checked = 0
    for mapping in all_mappings(document):
        for key, value in mapping.items():
            if isinstance(key, str) and SECRET_NAME.search(key):
                assert isinstance(value, str) and SECRET_REF.match(value), f"{key}: {value!r}"
                checked += 1
    assert checked >= 3, "the Twilio, Pulumi and GitHub tokens should all have been checked"
    # Every secret is referenced as a whole value, never pasted into a script.
    for step in steps(document):
        assert "secrets." not in step.get("run", ""), step["run"]


def pip_installs(name: str) -> list[list[str]]:
    """The `pip install` commands of a workflow, as words."""
    return [
        words
        for step in steps(load(name))
        for words in shell_commands(step.get("run", ""))
        if "pip" in words and "install" in words
    ]


@pytest.mark.parametrize("name", sorted(WORKFLOWS))
def test_flexorch_is_installed_as_the_released_package(name: str) -> None:
    # A user's stacks repository holds no flexorch checkout: `pip install -e .` would install
    # nothing there (or their own project). The release pinned is this one.
    assert pip_installs(name) == [["python", "-m", "pip", "install", f"flexorch=={__version__}"]]
    readme = (KIT / "README.md").read_text(encoding="utf-8")
    assert f"`pip install flexorch=={__version__}`" in readme


SUBCOMMANDS = sorted({args[0] for _wf, args in flexorch_commands()})


def test_the_kit_runs_flexorch() -> None:
    assert {"validate", "render"} <= set(SUBCOMMANDS)


@pytest.mark.parametrize("subcommand", SUBCOMMANDS)
def test_every_flexorch_subcommand_and_option_exists(subcommand: str) -> None:
    run = flexorch(subcommand, "--help")
    assert run.code == 0, f"`flexorch {subcommand} --help` exited {run.code}: {run.err.strip()}"
    for _wf, args in flexorch_commands():
        if args[0] == subcommand:
            for option in (a.split("=")[0] for a in args if a.startswith("--")):
                assert re.search(rf"{re.escape(option)}\b", run.out), (
                    f"`flexorch {subcommand}` has no option {option}"
                )


def test_the_readme_names_every_secret_the_workflows_use() -> None:
    readme = (KIT / "README.md").read_text(encoding="utf-8")
    names = set()
    for path in WORKFLOWS.values():
        names |= set(re.findall(r"\$\{\{\s*(?:secrets|vars)\.([A-Z_][A-Z0-9_]*)", path.read_text()))
    names.discard("GITHUB_TOKEN")
    missing = sorted(n for n in names if f"`{n}`" not in readme)
    assert not missing, missing
