"""The Flex UI side: render a stack's plugin files from `templates/` and write them safely.

The templates only render; what goes into them is decided here, in a small typed view of the
validated `StackConfig`. Every config value reaches the generated code through `tojson`.
"""

from __future__ import annotations

import difflib
import hashlib
import html
import json
import os
import re
import secrets
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

import jinja2
from pydantic.alias_generators import to_camel

from flexorch import __version__
from flexorch.config import (
    FLEX_ACTION_EVENTS,
    ORCHESTRATION_EVENTS,
    TASKROUTER,
    StackConfig,
    platform_rules,
)
from flexorch.errors import FlexorchError
from flexorch.twilio_facts import CONVERSATIONS, PROGRAMMABLE_CHAT

# templates/ sits at the repository root (the README's Layout); flexorch/templates links to it
# in a checkout and is a real folder inside the wheel, so the package loader finds it in both.
TEMPLATE_PACKAGE = ("flexorch", "templates")
MANIFEST = "flexorch-manifest.json"
GENERATOR = "flexorch"

Lang = Literal["js", "ts"]
LANGS: tuple[Lang, ...] = get_args(Lang)

# Output file -> template, per language. The TypeScript names follow the Flex plugin layout
# (`create-flex-plugin --typescript` keeps the plugin class in a .tsx file, plain modules in .ts).
OUTPUTS: dict[Lang, tuple[str, ...]] = {
    "js": ("CustomMessagingOrchestration.js", "CustomMessagingPlugin.js"),
    "ts": ("CustomMessagingOrchestration.ts", "CustomMessagingPlugin.tsx"),
}


@dataclass(frozen=True)
class PluginPlatform:
    """What the plugin files are on one platform; only this table names the platforms."""

    flex_ui: str
    """The Flex UI it runs, as the plugin class's header names it."""
    chat_orchestration: bool
    """Whether the code sets what Flex's ChatOrchestrator does for managed-channel tasks."""
    orchestration_suffix: str
    """Before the extension of the orchestration module's template name ("" or ".flexui2")."""
    flex_still_does: str = ""
    """The config field listing what Flex still does for managed-channel tasks, if any."""
    variants: Mapping[str, PluginPlatform] = field(default_factory=dict)
    """`flexorch:taskCreation` value -> the files of that variant, where it differs."""


# The files keep their names and export across the move to Flex UI 2.x, so a plugin's init does
# not change. Flex UI 2.x with Flex Conversations hears of new reservations through Flex's own
# events, so its orchestration module has templates of its own: the output's name with
# `.flexui2` before the extension. With taskCreation: interactions the Interactions API adds and
# removes the agent: nothing to override. With taskCreation: taskrouter (the handler's own
# orchestration) the module overrides what Flex does on accept, wrap-up and complete for the
# managed channels' tasks (`.flexui2-taskrouter`). The plugin class is the same everywhere.
PLUGIN_PLATFORMS = {
    PROGRAMMABLE_CHAT: PluginPlatform(
        "1.x", chat_orchestration=True, orchestration_suffix="", flex_still_does="orchestration"
    ),
    CONVERSATIONS: PluginPlatform(
        "2.x",
        chat_orchestration=False,
        orchestration_suffix=".flexui2",
        variants={
            TASKROUTER: PluginPlatform(
                "2.x",
                chat_orchestration=True,
                orchestration_suffix=".flexui2-taskrouter",
                flex_still_does="flex_actions",
            ),
        },
    ),
}


def plugin_platform(config: StackConfig) -> PluginPlatform:
    """The plugin files of the config's platform, and of its taskCreation variant if it has one."""
    platform = PLUGIN_PLATFORMS[config.platform]
    return platform.variants.get(config.task_creation, platform)


def templates_of(platform: PluginPlatform, lang: Lang) -> dict[str, str]:
    """Output file -> template name, on `platform` in `lang`."""
    orchestration, plugin = OUTPUTS[lang]
    stem, extension = orchestration.rsplit(".", 1)
    return {
        orchestration: f"{stem}{platform.orchestration_suffix}.{extension}.jinja",
        plugin: f"{plugin}.jinja",
    }


# The ChatOrchestrator reservation events flexorch overrides, in the order Flex fires them.
RESERVATION_EVENTS = ("accepted", "wrapup", "completed")

# JSON is valid JavaScript except for U+2028/U+2029 in strings (line terminators before ES2019,
# and inside comments still); `<`, `>` and `&` are escaped so that `</script>` or `<!--` never
# appear even when the code is inlined into HTML. Lone surrogates cannot be written as UTF-8.
_JS_UNSAFE = re.compile("[<>&\u2028\u2029\ud800-\udfff]")


def _escape_js(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def tojson(value: Any) -> str:
    """A JSON literal of `value` that is safe anywhere in JavaScript or TypeScript source.

    Raises:
        jinja2.UndefinedError: for an undefined template value (never rendered as `null`).
        TypeError: for a value JSON cannot represent.
    """
    if isinstance(value, jinja2.Undefined):
        str(value)  # StrictUndefined raises here, naming the missing value
        raise jinja2.UndefinedError("tojson got an undefined value")
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, allow_nan=False)
    return _JS_UNSAFE.sub(_escape_js, text)


def enum_member(value: Any) -> str:
    """A `flex.ChatOrchestratorEvent` member name, checked against the known members.

    The typings reject string values, so members are written as identifiers; only the names in
    `ORCHESTRATION_EVENTS` (Flex UI 1.x) and `FLEX_ACTION_EVENTS` (2.x) can get through, so
    nothing else is ever pasted into the code.
    """
    if value not in ORCHESTRATION_EVENTS + FLEX_ACTION_EVENTS:
        raise ValueError(f"{value!r} is not a ChatOrchestratorEvent member")
    return str(value)


FILTERS: dict[str, Any] = {"tojson": tojson, "enum_member": enum_member}


def make_env() -> jinja2.Environment:
    """The one Jinja environment that renders flexorch's templates."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader(*TEMPLATE_PACKAGE),
        undefined=jinja2.StrictUndefined,
        # The output is JavaScript, not HTML: HTML escaping would corrupt it (`&quot;` in a
        # string literal). Values are made safe by `tojson` instead.
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(FILTERS)
    return env


# --- what the templates see ------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelView:
    """One custom TaskChannel as the plugin code needs it."""

    unique_name: str
    flex_name: str
    channel_type: str | None


@dataclass(frozen=True)
class EventView:
    """The orchestrations Flex still runs for managed-channel tasks on one reservation event."""

    name: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class PluginView:
    """Everything the templates render, decided from the validated config.

    It holds the plugin settings only, never the stack's name or its Twilio-side settings
    (handler, numbers, workspace): stacks with the same plugin settings get byte-identical code,
    so one plugin build serves every Twilio account. The stack is named in the manifest only.
    """

    version: str
    lang: Lang
    flex_ui: str
    """The Flex UI the files are for (`1.x`, `2.x`), as the plugin class's header names it."""
    orchestration_file: str
    plugin_file: str
    channels: tuple[ChannelView, ...]
    chat_orchestration: bool
    """Whether the code overrides Flex's ChatOrchestrator: on Programmable Chat, and on
    Conversations with taskCreation: taskrouter."""
    events: tuple[EventView, ...]
    """The ChatOrchestrator events to override; none without chat orchestration."""
    flex_still_does: str
    """The config key (as users write it) the events come from; "" without chat orchestration."""
    auto_accept_attribute: str

    @property
    def orchestration_module(self) -> str:
        """The import path of the orchestration module from the plugin file."""
        return "./" + self.orchestration_file.rsplit(".", 1)[0]


def build_view(config: StackConfig, lang: Lang) -> PluginView:
    """The view of `config` that the templates of `lang` render."""
    orchestration_file, plugin_file = OUTPUTS[lang]
    platform = plugin_platform(config)
    flex_does = getattr(config, platform.flex_still_does) if platform.flex_still_does else None
    return PluginView(
        version=__version__,
        lang=lang,
        flex_ui=platform.flex_ui,
        orchestration_file=orchestration_file,
        plugin_file=plugin_file,
        channels=tuple(
            ChannelView(c.unique_name, c.effective_flex_name, c.channel_type)
            for c in config.task_channels
        ),
        chat_orchestration=platform.chat_orchestration,
        events=tuple(
            EventView(event, tuple(getattr(flex_does, event)))
            for event in (RESERVATION_EVENTS if flex_does is not None else ())
        ),
        flex_still_does=to_camel(platform.flex_still_does),
        auto_accept_attribute=config.auto_accept.attribute,
    )


# --- rendering -------------------------------------------------------------------------------


def sha256(data: str | bytes) -> str:
    """Hex SHA-256 of text (as UTF-8) or bytes."""
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def config_digest(config: StackConfig) -> str:
    """SHA-256 of the validated config as canonical JSON (sorted keys, defaults included)."""
    dump = config.model_dump(mode="json", by_alias=True)
    canonical = json.dumps(dump, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return sha256(canonical)


def render(config: StackConfig, stack_name: str, lang: Lang = "js") -> dict[str, str]:
    """The plugin files of a stack, file name -> text, manifest included; byte-for-byte stable.

    The code files depend on the plugin settings and the platform only (Flex UI 1.x on
    programmable-chat, 2.x on conversations, under the same file names); `stack_name` and the
    digest of the whole config go into the manifest.
    """
    if lang not in LANGS:
        raise FlexorchError(f"--lang {lang}: unknown language; use one of {', '.join(LANGS)}")
    view = build_view(config, lang)
    env = make_env()
    templates = templates_of(plugin_platform(config), lang)
    files = {name: env.get_template(templates[name]).render(view=view) for name in OUTPUTS[lang]}
    manifest = {
        "generator": GENERATOR,
        "flexorchVersion": __version__,
        "stack": stack_name,
        "lang": lang,
        "configSha256": config_digest(config),
        "files": {name: sha256(text) for name, text in sorted(files.items())},
    }
    rules = platform_rules(config.platform)
    if rules is not None and rules.dumped:
        # Written only off the default, so that Programmable Chat manifests stay as they were.
        manifest["platform"] = config.platform
    files[MANIFEST] = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return files


# --- writing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class WriteReport:
    """What `write_files` did."""

    written: tuple[Path, ...]
    removed: tuple[Path, ...]


def _read_manifest(folder: Path) -> dict[str, str] | None:
    """File name -> sha256 from a flexorch manifest in `folder`, or None if there is none."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("generator") != GENERATOR:
        return None
    files = data.get("files")
    if not isinstance(files, dict):
        return None
    return {str(k): str(v) for k, v in files.items() if "/" not in str(k)}


def _conflicts(
    files: Mapping[str, str], out: Path, owned: dict[str, str] | None
) -> tuple[list[str], list[str]]:
    """Existing paths in `out` that writing `files` would clobber: (always refused, forceable)."""
    blocked: list[str] = []
    foreign: list[str] = []
    for name, text in files.items():
        path = out / name
        if path.is_dir():
            blocked.append(f"{path}: is a folder; move it away, flexorch writes a file there")
            continue
        try:
            current = sha256(path.read_bytes())
        except FileNotFoundError:
            continue
        except OSError as exc:
            blocked.append(f"{path}: cannot be read ({exc.strerror}); check its permissions")
            continue
        if current == sha256(text):
            continue  # already the new content
        if owned is not None and (name == MANIFEST or owned.get(name) == current):
            continue  # flexorch wrote it and nobody edited it since
        foreign.append(
            f"{path}: was not written by flexorch (or was edited since); move it away, "
            "or use --force to overwrite it"
        )
    return blocked, foreign


def write_files(files: Mapping[str, str], out: Path, *, force: bool = False) -> WriteReport:
    """Write rendered files into `out` atomically, never clobbering files flexorch did not write.

    A file in `out` may be replaced when flexorch wrote it (its sha256 is in the manifest there)
    or when it already has the new content; anything else needs `force`. All files are written
    into a temporary folder next to `out` first and then moved in, so an error leaves no
    half-written folder. Files of an earlier render that this one no longer produces (e.g. after
    switching `--lang`) are removed when unchanged.

    Raises:
        FlexorchError: when `out` is not a folder, or would be clobbered without `force`.
    """
    if out.exists() and not out.is_dir():
        raise FlexorchError(f"{out}: is a file; --out needs a folder")
    owned = _read_manifest(out) if out.is_dir() else None
    blocked, foreign = _conflicts(files, out, owned)
    problems = blocked if force else blocked + foreign
    if problems:
        raise FlexorchError(problems)
    order = sorted(files, key=lambda name: (name == MANIFEST, name))  # manifest last
    written = tuple(out / name for name in order)
    removed: list[Path] = []
    # Next to `out`, so that moving in is a rename on the same file system.
    staging = out.parent / f".{out.name}.flexorch-{os.getpid()}-{secrets.token_hex(4)}.tmp"
    try:
        staging.mkdir(parents=True)
    except OSError as exc:
        raise FlexorchError(f"{out}: cannot be written ({exc.strerror}); check the path") from None
    try:
        for name in order:
            (staging / name).write_bytes(files[name].encode("utf-8"))
        if not out.exists():
            staging.rename(out)  # the whole folder appears at once
        else:
            # Each file is replaced atomically, the manifest last.
            for name in order:
                (staging / name).replace(out / name)
            for name, digest in sorted((owned or {}).items()):
                stale = out / name
                if name not in files and stale.is_file() and sha256(stale.read_bytes()) == digest:
                    stale.unlink()
                    removed.append(stale)
    except OSError as exc:
        raise FlexorchError(f"{out}: cannot be written ({exc.strerror}); check the path") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return WriteReport(written, tuple(removed))


# --- diffing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DiffReport:
    """A unified diff of rendered plugin files against a folder."""

    text: str
    changed: tuple[str, ...]


def _lines(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n\\ No newline at end of file\n"
    return lines


def diff_files(files: Mapping[str, str], folder: Path) -> DiffReport:
    """Unified diff from the plugin files in `folder` to freshly rendered `files`.

    The manifest is left out (its digests change with any config change); files the folder's
    manifest lists but this render does not produce show as deleted. A missing folder counts as
    empty, so a first render shows every file as new.

    Raises:
        FlexorchError: when `folder` is a file or a file in it cannot be read.
    """
    if folder.exists() and not folder.is_dir():
        raise FlexorchError(f"{folder}: is a file; --diff needs the folder of the plugin files")
    owned = _read_manifest(folder) or {}
    names = sorted((set(files) | set(owned)) - {MANIFEST})
    chunks: list[str] = []
    changed: list[str] = []
    for name in names:
        path = folder / name
        try:
            old = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None
        except OSError as exc:
            raise FlexorchError(f"{path}: cannot be read ({exc.strerror})") from None
        new = files.get(name)
        if old == new:
            continue
        changed.append(name)
        chunks.extend(
            difflib.unified_diff(
                _lines(old or ""),
                _lines(new or ""),
                fromfile=f"a/{name}" if old is not None else "/dev/null",
                tofile=f"b/{name}" if new is not None else "/dev/null",
            )
        )
    return DiffReport("".join(chunks), tuple(changed))


def diff_markdown(report: DiffReport, stack_name: str) -> str:
    """The diff as a collapsible `<details>` section for a pull-request comment."""
    stack = html.escape(stack_name)
    if not report.changed:
        return (
            f"<details>\n<summary>Flex plugin files of stack <code>{stack}</code>: no changes"
            "</summary>\n\nThe generated plugin files are up to date.\n\n</details>\n"
        )
    count = len(report.changed)
    files = ", ".join(f"<code>{html.escape(name)}</code>" for name in report.changed)
    # A fence longer than any run of backticks in the diff, so the diff cannot close it.
    longest = max((len(run) for run in re.findall("`+", report.text)), default=0)
    fence = "`" * max(3, longest + 1)
    return (
        f"<details>\n<summary>Flex plugin files of stack <code>{stack}</code>: "
        f"{count} file{'s' if count != 1 else ''} changed ({files})</summary>\n\n"
        f"{fence}diff\n{report.text}{fence}\n\n</details>\n"
    )
