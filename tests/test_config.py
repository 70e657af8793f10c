"""The config model: the good and bad corpus, defaults, and the rules one by one."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
import yaml
from helpers import EXAMPLES, ROOT, deadline, minimal_config

from flexorch.config import StackConfig, parse_config
from flexorch.errors import FlexorchError
from flexorch.loading import load_stack_file
from flexorch.twilio_facts import (
    CHAT_POST_EVENTS,
    CHAT_PRE_EVENTS,
    CHAT_WEBHOOK_EVENTS,
    CONVERSATIONS_EVENTS,
    CONVERSATIONS_POST_EVENTS,
    CONVERSATIONS_PRE_EVENTS,
)

BAD = sorted((ROOT / "tests" / "bad_configs").glob("*.yaml"))
GOOD = sorted((ROOT / "tests" / "good_configs").glob("*.yaml")) + sorted(ROOT.glob("Pulumi.*.yaml"))


def expected_lines(path: Path) -> list[str]:
    """The `# expect: ` lines of a bad config, `{file}` standing for its path."""
    return [
        line.removeprefix("# expect: ").replace("{file}", str(path))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith("# expect: ")
    ]


def problems(raw: dict) -> list[str]:
    with pytest.raises(FlexorchError) as caught:
        parse_config(raw)
    return caught.value.problems


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_bad_config_is_refused_with_its_message(path: Path) -> None:
    expected = expected_lines(path)
    assert expected, f"{path} states no `# expect: ` line"
    with deadline(10), pytest.raises(FlexorchError) as caught:
        load_stack_file(path)
    # The whole lines, in order: nothing reported twice, nothing extra, nothing cut short.
    assert caught.value.problems == expected


@pytest.mark.parametrize("path", EXAMPLES + GOOD, ids=[p.stem for p in EXAMPLES + GOOD])
def test_good_config_validates(path: Path) -> None:
    assert isinstance(load_stack_file(path).config, StackConfig)


def test_examples_show_every_key_of_the_schema() -> None:
    """The dev example documents the whole schema (and the conversations examples the keys only
    Flex Conversations has), so a new key must be added there too."""

    def keys(model: type, prefix: str = "") -> set[str]:
        out = set()
        for name, field in model.model_fields.items():
            alias = field.alias or name
            out.add(prefix + alias)
            inner = field.annotation
            for candidate in (inner, *getattr(inner, "__args__", ())):
                if isinstance(candidate, type) and hasattr(candidate, "model_fields"):
                    out |= keys(candidate, prefix + alias + ".")
        return out

    raw = load_stack_file(ROOT / "examples" / "Pulumi.dev.yaml").raw

    def present(data: object, prefix: str = "") -> set[str]:
        out = set()
        if isinstance(data, dict):
            for k, v in data.items():
                out.add(prefix + k)
                out |= present(v, prefix + k + ".")
        if isinstance(data, list):
            for item in data:
                out |= present(item, prefix)
        return out

    # SIDs exclude their alternative (friendlyName, adopt): the prod example pins them instead.
    pinned = {"workspace.sid", "workflow.queue.sid", "workflow.sid", "taskChannels.sid"}
    prod = present(load_stack_file(ROOT / "examples" / "Pulumi.prod.yaml").raw)
    assert pinned <= prod
    # Keys only Flex Conversations has are shown by its examples (one per taskCreation).
    conversations = set().union(
        *(
            present(load_stack_file(ROOT / "examples" / f"Pulumi.{name}.yaml").raw)
            for name in ("conversations", "conversations-taskrouter")
        )
    )
    missing = keys(StackConfig) - present(raw) - pinned - {"workflow.fallbackQueue.sid"}
    assert not missing - conversations


def test_defaults() -> None:
    config = parse_config(minimal_config())
    assert config.platform == "programmable-chat"
    assert config.handler.method == "POST"
    assert config.handler.effective_sms_url == "https://handler.example.com/flex"
    assert config.handler.effective_chat_url == "https://handler.example.com/flex"
    assert config.workflow.target_attribute == "targetWorker"
    assert config.workflow.queue.friendly_name == "Everyone"
    assert config.workflow.reservation_timeout == 120
    assert config.workflow.fallback_queue is None
    assert config.chat_service.webhook_filters == ("onMessageSent",)
    assert config.flex_flows == "fail"
    assert config.auto_accept.attribute == "autoAnswer"
    assert config.orchestration.accepted == () and config.orchestration.completed == ()
    assert config.task_channels == () and config.numbers == ()


def test_channel_names_default_to_the_unique_name() -> None:
    config = parse_config(minimal_config(taskChannels=[{"uniqueName": "custom1"}]))
    channel = config.task_channels[0]
    assert channel.effective_flex_name == "custom1"
    assert channel.effective_friendly_name == "custom1"


def test_config_is_frozen() -> None:
    config = parse_config(minimal_config())
    with pytest.raises(ValueError):
        config.handler.url = "https://other.example.com"  # type: ignore[misc]


@pytest.mark.parametrize("builtin", ["default", "voice", "chat", "sms", "video", "email", "SMS"])
def test_every_flex_builtin_channel_is_refused(builtin: str) -> None:
    lines = problems(minimal_config(taskChannels=[{"uniqueName": builtin}]))
    assert lines == [
        f'flexorch:taskChannels[0].uniqueName: "{builtin}" is a Flex built-in channel; '
        "choose another name"
    ]


@pytest.mark.parametrize("event", CHAT_WEBHOOK_EVENTS)
def test_every_chat_webhook_event_is_accepted(event: str) -> None:
    config = parse_config(
        minimal_config(chatService={"sid": "IS" + "a" * 32, "webhookFilters": [event]})
    )
    assert (event in config.chat_service.pre_events) != (event in config.chat_service.post_events)


def test_pre_and_post_events_are_split() -> None:
    chat = {"sid": "IS" + "a" * 32, "webhookFilters": ["onMessageSend", "onMessageSent"]}
    config = parse_config(minimal_config(chatService=chat))
    assert config.chat_service.pre_events == ("onMessageSend",)
    assert config.chat_service.post_events == ("onMessageSent",)


# --- the platform: Programmable Chat (Flex UI 1.x) or Flex Conversations (Flex UI 2.x) -------

IS = "IS" + "a" * 32
FILTERS = "flexorch:chatService.webhookFilters[0]"


def on_conversations(**overrides: object) -> dict:
    return minimal_config(platform="conversations", **overrides)


@pytest.mark.parametrize(
    ("platform", "default"),
    [("programmable-chat", ("onMessageSent",)), ("conversations", ("onMessageAdded",))],
)
def test_the_default_webhook_event_is_the_platforms_customer_message(
    platform: str, default: tuple[str, ...]
) -> None:
    config = parse_config(minimal_config(platform=platform))
    assert (config.platform, config.chat_service.webhook_filters) == (platform, default)


@pytest.mark.parametrize("event", CONVERSATIONS_EVENTS)
def test_every_conversations_webhook_event_is_accepted_on_conversations(event: str) -> None:
    config = parse_config(on_conversations(chatService={"sid": IS, "webhookFilters": [event]}))
    chat = config.chat_service
    assert (chat.pre_events, chat.post_events) == (
        ((event,), ()) if event in CONVERSATIONS_PRE_EVENTS else ((), (event,))
    )


# What a stack moving off Programmable Chat should list instead (channel -> conversation,
# member -> participant); None: a Conversations service sends nothing like it.
CONVERSATIONS_TWIN = {
    "onMessageSend": "onMessageAdd",
    "onMediaMessageSend": "onMessageAdd",
    "onChannelAdd": "onConversationAdd",
    "onChannelUpdate": "onConversationUpdate",
    "onChannelDestroy": "onConversationRemove",
    "onMemberAdd": "onParticipantAdd",
    "onMemberUpdate": "onParticipantUpdate",
    "onMemberRemove": "onParticipantRemove",
    "onUserUpdate": None,
    "onMessageSent": "onMessageAdded",
    "onMediaMessageSent": "onMessageAdded",
    "onChannelAdded": "onConversationAdded",
    "onChannelUpdated": "onConversationUpdated",
    "onChannelDestroyed": "onConversationRemoved",
    "onMemberAdded": "onParticipantAdded",
    "onMemberUpdated": "onParticipantUpdated",
    "onMemberRemoved": "onParticipantRemoved",
    "onUserAdded": None,
    "onUserUpdated": None,
}
SHARED_EVENTS = ("onMessageUpdate", "onMessageRemove", "onMessageUpdated", "onMessageRemoved")


def test_the_twin_table_covers_every_chat_event_not_named_alike() -> None:
    assert sorted(CONVERSATIONS_TWIN) == sorted(set(CHAT_WEBHOOK_EVENTS) - set(SHARED_EVENTS))
    assert set(SHARED_EVENTS) == set(CHAT_WEBHOOK_EVENTS) & set(CONVERSATIONS_EVENTS)


@pytest.mark.parametrize("event", sorted(CONVERSATIONS_TWIN))
def test_every_chat_only_event_is_refused_on_conversations_with_its_twin(event: str) -> None:
    twin = CONVERSATIONS_TWIN[event]
    lines = problems(on_conversations(chatService={"sid": IS, "webhookFilters": [event]}))
    if twin is None:
        assert lines == [
            f'{FILTERS}: "{event}" is a Programmable Chat event with no Conversations service '
            "webhook counterpart; remove it"
        ]
    else:
        assert lines == [
            f'{FILTERS}: "{event}" is a Programmable Chat event; on conversations use "{twin}"'
        ]
        # The twin fires at the same moment: a pre-event for a pre-event.
        assert (event in CHAT_PRE_EVENTS) == (twin in CONVERSATIONS_PRE_EVENTS)


@pytest.mark.parametrize("event", sorted(set(CONVERSATIONS_EVENTS) - set(CHAT_WEBHOOK_EVENTS)))
def test_every_conversations_only_event_is_refused_on_programmable_chat(event: str) -> None:
    chat_twin = {v: k for k, v in reversed(CONVERSATIONS_TWIN.items()) if v}.get(event)
    lines = problems(minimal_config(chatService={"sid": IS, "webhookFilters": [event]}))
    if chat_twin is None:
        assert event in ("onConversationStateUpdated", "onDeliveryUpdated")
        assert lines == [
            f'{FILTERS}: "{event}" is a Conversations event with no Programmable Chat webhook '
            "counterpart; remove it"
        ]
    else:
        assert lines == [
            f'{FILTERS}: "{event}" is a Conversations event; on programmable-chat use "{chat_twin}"'
        ]
        assert (event in CONVERSATIONS_POST_EVENTS) == (chat_twin in CHAT_POST_EVENTS)


@pytest.mark.parametrize("platform", ["programmable-chat", "conversations"])
def test_events_named_alike_are_accepted_on_both_platforms(platform: str) -> None:
    chat = {"sid": IS, "webhookFilters": list(SHARED_EVENTS)}
    config = parse_config(minimal_config(platform=platform, chatService=chat))
    assert config.chat_service.pre_events == ("onMessageUpdate", "onMessageRemove")
    assert config.chat_service.post_events == ("onMessageUpdated", "onMessageRemoved")


def test_pre_and_post_events_are_split_on_conversations() -> None:
    filters = ["onMessageAdded", "onMessageAdd", "onParticipantRemoved", "onConversationUpdate"]
    config = parse_config(on_conversations(chatService={"sid": IS, "webhookFilters": filters}))
    assert config.chat_service.pre_events == ("onMessageAdd", "onConversationUpdate")
    assert config.chat_service.post_events == ("onMessageAdded", "onParticipantRemoved")


def test_a_key_conversations_refuses_is_one_line_whatever_is_inside_it() -> None:
    chat = {"sid": IS, "retryCount": "twice"}
    lines = problems(on_conversations(chatService=chat, orchestration={"accepted": ["Nope"]}))
    assert lines == [
        "flexorch:chatService.retryCount: a Conversations service's webhooks have no retry count "
        "(their configuration takes only URLs, a method and filters); remove the key",
        "flexorch:orchestration: Programmable Chat's orchestration does not apply to Flex "
        "Conversations, where the Interactions API adds and removes the agent (taskCreation: "
        "interactions); remove flexorch:orchestration, or set flexorch:taskCreation: taskrouter "
        "and list what Flex still does in flexorch:flexActions",
    ]


def test_every_problem_of_a_conversations_stack_is_reported_together() -> None:
    chat = {"sid": "CH" + "a" * 32, "webhookFilters": ["onMessageSent", 7, "onMesageAdded"]}
    assert problems(on_conversations(chatService=chat, numbers=["12"])) == [
        'flexorch:chatService.sid: "CH' + "a" * 32 + '" is not a Programmable Chat service SID; '
        "it starts with IS followed by 32 hex digits (copy it from the Twilio Console)",
        'flexorch:chatService.webhookFilters[1]: must be a string, not the number 7; quote it: "7"',
        'flexorch:numbers[0]: "12" is neither an E.164 number nor a phone number SID; write it '
        'like "+15005550006" (quoted, no spaces) or PN followed by 32 hex digits',
        'flexorch:chatService.webhookFilters[0]: "onMessageSent" is a Programmable Chat event; '
        'on conversations use "onMessageAdded"',
        'flexorch:chatService.webhookFilters[2]: "onMesageAdded" is not a Conversations webhook '
        'event; did you mean "onMessageAdded"?',
    ]


@pytest.mark.parametrize(
    ("value", "described"),
    [
        (["conversations"], "a list"),
        ({"name": "conversations"}, "a mapping"),
        (None, "nothing"),
        (True, "the boolean true"),
        (2, "the number 2"),
        ("", '""'),
    ],
)
def test_an_odd_platform_is_one_line(value: object, described: str) -> None:
    # The filters are not judged until the platform is known: no guess from a broken value.
    chat = {"sid": IS, "webhookFilters": ["onMessageAdded"], "retryCount": 1}
    assert problems(minimal_config(platform=value, chatService=chat)) == [
        f"flexorch:platform: {described} is not allowed; use 'programmable-chat' or 'conversations'"
    ]


def test_a_conversations_config_dumped_parses_back_as_the_component_does() -> None:
    config = parse_config(on_conversations(taskChannels=[{"uniqueName": "custom1"}]))
    dump = config.model_dump(by_alias=True, exclude_none=True, mode="json")
    assert "orchestration" not in dump and "retryCount" not in dump["chatService"]
    assert parse_config(dump) == config
    chat = parse_config(minimal_config()).model_dump(by_alias=True, mode="json")
    assert chat["orchestration"] == {"accepted": [], "wrapup": [], "completed": []}
    assert chat["chatService"]["retryCount"] == 0


@pytest.mark.parametrize(
    "url",
    ["http://localhost/x", "http://127.0.0.1:8080/x", "http://[::1]:3000/", "https://a.example/x"],
)
def test_urls_allowed(url: str) -> None:
    assert parse_config(minimal_config(handler={"url": url})).handler.url == url


HTTPS_ONLY = (
    "must use https (Twilio sends customer messages to it); "
    "http is only allowed for localhost and 127.0.0.1"
)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://example.com", f'"http://example.com" {HTTPS_ONLY}'),
        ("http://localhost.example.com/", f'"http://localhost.example.com/" {HTTPS_ONLY}'),
        ("ws://localhost/x", f'"ws://localhost/x" {HTTPS_ONLY}'),
        (
            "https://",
            '"https://" is not an absolute URL; write it like https://handler.example.com/flex',
        ),
    ],
)
def test_urls_refused(url: str, problem: str) -> None:
    assert problems(minimal_config(handler={"url": url})) == [f"flexorch:handler.url: {problem}"]


@pytest.mark.parametrize(
    ("value", "described"),
    [
        (True, "the boolean true; write a whole number without quotes"),
        (1.5, "the number 1.5; write a whole number without quotes"),
        ("60", '"60"; write it without quotes: 60'),
    ],
)
def test_reservation_timeout_must_be_an_integer(value: object, described: str) -> None:
    assert problems(minimal_config(workflow={"reservationTimeout": value})) == [
        f"flexorch:workflow.reservationTimeout: must be a whole number, not {described}"
    ]


def test_json_text_that_does_not_parse_is_named_as_such() -> None:
    # `pulumi config set --path` stores such text as a string; the line says why it is not a list.
    assert problems(minimal_config(taskChannels='[{"uniqueName": "custom1"}, ]')) == [
        'flexorch:taskChannels: must be a list, not "[{"uniqueName": "custom1"}, ]"; it is JSON '
        "text that does not parse (a comma before ] or }?); fix the JSON"
    ]


def test_null_section_is_reported_as_such() -> None:
    assert problems(minimal_config(workflow=None)) == [
        "flexorch:workflow: must be a mapping of keys, not nothing; write its keys under it, "
        "one `key: value` per line"
    ]


def test_unknown_nested_key_without_a_close_match_lists_the_keys() -> None:
    lines = problems(minimal_config(autoAccept={"zzz": 1}))
    assert lines == ['flexorch:autoAccept.zzz: unknown key "zzz"; use one of attribute']


def test_duplicates_are_found_even_when_a_sibling_is_invalid() -> None:
    channels = [{"uniqueName": "c1", "channelType": ""}, {"uniqueName": "c1"}]
    assert problems(minimal_config(taskChannels=channels)) == [
        "flexorch:taskChannels[0].channelType: must not be empty; give a value or remove the key",
        'flexorch:taskChannels[1].uniqueName: "c1" is already used by taskChannels[0]; '
        "each TaskChannel needs its own unique name",
    ]


def test_json_text_values_read_as_pulumi_config_get_object_reads_them(tmp_path: Path) -> None:
    from flexorch.loading import engine_config

    path = tmp_path / "Pulumi.json.yaml"
    path.write_text(
        "config:\n"
        '  flexorch:handler: \'{"url": "https://h.example.com/flex"}\'\n'
        "  flexorch:workspace: {friendlyName: Flex Task Assignment}\n"
        "  flexorch:chatService: {sid: IS0123456789abcdef0123456789abcdef}\n"
        "  flexorch:numbers: '[\"+15005550006\"]'\n"
    )
    offline = load_stack_file(path).config
    assert offline.numbers == ("+15005550006",)
    assert offline.handler.url == "https://h.example.com/flex"
    engine = engine_config(
        {
            "flexorch:numbers": '["+15005550006"]',
            "flexorch:handler": '{"url": "https://h.example.com/flex"}',
            "flexorch:workspace": '{"friendlyName": "Flex Task Assignment"}',
            "flexorch:chatService": '{"sid": "IS0123456789abcdef0123456789abcdef"}',
            "twilio:accountSid": "AC" + "1" * 32,
        },
        [],
    )
    assert engine == offline


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://h.example.com:99999/flex", "has no valid port (a number 1..65535)"),
        ("https://h.example.com:abc/flex", "has no valid port (a number 1..65535)"),
        ("https://h.example.com:/flex", "has no valid port (a number 1..65535)"),
        ("https://-.-/flex", "has no valid host name"),
        ("https://h.exa_mple.com/flex", "has no valid host name"),
        ("https://h.example.com/fl\x00ex", "contains a control character"),
        ("https://h.example.com/fl\x07ex", "contains a control character"),
    ],
)
def test_urls_twilio_could_not_call_are_refused(url: str, problem: str) -> None:
    with pytest.raises(FlexorchError) as caught:
        parse_config(minimal_config(handler={"url": url}))
    shown = url.encode("unicode_escape").decode()
    assert caught.value.problems == [
        f'flexorch:handler.url: "{shown}" {problem}; write it like https://handler.example.com/flex'
    ]


def test_good_urls_with_ports_and_addresses_pass() -> None:
    for url in ("https://h.example.com:8443/flex", "https://203.0.113.7/flex",
                "http://localhost:3000/flex", "http://[::1]:3000/flex",
                "https://bücher.example/flex"):  # fmt: skip
        assert parse_config(minimal_config(handler={"url": url})).handler.url == url


def test_a_value_with_a_newline_stays_on_one_line_and_a_huge_one_is_shortened() -> None:
    with pytest.raises(FlexorchError) as caught:
        parse_config(minimal_config(autoAccept={"attribute": 5}, handler={"url": "x\ny" * 2000}))
    lines = caught.value.problems
    assert all("\n" not in line for line in lines)
    url_line = next(line for line in lines if line.startswith("flexorch:handler.url"))
    assert len(url_line) < 250 and '…"' in url_line


def test_the_list_of_problems_is_capped() -> None:
    raw = minimal_config(**{f"unknown{i}": 1 for i in range(300)})
    with pytest.raises(FlexorchError) as caught:
        parse_config(raw)
    assert len(caught.value.problems) == 51
    assert caught.value.problems[-1] == ("flexorch: 250 more problems not shown; fix these first")


@pytest.mark.parametrize("depth", [17, 200, 5000])
def test_a_value_nested_absurdly_deep_is_one_line_in_validate_and_the_program(
    depth: int, tmp_path: Path
) -> None:
    from flexorch.loading import engine_config

    text = "[" * depth + "]" * depth
    base = {
        "handler": {"url": "https://h.example.com/flex"},
        "workspace": {"friendlyName": "Flex Task Assignment"},
        "chatService": {"sid": "IS0123456789abcdef0123456789abcdef"},
    }
    engine = {f"flexorch:{k}": json.dumps(v) for k, v in base.items()}
    line = (
        "flexorch:numbers: is nested more than 16 levels deep; no flexorch key nests that "
        "deep, so remove the extra levels"
    )
    with pytest.raises(FlexorchError) as caught:
        engine_config({**engine, "flexorch:numbers": text}, [])
    assert caught.value.problems == [line]
    if depth < 900:  # deeper than that, PyYAML's own parser refuses the file first
        path = tmp_path / "Pulumi.deep.yaml"
        stack = {f"flexorch:{k}": v for k, v in base.items()}
        path.write_text(yaml.safe_dump({"config": stack}) + f"  flexorch:numbers: {text}\n")
        with pytest.raises(FlexorchError) as offline:
            load_stack_file(path)
        assert offline.value.problems == [line]
    # No RecursionError on the way: CPython 3.11 cannot parse source after one.
    ast.parse("x = 1")


def test_sixteen_levels_are_not_refused_for_depth() -> None:
    value: list = []
    for _ in range(15):
        value = [value]
    lines = problems({"numbers": value})
    assert not any("levels deep" in line for line in lines)


TOO_LARGE = (
    "flexorch:numbers: holds more than 100000 values, counting each use of a YAML alias; no "
    "flexorch config needs that many, so remove the repeated aliases"
)
TOO_DEEP = (
    "flexorch:numbers: is nested more than 16 levels deep; no flexorch key nests that deep, so "
    "remove the extra levels"
)


def test_a_billion_values_shared_by_reference_are_refused_at_once() -> None:
    # What YAML aliases build: each level holds the one below ten times (10**9 numbers).
    numbers: list = ["+15005550006"]
    for _ in range(9):
        numbers = [numbers] * 10
    channels: dict = {"uniqueName": "custom1"}
    for _ in range(9):
        channels = {str(i): channels for i in range(10)}
    with deadline(5):
        assert problems(minimal_config(numbers=numbers)) == [TOO_LARGE]
        assert problems(minimal_config(taskChannels=channels)) == [
            TOO_LARGE.replace("flexorch:numbers:", "flexorch:taskChannels:")
        ]


def test_as_many_values_as_a_big_account_has_are_not_refused_for_size() -> None:
    numbers = [f"+1500555{i:04d}" for i in range(10_000)]
    assert parse_config(minimal_config(numbers=numbers)).numbers[-1] == "+15005559999"


def test_a_yaml_value_that_holds_itself_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.loop.yaml"
    stack = {f"flexorch:{k}": v for k, v in minimal_config().items()}
    path.write_text(yaml.safe_dump({"config": stack}) + "  flexorch:numbers: &loop [*loop]\n")
    with deadline(5), pytest.raises(FlexorchError) as caught:
        load_stack_file(path)
    assert caught.value.problems == [TOO_DEEP]


def test_connection_overrides_in_a_handler_url_are_kept_exactly() -> None:
    """Twilio reads its connection overrides from the URL's fragment; flexorch passes it on."""
    url = "https://h.example.com/flex#rc=3&ct=2000&e=502"
    config = parse_config(minimal_config(handler={"url": url}))
    assert (config.handler.url, config.handler.effective_sms_url) == (url, url)
