"""`scripts/install-pulumi` links a suitable `pulumi` from PATH instead of building one.

The script runs against fake Pulumi installs on a temporary PATH and a temporary tools folder
(`FLEXORCH_TOOLS_DIR`), so nothing here touches the repo's `.tools` or needs Go (a fake `go`
stands in where the YAML language host is built).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from helpers import ROOT

SCRIPT = ROOT / "scripts" / "install-pulumi"
FILES = ("pulumi", "pulumi-language-python", "pulumi-language-python-exec",
         "pulumi-resource-pulumi-python", "pulumi-language-yaml")  # fmt: skip
YAML = "pulumi-language-yaml"


def fake_install(
    folder: Path, version: str, *, siblings: bool = True, yaml_host: bool = True
) -> Path:
    """A folder with a `pulumi` that prints `version` for `pulumi version` (and its siblings).

    A normal Pulumi install has the YAML language host beside the CLI; `yaml_host=False` leaves
    it out.
    """
    folder.mkdir(parents=True)
    names = [n for n in FILES if yaml_host or n != YAML] if siblings else FILES[:1]
    for name in names:
        path = folder / name
        path.write_text(f'#!/bin/sh\n[ "$1" = version ] && echo {version}\nexit 0\n')
        path.chmod(0o755)
    return folder


def install(tools: Path, *path: Path) -> subprocess.CompletedProcess[str]:
    # Only the fakes and the system tools: no Go, no real pulumi.
    search = ":".join([*map(str, path), "/usr/bin", "/bin"])
    return subprocess.run(
        [str(SCRIPT)],
        env={"PATH": search, "HOME": os.environ.get("HOME", "/"), "FLEXORCH_TOOLS_DIR": str(tools)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_recent_pulumi_on_path_is_linked_with_its_siblings(tmp_path: Path) -> None:
    user = fake_install(tmp_path / "user" / "bin", "v3.280.0")
    tools = tmp_path / "tools"
    done = install(tools, user)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].startswith(
        f"install-pulumi: linked pulumi v3.280.0 ({user / 'pulumi'}) in {tools / 'bin'} ("
    )
    for name in FILES:
        assert (tools / "bin" / name).is_symlink()
        assert (tools / "bin" / name).resolve() == user / name
    assert done.stdout.splitlines()[1] == (
        f"install-pulumi: linked pulumi-language-yaml ({user / YAML}) in {tools / 'bin'}"
    )
    again = install(tools, user)
    assert again.returncode == 0, again.stderr
    assert again.stdout == (
        f"install-pulumi: pulumi v3.280.0 ({user / 'pulumi'}) already linked in {tools / 'bin'}\n"
        f"install-pulumi: pulumi-language-yaml ({user / YAML}) already linked in {tools / 'bin'}\n"
    )


def test_the_tools_folder_itself_and_old_versions_are_skipped(tmp_path: Path) -> None:
    tools = tmp_path / "tools"
    ours = fake_install(tools / "bin", "v3.290.0")  # what an earlier run put there
    old = fake_install(tmp_path / "old", "v3.100.0")
    new = fake_install(tmp_path / "new", "v3.280.0")
    done = install(tools, ours, old, new)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == (
        f"install-pulumi: skipping {old / 'pulumi'} (version 'v3.100.0', need v3.272.0 or later)"
    )
    for name in FILES:
        assert (tools / "bin" / name).resolve() == new / name


def test_without_a_suitable_pulumi_it_builds_and_says_go_is_needed(tmp_path: Path) -> None:
    old = fake_install(tmp_path / "old", "v3.100.0")
    done = install(tmp_path / "tools", old)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "install-pulumi: no pulumi v3.272.0 or later on PATH, and Go is required to build one",
        "  install Pulumi (https://www.pulumi.com/docs/iac/download-install/) or Go "
        "(https://go.dev/dl/)",
    ]


def test_a_pulumi_without_its_language_host_needs_go_to_build_that(tmp_path: Path) -> None:
    bare = fake_install(tmp_path / "bare", "v3.280.0", siblings=False)
    done = install(tmp_path / "tools", bare)
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == (
        f"install-pulumi: {bare / 'pulumi'} has no pulumi-language-python "
        "pulumi-language-python-exec pulumi-resource-pulumi-python beside it, and Go is required "
        "to build that"
    )


def fake_go(folder: Path) -> Path:
    """A `go` that records what `go install` was asked for and leaves a binary in $GOBIN."""
    folder.mkdir(parents=True)
    go = folder / "go"
    go.write_text(
        "#!/bin/sh\n"
        'case "$1" in\n'
        "  version) echo go version go1.26.8 linux/amd64 ;;\n"
        f'  install) echo "$PWD $GOBIN $*" >"{folder}/go.args"\n'
        f'    printf \'#!/bin/sh\\n\' >"$GOBIN/{YAML}"; chmod +x "$GOBIN/{YAML}" ;;\n'
        "  *) exit 1 ;;\n"
        "esac\n"
    )
    go.chmod(0o755)
    return folder


def test_without_a_yaml_host_beside_pulumi_it_builds_the_pinned_one(tmp_path: Path) -> None:
    user = fake_install(tmp_path / "user", "v3.280.0", yaml_host=False)
    go = fake_go(tmp_path / "go")
    tools = tmp_path / "tools"
    done = install(tools, user, go)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[1] == (
        "install-pulumi: building github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml at "
        "v1.25.0 with go1.26.8"
    )
    assert lines[2].startswith(f"install-pulumi: installed {YAML} v1.25.0 in {tools / 'bin'} (")
    # Built outside any module, straight into the staging folder, with its version stamped in.
    [stage, gobin, *args] = (go / "go.args").read_text().split()
    assert stage == gobin and Path(stage).parent == tools / "bin"
    assert args == [
        "install", "-trimpath", "-buildvcs=false", "-ldflags",
        "-s", "-w", "-X", "github.com/pulumi/pulumi-yaml/pkg/version.Version=v1.25.0",
        "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml@v1.25.0",
    ]  # fmt: skip
    built = tools / "bin" / YAML
    assert built.is_file() and not built.is_symlink()
    again = install(tools, user, go)
    assert again.stdout.splitlines()[1] == (
        f"install-pulumi: {YAML} v1.25.0 already in {tools / 'bin'}"
    )


def test_without_a_yaml_host_or_go_it_says_go_is_needed(tmp_path: Path) -> None:
    user = fake_install(tmp_path / "user", "v3.280.0", yaml_host=False)
    done = install(tmp_path / "tools", user)
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == (
        f"install-pulumi: {user / 'pulumi'} has no {YAML} beside it, and Go is required to "
        "build that"
    )
    # The engine itself is linked all the same.
    assert (tmp_path / "tools" / "bin" / "pulumi").resolve() == user / "pulumi"
