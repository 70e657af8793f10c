"""Small builders shared by the tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("Pulumi.*.yaml"))


@dataclass
class Run:
    code: int
    out: str
    err: str


def flexorch(*args: str, cwd: Path | None = None) -> Run:
    """Run the real console entry point in a subprocess, as a user would."""
    done = subprocess.run(
        [sys.executable, "-m", "flexorch.cli", *args],
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return Run(done.returncode, done.stdout, done.stderr)


@dataclass
class CliResult:
    """What a `flexorch` command run in this process printed and returned."""

    code: int
    out: str
    err: str

    @property
    def document(self) -> dict[str, Any]:
        return json.loads(self.out)  # type: ignore[no-any-return]

    def checks(self) -> list[dict[str, Any]]:
        """Every check of a `--json` document: doctor's `sections`, or migrate's `inventory`."""
        document = self.document
        if "inventory" in document:
            return list(document["inventory"])
        return [check for section in document["sections"] for check in section["checks"]]

    def statuses(self) -> dict[str, str]:
        return {check["id"]: check["status"] for check in self.checks()}

    def check(self, check_id: str) -> dict[str, Any]:
        for check in self.checks():
            if check["id"] == check_id:
                return check
        raise KeyError(check_id)


def run_cli(capture: Any, *argv: str | Path) -> CliResult:
    """`flexorch ARGV` through flexorch.cli.main, in this process (so a fake can answer).

    `capture` is pytest's capsys. An argparse refusal (exit 2) is returned like any other code.
    """
    from flexorch.cli import main

    try:
        code = main([str(a) for a in argv])
    except SystemExit as stopped:
        code = stopped.code if isinstance(stopped.code, int) else 2
    captured = capture.readouterr()
    return CliResult(code, captured.out, captured.err)


def minimal_config(**overrides: Any) -> dict[str, Any]:
    """The `flexorch:` namespace of a small valid stack, with keys replaced as given."""
    config: dict[str, Any] = {
        "handler": {"url": "https://handler.example.com/flex"},
        "workspace": {"friendlyName": "Flex Task Assignment"},
        "chatService": {"sid": "IS" + "0" * 32},
    }
    config.update(overrides)
    return config


def write_stack(path: Path, flexorch_config: dict[str, Any], **other: Any) -> Path:
    """Write a Pulumi stack settings file holding the given flexorch: keys."""
    config = {f"flexorch:{k}": v for k, v in flexorch_config.items()}
    config.update(other)
    path.write_text(yaml.safe_dump({"config": config}, sort_keys=False), encoding="utf-8")
    return path


class InProcessHttp:
    """A Twilio SDK HTTP client that answers from a FakeTwilio in this process."""

    def __init__(self, fake: Any) -> None:
        self.fake = fake
        self.log: list[tuple[str, str, dict[str, list[str]]]] = []

    def request(self, method, url, params=None, data=None, headers=None, auth=None,
                timeout=None, allow_redirects=False):  # fmt: skip
        import base64
        import json
        from urllib.parse import urlsplit

        from twilio.http.response import Response

        from flexorch.sandbox.fake import Request
        from flexorch.sandbox.specs import mounted_path

        def lists(values: dict | None) -> dict[str, list[str]]:
            out: dict[str, list[str]] = {}
            for key, value in (values or {}).items():
                items = value if isinstance(value, list) else [value]
                if items:  # like `requests`, an empty list sends nothing
                    out[key] = [str(v) for v in items]
            return out

        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode() if auth else None
        parts = urlsplit(url)
        path = parts.path
        form = lists(data)
        self.log.append((method, path, form))
        status, body = self.fake.handle(
            Request(
                method,
                mounted_path(parts.netloc, path),  # Conversations, served from under its host
                lists(params),
                form,
                f"Basic {token}" if token else None,
            )
        )
        return Response(status, json.dumps(body) if body is not None else "", headers={})


def use_fake(monkeypatch: Any, fake: Any, http: InProcessHttp | None = None) -> InProcessHttp:
    """The one seam: every Twilio client (providers and doctor) talks to `fake` in this process.

    Returns the request log. `http` replaces the transport, e.g. one that injects faults. Like
    `make_client` in a provider process, every call gets the same client per credentials, so
    snapshot look-ups are made once (`flexorch.lookups.forget()` makes them again).
    """
    from twilio.rest import Client

    from flexorch import lookups
    from flexorch.sandbox.seed import ACCOUNT_SID, AUTH_TOKEN
    from flexorch.twilio_client import BASE_URL_ENV

    transport = http or InProcessHttp(fake)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    monkeypatch.delenv(BASE_URL_ENV, raising=False)
    clients: dict[Any, Client] = {}

    def make_client(creds: Any, http_client: Any = None) -> Client:
        if creds not in clients:
            clients[creds] = Client(
                creds.username, creds.password, creds.account_sid, http_client=transport
            )
        return clients[creds]

    monkeypatch.setattr("flexorch.twilio_client.make_client", make_client)
    lookups.forget()
    return transport


class LoseFirstCreate(InProcessHttp):
    """Loses the answer to the first POST to a collection ending in `suffix`.

    `applied`: Twilio made the object before the answer was lost; else it never got there.
    """

    def __init__(self, fake: Any, suffix: str, applied: bool) -> None:
        super().__init__(fake)
        self.suffix, self.applied, self.lost = suffix, applied, False

    def request(self, method, url, *args, **kwargs):
        from urllib.parse import urlsplit

        from flexorch.twilio_client import CreateOutcomeUnknown

        path = urlsplit(url).path
        if self.lost or method != "POST" or not path.endswith(self.suffix):
            return super().request(method, url, *args, **kwargs)
        self.lost = True
        if self.applied:
            super().request(method, url, *args, **kwargs)
        else:
            self.log.append((method, path, {}))
        raise CreateOutcomeUnknown(f"{method} {path}: the answer was HTTP 502")


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Fail, not hang, when the block runs longer than `seconds` (e.g. an alias bomb regressing)."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def fake_pulumi(project: Path, monkeypatch: Any, script: str) -> Path:
    """A `pulumi` first on PATH that runs `script` (sh) and records its arguments and folder."""
    path = project / "bin" / "pulumi"
    path.parent.mkdir(exist_ok=True)
    path.write_text(f'#!/bin/sh\necho "$PWD $*" >> "{project}/pulumi.calls"\n{script}\n')
    path.chmod(0o755)
    monkeypatch.setenv("PATH", f"{path.parent}{os.pathsep}{os.environ['PATH']}")
    return project / "pulumi.calls"


def as_provider_sees(args: Any) -> Any:
    """A registration as a flexorch provider sees it: the real provider's camelCase inputs
    snake_case (as `flexorch.provider.values.to_props` hands them over), so tests read both
    kinds of resource the same way."""
    import pulumi

    from flexorch.resources.resource import snake

    if not args.typ.startswith("flexorch:index:"):
        return args
    inputs = {snake(key): value for key, value in args.inputs.items()}
    return pulumi.runtime.MockResourceArgs(
        args.typ, args.name, inputs, args.provider, args.resource_id, args.custom
    )


def as_engine_sees(args: Any, outputs: dict[str, Any]) -> dict[str, Any]:
    """A provider's outputs as the engine holds them: camelCase for the real provider's."""
    from flexorch.resources.resource import camel

    if not args.typ.startswith("flexorch:index:"):
        return outputs
    return {camel(key): value for key, value in outputs.items()}


class Recorder:
    """Pulumi mocks that record every registered resource and hand back plausible outputs.

    Installed by the `mocks` fixture (conftest.py), whose monitor also records what each
    resource depends on (`depends`: name -> names, explicit `depends_on` and inputs alike).
    A `pulumi.runtime.Mocks` by protocol, so that importing this module does not load Pulumi.
    """

    def __init__(self) -> None:
        self.resources: list[Any] = []  # pulumi.runtime.MockResourceArgs, as providers see them
        self.provider_resources: list[Any] = []  # `flexorch.Provider`s, as registered
        self.outputs: dict[str, dict[str, Any]] = {}
        self.depends: dict[str, set[str]] = {}

    def new_resource(self, args: Any) -> tuple[str, dict[str, Any]]:
        if args.typ.startswith("pulumi:providers:"):
            self.provider_resources.append(args)
            return f"{args.name}-id", dict(args.inputs)
        args = as_provider_sees(args)
        self.resources.append(args)
        kind = args.typ.rsplit(":", 1)[-1]
        prefix = {"Workspace": "WS", "TaskQueue": "WQ", "Workflow": "WW", "TaskChannel": "TC",
                  "PhoneNumberRoute": "PN"}.get(kind, "XX")  # fmt: skip
        sid = prefix + format(len(self.resources), "032x")
        outputs = dict(args.inputs, sid=sid)
        if kind == "PhoneNumberRoute":
            outputs["phone_number"] = args.inputs["number"]
        self.outputs[args.name] = outputs
        return f"{args.name}-id", as_engine_sees(args, outputs)

    def call(self, args: Any) -> dict[str, Any]:
        return {}

    def register_transform(self, transform: Any) -> None:
        pass

    def register_invoke_transform(self, transform: Any) -> None:
        pass

    def of(self, kind: str) -> list[Any]:
        return [r for r in self.resources if r.typ.endswith(":" + kind)]

    def kind(self, name: str) -> str:
        """The type of the resource registered as `name`, without its module (`Workflow`)."""
        return next(r.typ.rsplit(":", 1)[-1] for r in self.resources if r.name == name)


def doctor_report(
    fake: Any, config: Any, *, sender: str | None = None, message: str | None = None
) -> Any:
    """`flexorch.doctor.run_doctor` on `fake` through an in-process client (stack "sandbox"):
    a walk of `message` or of `sender`'s latest message, else the config and hygiene sections.
    Asserts that it only read (GET)."""
    from twilio.rest import Client

    from flexorch import doctor
    from flexorch.sandbox.seed import ACCOUNT_SID, AUTH_TOKEN

    http = InProcessHttp(fake)
    client = Client(ACCOUNT_SID, AUTH_TOKEN, ACCOUNT_SID, http_client=http)
    result = doctor.run_doctor(config, client, stack="sandbox", message=message, sender=sender)
    assert {method for method, _path, _form in http.log} == {"GET"}
    return result


def counts_line(counts: dict[str, int], code: int) -> str:
    """The second line of doctor's and migrate's text: how many checks of each status."""
    warnings = counts.get("warn", 0)
    return (
        f"{counts.get('fail', 0)} failed, {warnings} warning{'' if warnings == 1 else 's'}, "
        f"{counts.get('pass', 0)} passed, {counts.get('skipped', 0)} skipped; exit {code}"
    )


def text_block(out: str, status: str, title: str) -> str:
    """A check's lines in doctor's or migrate's plain text, unwrapped into one: the line naming
    it under `status` (`FAIL`, `pass`), then the lines indented under it."""
    lines = out.splitlines()
    at = lines.index(f"{status.ljust(9)}{title}")
    block = [lines[at]]
    for line in lines[at + 1 :]:
        if not line.startswith(" " * 9):
            break
        block.append(line.strip())
    return " ".join(block)


def assert_read_only_and_valid(requests: list[dict[str, Any]]) -> None:
    """Requests a sandbox logged: some, every one a GET that Prism passed and the fake answered."""
    assert requests
    assert {r["method"] for r in requests} == {"GET"}
    assert [r for r in requests if r["status"] == 422] == []  # nothing Twilio's specs refuse
    assert {r["status"] for r in requests} == {200}  # and no 404


def second_of(text: str) -> str:
    """A record's time (ISO 8601 or RFC 2822 text) as doctor's text shows it: UTC, whole second."""
    from datetime import UTC, datetime
    from email.utils import parsedate_to_datetime

    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        when = parsedate_to_datetime(text)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Applying:
    """Pulumi mocks that run each resource's real provider `create` against a fake account.

    Every flexorch provider, found by its `kind` (the resource type's last part). A
    `pulumi.runtime.Mocks` by protocol, so that importing this module does not load Pulumi.
    """

    def __init__(self) -> None:
        import importlib
        import pkgutil

        import flexorch.resources
        from flexorch.resources.base import TwilioProvider

        self.providers: dict[str, Any] = {}
        for module in pkgutil.iter_modules(flexorch.resources.__path__):
            loaded = importlib.import_module(f"flexorch.resources.{module.name}")
            for value in vars(loaded).values():
                if (
                    isinstance(value, type)
                    and issubclass(value, TwilioProvider)
                    and value.__module__ == loaded.__name__
                    and "kind" in vars(value)
                ):
                    self.providers[value.kind] = value()

    def new_resource(self, args: Any) -> tuple[str, dict[str, Any]]:
        provider = self.providers.get(args.typ.rsplit(":", 1)[-1])
        if provider is None:  # the component itself, or the provider resource
            return f"{args.name}-id", {}
        args = as_provider_sees(args)
        props = {k: v for k, v in args.inputs.items() if k != "__provider"}
        created = provider.create(props)
        return created.id, as_engine_sees(args, created.outs)

    def call(self, args: Any) -> dict[str, Any]:
        return {}


# --- golden text: doctor's and migrate's plain output (scripts/regenerate-golden-text) -----------

TEXT_GOLDEN = ROOT / "tests" / "golden-text"
SANDBOX_SOURCE = "examples/Pulumi.sandbox.yaml"
# The command each golden text answers; README's Doctor section shows the first after it.
TEXT_COMMANDS = {
    "doctor-walk-step7-agent-not-member.txt": (
        "$ flexorch sandbox --scenario step7-agent-not-member  # then the exports it prints\n"
        f"$ flexorch doctor --config {SANDBOX_SOURCE} --from +15558675309\n"
    ),
    "doctor-config-all-pass.txt": (
        f"$ flexorch sandbox --scenario all-pass\n$ flexorch doctor --config {SANDBOX_SOURCE}\n"
    ),
    "migrate-flex-account.txt": (
        "$ flexorch sandbox --scenario flex-account\n"
        f"$ flexorch migrate --config {SANDBOX_SOURCE}\n"
    ),
}
README_TEXT = "doctor-walk-step7-agent-not-member.txt"


def text_goldens() -> dict[str, str]:
    """Each golden text file's content, rendered now: doctor and migrate on sandbox scenarios,
    plain at 80 columns. A run's duration varies, so the reports say 0.8 s."""
    from dataclasses import replace

    from twilio.rest import Client

    from flexorch.doctor import run_doctor
    from flexorch.doctor.text import render, write_report
    from flexorch.loading import load_stack_file
    from flexorch.migrate import run_migrate, write_migration
    from flexorch.sandbox import seed
    from flexorch.sandbox.platforms.programmable_chat import scenarios

    config = load_stack_file(ROOT / SANDBOX_SOURCE).config

    def client(fake: Any) -> tuple[Any, InProcessHttp]:
        http = InProcessHttp(fake)
        return Client(seed.ACCOUNT_SID, seed.AUTH_TOKEN, seed.ACCOUNT_SID, http_client=http), http

    def doctor(fake: Any, sender: str | None) -> str:
        twilio, http = client(fake)
        report = run_doctor(config, twilio, stack="sandbox", source=SANDBOX_SOURCE, sender=sender)
        report = replace(report, requests=len(http.log), seconds=0.8)
        return render(lambda out: write_report(out, report))

    def migrate(fake: Any) -> str:
        twilio, http = client(fake)
        found = run_migrate(
            config,
            twilio,
            stack="sandbox",
            source=SANDBOX_SOURCE,
            target=f"--config {SANDBOX_SOURCE}",
        )
        found = replace(found, report=replace(found.report, requests=len(http.log), seconds=0.8))
        return render(lambda out: write_migration(out, found))

    return {
        "doctor-walk-step7-agent-not-member.txt": doctor(
            scenarios.agent_not_member(), scenarios.CUSTOMER
        ),
        "doctor-config-all-pass.txt": doctor(scenarios.all_pass(), None),
        "migrate-flex-account.txt": migrate(seed.flex_account()),
    }


def readme_block(text: str) -> str:
    """README's Doctor example: the commands, then what doctor prints."""
    return f"```\n{TEXT_COMMANDS[README_TEXT]}{text}```\n"


def write_text_goldens() -> None:
    """Write tests/golden-text anew, and README's Doctor example from its first file."""
    import re

    goldens = text_goldens()
    TEXT_GOLDEN.mkdir(exist_ok=True)
    for stale in TEXT_GOLDEN.glob("*.txt"):
        stale.unlink()
    for name, text in goldens.items():
        (TEXT_GOLDEN / name).write_text(text, encoding="utf-8")
    readme = ROOT / "README.md"
    marker = f"<!-- scripts/regenerate-golden-text: tests/golden-text/{README_TEXT} -->\n"
    new, found = re.subn(
        re.escape(marker) + r"```\n.*?```\n",
        lambda _: marker + readme_block(goldens[README_TEXT]),
        readme.read_text(encoding="utf-8"),
        flags=re.DOTALL,
    )
    assert found == 1, f"README.md has no {marker.strip()} followed by a ``` block"
    readme.write_text(new, encoding="utf-8")


# Two components that between them declare every custom resource: Programmable Chat adopting a
# Workflow and a task channel with a fallback queue, and Conversations with its timers and the
# workspace's event callback.
SCHEMA_PROGRAMS: dict[str, dict[str, Any]] = {
    "chat": {
        "handler": {"url": "https://handler.example.com/flex"},
        "workspace": {"friendlyName": "Flex Task Assignment"},
        "workflow": {
            "sid": "WW" + "1" * 32,
            "queue": {"friendlyName": "Everyone"},
            "fallbackQueue": {"friendlyName": "Fallback"},
        },
        "taskChannels": [{"uniqueName": "custom1", "adopt": True}, {"uniqueName": "custom2"}],
        "chatService": {"sid": "IS" + "1" * 32},
        "numbers": ["+15005550006"],
        "flexFlows": "disable",
    },
    "conversations": {
        "platform": "conversations",
        "handler": {"url": "https://handler.example.com/flex"},
        "workspace": {
            "sid": "WS" + "1" * 32,
            "eventCallback": {"url": "https://handler.example.com/events"},
        },
        "chatService": {"sid": "IS" + "2" * 32},
        "numbers": ["+15005550007"],
        "conversationTimers": {"inactive": "PT5M", "closed": "PT10M"},
    },
}


def declared_resources() -> dict[str, tuple[list[dict[str, Any]], tuple[str, ...]]]:
    """Each custom resource's token -> the props SCHEMA_PROGRAMS declare it with, its inputs.

    Recorded as the component declares them for the real provider; run under Pulumi's mocks.
    """
    from flexorch.component import CustomMessaging
    from flexorch.provider.registry import PROVIDERS
    from flexorch.resources import resource

    seen: dict[str, list[dict[str, Any]]] = {}
    declare = resource.TwilioResource.__init__

    def recording(self: Any, name: str, props: Any, opts: Any = None) -> None:
        kind = self._resource_type_name.rsplit(":", 1)[-1]
        seen.setdefault(resource.token(kind), []).append(dict(props))
        declare(self, name, props, opts)

    resource.TwilioResource.__init__ = recording  # type: ignore[method-assign]
    try:
        for name, args in SCHEMA_PROGRAMS.items():
            CustomMessaging(name, args)
    finally:
        resource.TwilioResource.__init__ = declare  # type: ignore[method-assign]
    return {tok: (props, PROVIDERS[tok].inputs) for tok, props in seen.items()}


def write_schema() -> None:
    """flexorch/provider/schema.json from what the resources declare (scripts/regenerate-schema)."""
    import pulumi

    from flexorch.provider import schema

    built: dict[str, Any] = {}
    pulumi.runtime.set_mocks(Recorder(), project="schema", stack="schema")
    pulumi.runtime.test(lambda: built.update(schema.build(declared_resources())))()
    text = json.dumps(built, indent=2) + "\n"
    (ROOT / "flexorch" / "provider" / schema.SCHEMA_FILE).write_text(text, encoding="utf-8")
