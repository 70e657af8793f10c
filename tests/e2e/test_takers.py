"""End to end: a Messaging Service or a TwiML App that would take a managed number's messages.

(And a workspace without room for the stack's TaskChannels, refused at preview the same way.)

With the real Pulumi CLI on the sandbox accounts of each case (`flexorch sandbox --scenario
flex-account-...`), on both platforms: preview fails naming the object and the fix, with no
write; a service that defers to the number (or has no inbound URL) passes; opted in, up fixes
it before any number moves, a no-change run costs nothing, a person putting it back in the
Console is drift that `up --refresh` undoes, and destroy puts it back.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi.automation as auto
import pytest
from engine import ROOT, engine, sandbox_config

from flexorch.sandbox import seed
from flexorch.sandbox.fake import FakeTwilio
from flexorch.sandbox.server import Sandbox


def conversations_config() -> dict[str, Any]:
    import yaml

    path = ROOT / "examples" / "Pulumi.sandbox-conversations.yaml"
    return yaml.safe_load(path.read_text())["config"]  # type: ignore[no-any-return]


PLATFORMS: dict[str, Callable[[], dict[str, Any]]] = {
    "programmable-chat": sandbox_config,
    "conversations": conversations_config,
}
CASES: dict[str, tuple[Callable[[], FakeTwilio], str]] = {
    "messaging-service": (
        seed.messaging_service_account,
        f'{seed.FREE_NUMBER} is in Messaging Service {seed.A2P_SERVICE_SID} "Sandbox A2P", '
        f"which sends its inbound messages to {seed.A2P_INBOUND_URL}",
    ),
    "twiml-app": (
        seed.twiml_app_account,
        f'{seed.FLEX_FLOW_NUMBER} has TwiML App {seed.APP_SID} "Legacy SMS bot", whose SMS URL '
        f"({seed.APP_SMS_URL}) gets its messages",
    ),
}


def writes(sandbox: Sandbox, mark: int) -> list[tuple[str, str]]:
    return [(r["method"], r["path"]) for r in sandbox.since(mark) if r["method"] != "GET"]


def service(sandbox: Sandbox) -> dict[str, Any]:
    return sandbox.fake.find(seed.MESSAGING_SERVICES, sid=seed.A2P_SERVICE_SID)


def app_on_number(sandbox: Sandbox) -> Any:
    return sandbox.fake.find(seed.NUMBERS, phone_number=seed.FLEX_FLOW_NUMBER)[
        "sms_application_sid"
    ]


@pytest.mark.parametrize("platform", list(PLATFORMS))
@pytest.mark.parametrize("case", list(CASES))
def test_preview_fails_naming_the_object_with_no_write(
    tmp_path: Path, case: str, platform: str
) -> None:
    account, expected = CASES[case]
    with Sandbox(account()) as sandbox:
        stack = engine(tmp_path, sandbox, "takers", PLATFORMS[platform]())
        with pytest.raises(auto.errors.CommandError) as caught:
            stack.preview()
        with pytest.raises(auto.errors.CommandError):
            stack.up()
        text = str(caught.value)
        assert expected in text
        assert "Fix:" in text and "Traceback" not in text
        assert writes(sandbox, 0) == []


def test_a_service_deferring_to_the_number_passes(tmp_path: Path) -> None:
    with Sandbox(seed.deferring_messaging_service_account()) as sandbox:
        stack = engine(tmp_path, sandbox, "deferring", sandbox_config())
        stack.up()
        assert service(sandbox)["use_inbound_webhook_on_number"] is True
        stack.destroy()
        assert service(sandbox)["use_inbound_webhook_on_number"] is True


def test_defer_refuses_a_service_shared_with_numbers_not_managed(tmp_path: Path) -> None:
    with Sandbox(seed.shared_messaging_service_account()) as sandbox:
        config = {**sandbox_config(), "flexorch:messagingServices": "defer"}
        stack = engine(tmp_path, sandbox, "shared", config)
        with pytest.raises(auto.errors.CommandError) as caught:
            stack.preview()
        assert f"would also move {seed.OTHER_NUMBER} (not in flexorch:numbers)" in str(caught.value)
        assert writes(sandbox, 0) == []


@pytest.mark.parametrize(
    ("platform", "case"),
    [
        ("programmable-chat", "messaging-service"),
        ("programmable-chat", "twiml-app"),
        ("conversations", "messaging-service"),
    ],
)
def test_opted_in_up_fixes_it_first_refresh_undoes_drift_destroy_puts_it_back(
    tmp_path: Path, platform: str, case: str
) -> None:
    account, _ = CASES[case]
    key, mode = (
        ("flexorch:messagingServices", "defer")
        if case == "messaging-service"
        else ("flexorch:twimlApps", "detach")
    )
    fixed: Callable[[Sandbox], bool] = (
        (lambda s: service(s)["use_inbound_webhook_on_number"] is True)
        if case == "messaging-service"
        else (lambda s: app_on_number(s) == "")
    )
    with Sandbox(account()) as sandbox:
        stack = engine(tmp_path, sandbox, "fixing", {**PLATFORMS[platform](), key: mode})
        stack.up()
        assert fixed(sandbox)
        done = [r for r in sandbox.requests if r["method"] != "GET"]
        fix = next(
            i
            for i, r in enumerate(done)
            if r["path"].endswith(seed.A2P_SERVICE_SID)
            or "SmsApplicationSid" in str(r.get("form", {}))
        )
        moves = [
            i
            for i, r in enumerate(done)
            if "Addresses" in r["path"]
            or ("IncomingPhoneNumbers" in r["path"] and "SmsApplicationSid" not in str(r["form"]))
        ]
        assert moves and fix < min(moves)

        mark = len(sandbox.requests)
        stack.preview(expect_no_changes=True)
        assert sandbox.since(mark) == []

        # A person puts it back in the Console: drift, undone by up --refresh.
        if case == "messaging-service":
            service(sandbox)["use_inbound_webhook_on_number"] = False
        else:
            sandbox.fake.find(seed.NUMBERS, phone_number=seed.FLEX_FLOW_NUMBER)[
                "sms_application_sid"
            ] = seed.APP_SID
        up = stack.up(refresh=True)
        assert up.summary.resource_changes.get("update") == 1
        assert fixed(sandbox)

        destroy = stack.destroy()
        assert "Traceback" not in destroy.stdout + destroy.stderr
        if case == "messaging-service":
            assert service(sandbox)["use_inbound_webhook_on_number"] is False
        else:
            assert app_on_number(sandbox) == seed.APP_SID


def test_preview_refuses_a_channel_the_workspace_has_no_room_for(tmp_path: Path) -> None:
    with Sandbox(seed.full_workspace_account()) as sandbox:
        stack = engine(tmp_path, sandbox, "full", sandbox_config())
        with pytest.raises(auto.errors.CommandError) as caught:
            stack.preview()
        text = str(caught.value)
        assert f"workspace {seed.WORKSPACE_SID} has 15 TaskChannels" in text
        assert "would add 1 (custom1): 16, more than the 15 TaskRouter allows" in text
        assert "Traceback" not in text
        assert writes(sandbox, 0) == []


@pytest.mark.parametrize("refresh", [True, False], ids=["up --refresh", "plain up"])
def test_console_drift_then_opting_in_previews_and_applies_the_new_modes(
    tmp_path: Path, refresh: bool
) -> None:
    """The rehearsal's F2: a Console change a refresh refuses; the fix its error names works.

    After the modes change, `preview --refresh` judges what it found by the new modes (it
    passes), and `up`, refreshed or not, defers the service and detaches the app.
    """
    with Sandbox(seed.flex_account()) as sandbox:
        stack = engine(tmp_path, sandbox, "drifted", sandbox_config())
        stack.up()
        # In the Console: the number joins a Messaging Service and gets a TwiML App.
        seed.add_messaging_service(sandbox.fake, [seed.FREE_NUMBER])
        seed.add_twiml_app(sandbox.fake, seed.FREE_NUMBER)

        def app_on_free_number() -> Any:
            return sandbox.fake.find(seed.NUMBERS, phone_number=seed.FREE_NUMBER)[
                "sms_application_sid"
            ]

        mark = len(sandbox.requests)
        with pytest.raises(auto.errors.CommandError) as caught:
            stack.preview(refresh=True)
        text = str(caught.value)
        number_in = f"{seed.FREE_NUMBER} is in Messaging Service {seed.A2P_SERVICE_SID}"
        assert f'{number_in} "Sandbox A2P", which sends its inbound messages to' in text
        assert f'{seed.FREE_NUMBER} has TwiML App {seed.APP_SID} "Legacy SMS bot"' in text
        assert "set flexorch:messagingServices: defer" in text
        assert "set flexorch:twimlApps: detach" in text
        assert "Traceback" not in text
        assert writes(sandbox, mark) == []

        stack.set_config("flexorch:messagingServices", auto.ConfigValue("defer"))
        stack.set_config("flexorch:twimlApps", auto.ConfigValue("detach"))
        mark = len(sandbox.requests)
        stack.preview(refresh=True)
        assert writes(sandbox, mark) == []

        # A preview keeps no state: a plain `up` has only what it reads itself.
        up = stack.up(refresh=refresh)
        assert up.summary.resource_changes.get("update") == 1
        assert service(sandbox)["use_inbound_webhook_on_number"] is True
        assert app_on_free_number() == ""

        mark = len(sandbox.requests)
        stack.preview(expect_no_changes=True)
        assert sandbox.since(mark) == []
        mark = len(sandbox.requests)
        stack.preview(refresh=True, expect_no_changes=True)
        lists = [r["path"] for r in sandbox.since(mark) if r["method"] == "GET"]
        numbers_list = f"/2010-04-01/Accounts/{seed.ACCOUNT_SID}/IncomingPhoneNumbers.json"
        for listing in (numbers_list, "/v1/Services", "/v1/FlexFlows"):
            assert lists.count(listing) == 1, listing

        stack.destroy()
        assert service(sandbox)["use_inbound_webhook_on_number"] is False
        assert app_on_free_number() == seed.APP_SID
