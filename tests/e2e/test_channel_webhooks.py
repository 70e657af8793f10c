"""End to end: a returning customer's chat channel still hands messages to Studio.

Flex's SMS Flex Flow on +15005550007 made an ACTIVE chat channel for a customer before the
switch, with the channel-scoped Studio webhook Flex gives each channel it creates. With
`flexFlows: disable`, the real Pulumi CLI's `up` removes exactly that webhook before any number
moves, a no-change run costs nothing, one a person adds back in the Console is drift that
`up --refresh` removes, and destroy puts it back once. `fail` refuses before any write. The steps
share the stack, so they run in file order.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pulumi.automation as auto
import pytest
from engine import adopted_settings, engine, sandbox_config

from flexorch.sandbox import seed
from flexorch.sandbox.server import Sandbox


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    fake = seed.returning_customer_account()
    seed.add_flex_channel(fake, "Guest 1", flow="Flex Web Channel Flow")  # not a managed number
    with Sandbox(fake) as running:
        yield running


@pytest.fixture(scope="module")
def channel(sandbox: Sandbox) -> str:
    return seed.sid("CH", f"SMS Flex Flow channel of {seed.RETURNING_CUSTOMER}")


@pytest.fixture(scope="module")
def before(sandbox: Sandbox) -> dict[str, Any]:
    return adopted_settings(sandbox)


@pytest.fixture(scope="module")
def stack(sandbox: Sandbox, before: dict, tmp_path_factory: pytest.TempPathFactory) -> Any:
    return engine(tmp_path_factory.mktemp("channels"), sandbox, "channels", sandbox_config())


def on_channel(sandbox: Sandbox, channel: str) -> list[dict[str, Any]]:
    return [w for w in sandbox.fake.all(seed.CHANNEL_WEBHOOKS) if w["channel_sid"] == channel]


def test_up_removes_the_studio_webhook_before_any_number_moves(
    stack: Any, sandbox: Sandbox, channel: str
) -> None:
    (studio,) = on_channel(sandbox, channel)
    mark = len(sandbox.requests)
    up = stack.up()
    assert up.summary.resource_changes == {"create": 15}
    assert on_channel(sandbox, channel) == []
    web_chat = seed.sid("CH", "Flex Web Channel Flow channel of Guest 1")
    assert len(on_channel(sandbox, web_chat)) == 1  # web chat keeps Flex's orchestration
    requests = sandbox.since(mark)
    paths = [(r["method"], r["path"]) for r in requests]
    hook = f"/v2/Services/{seed.CHAT_SERVICE_SID}/Channels/{channel}/Webhooks/{studio['sid']}"
    removal = paths.index(("DELETE", hook))
    first_number = next(
        i for i, (m, p) in enumerate(paths) if m == "POST" and "/IncomingPhone" in p
    )
    assert removal < first_number
    reads = [p for m, p in paths if m == "GET"]
    # the 8 of a stack without channels, then the service's channels, the Flex channels and
    # the one ACTIVE managed channel's webhooks
    assert len(reads) == 11, reads


def test_no_change_preview_and_up_make_no_request(stack: Any, sandbox: Sandbox) -> None:
    mark = len(sandbox.requests)
    stack.preview(expect_no_changes=True)
    assert stack.up().summary.resource_changes == {"same": 15}
    assert sandbox.since(mark) == []


def test_a_webhook_added_back_in_the_console_is_removed_by_up_refresh(
    stack: Any, sandbox: Sandbox, channel: str
) -> None:
    sandbox.fake.add(seed.CHANNEL_WEBHOOKS, {"ServiceSid": seed.CHAT_SERVICE_SID,
                     "ChannelSid": channel}, type="studio",
                     configuration={"flow_sid": seed.STUDIO_FLOW_SID})  # fmt: skip
    up = stack.up(refresh=True)
    assert up.summary.resource_changes == {"same": 14, "update": 1}
    assert on_channel(sandbox, channel) == []
    stack.preview(expect_no_changes=True)


def test_destroy_puts_the_webhook_back_once(
    stack: Any, sandbox: Sandbox, before: dict, channel: str
) -> None:
    destroy = stack.destroy()
    assert adopted_settings(sandbox)["channel_webhooks"] == before["channel_webhooks"]
    (back,) = on_channel(sandbox, channel)
    assert (back["type"], back["configuration"]["flow_sid"]) == ("studio", seed.STUDIO_FLOW_SID)
    assert "Traceback" not in destroy.stdout + destroy.stderr


def test_fail_mode_refuses_at_preview_naming_the_channel(
    sandbox: Sandbox, channel: str, tmp_path: Path
) -> None:
    config = sandbox_config()
    config["flexorch:flexFlows"] = "fail"
    stack = engine(tmp_path, sandbox, "channels-fail", config)
    mark = len(sandbox.requests)
    with pytest.raises(auto.errors.CommandError) as caught:
        stack.preview()
    text = str(caught.value)
    assert (
        f"{channel} (Flex Flow {seed.sid('FO', 'SMS Flex Flow')} on {seed.FLEX_FLOW_NUMBER})"
        in text
    )
    assert f"to Studio flow {seed.STUDIO_FLOW_SID}" in text
    assert "Traceback" not in text
    assert [r for r in sandbox.since(mark) if r["method"] != "GET"] == []
