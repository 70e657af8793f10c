"""A real Pulumi stack on a throwaway local backend, pointed at a running sandbox.

Test and benchmark tooling, not part of the package: it needs this repo's `.tools` and `stack/`.
The tests import it as `engine` (tests/conftest.py puts tests/ on sys.path), the benchmarks as
`tests.engine`.

The end-to-end tests and the benchmarks drive the real Pulumi CLI (from `.tools/bin`, see
`scripts/install-pulumi`) through the Automation API; this is the one place that sets that up,
so both run the program exactly the same way. Nothing here ever talks to Pulumi Cloud or Twilio:
the backend is a folder, the home is a folder, plugin downloads are off, and every Twilio
request goes to the sandbox (`FLEXORCH_TWILIO_BASE_URL`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi.automation as auto
import yaml

from flexorch.errors import FlexorchError
from flexorch.sandbox import seed
from flexorch.sandbox.server import Sandbox
from flexorch.twilio_client import BASE_URL_ENV
from flexorch.twilio_facts import flex_handoff

ROOT = Path(__file__).resolve().parents[1]
# Where scripts/install-pulumi put the engine; FLEXORCH_TOOLS_DIR moves it, as it moves that.
TOOLS = Path(os.environ.get("FLEXORCH_TOOLS_DIR") or ROOT / ".tools")
PASSPHRASE = "sandbox-passphrase"


def engine_env(
    tmp: Path, sandbox: Sandbox, python: str | None = None, base_url: str | None = None
) -> dict[str, str]:
    """The environment the Pulumi CLI runs with: local backend, no network, the sandbox.

    `base_url`: where Twilio requests go instead of the sandbox itself (a proxy in front of it).
    """
    return {
        "PULUMI_BACKEND_URL": (tmp / "state").as_uri(),
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PULUMI_PYTHON_CMD": python or sys.executable,
        BASE_URL_ENV: base_url or sandbox.url,
        "PATH": os.pathsep.join(
            [str(provider_plugin(tmp, python)), str(TOOLS / "bin"), os.environ.get("PATH", "")]
        ),
    }


def provider_plugin(tmp: Path, python: str | None = None) -> Path:
    """A folder holding `pulumi-resource-flexorch`, the real provider as the engine starts it.

    The wheel installs it as a console script; here it runs this checkout's code with the tests'
    interpreter. The engine runs a `pulumi-resource-<name>` it finds on PATH before looking in
    its plugin folder (and downloads are off).
    """
    folder = tmp / "plugin-bin"
    folder.mkdir(parents=True, exist_ok=True)
    shim = folder / "pulumi-resource-flexorch"
    shim.write_text(f'#!/bin/sh\nexec "{python or sys.executable}" -m flexorch.provider "$@"\n')
    shim.chmod(0o755)
    return folder


def local_stack(
    project: Path,
    name: str,
    sandbox: Sandbox,
    *,
    env: dict[str, str] | None = None,
    python: str | None = None,
    twilio_config: bool = True,
    select_existing: bool = False,
) -> auto.Stack:
    """The stack `name` of the project folder `project`, on a backend in the folder beside it.

    The one place a test or benchmark makes a stack, so that every one runs the real CLI the
    same way: the backend is `state/` and the Pulumi home `home/` in `project`'s parent folder,
    the environment is `engine_env`'s.

    Args:
        project: a folder holding the project's `Pulumi.yaml`; its parent holds the state and
            the Pulumi home (several projects in one folder share them).
        name: the stack name.
        sandbox: the running sandbox every Twilio request goes to.
        env: environment on top of `engine_env` (e.g. another base URL, a Node on PATH).
        python: the interpreter that runs the program and the provider (`engine_env`'s).
        twilio_config: give the stack the sandbox account's credentials as `twilio:accountSid`
            and the secret `twilio:authToken` (a Python program's default provider reads them).
        select_existing: select the stack if the backend has it already, instead of failing.
    """
    (project.parent / "state").mkdir(exist_ok=True)
    options = auto.LocalWorkspaceOptions(
        work_dir=str(project),
        pulumi_home=str(project.parent / "home"),
        env_vars={**engine_env(project.parent, sandbox, python), **(env or {})},
        pulumi_command=auto.PulumiCommand(root=str(TOOLS)),
    )
    make = auto.create_or_select_stack if select_existing else auto.create_stack
    stack = make(stack_name=name, work_dir=str(project), opts=options)
    if twilio_config:
        stack.set_config("twilio:accountSid", auto.ConfigValue(seed.ACCOUNT_SID))
        stack.set_config("twilio:authToken", auto.ConfigValue(seed.AUTH_TOKEN, secret=True))
    return stack


def engine(
    tmp: Path,
    sandbox: Sandbox,
    name: str,
    config: dict[str, Any],
    env: dict[str, str] | None = None,
) -> auto.Stack:
    """A stack on a local file backend whose program is this repo's `stack/`.

    Args:
        tmp: an empty folder that holds the project, the state and the Pulumi home.
        sandbox: the running sandbox every Twilio request goes to.
        name: the stack name (also the project folder's name under `tmp`).
        config: the stack's `flexorch:` settings, as in a `Pulumi.<name>.yaml` `config:` block;
            the sandbox account's credentials are added as `twilio:accountSid` and the secret
            `twilio:authToken`.
        env: environment on top of `engine_env(tmp, sandbox)` (e.g. another base URL).

    Raises:
        FlexorchError: when the Pulumi CLI is not installed in `.tools/bin`.
    """
    if not (TOOLS / "bin" / "pulumi").exists():
        raise FlexorchError(
            f"{TOOLS / 'bin' / 'pulumi'}: the Pulumi engine is not installed; "
            "run scripts/setup (scripts/install-pulumi)"
        )
    project = tmp / name
    project.mkdir()
    (project / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    (project / "stack").symlink_to(ROOT / "stack")
    (project / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump({"config": config}))
    return local_stack(project, name, sandbox, env=env, select_existing=True)


def user_program(tmp: Path, sandbox: Sandbox, write: Callable[[Path], Any]) -> auto.Stack:
    """A fresh stack `dev` of a user's own Python program (project `userapp`) in `tmp`.

    `write(project)` writes its `__main__.py`; the stack gets the sandbox account's credentials
    as `twilio:accountSid` and the secret `twilio:authToken`.
    """
    project = tmp / "userapp"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: userapp\nruntime: python\n")
    write(project)
    return local_stack(project, "dev", sandbox)


def sandbox_config() -> dict[str, Any]:
    """The `config:` of examples/Pulumi.sandbox.yaml: the demo's stack on the seeded account."""
    example = Path(__file__).resolve().parents[1] / "examples" / "Pulumi.sandbox.yaml"
    return yaml.safe_load(example.read_text())["config"]  # type: ignore[no-any-return]


def rewrite_flexorch_config(path: Path, config: dict[str, Any]) -> None:
    """Replace a stack file's `flexorch:` keys, keeping its encryption salt and `twilio:` keys."""
    document = yaml.safe_load(path.read_text())
    kept = {k: v for k, v in document["config"].items() if not k.startswith("flexorch:")}
    flexorch = {k: v for k, v in config.items() if k.startswith("flexorch:")}
    document["config"] = {**kept, **flexorch}
    path.write_text(yaml.safe_dump(document))


def adopted_settings(sandbox: Sandbox) -> dict[str, Any]:
    """The settings `up` changes and `destroy` must put back, as the sandbox has them now."""
    fake = sandbox.fake
    return {
        "numbers": {n["phone_number"]: dict(n) for n in fake.all(seed.NUMBERS)},
        "chat": dict(fake.find(seed.CHAT_SERVICES, sid=seed.CHAT_SERVICE_SID)),
        "flows": {f["sid"]: f["enabled"] for f in fake.all(seed.FLEX_FLOWS)},
        "workflows": {w["sid"] for w in fake.all(seed.WORKFLOWS)},
        "channels": {c["sid"] for c in fake.all(seed.TASK_CHANNELS)},
        "channel_webhooks": sorted(
            (w["channel_sid"], w["type"], flex_handoff(w["type"], w["configuration"]) or "")
            for w in fake.all(seed.CHANNEL_WEBHOOKS)
        ),
    }


def restorable(sandbox: Sandbox) -> dict[str, Any]:
    """What destroy puts back or removes (a chat webhook URL that was empty stays set, silent)."""
    settings = adopted_settings(sandbox)
    chat = settings["chat"]
    return {
        "numbers": {
            number: (n["sms_url"], n["sms_method"], n["sms_fallback_url"])
            for number, n in settings["numbers"].items()
        },
        "chat": (chat["webhook_filters"], chat["webhook_method"]),
        **{key: settings[key] for key in ("flows", "workflows", "channels", "channel_webhooks")},
    }
