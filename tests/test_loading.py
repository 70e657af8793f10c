"""One rule set: the config the engine hands the program is judged as validate judges the file."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import pulumi
import pytest
from helpers import ROOT, deadline, minimal_config, write_stack

from flexorch.errors import FlexorchError
from flexorch.loading import engine_config, load_stack_file

SECRET_FLEX_FLOWS = (
    "flexorch:flexFlows: is a secret, but flexorch: keys hold no secrets; store it in plain text "
    "(credentials belong under twilio:)"
)
TOO_DEEP = (
    "flexorch:numbers: is nested more than 16 levels deep; no flexorch key nests that deep, so "
    "remove the extra levels"
)
TOO_LARGE = (
    "flexorch:numbers: holds more than 100000 values, counting each use of a YAML alias; no "
    "flexorch config needs that many, so remove the repeated aliases"
)
BAD_NUMBER = (
    'flexorch:numbers[0]: "12345" is neither an E.164 number nor a phone number SID; write it '
    'like "+15005550006" (quoted, no spaces) or PN followed by 32 hex digits'
)


def plain_text_token(source: str) -> str:
    return (
        f"twilio:authToken: is stored in plain text in {source}; remove it and run "
        "`pulumi config set --secret twilio:authToken` (or set TWILIO_AUTH_TOKEN)"
    )


def engine_env(**flexorch: object) -> dict[str, str]:
    """A stack's config as the engine hands it to a program: namespaced keys, JSON text values."""
    values = {**minimal_config(), **flexorch}
    env = {f"flexorch:{k}": v if isinstance(v, str) else json.dumps(v) for k, v in values.items()}
    return {**env, "twilio:accountSid": "AC" + "1" * 32}


def engine_problems(config_env: dict[str, str], secret_keys: list[str]) -> list[str]:
    with pytest.raises(FlexorchError) as caught:
        engine_config(config_env, secret_keys)
    return caught.value.problems


def file_problems(path: Path) -> list[str]:
    with pytest.raises(FlexorchError) as caught:
        load_stack_file(path)
    return caught.value.problems


def test_a_secret_flexorch_key_is_refused_by_validate_and_the_program_alike(
    tmp_path: Path,
) -> None:
    path = write_stack(tmp_path / "Pulumi.s.yaml", minimal_config(flexFlows={"secure": "v1:x"}))
    assert file_problems(path) == [SECRET_FLEX_FLOWS]
    env = engine_env(flexFlows="disable")
    assert engine_problems(env, ["flexorch:flexFlows"]) == [SECRET_FLEX_FLOWS]
    assert engine_config(env, []).flex_flows == "disable"


def test_a_plain_text_token_comes_with_every_other_problem_in_both(tmp_path: Path) -> None:
    path = write_stack(
        tmp_path / "Pulumi.t.yaml", minimal_config(numbers=["12345"]), **{"twilio:authToken": "x"}
    )
    assert file_problems(path) == [plain_text_token(str(path)), BAD_NUMBER]
    env = {**engine_env(numbers=["12345"]), "twilio:authToken": "x"}
    assert engine_problems(env, []) == [plain_text_token("the stack config"), BAD_NUMBER]
    assert engine_problems(env, ["twilio:authToken"]) == [BAD_NUMBER]


def test_json_text_nested_absurdly_deep_is_one_line_with_the_other_problems() -> None:
    env = {**engine_env(numbers="[" * 2000 + "]" * 2000), "twilio:authToken": "x"}
    assert engine_problems(env, []) == [plain_text_token("the stack config"), TOO_DEEP]


class NoResources(pulumi.runtime.Mocks):
    """Mocks for programs that must fail before they declare anything."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        return [f"{args.name}-id", dict(args.inputs)]

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


@pytest.fixture
def mocks(monkeypatch: pytest.MonkeyPatch, pulumi_mocks):
    """Pulumi mocks for one test (nothing is registered before a config passes)."""
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "not-a-real-token")
    return pulumi_mocks(NoResources())


def run_program(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], secret: list[str]) -> str:
    """This repo's program (stack/__main__.py) on a config from the engine; its RunError text.

    Pulumi prints a RunError as it is, without a traceback; any other exception gets one.
    """
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps(env))
    monkeypatch.setenv("PULUMI_CONFIG_SECRET_KEYS", json.dumps(secret))
    with pytest.raises(pulumi.RunError) as raised:
        runpy.run_path(str(ROOT / "stack" / "__main__.py"), run_name="__main__")
    return str(raised.value)


def test_the_program_refuses_a_2000_deep_list_with_the_validate_line(mocks, monkeypatch) -> None:
    env = engine_env(numbers="[" * 2000 + "]" * 2000)
    assert run_program(monkeypatch, env, []) == TOO_DEEP


def test_the_program_refuses_a_secret_flexorch_key_as_validate_does(mocks, monkeypatch) -> None:
    env = engine_env(flexFlows="disable")
    assert run_program(monkeypatch, env, ["flexorch:flexFlows"]) == SECRET_FLEX_FLOWS


def test_the_program_reports_a_plain_text_token_with_the_other_problems(mocks, monkeypatch) -> None:
    env = {**engine_env(numbers=["12345"]), "twilio:authToken": "x"}
    assert run_program(monkeypatch, env, []).splitlines() == [
        plain_text_token("the stack config"),
        BAD_NUMBER,
    ]


def test_the_component_refuses_values_shared_a_billion_times_at_once(mocks) -> None:
    from flexorch import CustomMessaging, CustomMessagingArgs
    from flexorch.component import ChatServiceArgs, HandlerArgs, SidOrNameArgs

    numbers: list = ["+15005550006"]
    for _ in range(9):
        numbers = [numbers] * 10
    typed = CustomMessagingArgs(
        handler=HandlerArgs(url="https://handler.example.com/flex"),
        workspace=SidOrNameArgs(friendly_name="Flex Task Assignment"),
        chat_service=ChatServiceArgs(sid="IS" + "0" * 32),
        numbers=numbers,
    )
    for args in (minimal_config(numbers=numbers), typed):
        with deadline(5), pytest.raises(pulumi.RunError) as raised:
            CustomMessaging("east", args)
        assert str(raised.value) == f'CustomMessaging "east": {TOO_LARGE}'


# The provider's own config (README, "YAML programs"): credentials, not component keys.
PLAIN_FLEXORCH_TOKEN = (
    "flexorch:authToken: is stored in plain text in {source}; remove it and run "
    "`pulumi config set --secret flexorch:authToken`"
)


def test_the_providers_own_credentials_are_no_component_keys_in_both(tmp_path: Path) -> None:
    credentials = {
        "flexorch:accountSid": "AC" + "1" * 32,
        "flexorch:authToken": {"secure": "v1:x"},
        "flexorch:apiKey": "SK" + "1" * 32,
        "flexorch:apiSecret": {"secure": "v1:y"},
    }
    path = write_stack(tmp_path / "Pulumi.c.yaml", minimal_config(), **credentials)
    assert load_stack_file(path).raw == minimal_config()
    env = {**engine_env(), **{key: "x" for key in credentials}}
    secret = ["flexorch:authToken", "flexorch:apiSecret"]
    assert engine_config(env, secret) == load_stack_file(path).config


def test_a_plain_text_provider_token_comes_with_every_other_problem_in_both(
    tmp_path: Path,
) -> None:
    path = write_stack(
        tmp_path / "Pulumi.p.yaml",
        minimal_config(numbers=["12345"]),
        **{"flexorch:accountSid": "AC" + "1" * 32, "flexorch:authToken": "x"},
    )
    assert file_problems(path) == [PLAIN_FLEXORCH_TOKEN.format(source=path), BAD_NUMBER]
    env = {**engine_env(numbers=["12345"]), "flexorch:authToken": "x"}
    assert engine_problems(env, []) == [
        PLAIN_FLEXORCH_TOKEN.format(source="the stack config"),
        BAD_NUMBER,
    ]
    assert engine_problems(env, ["flexorch:authToken"]) == [BAD_NUMBER]
