"""`flexorch render`: the generated Flex plugin files, byte for byte and under their own tools.

Golden files live in tests/golden/<stack>/<lang>/; these tests only compare them. After an
intended change, regenerate them with `scripts/regenerate-golden` and review the diff.
Node, tsc and the plugin builds (Flex UI 1.x for programmable-chat, Flex UI 2.x for
conversations) come from `scripts/setup`; without them these tests fail (never skip), saying so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jinja2
import pytest
from helpers import EXAMPLES, ROOT, flexorch, minimal_config, write_stack

from flexorch import __version__
from flexorch.config import TASKROUTER, StackConfig, parse_config
from flexorch.errors import FlexorchError
from flexorch.loading import load_stack_file
from flexorch.render import (
    LANGS,
    MANIFEST,
    OUTPUTS,
    PLUGIN_PLATFORMS,
    Lang,
    config_digest,
    diff_files,
    diff_markdown,
    make_env,
    render,
    sha256,
    templates_of,
    tojson,
    write_files,
)
from flexorch.twilio_facts import CONVERSATIONS, PLATFORMS, PROGRAMMABLE_CHAT

GOLDEN = ROOT / "tests" / "golden"
JS_TESTS = ROOT / "tests" / "js"
REGENERATE = "scripts/regenerate-golden"
SETUP = "run scripts/setup (it installs the Node toolchain and the Flex plugin project)"

# Adversarial text for every free-text field: quotes, backslashes, </script>, ${} and
# backticks, U+2028/U+2029, control characters, comment and CDATA closers, non-ASCII.
NASTY = (
    'Kunde "VIP" \\ Kanal </script> ü',
    'a"b</script>\\',
    "${globalThis.pwned = 1} `backtick` ${'x'}",
    "line\u2028separator\u2029paragraph",
    "new\nline\r\ttab \x00 nul",
    "*/ /* <!-- --> ]]> \\u0041 \\x41 & &amp;",
    "😀 emoji, Ω, 中文",
)
NASTY_ATTRIBUTE = "auto \"answer' </script>\u2028${x}\\"
NASTY_STACK = 'st"ack </script>\u2028${x} */'


# What each plugin variant lets Flex still do for managed-channel tasks, non-empty to show it
# comes out; conversations with taskCreation: interactions has neither key (validation refuses).
FLEX_STILL_DOES = {
    (PROGRAMMABLE_CHAT, None): {
        "orchestration": {"accepted": ["AddToChatChannel"], "completed": ["LeaveChatChannel"]}
    },
    (CONVERSATIONS, None): {},
    (CONVERSATIONS, TASKROUTER): {
        "taskCreation": TASKROUTER,
        "flexActions": {"wrapup": ["DeactivateConversation"], "completed": ["LeaveConversation"]},
    },
}
# The argument record.mjs takes for each variant's fakes.
RECORD_AS = {
    (PROGRAMMABLE_CHAT, None): PROGRAMMABLE_CHAT,
    (CONVERSATIONS, None): CONVERSATIONS,
    (CONVERSATIONS, TASKROUTER): f"{CONVERSATIONS}-{TASKROUTER}",
}


def nasty_config(
    platform: str = PROGRAMMABLE_CHAT, task_creation: str | None = None
) -> StackConfig:
    """A valid config with adversarial text in every free-text field."""
    return parse_config(
        minimal_config(
            platform=platform,
            workspace={"friendlyName": NASTY[0]},
            workflow={
                "friendlyName": NASTY[1],
                "queue": {"friendlyName": NASTY[2]},
                "fallbackQueue": {"friendlyName": NASTY[3]},
            },
            taskChannels=[
                {
                    "uniqueName": f"custom{i}",
                    "friendlyName": text.replace("-", "_"),  # TaskRouter refuses hyphens there
                    "flexName": text,
                    "channelType": text,
                }
                for i, text in enumerate(NASTY)
            ]
            + [{"uniqueName": "plain_channel", "flexName": "plain-channel"}],
            autoAccept={"attribute": NASTY_ATTRIBUTE},
            **FLEX_STILL_DOES[platform, task_creation],
        )
    )


def example_id(path: Path) -> str:
    return path.name.removeprefix("Pulumi.").removesuffix(".yaml")


def stacks_on(platform: str) -> list[tuple[str, StackConfig]]:
    """The example stacks and good configs on `platform`, and the adversarial config on it."""
    stacks = [(example_id(p), load_stack_file(p).config) for p in EXAMPLES]
    stacks += [(f"good_configs-{p.stem}", load_stack_file(p).config)
               for p in sorted((ROOT / "tests" / "good_configs").glob("*.yaml"))]  # fmt: skip
    for on, task_creation in FLEX_STILL_DOES:
        name = f"injection-{task_creation}" if task_creation else "injection"
        stacks.append((name, nasty_config(on, task_creation)))
    on_platform = [(name, config) for name, config in stacks if config.platform == platform]
    assert len({name for name, _ in on_platform}) == len(on_platform), "names must be unique"
    return on_platform


def write_tree(folder: Path, files: dict[str, str]) -> Path:
    """Write rendered files as they are, plus a package.json so Node loads .js as ES modules."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_bytes(text.encode("utf-8"))
    (folder / "package.json").write_text('{"type": "module"}\n')
    return folder


def read_tree(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


# --- tools ----------------------------------------------------------------------------------------


def node() -> str:
    path = shutil.which("node")
    if path is None:
        pytest.fail(f"node is not on PATH; install Node 20 and {SETUP}", pytrace=False)
    return path


def tsc() -> Path:
    path = ROOT / "node_modules" / ".bin" / "tsc"
    if not path.exists():
        pytest.fail(f"{path} is missing; {SETUP}", pytrace=False)
    return path


def flex_plugin_project(flexui2: bool = False) -> Path:
    """The cached create-flex-plugin project: Flex UI 1.x, or Flex UI 2.x with `flexui2`."""
    cache = Path(os.environ.get("FLEXORCH_FLEX_PLUGIN_CACHE", ROOT / ".cache" / "flex-plugin"))
    name, flag = ("plugin-flexorch-ui2", ["--flexui2"]) if flexui2 else ("plugin-flexorch", [])
    if not (cache / name / "node_modules" / ".bin" / "flex-plugin").exists():
        pytest.fail(
            f"the cached Flex plugin project {name} is missing under {cache}; {SETUP}, "
            f"or run scripts/install-flex-plugin-project {' '.join(flag)}".rstrip(),
            pytrace=False,
        )
    done = run([str(ROOT / "scripts" / "install-flex-plugin-project"), *flag], timeout=900)
    assert done.returncode == 0, done.stderr
    return Path(done.stdout.strip())


def run(
    argv: list[str], cwd: Path | None = None, env: dict[str, str] | None = None, timeout: int = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv,
        cwd=cwd or ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
    )


# --- golden files and determinism -----------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("example", EXAMPLES, ids=example_id)
def test_golden(example: Path, lang: Lang) -> None:
    stack = load_stack_file(example)
    rendered = {k: v.encode("utf-8") for k, v in render(stack.config, stack.name, lang).items()}
    folder = GOLDEN / stack.name / lang
    assert folder.is_dir(), f"no golden files in {folder}; run {REGENERATE}"
    golden = read_tree(folder)
    assert sorted(golden) == sorted(rendered), f"not the same files as {folder}; run {REGENERATE}"
    for name, data in rendered.items():
        assert data.decode() == golden[name].decode(), f"{name} differs from {folder / name}"


def test_every_example_stack_has_golden_files() -> None:
    stacks = {example_id(p) for p in EXAMPLES}
    assert stacks and stacks == {p.name for p in GOLDEN.iterdir() if p.is_dir()}


@pytest.mark.parametrize("example", ["prod", "conversations"])
def test_rendering_twice_gives_identical_bytes_even_across_processes(
    tmp_path: Path, example: str
) -> None:
    config = load_stack_file(ROOT / "examples" / f"Pulumi.{example}.yaml").config
    nasty = nasty_config(config.platform)
    for lang in LANGS:
        assert render(nasty, NASTY_STACK, lang) == render(nasty, NASTY_STACK, lang)
    outputs = []
    for seed in ("0", "1"):
        out = tmp_path / f"out{seed}"
        done = run(
            [sys.executable, "-m", "flexorch.cli", "render", "--config",
             f"examples/Pulumi.{example}.yaml", "--out", str(out)],
            env={"PYTHONHASHSEED": seed},
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        outputs.append(read_tree(out))
    assert outputs[0] == outputs[1]


@pytest.mark.parametrize("lang", LANGS)
def test_manifest_names_stack_config_version_and_each_file_hash(lang: Lang) -> None:
    stack = load_stack_file(ROOT / "examples" / "Pulumi.dev.yaml")
    files = render(stack.config, "dev", lang)
    assert sorted(files) == sorted([*OUTPUTS[lang], MANIFEST])
    manifest = json.loads(files[MANIFEST])
    assert manifest == {
        "generator": "flexorch",
        "flexorchVersion": __version__,
        "stack": "dev",
        "lang": lang,
        "configSha256": config_digest(stack.config),
        "files": {name: sha256(files[name]) for name in OUTPUTS[lang]},
    }
    for name in OUTPUTS[lang]:
        generated = (
            f"// Generated by flexorch {__version__} from flexorch:taskChannels, autoAccept and"
        )
        lines = files[name].splitlines()
        assert lines[lines.index(generated) + 1] == (
            "// orchestration. Do not edit: change the stack config and run `flexorch render` "
            "again."
        )
        assert "dev" not in files[name]


@pytest.mark.parametrize("lang", LANGS)
def test_conversations_files_say_flex_ui_2_and_the_manifest_names_the_platform(lang: Lang) -> None:
    stack = load_stack_file(ROOT / "examples" / "Pulumi.conversations.yaml")
    files = render(stack.config, "conversations", lang)
    assert sorted(files) == sorted([*OUTPUTS[lang], MANIFEST])
    assert json.loads(files[MANIFEST]) == {
        "generator": "flexorch",
        "flexorchVersion": __version__,
        "stack": "conversations",
        "lang": lang,
        "platform": "conversations",
        "configSha256": config_digest(stack.config),
        "files": {name: sha256(files[name]) for name in OUTPUTS[lang]},
    }
    orchestration, plugin = OUTPUTS[lang]
    purposes = {
        orchestration: "custom messaging for Flex UI 2.x (Flex Conversations).",
        plugin: "a complete Flex UI 2.x plugin for a new plugin project.",
    }
    for name, purpose in purposes.items():
        lines = files[name].splitlines()
        first = lines.index(f"// {name}: {purpose}")
        assert lines[first + 1 : first + 3] == [
            f"// Generated by flexorch {__version__} from flexorch:taskChannels and autoAccept, "
            "for",
            "// Flex Conversations. Do not edit: change the stack config and run `flexorch render` "
            "again.",
        ]
        code = [line for line in lines if not line.lstrip().startswith(("//", "/*", "*"))]
        assert [line for line in code if "ChatOrchestrator" in line] == []
    assert "export default function applyCustomMessagingOrchestration(" in files[orchestration]


def test_the_platform_changes_the_digest_only_off_its_default() -> None:
    """1.x manifests stay as earlier releases wrote them (the goldens too); conversations counts."""
    chat = parse_config(minimal_config())
    explicit = parse_config(minimal_config(platform="programmable-chat"))
    conversations = parse_config(minimal_config(platform="conversations"))
    assert config_digest(chat) == config_digest(explicit) != config_digest(conversations)


PLUGIN_SETTINGS = {
    "taskChannels": [{"uniqueName": "custom1", "flexName": "my-chat", "channelType": "custom"}],
    "autoAccept": {"attribute": "autoAnswer"},
    "orchestration": {"wrapup": ["DeactivateChatChannel"]},
}


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("lang", LANGS)
def test_code_is_the_same_for_every_stack_with_the_same_plugin_settings(
    lang: Lang, platform: str
) -> None:
    """One plugin build serves every Twilio account: only the manifest names the stack."""
    settings: dict[str, Any] = {**PLUGIN_SETTINGS, "platform": platform}
    chat_service: dict[str, Any] = {"sid": "IS" + "1" * 32}
    if platform == CONVERSATIONS:  # which refuses orchestration and retryCount
        del settings["orchestration"]
    else:
        chat_service["retryCount"] = 3
    dev = parse_config(minimal_config(**settings))
    prod = parse_config(
        minimal_config(
            handler={"url": "https://handler-prod.example.com/flex", "method": "GET"},
            workspace={"sid": "WS" + "1" * 32},
            workflow={"reservationTimeout": 30, "queue": {"friendlyName": "Sales"}},
            chatService=chat_service,
            numbers=["+15005550006", "+15005550009"],
            flexFlows="disable",
            **settings,
        )
    )
    dev_files, prod_files = render(dev, "dev", lang), render(prod, "prod", lang)
    for name in OUTPUTS[lang]:
        assert dev_files[name].encode() == prod_files[name].encode(), name
    dev_manifest, prod_manifest = json.loads(dev_files[MANIFEST]), json.loads(prod_files[MANIFEST])
    assert (dev_manifest["stack"], prod_manifest["stack"]) == ("dev", "prod")
    assert dev_manifest["configSha256"] == config_digest(dev) != config_digest(prod)
    assert prod_manifest["configSha256"] == config_digest(prod)
    assert dev_manifest["files"] == prod_manifest["files"]


def test_config_digest_ignores_spelling_but_not_values() -> None:
    a = parse_config(minimal_config(handler={"url": "https://h.example.com/x", "method": "post"}))
    b = parse_config(minimal_config(handler={"method": "POST", "url": "https://h.example.com/x"}))
    c = parse_config(minimal_config(handler={"url": "https://h.example.com/y"}))
    assert config_digest(a) == config_digest(b) != config_digest(c)


def test_templates_are_named_after_their_outputs() -> None:
    """`<output>.jinja`, or `<stem>.flexui2[-<taskCreation>].<ext>.jinja` for a Flex UI 2.x file."""
    names = {p.name for p in (ROOT / "templates").iterdir()}
    assert sorted(PLUGIN_PLATFORMS) == sorted(PLATFORMS)
    assert sorted(PLUGIN_PLATFORMS[CONVERSATIONS].variants) == [TASKROUTER]
    used = set()
    every = {
        (platform, variant, lang): templates_of(plugin, lang)
        for platform in PLATFORMS
        for variant, plugin in [
            ("", PLUGIN_PLATFORMS[platform]),
            *PLUGIN_PLATFORMS[platform].variants.items(),
        ]  # fmt: skip
        for lang in LANGS
    }
    for (platform, variant, lang), templates in every.items():
        assert sorted(templates) == sorted(OUTPUTS[lang]), (platform, lang)
        for output, template in templates.items():
            stem, ext = output.split(".", 1)
            allowed = {f"{output}.jinja"}
            if platform == CONVERSATIONS:
                allowed.add(f"{stem}.flexui2{'-' + variant if variant else ''}.{ext}.jinja")
            assert template in allowed, (platform, output, template)
            used.add(template)
    assert used <= names, used - names
    assert all(n.startswith("_macros.") for n in names - used), names - used
    # The 1.x and 2.x orchestration modules are different templates; the plugin class is one.
    conversations = every[CONVERSATIONS, "", "js"]
    assert conversations["CustomMessagingOrchestration.js"] == (
        "CustomMessagingOrchestration.flexui2.js.jinja"
    )
    assert every[CONVERSATIONS, TASKROUTER, "js"]["CustomMessagingOrchestration.js"] == (
        "CustomMessagingOrchestration.flexui2-taskrouter.js.jinja"
    )
    assert conversations["CustomMessagingPlugin.js"] == "CustomMessagingPlugin.js.jinja"


# --- the tojson filter and the environment --------------------------------------------------------


def test_tojson_escapes_what_breaks_out_of_js_or_html() -> None:
    assert tojson('a"b</script>\\') == '"a\\"b\\u003c/script\\u003e\\\\"'
    assert tojson("x\u2028y\u2029z & ü") == '"x\\u2028y\\u2029z \\u0026 ü"'
    assert tojson({"b": 1, "a": None}) == '{"a": null, "b": 1}'
    assert json.loads(tojson(NASTY)) == list(NASTY)


def test_undefined_values_fail_loudly() -> None:
    env = make_env()
    with pytest.raises(jinja2.UndefinedError, match="nope"):
        env.from_string("{{ nope|tojson }}").render()
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ view.nope }}").render(view=object())
    with pytest.raises(ValueError, match="not a ChatOrchestratorEvent"):
        env.from_string("{{ x|enum_member }}").render(x="AddToChatChannel; alert(1)")


def test_unknown_lang_is_a_user_error() -> None:
    with pytest.raises(FlexorchError, match="--lang py: unknown language"):
        render(nasty_config(), "x", "py")  # type: ignore[arg-type]


# --- injection: adversarial strings come out exactly ----------------------------------------------


@pytest.mark.parametrize("variant", FLEX_STILL_DOES, ids=RECORD_AS.get)
def test_adversarial_strings_parse_and_register_exactly(
    tmp_path: Path, variant: tuple[str, str | None]
) -> None:
    config = nasty_config(*variant)
    for lang in LANGS:
        files = render(config, NASTY_STACK, lang)
        for name in OUTPUTS[lang]:
            text = files[name]
            for bad in ("\u2028", "\u2029", "</script", "<!--", "\x00"):
                assert bad not in text, f"{name} contains {bad!r} unescaped"
    folder = write_tree(tmp_path / "nasty", render(config, NASTY_STACK, "js"))
    for name in OUTPUTS["js"]:
        done = run([node(), "--check", str(folder / name)])
        assert done.returncode == 0, done.stderr

    channels = config.task_channels
    probes = [{"taskChannelUniqueName": c.unique_name, "channelType": "x"} for c in channels]
    probes += [{"taskChannelUniqueName": "chat", "channelType": c.channel_type} for c in channels]
    probes_file = tmp_path / "probes.json"
    probes_file.write_text(json.dumps(probes), encoding="utf-8")
    module = folder / "CustomMessagingOrchestration.js"
    done = run(
        [node(), str(JS_TESTS / "record.mjs"), str(module), str(probes_file), RECORD_AS[variant]]
    )
    assert done.returncode == 0, done.stderr
    recorded = json.loads(done.stdout)

    assert recorded["registered"] == [*NASTY, "plain-channel"]
    n = len(channels)
    by_unique_name = [[i == j for j in range(n)] for i in range(n)]
    by_channel_type = [[i == j and c.channel_type is not None for j in range(n)]
                       for i, c in enumerate(channels)]  # fmt: skip
    assert recorded["claims"] == by_unique_name + by_channel_type
    assert recorded["attributeReads"] == [NASTY_ATTRIBUTE]
    assert recorded["actions"] == [
        ["AcceptTask", {"sid": "WR0001"}],
        ["SelectTask", {"sid": "WR0001"}],
    ]


# --- behaviour under node --test ------------------------------------------------------------------


def plugin_flex_does(config: StackConfig) -> Any:
    """What Flex still does for managed-channel tasks: orchestration, or flexActions."""
    return config.flex_actions if node_variant(config) != config.platform else config.orchestration


def expectations(config: StackConfig) -> dict[str, Any]:
    """What the generated module must do for `config`, straight from the config."""
    # On conversations the config has no orchestration (validation refuses it): all empty.
    return {
        "channels": [
            {
                "uniqueName": c.unique_name,
                "flexName": c.flex_name if c.flex_name is not None else c.unique_name,
                "channelType": c.channel_type,
            }
            for c in config.task_channels
        ],
        "orchestrations": {
            event: list(getattr(plugin_flex_does(config), event))
            for event in ("accepted", "wrapup", "completed")
        },
        "autoAcceptAttribute": config.auto_accept.attribute,
    }


# The fewest node tests one rendered module gets, per platform (orchestration.test.mjs for
# programmable-chat, conversations.test.mjs for conversations; more with more channels).
NODE_TESTS_PER_MODULE = {PROGRAMMABLE_CHAT: 25, CONVERSATIONS: 18, "conversations-taskrouter": 6}


def node_variant(config: StackConfig) -> str:
    """Which node test file takes a config's module: its platform, or platform-taskCreation."""
    variant = config.task_creation in PLUGIN_PLATFORMS[config.platform].variants
    return f"{config.platform}-{config.task_creation}" if variant else config.platform


def test_generated_module_behaves_under_node_test(tmp_path: Path) -> None:
    cases = []
    for platform in PLATFORMS:
        for name, config in stacks_on(platform):
            folder = write_tree(tmp_path / platform / name, render(config, name, "js"))
            module = str(folder / "CustomMessagingOrchestration.js")
            cases.append(
                {
                    "name": f"{name} ({platform})",
                    "platform": node_variant(config),
                    "module": module,
                    "expect": expectations(config),
                }
            )
    assert {case["platform"] for case in cases} == set(NODE_TESTS_PER_MODULE)
    cases_file = tmp_path / "cases.json"
    cases_file.write_text(json.dumps(cases), encoding="utf-8")
    tests = sorted(str(p) for p in JS_TESTS.glob("*.test.mjs"))
    done = run(
        [node(), "--test", "--test-reporter=tap", *tests],
        env={"FLEXORCH_JS_CASES": str(cases_file)},
        timeout=300,
    )
    summary = {
        key: int(value)
        for key, _, value in (
            line[2:].partition(" ") for line in done.stdout.splitlines() if line.startswith("# ")
        )
        if value.isdigit()
    }
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr
    assert summary.get("fail") == 0 and summary.get("cancelled", 0) == 0, summary
    least = sum(NODE_TESTS_PER_MODULE[case["platform"]] for case in cases)
    assert summary.get("pass", 0) >= least, f"too few node tests ran: {summary}"


# --- tsc against @twilio/flex-ui 1.34.6 -----------------------------------------------------------


def test_generated_code_type_checks(tmp_path: Path) -> None:
    stacks = stacks_on(PROGRAMMABLE_CHAT)
    for name, config in stacks:
        for lang in LANGS:
            write_tree(tmp_path / "src" / name / lang, render(config, name, lang))
    tsconfig = tmp_path / "tsconfig.json"
    tsconfig.write_text(
        json.dumps(
            {
                "extends": str(JS_TESTS / "tsconfig.json"),
                # Stricter than the base: what the Flex TypeScript template uses, and no dead code.
                "compilerOptions": {
                    "isolatedModules": True,
                    "noUnusedLocals": True,
                    "noUnusedParameters": True,
                    "noImplicitReturns": True,
                },
                "include": [str(tmp_path / "src")],
            }
        )
    )
    done = run([str(tsc()), "-p", str(tsconfig), "--pretty", "false", "--listFiles"])
    errors = [line for line in done.stdout.splitlines() if "error TS" in line]
    assert done.returncode == 0 and not errors, "\n".join(errors) + done.stderr
    checked = [line for line in done.stdout.splitlines() if line.startswith(str(tmp_path))]
    assert len(checked) == 2 * len(LANGS) * len(stacks), checked


# --- tsc against @twilio/flex-ui 2.x (the @twilio/flex-ui-2 alias) --------------------------------


def test_generated_flexui2_code_type_checks(tmp_path: Path) -> None:
    """The conversations files type-check against Flex UI 2.x; the 1.x files do not (canary)."""
    stacks = stacks_on(CONVERSATIONS)
    for name, config in stacks:
        for lang in LANGS:
            write_tree(tmp_path / "src" / name / lang, render(config, name, lang))
    canary = tmp_path / "src" / "canary-flexui1"
    prod = load_stack_file(ROOT / "examples" / "Pulumi.prod.yaml")
    write_tree(canary, render(prod.config, prod.name, "ts"))
    # Flex UI 2.x's own dependencies resolve from where npm put them (tsconfig.flexui2.json).
    (tmp_path / "node_modules").symlink_to(ROOT / "node_modules", target_is_directory=True)
    tsconfig = tmp_path / "tsconfig.json"
    tsconfig.write_text(
        json.dumps(
            {
                "extends": str(JS_TESTS / "tsconfig.flexui2.json"),
                "compilerOptions": {
                    "isolatedModules": True,
                    "noUnusedLocals": True,
                    "noUnusedParameters": True,
                    "noImplicitReturns": True,
                },
                "include": [str(tmp_path / "src")],
            }
        )
    )
    done = run([str(tsc()), "-p", str(tsconfig), "--pretty", "false", "--listFiles"])
    lines = done.stdout.splitlines()
    errors = [line for line in lines if "error TS" in line]
    # tsc names the file of an error relative to the folder it runs in (the repository).
    outside = [e for e in errors if canary not in (ROOT / e.split("(", 1)[0]).resolve().parents]
    assert outside == [], "\n".join(errors)
    # Flex UI 2.x's typings, not 1.x's: manager.workerClient may be undefined there.
    assert any("'manager.workerClient' is possibly 'undefined'" in e for e in errors), errors
    files = set(lines)
    assert str(ROOT / "node_modules/@twilio/flex-ui-2/src/index.d.ts") in files
    assert str(ROOT / "node_modules/@twilio/flex-ui/src/index.d.ts") not in files
    assert str(ROOT / "node_modules/@types/react-17/index.d.ts") in files
    checked = [line for line in lines if line.startswith(str(tmp_path / "src"))]
    assert len(checked) == 2 * len(LANGS) * len(stacks) + len(OUTPUTS["ts"]), checked


# --- real plugin builds ---------------------------------------------------------------------------


def build_plugin(tmp_path: Path, stack_file: Path, flexui2: bool = False) -> str:
    """The bundle of the stack's js files, built in a copy of the cached plugin project."""
    project = flex_plugin_project(flexui2=flexui2)
    work = tmp_path / project.name
    shutil.copytree(project, work, ignore=shutil.ignore_patterns("node_modules", "build", "src"))
    (work / "node_modules").symlink_to(project / "node_modules", target_is_directory=True)
    stack = load_stack_file(stack_file)
    files = render(stack.config, stack.name, "js")
    (work / "src").mkdir()
    for name in OUTPUTS["js"]:
        (work / "src" / name).write_text(files[name], encoding="utf-8")
    (work / "src" / "index.js").write_text(
        "import * as FlexPlugin from '@twilio/flex-plugin';\n"
        "import CustomMessagingPlugin from './CustomMessagingPlugin';\n\n"
        "FlexPlugin.loadPlugin(CustomMessagingPlugin);\n"
    )
    done = run(
        [str(work / "node_modules" / ".bin" / "flex-plugin"), "build"],
        cwd=work,
        env={"CI": "true", "PERSIST_TERMINAL": "true"},
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    flex_ui = json.loads((project / "node_modules/@twilio/flex-ui/package.json").read_text())
    assert flex_ui["version"].startswith("2." if flexui2 else "1."), flex_ui["version"]
    bundle = (work / "build" / f"{project.name}.js").read_text(encoding="utf-8")
    for channel in stack.config.task_channels:
        assert channel.effective_flex_name in bundle
    return bundle


def test_generated_plugin_builds_in_a_create_flex_plugin_project(tmp_path: Path) -> None:
    bundle = build_plugin(tmp_path, ROOT / "examples" / "Pulumi.prod.yaml")
    for used in ("reservationCreated", "AcceptTask", "SelectTask", "CustomMessagingPlugin"):
        assert used in bundle


# What the Flex UI 2.x bundle of each Conversations example must use, and must not.
FLEXUI2_BUILDS = {
    "conversations": (
        ("taskReceived", "AcceptTask", "SelectTask", "CustomMessagingPlugin"),
        ("ChatOrchestrator", "reservationCreated", "replaceAction"),
    ),
    "conversations-taskrouter": (
        ("taskReceived", "AcceptTask", "SelectTask", "WrapupTask", "CompleteTask",
         "replaceAction", "setOrchestrations", "DeactivateConversation", "CustomMessagingPlugin"),
        ("reservationCreated", "Interactions"),
    ),
}  # fmt: skip


@pytest.mark.parametrize("example", FLEXUI2_BUILDS)
def test_generated_flexui2_plugin_builds_in_a_create_flex_plugin_project(
    tmp_path: Path, example: str
) -> None:
    bundle = build_plugin(tmp_path, ROOT / "examples" / f"Pulumi.{example}.yaml", flexui2=True)
    used, unused = FLEXUI2_BUILDS[example]
    for word in used:
        assert word in bundle, word
    for word in unused:
        assert word not in bundle, word


# --- writing files --------------------------------------------------------------------------------


def test_write_refuses_foreign_files_and_force_overwrites(tmp_path: Path) -> None:
    files = render(nasty_config(), "x", "js")
    out = tmp_path / "out"
    out.mkdir()
    (out / "CustomMessagingPlugin.js").write_text("// mine\n")
    (out / "notes.txt").write_text("keep me\n")
    with pytest.raises(FlexorchError) as refused:
        write_files(files, out)
    assert refused.value.problems == [
        f"{out / 'CustomMessagingPlugin.js'}: was not written by flexorch (or was edited since); "
        "move it away, or use --force to overwrite it"
    ]
    assert sorted(p.name for p in out.iterdir()) == ["CustomMessagingPlugin.js", "notes.txt"]
    write_files(files, out, force=True)
    assert (out / "CustomMessagingPlugin.js").read_text() == files["CustomMessagingPlugin.js"]
    assert (out / "notes.txt").read_text() == "keep me\n"


@pytest.mark.parametrize("manifest", ["[1, 2]", "not json", '{"generator": "other", "files": {}}'])
def test_a_manifest_flexorch_did_not_write_is_foreign(tmp_path: Path, manifest: str) -> None:
    (tmp_path / MANIFEST).write_text(manifest)
    with pytest.raises(FlexorchError, match=f"{MANIFEST}: was not written by flexorch"):
        write_files(render(nasty_config(), "x", "js"), tmp_path)
    assert (tmp_path / MANIFEST).read_text() == manifest


def test_out_must_be_a_folder(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(FlexorchError, match="is a file; --out needs a folder"):
        write_files(render(nasty_config(), "x", "js"), tmp_path / "file")


def test_write_replaces_its_own_files_but_not_edited_ones(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_files(render(nasty_config(), "x", "js"), out)
    changed = render(parse_config(minimal_config()), "x", "js")
    write_files(changed, out)  # unchanged generated files: replaced without --force
    assert read_tree(out) == {k: v.encode() for k, v in changed.items()}
    orchestration = out / "CustomMessagingOrchestration.js"
    orchestration.write_text(orchestration.read_text() + "// a local fix\n")
    with pytest.raises(FlexorchError, match="edited since"):
        write_files(render(nasty_config(), "x", "js"), out)


def test_switching_lang_removes_the_earlier_unchanged_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_files(render(nasty_config(), "x", "js"), out)
    report = write_files(render(nasty_config(), "x", "ts"), out)
    assert sorted(p.name for p in out.iterdir()) == sorted([*OUTPUTS["ts"], MANIFEST])
    assert sorted(p.name for p in report.removed) == sorted(OUTPUTS["js"])


def test_a_failed_write_leaves_no_folder_behind(tmp_path: Path, monkeypatch: Any) -> None:
    files = render(nasty_config(), "x", "js")
    real = Path.write_bytes

    def fail_on_manifest(self: Path, data: bytes) -> int:
        if self.name == MANIFEST:
            raise OSError(28, "No space left on device")
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", fail_on_manifest)
    with pytest.raises(FlexorchError, match="No space left on device"):
        write_files(files, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_a_new_folder_gets_normal_permissions(tmp_path: Path) -> None:
    out = tmp_path / "a" / "b"
    report = write_files(render(nasty_config(), "x", "js"), out)
    assert [p.name for p in report.written][-1] == MANIFEST
    assert out.stat().st_mode & 0o755 == 0o755
    assert sorted(p.name for p in tmp_path.joinpath("a").iterdir()) == ["b"]


# --- the command line -----------------------------------------------------------------------------


def test_render_writes_the_files_and_says_so(tmp_path: Path) -> None:
    out = tmp_path / "plugin"
    done = flexorch("render", "--config", "examples/Pulumi.dev.yaml", "--out", str(out))
    assert done.code == 0, done.err
    assert done.out.splitlines() == [
        f"wrote {out / 'CustomMessagingOrchestration.js'}",
        f"wrote {out / 'CustomMessagingPlugin.js'}",
        f"wrote {out / MANIFEST}",
    ]
    assert read_tree(out) == read_tree(GOLDEN / "dev" / "js")
    again = flexorch("render", "--config", "examples/Pulumi.dev.yaml", "--out", str(out))
    assert again.code == 0, again.err


def test_render_ts(tmp_path: Path) -> None:
    out = tmp_path / "plugin"
    done = flexorch("render", "--config", "examples/Pulumi.prod.yaml", "--out", str(out),
                    "--lang", "ts")  # fmt: skip
    assert done.code == 0, done.err
    assert read_tree(out) == read_tree(GOLDEN / "prod" / "ts")


@pytest.mark.parametrize("lang", LANGS)
def test_render_conversations_writes_the_flex_ui_2_files(tmp_path: Path, lang: Lang) -> None:
    out = tmp_path / "plugin"
    done = flexorch("render", "--config", "examples/Pulumi.conversations.yaml", "--out", str(out),
                    "--lang", lang)  # fmt: skip
    assert done.code == 0, done.err
    assert done.out.splitlines() == [f"wrote {out / name}" for name in [*OUTPUTS[lang], MANIFEST]]
    assert read_tree(out) == read_tree(GOLDEN / "conversations" / lang)


def test_render_refuses_to_overwrite_a_foreign_file(tmp_path: Path) -> None:
    (tmp_path / "CustomMessagingOrchestration.js").write_text("// hand-written\n")
    args = ("render", "--config", "examples/Pulumi.dev.yaml", "--out", str(tmp_path))
    refused = flexorch(*args)
    assert refused.code == 2
    assert refused.out == ""
    assert refused.err == (
        f"{tmp_path / 'CustomMessagingOrchestration.js'}: was not written by flexorch "
        "(or was edited since); move it away, or use --force to overwrite it\n"
    )
    assert (tmp_path / "CustomMessagingOrchestration.js").read_text() == "// hand-written\n"
    forced = flexorch(*args, "--force")
    assert forced.code == 0, forced.err
    assert read_tree(tmp_path) == read_tree(GOLDEN / "dev" / "js")


@pytest.mark.parametrize("bad", ["several_problems.yaml", "channel_type_both_quotes.yaml"])
def test_render_bad_config_prints_the_validate_messages(tmp_path: Path, bad: str) -> None:
    path = f"tests/bad_configs/{bad}"
    validate = flexorch("validate", "--config", path)
    rendered = flexorch("render", "--config", path, "--out", str(tmp_path / "out"))
    assert rendered.code == validate.code == 2
    assert rendered.err == validate.err and rendered.err.startswith("flexorch:")
    assert rendered.out == ""
    assert not (tmp_path / "out").exists()


def test_render_diff_exit_codes_and_unified_diff(tmp_path: Path) -> None:
    out = tmp_path / "plugin"
    assert flexorch("render", "--config", "examples/Pulumi.dev.yaml", "--out", str(out)).code == 0
    same = flexorch("render", "--config", "examples/Pulumi.dev.yaml", "--diff", str(out))
    assert (same.code, same.out, same.err) == (0, "", "")
    assert sorted(p.name for p in out.iterdir()) == sorted([*OUTPUTS["js"], MANIFEST])

    stack = write_stack(
        tmp_path / "Pulumi.dev.yaml",
        minimal_config(
            taskChannels=[{"uniqueName": "custom1", "flexName": "my-chat-channel"}],
            orchestration={"wrapup": ["DeactivateChatChannel", "LeaveChatChannel"]},
        ),
    )
    changed = flexorch("render", "--config", str(stack), "--diff", str(out))
    assert changed.code == 1, changed.err
    assert changed.out.startswith(
        "--- a/CustomMessagingOrchestration.js\n+++ b/CustomMessagingOrchestration.js\n@@ "
    )
    assert '-    channelType: "custom",\n+    channelType: null,\n' in changed.out
    assert "+    flex.ChatOrchestratorEvent.LeaveChatChannel,\n" in changed.out
    assert "CustomMessagingPlugin.js" not in changed.out  # unchanged files are not listed

    fresh = flexorch("render", "--config", str(stack), "--diff", str(tmp_path / "nothing-yet"))
    assert fresh.code == 1
    assert fresh.out.count("--- /dev/null\n") == 2


def test_render_diff_as_markdown_pr_comment(tmp_path: Path) -> None:
    out = tmp_path / "plugin"
    assert flexorch("render", "--config", "examples/Pulumi.dev.yaml", "--out", str(out)).code == 0
    same = flexorch("render", "--config", "examples/Pulumi.dev.yaml", "--diff", str(out),
                    "--format", "markdown")  # fmt: skip
    assert same.code == 0
    assert same.out == (
        "<details>\n<summary>Flex plugin files of stack <code>dev</code>: no changes</summary>\n"
        "\nThe generated plugin files are up to date.\n\n</details>\n"
    )
    changed = flexorch("render", "--config", "examples/Pulumi.prod.yaml", "--diff", str(out),
                       "--format", "markdown")  # fmt: skip
    assert changed.code == 1
    lines = changed.out.splitlines()
    assert lines[:4] == [
        "<details>",
        # The plugin class names no stack, so it is the same for dev and prod.
        "<summary>Flex plugin files of stack <code>prod</code>: 1 file changed "
        "(<code>CustomMessagingOrchestration.js</code>)</summary>",
        "",
        "```diff",
    ]
    assert lines[-3:] == ["```", "", "</details>"]
    assert '+    uniqueName: "whatsapp_custom",' in lines


def test_markdown_fence_outlasts_backticks_in_the_diff(tmp_path: Path) -> None:
    config = parse_config(minimal_config(taskChannels=[{"uniqueName": "c1", "flexName": "````x"}]))
    report = diff_files(render(config, "a<b>", "js"), tmp_path / "nothing-yet")
    lines = diff_markdown(report, "a<b>").splitlines()
    assert "<code>a&lt;b&gt;</code>" in lines[1]
    assert (lines[3], lines[-3]) == ("`````diff", "`````")


def test_render_flag_combinations(tmp_path: Path) -> None:
    base = ("render", "--config", "examples/Pulumi.dev.yaml")
    neither = flexorch(*base)
    assert neither.code == 2 and "one of the arguments --out --diff is required" in neither.err
    both = flexorch(*base, "--out", str(tmp_path), "--diff", str(tmp_path))
    assert both.code == 2 and "not allowed with argument" in both.err
    force = flexorch(*base, "--diff", str(tmp_path), "--force")
    assert (force.code, force.err) == (2, "--force only applies to --out; drop it\n")
    markdown = flexorch(*base, "--out", str(tmp_path / "o"), "--format", "markdown")
    assert (markdown.code, markdown.err) == (
        2,
        "--format markdown only applies to --diff; drop it or use --diff DIR\n",
    )
    assert not (tmp_path / "o").exists()
    assert flexorch("render", "--help").code == 0
