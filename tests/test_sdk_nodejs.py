"""The TypeScript SDK (sdk/nodejs) and the TypeScript example program that uses it.

sdk/nodejs is generated from flexorch/provider/schema.json by Pulumi's own nodejs generator
(`scripts/regenerate-sdk`; `scripts/install-pulumi-nodejs` builds the generator); these tests
only compare it with a fresh generation, so a schema change without regeneration fails here. The
example (examples/typescript) is type-checked with tsc against that SDK and the real
`@pulumi/pulumi` typings from node_modules. The generator and tsc come from `scripts/setup`;
without them these tests fail (never skip), saying so.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from helpers import ROOT

SDK = ROOT / "sdk" / "nodejs"
EXAMPLE = ROOT / "examples" / "typescript"
SCHEMA = ROOT / "flexorch" / "provider" / "schema.json"
SETUP = "run scripts/setup (scripts/install-pulumi-nodejs, npm ci)"
# What `npm install` in sdk/nodejs adds, as the SDK's own .gitignore says: not generated.
INSTALLED = ("node_modules", "bin")


def tool(path: Path) -> Path:
    if not path.exists():
        pytest.fail(f"{path} is missing; {SETUP}", pytrace=False)
    return path


def generate(schema: Path, out: Path) -> subprocess.CompletedProcess[str]:
    sdkgen = tool(ROOT / ".tools" / "bin" / "flexorch-sdkgen")
    return subprocess.run(
        [str(sdkgen), str(schema), str(out)], capture_output=True, text=True, timeout=60
    )


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under folder by relative path, leaving out what an install adds."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.relative_to(folder).parts[0] not in INSTALLED
    }


def differing(left: dict[str, bytes], right: dict[str, bytes]) -> list[str]:
    return sorted(k for k in left.keys() | right.keys() if left.get(k) != right.get(k))


def typecheck(tmp_path: Path, program: Path) -> subprocess.CompletedProcess[str]:
    """tsc on program with the example's own tsconfig, the SDK and @pulumi/pulumi as installed."""
    tsconfig = tmp_path / "tsconfig.json"
    tsconfig.write_text(
        json.dumps(
            {
                "extends": str(EXAMPLE / "tsconfig.json"),
                "compilerOptions": {
                    "noEmit": True,
                    "baseUrl": str(ROOT),
                    "typeRoots": [str(ROOT / "node_modules" / "@types")],
                    "types": ["node"],
                    # What `npm install` of the example would link: the SDK from this repo.
                    "paths": {"@pulumi/flexorch": ["sdk/nodejs"], "*": ["node_modules/*"]},
                },
                "files": [str(program)],
            }
        )
    )
    tsc = tool(ROOT / "node_modules" / ".bin" / "tsc")
    return subprocess.run(
        [str(tsc), "-p", str(tsconfig), "--pretty", "false", "--listFiles"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_committed_sdk_is_what_the_schema_generates(tmp_path: Path) -> None:
    done = generate(SCHEMA, tmp_path / "nodejs")
    assert done.returncode == 0, done.stderr
    stale = differing(tree(tmp_path / "nodejs"), tree(SDK))
    assert stale == [], f"sdk/nodejs is stale in {stale}; run scripts/regenerate-sdk"


def test_a_schema_change_shows_in_the_generated_sdk(tmp_path: Path) -> None:
    """The comparison above can fail: one more component output changes exactly its class."""
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    component = schema["resources"]["flexorch:index:CustomMessaging"]
    component["properties"]["queueSid"] = {"type": "string"}
    changed = tmp_path / "schema.json"
    changed.write_text(json.dumps(schema), encoding="utf-8")
    done = generate(changed, tmp_path / "nodejs")
    assert done.returncode == 0, done.stderr
    assert differing(tree(tmp_path / "nodejs"), tree(SDK)) == ["customMessaging.ts"]
    text = (tmp_path / "nodejs" / "customMessaging.ts").read_text(encoding="utf-8")
    assert "declare public /*out*/ readonly queueSid: pulumi.Output<string | undefined>;" in text


def test_the_generator_refuses_a_schema_pulumi_rejects(tmp_path: Path) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    component = schema["resources"]["flexorch:index:CustomMessaging"]
    component["inputProperties"]["handler"] = {"$ref": "#/types/flexorch:index:Missing"}
    broken = tmp_path / "schema.json"
    broken.write_text(json.dumps(schema), encoding="utf-8")
    done = generate(broken, tmp_path / "nodejs")
    assert done.returncode == 1
    assert done.stderr == (
        f"flexorch-sdkgen: {broken}: #/resources/flexorch:index:CustomMessaging/inputProperties"
        "/handler/$ref: type flexorch:index:Missing not found in package flexorch\n"
    )
    assert not (tmp_path / "nodejs").exists()


def test_the_example_type_checks_against_the_sdk_and_pulumi(tmp_path: Path) -> None:
    done = typecheck(tmp_path, EXAMPLE / "index.ts")
    errors = [line for line in done.stdout.splitlines() if "error TS" in line]
    assert done.returncode == 0 and errors == [], "\n".join(errors) + done.stderr
    files = set(done.stdout.splitlines())
    # The real typings, not an `any` from an unresolved import.
    assert str(SDK / "customMessaging.ts") in files
    assert str(ROOT / "node_modules" / "@pulumi" / "pulumi" / "index.d.ts") in files


def test_a_python_style_key_fails_to_type_check(tmp_path: Path) -> None:
    """The SDK's types reach the program: a snake_case key (as in Python) is a tsc error."""
    source = (EXAMPLE / "index.ts").read_text(encoding="utf-8")
    assert source.count("        taskChannels: [") == 1
    wrong = tmp_path / "wrong.ts"
    wrong.write_text(source.replace("taskChannels: [", "task_channels: ["), encoding="utf-8")
    line = next(n for n, text in enumerate(source.splitlines(), 1) if "taskChannels: [" in text)
    done = typecheck(tmp_path, wrong)
    assert done.returncode == 2
    assert done.stdout.splitlines() and [
        text for text in done.stdout.splitlines() if "error TS" in text
    ] == [
        f"wrong.ts({line},9): error TS2561: Object literal may only specify known properties, "
        "but 'task_channels' does not exist in type 'CustomMessagingArgs'. "
        "Did you mean to write 'taskChannels'?"
    ]


def test_the_example_pins_what_the_tests_check_it_against() -> None:
    """The example's package.json asks for the SDK here and the versions tsc checks it with."""
    example = json.loads((EXAMPLE / "package.json").read_text(encoding="utf-8"))
    root = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))["devDependencies"]
    wanted = {**example["dependencies"], **example["devDependencies"]}
    assert wanted == {
        "@pulumi/flexorch": "file:../../sdk/nodejs",
        "@pulumi/pulumi": root["@pulumi/pulumi"],
        "typescript": root["typescript"],
        "@types/node": root["@types/node"],
    }
    assert json.loads((SDK / "package.json").read_text(encoding="utf-8"))["name"] == (
        "@pulumi/flexorch"
    )
