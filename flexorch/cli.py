"""The `flexorch` command line: user errors print as-is with exit 2, never a traceback."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

# pydantic otherwise scans every installed package for plugins at import (~50 ms per command).
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

from flexorch import __version__  # noqa: E402
from flexorch.config import INTERACTIONS, PLATFORM_RULES, TASKROUTER, StackConfig  # noqa: E402
from flexorch.errors import FlexorchError  # noqa: E402
from flexorch.loading import LoadedStack, load_stack, load_stack_file, stack_file  # noqa: E402
from flexorch.routing import describe_target, target_selector  # noqa: E402

T = TypeVar("T")

# The highest TCP port number.
MAX_PORT = 65535


def _add_stack_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument(
        "--stack",
        metavar="NAME",
        help="read Pulumi.NAME.yaml from the project root; for a program that declares its "
        "components in code, the config a deployed component recorded in the stack's state",
    )
    group.add_argument("--config", metavar="FILE", type=Path, help="read this stack settings file")
    parser.add_argument(
        "--component",
        metavar="NAME",
        help="with --stack: the flexorch component of the stack's state to read (when its "
        "program declares several)",
    )


def _add_output_arguments(parser: argparse.ArgumentParser, json_help: str) -> None:
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help=json_help)
    output.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="in the text, each passing check's detail in full and its evidence",
    )


def load(args: argparse.Namespace) -> LoadedStack:
    """The validated stack named by --stack (and --component) or --config."""
    if args.config is not None:
        if args.component is not None:
            raise FlexorchError(
                "--component: reads a component from a stack's state, so it goes with --stack, "
                "not --config; drop one of them"
            )
        return load_stack_file(args.config)
    return load_stack(args.stack, args.component)


def summary(stack: LoadedStack) -> str:
    """One screen saying what the stack will manage, in the platform's own terms."""
    c: StackConfig = stack.config
    h, wf, chat = c.handler, c.workflow, c.chat_service
    platform = PLATFORM_RULES[c.platform]
    none = "none (Flex leaves the channel to the handler)"
    rows = [
        ("platform", platform.title),
        ("handler", f"{h.method} {h.url}"),
        ("  SMS webhook", platform.sms_route.format(url=h.effective_sms_url)),
        ("  chat webhooks", h.effective_chat_url),
        ("workspace", f"{c.workspace.describe()} (adopted, never deleted)"),
        *(
            [
                ("  event callback", f"{callback.url} (restored on destroy)"),
                ("    events", ", ".join(callback.events)),
            ]
            if (callback := c.workspace.event_callback)
            else []
        ),  # fmt: skip
        ("workflow", f'"{wf.friendly_name}" (owned)'),
        ("  routes", describe_target(target_selector(c))),
        ("  queue", f"{wf.queue.describe()}, reservation timeout {wf.reservation_timeout} s"),
        ("  fallback", wf.fallback_queue.describe() if wf.fallback_queue else "none"),
    ]
    for channel in c.task_channels:
        extra = f", also channelType {channel.channel_type!r}" if channel.channel_type else ""
        rows.append(
            (
                "task channel",
                f"{channel.unique_name} (Flex UI: {channel.effective_flex_name!r}{extra})",
            )
        )
    if not c.task_channels:
        rows.append(("task channels", "none"))
    events = ", ".join(chat.webhook_filters)
    rows += [
        ("chat service", platform.chat_service.format(sid=chat.sid)),
        (
            "  webhook events",
            platform.webhook_events.format(events=events, retries=chat.retry_count),
        ),
        ("numbers", ", ".join(c.numbers) if c.numbers else "none"),
        (
            "flex flows",
            "fail: an enabled Flex Flow on a managed number stops preview and up"
            if c.flex_flows == "fail"
            else "disable: conflicting Flex Flows are disabled, re-enabled on destroy",
        ),
        (
            "messaging svcs",
            "fail: a Messaging Service taking a managed number's SMS stops preview and up"
            if c.messaging_services == "fail"
            else "defer: such a service is made to defer to the number's webhook (when every "
            "number in it is managed), set back on destroy",
        ),
        (
            "twiml apps",
            "fail: a TwiML App on a managed number stops preview and up"
            if c.twiml_apps == "fail"
            else "detach: the app is removed from the number, attached again on destroy",
        ),
        ("auto-accept", f"tasks whose attribute {c.auto_accept.attribute!r} is true"),
    ]
    # A platform that offers taskCreation says what its variant does; the others keep their rows.
    variant = platform.task_creation.get(c.task_creation)
    orchestrator, still = platform.orchestrator, platform.flex_still_does
    if variant is not None:
        rows.append(("tasks created", variant.tasks))
        orchestrator, still = variant.orchestrator, variant.flex_still_does
    if orchestrator:
        rows.append(("orchestration", orchestrator))
    else:
        flex_does = getattr(c, still)
        for event in type(flex_does).model_fields:
            chosen = getattr(flex_does, event)
            rows.append((f"on {event}", ", ".join(chosen) if chosen else none))
    width = max(len(k) for k, _ in rows)
    lines = [f"Stack {stack.name} ({stack.source}) is valid. flexorch will manage:"]
    lines += [f"  {k.ljust(width)}  {v}" for k, v in rows]
    return "\n".join(lines)


def cmd_validate(args: argparse.Namespace) -> int:
    """Offline: validate the stack config and summarise it."""
    print(summary(load(args)))
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    """Offline: write the Flex plugin files of a stack, or diff them against a folder."""
    from flexorch import render

    if args.diff is not None and args.force:
        raise FlexorchError("--force only applies to --out; drop it")
    if args.out is not None and args.format == "markdown":
        raise FlexorchError("--format markdown only applies to --diff; drop it or use --diff DIR")
    stack = load(args)
    files = render.render(stack.config, stack.name, args.lang)
    if args.diff is not None:
        report = render.diff_files(files, args.diff)
        if args.format == "markdown":
            print(render.diff_markdown(report, stack.name), end="")
        else:
            print(report.text, end="")
        return 1 if report.changed else 0
    written = render.write_files(files, args.out, force=args.force)
    for path in written.written:
        print(f"wrote {path}")
    for path in written.removed:
        print(f"removed {path} (an earlier render wrote it; this one does not)")
    return 0


def cmd_sandbox(args: argparse.Namespace) -> int:
    """Run the embedded local Twilio until Ctrl-C."""
    import difflib
    import errno
    import signal
    import threading

    from flexorch.sandbox import catalogue, seed
    from flexorch.sandbox.server import PortUnavailable, Sandbox
    from flexorch.twilio_client import BASE_URL_ENV

    if args.scenario not in catalogue.SCENARIOS:
        guess = difflib.get_close_matches(args.scenario, list(catalogue.SCENARIOS), n=1)
        hint = f'did you mean "{guess[0]}"? Every scenario:' if guess else "use one of these:"
        raise FlexorchError(
            [f'--scenario: no scenario "{args.scenario}"; {hint}', *_scenario_lines()]
        )
    if not 0 <= args.latency <= 60_000:
        raise FlexorchError(f"--latency: {args.latency:g} ms; use 0 to 60000 milliseconds")
    if args.port is not None and not 0 <= args.port <= MAX_PORT:
        raise FlexorchError(
            f"--port: {args.port} is not a TCP port; use 1 to {MAX_PORT}, or 0 for a free one"
        )
    fake = catalogue.scenario(args.scenario)
    sandbox = Sandbox(fake, port=args.port, log_path=args.log, latency_ms=args.latency)
    try:
        sandbox.start()
    except PortUnavailable as exc:
        raise FlexorchError(
            f"--port: {exc.port} is already in use; stop what listens there, or pass --port 0 "
            "for a free one"
            if exc.errno == errno.EADDRINUSE
            else f"--port: cannot listen on {exc.port} ({exc.strerror}); choose another port, "
            "or pass --port 0 for a free one"
        ) from None
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        print(f"flexorch sandbox: a local Twilio at {sandbox.url} (scenario {args.scenario})")
        print(sandbox.checks)
        if args.latency:
            print(f"every answer {args.latency:g} ms late (--latency)")
        print("point a stack (or doctor) at it with:")
        print(f"  export {BASE_URL_ENV}={sandbox.url}")
        print(f"  export TWILIO_ACCOUNT_SID={seed.ACCOUNT_SID}")
        print(f"  export TWILIO_AUTH_TOKEN={seed.AUTH_TOKEN}   # a test credential, not a secret")
        print(f"request log (JSON lines): {sandbox.log_path}")
        print(seed.describe(fake))
        print("Ctrl-C to stop.", flush=True)
        try:
            stopped.wait()
        except KeyboardInterrupt:
            pass
    finally:
        sandbox.stop()
    return 0


def _scenario_groups() -> dict[str, list[str]]:
    """Scenario names: the seeded accounts, then doctor's and migrate's by platform, in order."""
    from flexorch.sandbox import catalogue
    from flexorch.sandbox.platforms import PLATFORMS

    titles = {name: p.title or PLATFORM_RULES[name].title for name, p in PLATFORMS.items()}
    groups = {f"doctor on {titles[n]}": [s.name for s in p.doctor] for n, p in PLATFORMS.items()}
    for name, platform in PLATFORMS.items():
        if platform.migrate:
            groups[f"migrate from {titles[name]}"] = [s.name for s in platform.migrate]
    grouped = {name for names in groups.values() for name in names}
    accounts = [name for name in catalogue.SCENARIOS if name not in grouped]
    return {"seeded Flex accounts": accounts, **groups}


def _scenario_lines() -> list[str]:
    """The sandbox's scenarios by platform, each on its own line with its description's first."""
    from flexorch.sandbox import catalogue

    width = max(map(len, catalogue.SCENARIOS))
    lines = []
    for heading, names in _scenario_groups().items():
        lines.append(f"{heading}:")
        for name in names:
            summary = (catalogue.SCENARIOS[name].__doc__ or "").strip().splitlines()[:1]
            lines.append(f"  {name.ljust(width)}  {' '.join(summary)}".rstrip())
    return lines


class _SandboxHelp(argparse.Action):
    """`sandbox --help` with the scenarios: the catalogue is imported only when asked for."""

    def __init__(self, option_strings: Sequence[str], dest: str, help: str | None = None) -> None:
        super().__init__(option_strings, argparse.SUPPRESS, nargs=0, help=help)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        parser.epilog = "\n".join(["scenarios (--scenario NAME):", *_scenario_lines()])
        parser.print_help()
        parser.exit()


def _doctor_target(message: str | None, sender: str | None) -> None:
    """Refuse a malformed --message or --from before anything is read."""
    from flexorch.config import E164
    from flexorch.twilio_facts import MESSAGE_SID

    if message is not None and not MESSAGE_SID.fullmatch(message):
        raise FlexorchError(
            f'--message: "{message}" is not a message SID; it is SM or MM followed by 32 hex '
            "digits (copy it from the Messaging logs)"
        )
    if sender is not None and not E164.fullmatch(sender):
        raise FlexorchError(
            f'--from: "{sender}" is not an E.164 number; write it like +15558675309 '
            "(a +, the country code and the number, no spaces)"
        )


def _live(
    args: argparse.Namespace,
    run: Callable[[LoadedStack, Any], T],
    error_document: Callable[..., dict[str, Any]],
    check_arguments: Callable[[], None] = lambda: None,
) -> T:
    """Load the stack and its credentials, then `run` a live, read-only command on them.

    For text, a spinner on stderr (a terminal's only) counts the reads while they run.
    With --json, a run that stops early (bad arguments or config: exit 2, Twilio unreachable:
    3) prints `error_document` too, whose `error` holds the same lines as stderr.
    """
    import json

    from flexorch import doctor
    from flexorch.loading import project_root, stack_name_of

    path: Path = args.config if args.config is not None else stack_file(args.stack)
    stack, source = stack_name_of(path), str(path)
    account_sid: str | None = None
    client = None
    try:
        check_arguments()
        loaded = load(args)
        stack, source = loaded.name, loaded.source
        credentials = doctor.find_credentials(path, args.stack, project_root())
        account_sid = credentials.account_sid
        client = doctor.reading_client(credentials)
        if args.json:
            return run(loaded, client)
        from flexorch.doctor.text import progress

        with progress(
            f"reading account {account_sid} at {doctor.endpoint()}",
            lambda: doctor.requests_made(client),
        ):
            return run(loaded, client)
    except FlexorchError as exc:
        if args.json:
            document = error_document(
                exc,
                stack=stack,
                source=source,
                endpoint=doctor.endpoint(),
                account_sid=account_sid,
                requests=doctor.requests_made(client),
            )
            print(json.dumps(document, indent=2))
        raise


def cmd_doctor(args: argparse.Namespace) -> int:
    """Live, read-only: the account checks and the walk of one message."""
    import json

    from flexorch import doctor

    def run(loaded: LoadedStack, client: Any) -> doctor.Report:
        return doctor.run_doctor(
            loaded.config,
            client,
            stack=loaded.name,
            source=loaded.source,
            message=args.message,
            sender=args.sender,
        )

    report = _live(
        args, run, doctor.error_document, lambda: _doctor_target(args.message, args.sender)
    )
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        from flexorch.doctor import text

        text.write_report(text.console(), report, verbose=args.verbose)
    return report.exit_code


def _target(args: argparse.Namespace) -> str:
    """How commands printed for the user name this stack (and component)."""
    if args.config is not None:
        return f"--config {args.config}"
    return f"--stack {args.stack}" + (f" --component {args.component}" if args.component else "")


def cmd_migrate(args: argparse.Namespace) -> int:
    """Live, read-only: what moving the stack onto Flex Conversations touches, and the plan."""
    import json

    from flexorch import migrate

    migration = _live(
        args,
        lambda loaded, client: migrate.run_migrate(
            loaded.config,
            client,
            stack=loaded.name,
            source=loaded.source,
            target=_target(args),
            task_creation=args.task_creation,
        ),
        migrate.error_document,
    )
    if args.json:
        print(json.dumps(migration.to_json(), indent=2))
    else:
        from flexorch.doctor.text import console

        migrate.write_migration(console(), migration, verbose=args.verbose)
    return migration.exit_code


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(
        prog="flexorch",
        description="Twilio Flex custom messaging orchestration as code.",
    )
    parser.add_argument("--version", action="version", version=f"flexorch {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    validate = commands.add_parser(
        "validate", help="check a stack config offline and summarise what it manages"
    )
    _add_stack_arguments(validate)
    validate.set_defaults(run=cmd_validate)

    render = commands.add_parser(
        "render", help="write the Flex UI plugin files of a stack, or diff them against a folder"
    )
    _add_stack_arguments(render)
    target = render.add_mutually_exclusive_group(required=True)
    target.add_argument("--out", metavar="DIR", type=Path, help="write the files into DIR")
    target.add_argument(
        "--diff",
        metavar="DIR",
        type=Path,
        help="write nothing; print a unified diff from the files in DIR to a fresh render "
        "(exit 0 no difference, 1 different)",
    )
    render.add_argument(
        "--lang",
        choices=("js", "ts"),
        default="js",
        help="JavaScript with JSDoc types (default) or TypeScript",
    )
    render.add_argument(
        "--force",
        action="store_true",
        help="with --out: overwrite files in DIR that flexorch did not write",
    )
    render.add_argument(
        "--format",
        choices=("text", "markdown"),
        default="text",
        help="with --diff: a plain unified diff (default) or a collapsible pull-request comment",
    )
    render.set_defaults(run=cmd_render)

    sandbox = commands.add_parser(
        "sandbox",
        help="run a local, contract-checked, stateful Twilio seeded like a Flex account",
        add_help=False,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sandbox.add_argument(
        "-h", "--help", action=_SandboxHelp, help="show this help and the scenarios, then exit"
    )
    sandbox.add_argument(
        "--scenario",
        default="flex-account",
        metavar="NAME",
        help="what the account looks like: flex-account (default), all-pass, or one broken "
        "step or hygiene check for the doctor; conversations-* the same on Flex Conversations "
        "(listed below)",
    )
    sandbox.add_argument("--port", type=int, default=None, help="port to listen on (default: free)")
    sandbox.add_argument("--log", type=Path, default=None, help="request log file (JSON lines)")
    sandbox.add_argument(
        "--latency",
        type=float,
        default=0,
        metavar="MS",
        help="answer every request MS milliseconds late, as a distant Twilio would "
        "(concurrent requests overlap; default 0)",
    )
    sandbox.set_defaults(run=cmd_sandbox)

    doctor = commands.add_parser(
        "doctor",
        help="check a stack's Twilio account live and read-only; walk one message to its agent",
        description=(
            "Without --message/--from: checks the stack's numbers, chat service, workspace, "
            "Workflow, task channels and workers. With one: walks that message through "
            "Flex's messaging checklist (nine steps on Programmable Chat, seven on Flex "
            "Conversations). Account hygiene is always checked. "
            "Exit 0 all pass (warnings allowed), 1 a check failed, 2 bad config or arguments, "
            "3 Twilio unreachable or credentials rejected."
        ),
    )
    _add_stack_arguments(doctor)
    target = doctor.add_mutually_exclusive_group()
    target.add_argument("--message", metavar="SM...", help="the inbound message to walk")
    target.add_argument(
        "--from",
        dest="sender",
        metavar="+E164",
        help="walk the latest inbound message from this customer to a managed number",
    )
    _add_output_arguments(doctor, "print the report as a JSON document")
    doctor.set_defaults(run=cmd_doctor)
    migrate = commands.add_parser(
        "migrate",
        help="plan a stack's move from Programmable Chat onto Flex Conversations (read-only)",
        description=(
            "Reads the account live (GET only): each managed number's handling, conversations "
            "in flight, the Flex UI version, chat users near the channel limit; then prints "
            "Twilio's two ways onto it, each with what changes in the handler, its plan and "
            "rollback (the recommended one first; --task-creation picks one). Exit 0 ready, 1 "
            "blockers found (each with its fix), 2 bad config or arguments, 3 Twilio "
            "unreachable or credentials rejected."
        ),
    )
    _add_stack_arguments(migrate)
    migrate.add_argument(
        "--task-creation",
        choices=(INTERACTIONS, TASKROUTER),
        help=(
            "plan only this path: interactions (a: the handler creates Interactions, Flex adds "
            "and removes the agent) or taskrouter (b: the handler keeps creating TaskRouter "
            "tasks, the plugin overrides accept, wrap-up and complete); default both, "
            "recommending taskrouter"
        ),
    )
    _add_output_arguments(migrate, "print it as a JSON document")
    migrate.set_defaults(run=cmd_migrate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except FlexorchError as exc:
        for line in exc.problems:
            print(line, file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`flexorch validate ... | head`): not an error worth a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
