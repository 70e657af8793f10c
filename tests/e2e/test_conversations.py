"""End to end on Flex Conversations: the real Pulumi CLI, the real program, the sandbox.

A conversations stack goes up, previews and ups with zero requests, repairs a deleted address,
and destroys with everything restored. Then a 1.x stack is switched onto Conversations (the
cut-over) and back (the rollback), and the order of the writes is read from the sandbox's log.
The steps share the sandbox and run in file order.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from engine import adopted_settings, engine, rewrite_flexorch_config
from helpers import ROOT

from flexorch.sandbox import seed
from flexorch.sandbox.server import Sandbox

HANDLER = "http://localhost:3000/flex"
NUMBERS = (seed.FREE_NUMBER, seed.FLEX_FLOW_NUMBER)


def chat_config() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "examples" / "Pulumi.sandbox.yaml").read_text())["config"]


def conversations_config() -> dict[str, Any]:
    path = ROOT / "examples" / "Pulumi.sandbox-conversations.yaml"
    return yaml.safe_load(path.read_text())["config"]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed.flex_account()) as running:
        yield running


@pytest.fixture(scope="module")
def before(sandbox: Sandbox) -> dict[str, Any]:
    """What the seeded account has before any up, with its Conversations settings."""
    return {**adopted_settings(sandbox), **conversations_settings(sandbox)}


def conversations_settings(sandbox: Sandbox) -> dict[str, Any]:
    fake = sandbox.fake
    webhooks = fake.singleton(
        seed.CONVERSATION_SERVICE_WEBHOOKS, ChatServiceSid=seed.CHAT_SERVICE_SID
    )
    return {
        "addresses": {a["sid"]: dict(a) for a in fake.all(seed.ADDRESSES)},
        "conversations_webhooks": dict(webhooks),
    }


@pytest.fixture(scope="module")
def stack(sandbox: Sandbox, before: dict, tmp_path_factory: pytest.TempPathFactory) -> Any:
    return engine(tmp_path_factory.mktemp("conv"), sandbox, "conv", conversations_config())


def writes(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in requests if r["method"] != "GET"]


def address_of(sandbox: Sandbox, number: str) -> dict[str, Any]:
    return sandbox.fake.find(seed.ADDRESSES, address=number)


def number_path(sandbox: Sandbox, number: str) -> str:
    sid = sandbox.fake.find(seed.NUMBERS, phone_number=number)["sid"]
    return f"/2010-04-01/Accounts/{seed.ACCOUNT_SID}/IncomingPhoneNumbers/{sid}.json"


def number_writes(
    sandbox: Sandbox, requests: list[dict[str, Any]], number: str, address_sid: str = ""
) -> list[str]:
    """What happened to `number`'s inbound path, in order: `address <method>`, `sms_url=<value>`.

    Its address is the one created with `Address=number`, or `address_sid`.
    """
    out = []
    for request in writes(requests):
        if request["path"] == number_path(sandbox, number):
            out.append(f"sms_url={request['form'].get('SmsUrl', ['?'])[0]}")
        elif request["host"] == "conversations.twilio.com" and (
            request["form"].get("Address") == [number]
            or request["path"] == f"/v1/Configuration/Addresses/{address_sid}"
        ):
            out.append(f"address {request['method']}")
    return out


# --- a stack that starts on Conversations ---------------------------------------------------


def test_preview_looks_everything_up_and_writes_nothing(stack: Any, sandbox: Sandbox) -> None:
    mark = len(sandbox.requests)
    result = stack.preview()
    assert result.change_summary == {"create": 15}
    requests = sandbox.since(mark)
    assert writes(requests) == []
    # workspace, queue, the Conversations service's webhooks, the numbers, their addresses,
    # the Flex Flows, the Messaging Services (none), the workspace's TaskChannels (room for
    # custom1): one read each, and no Programmable Chat request at all
    assert len(requests) == 8, requests
    assert not any(r["path"].startswith("/v2/Services") for r in requests)


def test_up_gives_each_number_an_address_and_empties_its_sms_url(
    stack: Any, sandbox: Sandbox
) -> None:
    mark = len(sandbox.requests)
    result = stack.up()
    assert result.summary.resource_changes == {"create": 15}
    requests = sandbox.since(mark)
    assert not any(r["path"].startswith("/v2/Services") for r in requests)
    reads = [r["path"] for r in requests if r["method"] == "GET"]
    # the eight of preview, and the Workflow's look-up by name (an earlier run may have made it)
    assert len(reads) == 9, reads
    # the Flex Flow disabled, the channel and the Workflow created, the service's webhooks,
    # and per number its address and its SmsUrl
    assert len(writes(requests)) == 8, writes(requests)
    fake = sandbox.fake
    for number in NUMBERS:
        address = address_of(sandbox, number)
        assert address["type"] == "sms"
        assert address["auto_creation"] == {
            "enabled": True,
            "type": "webhook",
            "conversation_service_sid": seed.CHAT_SERVICE_SID,
            "webhook_url": HANDLER,
            "webhook_method": "post",
            "webhook_filters": ["onMessageAdded"],
        }
        assert fake.find(seed.NUMBERS, phone_number=number)["sms_url"] == ""
        # The address first, then the SmsUrl: never a moment with neither.
        assert number_writes(sandbox, requests, number) == ["address POST", "sms_url="]
    webhooks = fake.singleton(
        seed.CONVERSATION_SERVICE_WEBHOOKS, ChatServiceSid=seed.CHAT_SERVICE_SID
    )
    assert webhooks["post_webhook_url"] == HANDLER
    assert webhooks["filters"] == ["onMessageAdded", "onConversationUpdated"]
    assert fake.find(seed.FLEX_FLOWS, friendly_name="SMS Flex Flow")["enabled"] is False
    # Programmable Chat's own settings were not touched.
    assert fake.find(seed.CHAT_SERVICES, sid=seed.CHAT_SERVICE_SID)["webhook_filters"] == []


def test_no_change_preview_and_up_make_no_request(stack: Any, sandbox: Sandbox) -> None:
    mark = len(sandbox.requests)
    stack.preview(expect_no_changes=True)
    assert stack.up().summary.resource_changes == {"same": 15}
    assert sandbox.since(mark) == []


def test_up_refresh_repairs_what_a_person_changed_in_the_console(
    stack: Any, sandbox: Sandbox
) -> None:
    # One number's address deleted; the other's SmsUrl set again and its address pointed away.
    gone = address_of(sandbox, seed.FREE_NUMBER)
    del sandbox.fake.records[seed.ADDRESSES][gone["sid"]]
    number = sandbox.fake.find(seed.NUMBERS, phone_number=seed.FLEX_FLOW_NUMBER)
    number["sms_url"] = "https://someone-else.example.com/sms"
    other = address_of(sandbox, seed.FLEX_FLOW_NUMBER)
    other["auto_creation"]["webhook_url"] = "https://someone-else.example.com/conversations"
    up = stack.up(refresh=True)
    assert up.summary.resource_changes == {"same": 13, "update": 2}
    again = address_of(sandbox, seed.FREE_NUMBER)
    assert again["sid"] != gone["sid"]
    assert again["auto_creation"]["webhook_url"] == HANDLER
    assert number["sms_url"] == ""
    assert address_of(sandbox, seed.FLEX_FLOW_NUMBER)["sid"] == other["sid"]  # the same one
    assert other["auto_creation"]["webhook_url"] == HANDLER
    stack.preview(expect_no_changes=True)


def test_destroy_restores_every_setting(stack: Any, sandbox: Sandbox, before: dict) -> None:
    mark = len(sandbox.requests)
    stack.destroy()
    # the Flex Flow re-enabled, the channel and the Workflow deleted, the service's webhooks,
    # and per number its SmsUrl and its address; nothing read
    assert [r["method"] for r in sandbox.since(mark)].count("GET") == 0
    assert len(writes(sandbox.since(mark))) == 8
    fake = sandbox.fake
    for number, record in before["numbers"].items():
        now = fake.find(seed.NUMBERS, phone_number=number)
        assert (now["sms_url"], now["sms_method"]) == (record["sms_url"], record["sms_method"])
    assert conversations_settings(sandbox)["addresses"] == before["addresses"] == {}
    webhooks = conversations_settings(sandbox)["conversations_webhooks"]
    assert webhooks["filters"] == before["conversations_webhooks"]["filters"]
    assert webhooks["method"] == before["conversations_webhooks"]["method"]
    assert {f["sid"]: f["enabled"] for f in fake.all(seed.FLEX_FLOWS)} == before["flows"]
    assert {w["sid"] for w in fake.all(seed.WORKFLOWS)} == before["workflows"]
    assert {c["sid"] for c in fake.all(seed.TASK_CHANNELS)} == before["channels"]


# --- a 1.x stack switched onto Conversations and back ---------------------------------------


@pytest.fixture(scope="module")
def switched(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Any:
    return engine(tmp_path_factory.mktemp("switch"), sandbox, "switch", chat_config())


def test_the_cut_over_puts_each_address_in_place_before_the_sms_url_goes(
    switched: Any, sandbox: Sandbox, before: dict
) -> None:
    assert switched.up().summary.resource_changes == {"create": 15}
    on_chat = {n: sandbox.fake.find(seed.NUMBERS, phone_number=n)["sms_url"] for n in NUMBERS}
    assert on_chat == {n: HANDLER for n in NUMBERS}
    rewrite_flexorch_config(_stack_file(switched), conversations_config())
    mark = len(sandbox.requests)
    up = switched.up()
    # the chat service and numbers snapshots record what the move changes; the webhooks and
    # both numbers move; the Flex Flow snapshot and guard no longer cover chat channels
    assert up.summary.resource_changes == {"same": 8, "update": 7}
    requests = sandbox.since(mark)
    # Read: the Conversations webhooks and the SMS addresses as they are before the move, and
    # the numbers, Flex Flows and Messaging Services (the snapshots' checks look their changed
    # inputs up again). Written: Chat v2 given back, Conversations set, and per number its
    # address and its SmsUrl.
    assert [r["method"] for r in requests].count("GET") == 5, [r["path"] for r in requests]
    assert len(writes(requests)) == 6, writes(requests)
    for number in NUMBERS:
        assert number_writes(sandbox, requests, number) == ["address POST", "sms_url="]
    # Programmable Chat's webhooks given back before Conversations' are set.
    service = [r for r in writes(requests) if "/Services/" + seed.CHAT_SERVICE_SID in r["path"]]
    assert [(r["host"], r["path"]) for r in service] == [
        ("chat.twilio.com", f"/v2/Services/{seed.CHAT_SERVICE_SID}"),
        (
            "conversations.twilio.com",
            f"/v1/Services/{seed.CHAT_SERVICE_SID}/Configuration/Webhooks",
        ),
    ]
    chat = sandbox.fake.find(seed.CHAT_SERVICES, sid=seed.CHAT_SERVICE_SID)
    assert chat["webhook_filters"] == before["chat"]["webhook_filters"]
    mark = len(sandbox.requests)
    switched.preview(expect_no_changes=True)
    assert sandbox.since(mark) == []


def test_the_rollback_puts_each_sms_url_back_before_the_address_goes(
    switched: Any, sandbox: Sandbox, before: dict
) -> None:
    rewrite_flexorch_config(_stack_file(switched), chat_config())
    addresses = {n: address_of(sandbox, n)["sid"] for n in NUMBERS}
    mark = len(sandbox.requests)
    up = switched.up()
    assert up.summary.resource_changes == {"same": 8, "update": 7}
    requests = sandbox.since(mark)
    # Read: the snapshots' checks looking their changed inputs up again (the chat service, the
    # numbers, the Flex Flows, the Messaging Services: both platforms' settings are recorded)
    # and, back on Programmable Chat, the chat service's channels. Written: the mirror of the
    # cut-over.
    gets = [r["path"] for r in requests if r["method"] == "GET"]
    assert len(gets) == 5, gets
    assert f"/v2/Services/{seed.CHAT_SERVICE_SID}/Channels" in gets
    assert len(writes(requests)) == 6, writes(requests)
    for number in NUMBERS:
        moved = number_writes(sandbox, requests, number, addresses[number])
        assert moved == [f"sms_url={HANDLER}", "address DELETE"]
        assert sandbox.fake.find(seed.NUMBERS, phone_number=number)["sms_url"] == HANDLER
    assert sandbox.fake.all(seed.ADDRESSES) == []
    chat = sandbox.fake.find(seed.CHAT_SERVICES, sid=seed.CHAT_SERVICE_SID)
    assert chat["post_webhook_url"] == HANDLER
    assert chat["webhook_filters"] == ["onMessageSent", "onChannelUpdated"]
    webhooks = conversations_settings(sandbox)["conversations_webhooks"]
    assert webhooks["filters"] == before["conversations_webhooks"]["filters"]
    switched.preview(expect_no_changes=True)


def test_after_the_round_trip_destroy_restores_the_account_as_it_was(
    switched: Any, sandbox: Sandbox, before: dict
) -> None:
    switched.destroy()
    fake = sandbox.fake
    for number, record in before["numbers"].items():
        now = fake.find(seed.NUMBERS, phone_number=number)
        assert (now["sms_url"], now["sms_method"]) == (record["sms_url"], record["sms_method"])
    chat = fake.find(seed.CHAT_SERVICES, sid=seed.CHAT_SERVICE_SID)
    assert chat["webhook_filters"] == before["chat"]["webhook_filters"]
    assert fake.all(seed.ADDRESSES) == []
    assert {f["sid"]: f["enabled"] for f in fake.all(seed.FLEX_FLOWS)} == before["flows"]


def _stack_file(stack: Any) -> Path:
    return Path(stack.workspace.work_dir) / f"Pulumi.{stack.name}.yaml"
