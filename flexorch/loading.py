"""Where a stack's config comes from: `Pulumi.<stack>.yaml` offline, or the engine at run time.

Both paths end in `config.parse_config`, so the offline commands and `pulumi up` agree.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from flexorch.config import NAMESPACE, StackConfig, did_you_mean, parse_config
from flexorch.errors import FlexorchError

# Top-level keys of a Pulumi stack settings file (https://www.pulumi.com/docs/iac/concepts/projects/stack-settings-file/).
STACK_FILE_KEYS = ("config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment")


@dataclass(frozen=True)
class LoadedStack:
    """A validated config and where it came from."""

    name: str
    source: str
    config: StackConfig
    raw: Mapping[str, Any]


def project_root(start: Path | None = None) -> Path:
    """The nearest folder at or above `start` holding Pulumi.yaml, else `start` itself."""
    start = (start or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / "Pulumi.yaml").is_file():
            return folder
    return start


def stack_file(name: str, root: Path | None = None) -> Path:
    """The settings file of stack `name` in the project root."""
    return project_root(root) / f"Pulumi.{name}.yaml"


def stack_name_of(path: Path) -> str:
    """`dev` for `Pulumi.dev.yaml`; the file's stem otherwise."""
    name = path.name
    if name.startswith("Pulumi.") and name.endswith((".yaml", ".yml")):
        return name[len("Pulumi.") :].rsplit(".", 1)[0]
    return path.stem


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FlexorchError(
            f"{path}: no such file; create it, or pass --stack NAME for Pulumi.NAME.yaml "
            "in the project root"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise FlexorchError(
            f"{path}: cannot be read ({reason}); check the path and permissions"
        ) from None
    try:
        # The C loader when PyYAML has it: a 100-number stack parses in 1 ms instead of 12.
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise FlexorchError(f"{where}: invalid YAML ({problem}); fix the syntax there") from None


def namespace_values(config: Mapping[str, Any], source: str) -> dict[str, Any]:
    """Pick the `flexorch:` keys out of a stack's `config:` mapping, prefix stripped.

    Keys without a namespace belong to the project (`flexorch`), as in Pulumi itself; other
    namespaces (`twilio:` and friends) are not ours to judge, except a plain-text auth token.
    """
    values: dict[str, Any] = {}
    problems: list[str] = []
    for key, value in config.items():
        key = str(key)
        namespace, _, name = key.rpartition(":")
        if key == "twilio:authToken" and not (isinstance(value, Mapping) and "secure" in value):
            problems.append(
                f"{key}: is stored in plain text in {source}; remove it and run "
                "`pulumi config set --secret twilio:authToken` (or set TWILIO_AUTH_TOKEN)"
            )
        if namespace not in ("", NAMESPACE):
            continue
        if isinstance(value, Mapping) and set(value) == {"secure"}:
            problems.append(
                f"{NAMESPACE}:{name}: is a secret, but flexorch: keys hold no secrets; "
                "store it in plain text (credentials belong under twilio:)"
            )
            continue
        values[name] = value
    if problems:
        raise FlexorchError(problems)
    return values


def load_stack_file(path: Path) -> LoadedStack:
    """Read and validate a Pulumi stack settings file.

    Raises:
        FlexorchError: for a missing or unreadable file, invalid YAML, a document of the wrong
            shape, or any config problem (all of them).
    """
    document = _read_yaml(path)
    if document is None:
        document = {}
    if not isinstance(document, Mapping):
        raise FlexorchError(
            f"{path}: expected a mapping with a config: key, got {type(document).__name__}; "
            "see examples/Pulumi.dev.yaml"
        )
    unknown = [str(k) for k in document if k not in STACK_FILE_KEYS and ":" not in str(k)]
    if unknown:
        raise FlexorchError(
            [
                f'{path}: unknown top-level key "{k}"; {did_you_mean(k, STACK_FILE_KEYS)}'
                for k in unknown
            ]
        )
    # A bare `flexorch:key: value` file (no config: wrapper) is read the same way.
    config = document.get("config", {k: v for k, v in document.items() if ":" in str(k)})
    if config is None:
        config = {}
    if not isinstance(config, Mapping):
        raise FlexorchError(
            f"{path}: config: must be a mapping of keys, not {type(config).__name__}"
        )
    raw = namespace_values(config, str(path))
    return LoadedStack(stack_name_of(path), str(path), parse_config(raw), raw)


def load_from_pulumi() -> LoadedStack:
    """The config of the stack the Pulumi engine is running (inside the program only)."""
    import pulumi
    from pulumi.runtime.config import get_config_env

    raw: dict[str, Any] = {}
    prefix = NAMESPACE + ":"
    for key, text in get_config_env().items():
        if not key.startswith(prefix):
            continue
        # The engine hands objects and lists over as JSON text and plain strings as they are.
        try:
            raw[key[len(prefix) :]] = json.loads(text)
        except ValueError:
            raw[key[len(prefix) :]] = text
    name = pulumi.get_stack()
    return LoadedStack(name, f"stack {name}", parse_config(raw), raw)


def load_program_config() -> StackConfig:
    """`load_from_pulumi().config` for a Pulumi program: problems end the run as one line each.

    Pulumi prints a `RunError` raised by the program as its message, without a traceback.
    """
    import pulumi

    try:
        return load_from_pulumi().config
    except FlexorchError as error:
        raise pulumi.RunError("\n".join(error.problems)) from None
