"""Where a stack's config comes from: `Pulumi.<stack>.yaml` offline, or the engine at run time.

Both paths end in `config.parse_config`, so the offline commands and `pulumi up` agree.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from flexorch import deployed
from flexorch.config import (
    MAX_DEPTH,
    NAMESPACE,
    StackConfig,
    did_you_mean,
    parse_config,
)
from flexorch.errors import FlexorchError
from flexorch.twilio_facts import PROVIDER_CREDENTIALS, SECRET_CREDENTIALS

# Top-level keys of a Pulumi stack settings file (https://www.pulumi.com/docs/iac/concepts/projects/stack-settings-file/).
STACK_FILE_KEYS = ("config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment")

# The attributes of a key declared in a project file's `config:` (a mapping there is always a
# declaration, never a value: https://www.pulumi.com/docs/iac/concepts/projects/project-file/#config-options).
PROJECT_CONFIG_ATTRIBUTES = ("type", "description", "items", "default", "value", "secret")
PROJECT_FILES = ("Pulumi.yaml", "Pulumi.yml")


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


class _DuplicateKey(yaml.constructor.ConstructorError):
    """A key given twice in one mapping."""


class _UniqueKeys(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """A YAML loader that refuses a key given twice in one mapping, as Pulumi's parser does.

    Built on the C loader when PyYAML has it: a 100-number stack parses in 1 ms instead of 12.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        first: dict[Any, int] = {}
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                line = first.setdefault(key, key_node.start_mark.line + 1)
            except TypeError:
                continue  # an unhashable key: the constructor says so below
            if line != key_node.start_mark.line + 1:
                raise _DuplicateKey(
                    None,
                    None,
                    f'key "{key}" is given twice (first on line {line}); Pulumi refuses '
                    "the file, so keep one",
                    key_node.start_mark,
                )
        return super().construct_mapping(node, deep)  # type: ignore[no-any-return]


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
        return yaml.load(text, Loader=_UniqueKeys)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        if isinstance(exc, _DuplicateKey):
            raise FlexorchError(f"{where}: {problem}") from None
        raise FlexorchError(f"{where}: invalid YAML ({problem}); fix the syntax there") from None


TOKEN_KEY = "twilio:authToken"


def _secure(value: Any) -> bool:
    """A value a stack file keeps encrypted: `{secure: ...}` alone, as Pulumi reads it."""
    return isinstance(value, Mapping) and set(value) == {"secure"}


def namespace_values(config: Mapping[str, Any], source: str) -> dict[str, Any]:
    """Pick the `flexorch:` keys out of a stack's `config:` mapping, prefix stripped.

    Raises:
        FlexorchError: for a plain-text auth token or a secret `flexorch:` key.
    """
    values, problems, _ = _file_namespace(config, source)
    if problems:
        raise FlexorchError(problems)
    return {name: _json_text(value) for name, value in values.items()}


def _file_namespace(
    config: Mapping[str, Any], source: str
) -> tuple[dict[str, Any], list[str], set[str]]:
    """`_namespace` of a stack or project file, where a secret is a `{secure: ...}` mapping."""
    return _namespace(config.items(), lambda _key, value: _secure(value), source)


def _namespace(
    config: Iterable[tuple[Any, Any]], is_secret: Callable[[str, Any], bool], source: str
) -> tuple[dict[str, Any], list[str], set[str]]:
    """The `flexorch:` values (prefix stripped), the problems found, and the keys refused.

    Keys without a namespace belong to the project (`flexorch`), as in Pulumi itself; other
    namespaces (`twilio:` and friends) are not ours to judge, except a plain-text auth token.
    The provider's own credentials (`flexorch:accountSid`, secret `flexorch:authToken`, ...)
    share the namespace but are no component keys: they are left out, a plain-text token or
    API secret being a problem. Stack files and the engine mark secrets differently, so
    `is_secret` says which are; the rules are the same, so validate and the program accept the
    same stacks.
    """
    values: dict[str, Any] = {}
    problems: list[str] = []
    refused: set[str] = set()
    for key, value in config:
        key = str(key)
        namespace, _, name = key.rpartition(":")
        secret = is_secret(key, value)
        if key == TOKEN_KEY and not secret:
            problems.append(_plain_text(TOKEN_KEY, source, "TWILIO_AUTH_TOKEN"))
        if namespace not in ("", NAMESPACE):
            continue
        if name in PROVIDER_CREDENTIALS:
            if name in SECRET_CREDENTIALS and not secret:
                problems.append(_plain_text(f"{NAMESPACE}:{name}", source))
            continue
        if secret:
            # validate cannot decrypt it, so only plain text lets both check the same value.
            problems.append(
                f"{NAMESPACE}:{name}: is a secret, but flexorch: keys hold no secrets; "
                "store it in plain text (credentials belong under twilio:)"
            )
            refused.add(name)
            continue
        values[name] = value
    return values, problems, refused


def _validated(raw: Mapping[str, Any], problems: list[str], refused: set[str]) -> StackConfig:
    """`parse_config`, with the problems found while reading reported in the same run.

    A refused key is left out of `raw`; lines about it (e.g. "is required") would only repeat it.
    """
    try:
        config = parse_config(raw)
    except FlexorchError as error:
        about = tuple(f"{NAMESPACE}:{name}{end}" for name in refused for end in ":.[")
        raise FlexorchError(
            problems + [line for line in error.problems if not line.startswith(about)]
        ) from None
    if problems:
        raise FlexorchError(problems)
    return config


def _json_text(value: Any) -> Any:
    """A list or object given as JSON text, read as Pulumi's `config.get_object` reads it.

    `pulumi config set flexorch:numbers '["+15005550006"]'` stores a string; the program (which
    gets it as JSON text from the engine) and `flexorch validate` both see the list.
    """
    if isinstance(value, str) and value.lstrip()[:1] in ("[", "{"):
        return _json(value, value)
    return value


def _json(text: str, otherwise: Any) -> Any:
    """JSON text decoded; `otherwise` when it is not JSON.

    Absurdly deep text is not decoded (decoding recurses): a stand-in just past MAX_DEPTH takes
    its place, so `parse_config` refuses it with the same line as deep YAML, in the same run.
    """
    if _bracket_depth(text) > MAX_DEPTH:
        stand_in: list[Any] = []
        for _ in range(MAX_DEPTH):
            stand_in = [stand_in]
        return stand_in
    try:
        return json.loads(text)
    except ValueError:
        return otherwise


def _bracket_depth(text: str) -> int:
    """How deep JSON text nests, counted without decoding it (decoding recurses)."""
    depth = deepest = 0
    quoted = escaped = False
    for char in text:
        if quoted:
            escaped, quoted = (False, True) if escaped else (char == "\\", char != '"')
        elif char == '"':
            quoted = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def plain_text_token(config_env: Mapping[str, str], secret_keys: list[str]) -> str | None:
    """The problem line when the engine was handed `twilio:authToken` set without --secret."""
    if TOKEN_KEY in config_env and TOKEN_KEY not in secret_keys:
        return _plain_text(TOKEN_KEY, "the stack config", "TWILIO_AUTH_TOKEN")
    return None


def _plain_text(key: str, source: str, env: str | None = None) -> str:
    """The problem line for a credential `key` that `source` holds in plain text."""
    instead = f" (or set {env})" if env else ""
    return (
        f"{key}: is stored in plain text in {source}; remove it and run "
        f"`pulumi config set --secret {key}`{instead}"
    )


def project_file_of(path: Path) -> Path | None:
    """The Pulumi.yaml of the project a stack settings file belongs to (its folder), if any."""
    for name in PROJECT_FILES:
        candidate = path.parent / name
        if candidate.is_file():
            return candidate
    return None


def project_config(path: Path) -> dict[str, Any]:
    """The `config:` values of a Pulumi project file, as the engine applies them to every stack.

    Keys are namespaced as in a stack file (`flexorch:handler`; a bare key belongs to the
    project, named by `name:`). A plain value or list stands for itself; a mapping declares the
    key, and its `value:` or `default:` is the value. A declaration with neither gives no value.
    Pulumi's own rules are kept: not both `value` and `default`, and keys of other namespaces
    take `value` only (pulumi/pulumi `sdk/go/common/workspace/project.go`, `Project.Validate`).

    Raises:
        FlexorchError: for an unreadable project file or a `config:` Pulumi would refuse.
    """
    document = _read_yaml(path)
    if not isinstance(document, Mapping):
        raise FlexorchError(f"{path}: expected a mapping (name:, runtime:, config:, ...)")
    project = str(document.get("name") or NAMESPACE)
    config = document.get("config")
    if config is None:
        return {}
    if not isinstance(config, Mapping):
        raise FlexorchError(
            f"{path}: config: must be a mapping of keys, not {type(config).__name__}"
        )
    values: dict[str, Any] = {}
    problems: list[str] = []
    for key, declared in config.items():
        key = str(key)
        full = key if ":" in key else f"{project}:{key}"
        where = f"{path}: config: {key}"
        if not isinstance(declared, Mapping):
            values[full] = declared
            continue
        unknown = [str(k) for k in declared if k not in PROJECT_CONFIG_ATTRIBUTES]
        if unknown:
            problems.append(
                f'{where}: unknown attribute "{unknown[0]}" (a mapping here declares the key); '
                "put the mapping under value:"
            )
            continue
        if "value" in declared and "default" in declared:
            problems.append(f"{where}: has both value: and default:; keep one of them")
            continue
        if not full.startswith(f"{project}:") and "default" in declared:
            problems.append(
                f"{where}: is not in the project's namespace, so Pulumi takes value:, "
                "not default:; rename default: to value:"
            )
            continue
        for attribute in ("value", "default"):
            if declared.get(attribute) is not None:
                values[full] = declared[attribute]
    if problems:
        raise FlexorchError(problems)
    return values


def load_stack_file(path: Path) -> LoadedStack:
    """Read and validate a Pulumi stack settings file, over its project's config as Pulumi does.

    When the file's folder holds a Pulumi.yaml, that project's `config:` values apply to every
    key the stack file does not set; a key the stack sets replaces the project's value whole.

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
    values, problems, refused = _file_namespace(config, str(path))
    project = project_file_of(path)
    if project is not None:
        shared, project_problems, _ = _file_namespace(project_config(project), str(project))
        # A key the stack sets replaces the project's value, even when the stack's is refused.
        values = {**{k: v for k, v in shared.items() if k not in refused}, **values}
        problems = project_problems + problems
    raw = {name: _json_text(value) for name, value in values.items()}
    return LoadedStack(stack_name_of(path), str(path), _validated(raw, problems, refused), raw)


def load_stack(name: str, component: str | None = None, root: Path | None = None) -> LoadedStack:
    """Stack `name` of the project, its config read where Pulumi keeps it.

    - its file's `flexorch:` keys over the project's, as `load_stack_file` reads them;
    - a file that imports ESC environments (`environment:`): as `pulumi config` resolves it;
    - a file that sets no `flexorch:` key (a program declaring its components in code), or a
      `component` named: the config that deployed component recorded in the stack's state.

    Raises:
        FlexorchError: every problem of the config, or why it could not be read.
    """
    root = project_root(root)
    path = stack_file(name, root)
    if not path.exists() and (component is None and deployed.pulumi_cli() is None):
        return load_stack_file(path)  # its "no such file" line: there is no state to read
    document = _read_yaml(path) if path.is_file() else None
    if component is None and isinstance(document, Mapping):
        if document.get("environment"):
            values, secrets = deployed.stack_config_values(name, root)
            config = engine_config(values, secrets)
            source = f"{path}, with its ESC environments as `pulumi config` resolves them"
            return LoadedStack(name, source, config, _as_raw(config))
        if _sets_flexorch_keys(path, document):
            return load_stack_file(path)
    found = deployed.deployed_components(name, root)
    chosen, raw = deployed.pick_component(name, found, component)
    try:
        config = parse_config(raw)
    except FlexorchError as error:
        lines = [f'CustomMessaging "{chosen}": {line}' for line in error.problems]
        raise FlexorchError(lines) from None
    source = f'stack {name}, component CustomMessaging "{chosen}" (from its state)'
    return LoadedStack(name, source, config, dict(raw))


def _sets_flexorch_keys(path: Path, document: Mapping[str, Any]) -> bool:
    """Whether the stack file, or its project's config, sets any `flexorch:` component key.

    The provider's own credentials (`flexorch:accountSid`, ...) are not component keys: a
    YAML program's stack sets only those, and its component is declared in code.
    """
    config = document.get("config", {k: v for k, v in document.items() if ":" in str(k)})
    keys = [str(k) for k in config] if isinstance(config, Mapping) else ["(unreadable)"]
    project = project_file_of(path)
    if project is not None:
        keys += list(project_config(project))
    return any(
        namespace in ("", NAMESPACE) and name not in PROVIDER_CREDENTIALS
        for namespace, _, name in (k.rpartition(":") for k in keys)
    )


def _as_raw(config: StackConfig) -> dict[str, Any]:
    """A validated config as it would be written under `flexorch:` in a stack file."""
    dumped: dict[str, Any] = config.model_dump(mode="json", by_alias=True, exclude_none=True)
    return dumped


def engine_config(config_env: Mapping[str, str], secret_keys: Collection[str]) -> StackConfig:
    """The validated `flexorch:` config of the stack the engine runs, by `load_stack_file`'s rules.

    `config_env` and `secret_keys` are what the engine hands a program (Pulumi's
    `get_config_env()` and `get_config_secret_keys_env()`): every value as text, secrets
    decrypted and named in `secret_keys`.

    Raises:
        FlexorchError: with every problem, one line each, as `flexorch validate` prints them.
    """
    values, problems, refused = _namespace(
        config_env.items(), lambda key, _value: key in secret_keys, "the stack config"
    )
    return _validated(_engine_values(values), problems, refused)


def _engine_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """The engine passes objects and lists as JSON text and plain strings as they are."""
    return {
        name: _json_text(_json(text, text) if isinstance(text, str) else text)
        for name, text in values.items()
    }
