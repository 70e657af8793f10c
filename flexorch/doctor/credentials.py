"""Whose credentials the doctor reads with: the stack's own when Pulumi can decrypt them.

For `--stack NAME`, the Pulumi CLI (when on PATH) prints the stack's config with its secrets
decrypted, as the engine would hand it to the providers; then the plain values of the stack
file; then the `TWILIO_*` environment. The provider's own keys (`flexorch:accountSid`, ...) win
over `twilio:*` when any is set, as they do for the provider. A secret that is set but could not
be decrypted is reported as such, never as "not set".
https://www.pulumi.com/docs/iac/cli/commands/pulumi_config/
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from flexorch.config import NAMESPACE
from flexorch.deployed import run_pulumi
from flexorch.errors import FlexorchError
from flexorch.twilio_client import CREDENTIAL_ENV, Credentials
from flexorch.twilio_facts import PROVIDER_CREDENTIALS, SECRET_CREDENTIALS

# The stack config keys of Twilio credentials, and the environment variable of each: the
# provider's own (`flexorch:*`, which win when any is set, as `Provider.from_stack_config`
# does), then `twilio:*`.
CREDENTIAL_KEYS = {
    f"{namespace}:{name}": env
    for namespace in (NAMESPACE, "twilio")
    for name, env in CREDENTIAL_ENV.items()
}


@dataclass(frozen=True)
class EngineConfig:
    """The stack config as the Pulumi CLI printed it, or why there is none."""

    values: Mapping[str, str] = field(default_factory=dict, repr=False)
    problem: str = ""


def pulumi_config(stack: str, cwd: Path) -> EngineConfig:
    """`pulumi config --json --show-secrets --stack STACK` in `cwd`, as plain strings by key.

    Never raises: a missing CLI, a failure (not logged in, no passphrase) or unreadable output
    gives no values and the reason, and the doctor goes on with the other sources.
    """
    try:
        document = run_pulumi(["config", "--json", "--show-secrets", "--stack", stack], cwd)
    except FlexorchError as exc:
        return EngineConfig(problem=str(exc))
    values: dict[str, str] = {}
    for key, entry in document.items():
        value = entry.get("value") if isinstance(entry, Mapping) else None
        if isinstance(key, str) and isinstance(value, str) and value:
            values[key] = value
    return EngineConfig(values)


def _stack_settings(path: Path) -> Mapping[str, Any]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        document = {}
    config = document.get("config") if isinstance(document, Mapping) else None
    if not isinstance(config, Mapping):
        config = document if isinstance(document, Mapping) else {}
    return config


def stack_credentials_config(path: Path) -> Callable[[str], Any]:
    """The plain credential settings of a stack file (a token or API secret is never plain)."""
    config = _stack_settings(path)

    def get(key: str) -> Any:
        value = config.get(key)
        secret = key.rpartition(":")[2] in SECRET_CREDENTIALS
        return value if isinstance(value, str) and not secret else None

    return get


def encrypted_keys(path: Path) -> list[str]:
    """The credential keys the stack file holds as Pulumi secrets (`{secure: ...}`)."""
    config = _stack_settings(path)
    return [
        key
        for key in CREDENTIAL_KEYS
        if isinstance(config.get(key), Mapping) and "secure" in config[key]
    ]


def find_credentials(path: Path, stack: str | None = None, root: Path | None = None) -> Credentials:
    """The credentials for the stack file at `path`; `stack` names it to the Pulumi CLI.

    Raises:
        FlexorchError: when no complete set is found, saying which source to fill and how.
    """
    engine = pulumi_config(stack, root or path.parent) if stack else EngineConfig()
    plain = stack_credentials_config(path)

    def get(key: str) -> Any:
        return engine.values.get(key) or plain(key)

    encrypted = encrypted_keys(path)
    own = any(get(f"{NAMESPACE}:{name}") for name in PROVIDER_CREDENTIALS) or any(
        key.startswith(f"{NAMESPACE}:") for key in encrypted
    )
    encrypted = [key for key in encrypted if key.startswith(f"{NAMESPACE}:" if own else "twilio:")]

    def chosen(key: str) -> Any:
        """`twilio:X` as `Credentials.find` asks for it: `flexorch:X` when the provider's own."""
        return get(f"{NAMESPACE}:{key.removeprefix('twilio:')}" if own else key)

    try:
        return Credentials.find(chosen)
    except FlexorchError as exc:
        locked = [key for key in encrypted if key not in engine.values]
        if not locked:
            raise
        why = engine.problem or (
            f"`pulumi config` of stack {stack} did not print it"
            if stack
            else "doctor was given --config, not --stack"
        )
        raise FlexorchError(
            [_locked_line(key, path, why) for key in locked if _concerns(exc, key)] or exc.problems
        ) from None


def _concerns(exc: FlexorchError, key: str) -> bool:
    """Whether the missing-credential error is about `key` (the token line covers API keys)."""
    line = exc.problems[0]
    if key.endswith(":accountSid"):
        return line.startswith("twilio:accountSid:")
    return line.startswith("twilio:authToken:")


def _locked_line(key: str, path: Path, why: str) -> str:
    env = CREDENTIAL_KEYS[key]
    return (
        f"{key}: is set in {path.name} as a secret, which doctor decrypts only through the "
        f"Pulumi CLI, and {why}; run doctor with --stack and the Pulumi CLI logged in to the "
        f"stack's backend, or set {env} for this run"
    )
