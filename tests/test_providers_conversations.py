"""Flex Conversations providers against the stateful fake: addresses, SmsUrl, service webhooks.

The number's route holds its Address Configuration, so the order of a cut-over's two writes is
the route's own: checked here request by request, as the e2e tests check it from the sandbox log.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from helpers import InProcessHttp, LoseFirstCreate, use_fake

from flexorch import lookups
from flexorch.errors import FlexorchError
from flexorch.resources.chat_webhooks import (
    ChatServiceSnapshotProvider,
    ChatServiceWebhooksProvider,
)
from flexorch.resources.phone_number import PhoneNumberRouteProvider, PhoneNumbersSnapshotProvider
from flexorch.sandbox import seed
from flexorch.sandbox.seed import (
    ACCOUNT_SID,
    CHAT_SERVICE_SID,
    FLEX_FLOW_NUMBER,
    FREE_NUMBER,
    PROXY_WEBHOOK,
)
from flexorch.twilio_facts import ADDRESS_FRIENDLY_NAME

HANDLER = "https://handler.example.com/sms"
CHAT_HANDLER = "https://handler.example.com/flex"
ADDRESSES_PATH = "/v1/Configuration/Addresses"
WEBHOOKS_PATH = f"/v1/Services/{CHAT_SERVICE_SID}/Configuration/Webhooks"
ADDRESS = {
    "webhook_url": HANDLER,
    "webhook_method": "POST",
    "webhook_filters": ["onMessageAdded"],
    "conversation_service_sid": CHAT_SERVICE_SID,
}


def number_path(fake, number: str) -> str:
    sid = fake.find(seed.NUMBERS, phone_number=number)["sid"]
    return f"/2010-04-01/Accounts/{ACCOUNT_SID}/IncomingPhoneNumbers/{sid}.json"


def writes(http) -> list[tuple[str, str]]:
    return [(m, p) for m, p, _ in http.log if m != "GET"]


def record(number: str, addresses: bool = True) -> dict[str, Any]:
    props = {"numbers": [number], "handler_url": HANDLER, "addresses": addresses}
    return dict(PhoneNumbersSnapshotProvider().create(props).outs["records"][number])


def on_conversations(number: str, snapshot: dict[str, Any]) -> dict[str, Any]:
    return {"number": number, "snapshot": snapshot, "sms_url": "", "sms_method": "POST",
            "platform": "conversations", "address": dict(ADDRESS)}  # fmt: skip


def on_chat(number: str, snapshot: dict[str, Any]) -> dict[str, Any]:
    return {"number": number, "snapshot": snapshot, "sms_url": HANDLER, "sms_method": "POST",
            "platform": "programmable-chat", "address": None}  # fmt: skip


def addresses(fake) -> list[dict[str, Any]]:
    return fake.all(seed.ADDRESSES)


# --- numbers --------------------------------------------------------------------------------


def test_a_number_gets_an_address_first_then_its_sms_url_emptied(http, fake) -> None:
    snapshot = record(FREE_NUMBER)
    assert snapshot["address"] == {}  # none before flexorch: one is created
    http.log.clear()
    created = PhoneNumberRouteProvider().create(on_conversations(FREE_NUMBER, snapshot))
    [address] = addresses(fake)
    assert address["address"] == FREE_NUMBER and address["type"] == "sms"
    assert address["friendly_name"] == ADDRESS_FRIENDLY_NAME
    assert address["auto_creation"] == {
        "enabled": True,
        "type": "webhook",
        "conversation_service_sid": CHAT_SERVICE_SID,
        "webhook_url": HANDLER,
        "webhook_method": "post",
        "webhook_filters": ["onMessageAdded"],
    }
    number = fake.find(seed.NUMBERS, phone_number=FREE_NUMBER)
    assert number["sms_url"] == ""
    # The address is in place before the SmsUrl goes: two requests, in that order.
    assert writes(http) == [("POST", ADDRESSES_PATH), ("POST", number_path(fake, FREE_NUMBER))]
    assert created.outs["address_sid"] == address["sid"]
    assert created.outs["address_previous"] is None

    http.log.clear()
    PhoneNumberRouteProvider().delete(created.id, created.outs)
    assert number["sms_url"] == PROXY_WEBHOOK
    assert addresses(fake) == []
    assert writes(http) == [
        ("POST", number_path(fake, FREE_NUMBER)),
        ("DELETE", f"{ADDRESSES_PATH}/{address['sid']}"),
    ]


def test_an_existing_address_is_adopted_and_put_back_as_it_was(http, fake) -> None:
    studio = {"enabled": True, "type": "studio", "studio_flow_sid": seed.STUDIO_FLOW_SID,
              "studio_retry_count": 2, "conversation_service_sid": CHAT_SERVICE_SID}  # fmt: skip
    existing = fake.add(
        seed.ADDRESSES, type="sms", address=FREE_NUMBER, friendly_name="Flex Studio address",
        auto_creation=dict(studio),
    )  # fmt: skip
    snapshot = record(FREE_NUMBER)
    assert snapshot["address"]["sid"] == existing["sid"]
    assert snapshot["address"]["type"] == "studio"
    created = PhoneNumberRouteProvider().create(on_conversations(FREE_NUMBER, snapshot))
    assert [a["sid"] for a in addresses(fake)] == [existing["sid"]]  # taken over, not a second
    assert existing["auto_creation"]["type"] == "webhook"
    assert existing["auto_creation"]["webhook_url"] == HANDLER
    PhoneNumberRouteProvider().delete(created.id, created.outs)
    assert existing["auto_creation"]["type"] == "studio"
    assert existing["auto_creation"]["studio_flow_sid"] == seed.STUDIO_FLOW_SID
    assert existing["auto_creation"]["studio_retry_count"] == 2
    assert existing["friendly_name"] == "Flex Studio address"


@pytest.mark.parametrize("applied", [True, False], ids=["applied", "not-applied"])
def test_an_address_create_with_a_lost_answer_makes_one(monkeypatch, fake, applied) -> None:
    http = use_fake(monkeypatch, fake, LoseFirstCreate(fake, "/Addresses", applied))
    snapshot = record(FREE_NUMBER)
    created = PhoneNumberRouteProvider().create(on_conversations(FREE_NUMBER, snapshot))
    [address] = addresses(fake)
    assert created.outs["address_sid"] == address["sid"]
    posts = [p for m, p, _ in http.log if m == "POST" and p == ADDRESSES_PATH]
    assert posts == [ADDRESSES_PATH] * (1 if applied else 2)


def test_switching_a_number_moves_it_with_the_new_path_first_and_back(http, fake) -> None:
    provider = PhoneNumberRouteProvider()
    chat = on_chat(FREE_NUMBER, record(FREE_NUMBER, addresses=False))
    created = provider.create(chat)
    number = fake.find(seed.NUMBERS, phone_number=FREE_NUMBER)
    assert number["sms_url"] == HANDLER

    # The snapshot, switched too, records the addresses (the number still has none).
    snapshot = record(FREE_NUMBER)
    http.log.clear()
    moved = provider.update(created.id, created.outs, on_conversations(FREE_NUMBER, snapshot))
    [address] = addresses(fake)
    assert writes(http) == [("POST", ADDRESSES_PATH), ("POST", number_path(fake, FREE_NUMBER))]
    assert number["sms_url"] == ""
    assert moved.outs["previous"]["sms_url"] == PROXY_WEBHOOK  # from before flexorch, kept

    http.log.clear()
    back = provider.update(created.id, moved.outs, on_chat(FREE_NUMBER, snapshot))
    # Back: the SmsUrl first, then the address goes.
    assert writes(http) == [
        ("POST", number_path(fake, FREE_NUMBER)),
        ("DELETE", f"{ADDRESSES_PATH}/{address['sid']}"),
    ]
    assert number["sms_url"] == HANDLER and addresses(fake) == []
    provider.delete(created.id, back.outs)
    assert number["sms_url"] == PROXY_WEBHOOK


def test_an_address_deleted_in_the_console_reads_as_drift_and_is_made_again(http, fake) -> None:
    provider = PhoneNumberRouteProvider()
    props = on_conversations(FREE_NUMBER, record(FREE_NUMBER))
    created = provider.create(props)
    assert provider.read(created.id, created.outs).outs["address"]["webhook_url"] == HANDLER
    fake.records[seed.ADDRESSES].clear()
    lookups.forget()  # the next refresh: a process of its own
    read = provider.read(created.id, created.outs)
    assert read.outs["address_sid"] == "" and read.outs["address"] is None
    assert provider.diff(created.id, read.outs, props).changes is True
    provider.update(created.id, read.outs, props)
    [address] = addresses(fake)
    assert address["auto_creation"]["webhook_url"] == HANDLER


def test_an_unchanged_conversations_route_diffs_without_a_request(http, fake) -> None:
    provider = PhoneNumberRouteProvider()
    props = on_conversations(FREE_NUMBER, record(FREE_NUMBER))
    created = provider.create(props)
    http.log.clear()
    read = provider.read(created.id, created.outs)
    assert provider.diff(created.id, read.outs, props).changes is False
    assert [m for m, _, _ in http.log] == ["GET", "GET"]  # the number and its address
    http.log.clear()
    assert provider.diff(created.id, created.outs, props).changes is False
    assert http.log == []


def test_the_numbers_snapshot_lists_addresses_once_for_every_number(http, fake) -> None:
    props = {"numbers": [FREE_NUMBER, FLEX_FLOW_NUMBER], "handler_url": HANDLER,
             "addresses": True}  # fmt: skip
    records = PhoneNumbersSnapshotProvider().create(props).outs["records"]
    assert {n: r["address"] for n, r in records.items()} == {
        FREE_NUMBER: {},
        FLEX_FLOW_NUMBER: {},
    }
    assert [p for _, p, _ in http.log].count(ADDRESSES_PATH) == 1


def test_switching_the_numbers_snapshot_records_addresses_and_keeps_the_sms_record(
    http, fake
) -> None:
    provider = PhoneNumbersSnapshotProvider()
    olds = {"numbers": [FREE_NUMBER], "handler_url": HANDLER, "addresses": False}
    first = provider.create(olds)
    assert "address" not in first.outs["records"][FREE_NUMBER]
    fake.find(seed.NUMBERS, phone_number=FREE_NUMBER)["sms_url"] = HANDLER  # flexorch's write
    news = dict(olds, addresses=True)
    assert provider.diff("phone-numbers", first.outs, news).changes is True
    http.log.clear()
    lookups.forget()  # a later run: nothing remembered
    updated = provider.update("phone-numbers", first.outs, news).outs["records"][FREE_NUMBER]
    assert [p for _, p, _ in http.log] == [ADDRESSES_PATH]  # no number added: none listed
    assert updated["previous"]["sms_url"] == PROXY_WEBHOOK  # still the one from before
    assert updated["address"] == {}


# --- the Conversations service's webhooks ----------------------------------------------------


def webhooks_props(platform: str, snapshot: dict[str, Any]) -> dict[str, Any]:
    return {"service_sid": CHAT_SERVICE_SID, "snapshot": snapshot, "pre_webhook_url": "",
            "post_webhook_url": CHAT_HANDLER, "webhook_method": "POST",
            "webhook_filters": ["onMessageAdded"], "retry_count": 0,
            "platform": platform}  # fmt: skip


def service_snapshot(platform: str) -> dict[str, Any]:
    props = {"service_sid": CHAT_SERVICE_SID, "handler_url": CHAT_HANDLER, "platform": platform}
    outs = ChatServiceSnapshotProvider().create(props).outs
    return {k: outs.get(k) for k in ("previous", "previous_conversations", "points_at_handler")}


def conversations_webhooks(fake) -> dict[str, Any]:
    return fake.singleton(seed.CONVERSATION_SERVICE_WEBHOOKS, ChatServiceSid=CHAT_SERVICE_SID)


def test_the_conversations_service_webhooks_are_set_and_restored(http, fake) -> None:
    webhooks = conversations_webhooks(fake)
    webhooks.update(post_webhook_url="https://old.example.com/", filters=["onConversationAdded"])
    snapshot = service_snapshot("conversations")
    assert snapshot["previous_conversations"]["filters"] == ["onConversationAdded"]
    assert [p for _, p, _ in http.log] == [WEBHOOKS_PATH]  # no Chat v2 request at all
    provider = ChatServiceWebhooksProvider()
    created = provider.create(webhooks_props("conversations", snapshot))
    assert webhooks["post_webhook_url"] == CHAT_HANDLER
    assert webhooks["filters"] == ["onMessageAdded"] and webhooks["method"] == "POST"
    read = provider.read(created.id, created.outs)
    unchanged = webhooks_props("conversations", {})
    assert provider.diff(created.id, read.outs, unchanged).changes is False
    provider.delete(created.id, created.outs)
    assert webhooks["post_webhook_url"] == "https://old.example.com/"
    assert webhooks["filters"] == ["onConversationAdded"]


def test_a_platform_switch_gives_back_the_old_webhooks_before_setting_the_new(http, fake) -> None:
    provider = ChatServiceWebhooksProvider()
    before = service_snapshot("programmable-chat")
    chat = provider.create(webhooks_props("programmable-chat", before))
    chat_service = fake.find(seed.CHAT_SERVICES, sid=CHAT_SERVICE_SID)
    assert chat_service["post_webhook_url"] == CHAT_HANDLER
    # The snapshot, switched, records the Conversations settings as they are before the move.
    snapshot = {**service_snapshot("conversations"), "previous": chat.outs["previous"]}
    http.log.clear()
    moved = provider.update(chat.id, chat.outs, webhooks_props("conversations", snapshot))
    assert writes(http) == [("POST", f"/v2/Services/{CHAT_SERVICE_SID}"), ("POST", WEBHOOKS_PATH)]
    assert chat_service["webhook_filters"] == []  # Chat v2 as it was before flexorch
    assert conversations_webhooks(fake)["post_webhook_url"] == CHAT_HANDLER

    http.log.clear()
    back = provider.update(chat.id, moved.outs, webhooks_props("programmable-chat", snapshot))
    assert writes(http) == [("POST", WEBHOOKS_PATH), ("POST", f"/v2/Services/{CHAT_SERVICE_SID}")]
    assert conversations_webhooks(fake)["filters"] == []
    assert chat_service["post_webhook_url"] == CHAT_HANDLER
    provider.delete(chat.id, back.outs)
    assert chat_service["webhook_filters"] == []


def test_a_conversations_service_that_does_not_exist_fails_the_snapshot_check(http) -> None:
    props = {"service_sid": "IS" + "0" * 32, "handler_url": CHAT_HANDLER,
             "platform": "conversations"}  # fmt: skip
    [failure] = ChatServiceSnapshotProvider().check({}, props).failures
    assert failure.property == "service_sid"
    assert failure.reason.startswith(f'ConversationsService "IS{"0" * 32}": look up its webhooks:')
    assert "\n" not in failure.reason


def test_an_address_a_stopped_run_made_is_taken_over_and_a_console_one_refused(http, fake) -> None:
    snapshot = record(FREE_NUMBER)  # recorded before the run that was stopped
    made = fake.add(seed.ADDRESSES, type="sms", address=FREE_NUMBER,
                    friendly_name=ADDRESS_FRIENDLY_NAME,
                    auto_creation={"enabled": True, "type": "webhook"})  # fmt: skip
    created = PhoneNumberRouteProvider().create(on_conversations(FREE_NUMBER, snapshot))
    assert created.outs["address_sid"] == made["sid"] and len(addresses(fake)) == 1
    assert made["auto_creation"]["webhook_url"] == HANDLER

    fake.records[seed.ADDRESSES].clear()
    theirs = fake.add(seed.ADDRESSES, type="sms", address=FREE_NUMBER, friendly_name="Mine",
                      auto_creation={"enabled": True, "type": "default"})  # fmt: skip
    with pytest.raises(FlexorchError) as caught:
        PhoneNumberRouteProvider().create(on_conversations(FREE_NUMBER, snapshot))
    assert str(caught.value) == (
        f'PhoneNumberRoute "{FREE_NUMBER}": {FREE_NUMBER} got an Address Configuration '
        f"({theirs['sid']}) outside flexorch after this stack recorded it; delete it in the "
        "Console, then run up again"
    )
    assert theirs["auto_creation"] == {"enabled": True, "type": "default"}  # left alone


def test_a_new_handler_url_on_conversations_is_one_write_per_number(http, fake) -> None:
    provider = PhoneNumberRouteProvider()
    props = on_conversations(FREE_NUMBER, record(FREE_NUMBER))
    created = provider.create(props)
    moved = dict(props, address=dict(ADDRESS, webhook_url="https://handler.example.com/v2"))
    http.log.clear()
    provider.update(created.id, created.outs, moved)
    [address] = addresses(fake)
    assert writes(http) == [("POST", f"{ADDRESSES_PATH}/{address['sid']}")]  # SmsUrl stays empty
    assert address["auto_creation"]["webhook_url"] == "https://handler.example.com/v2"


class RefuseNumberWrites(InProcessHttp):
    """Twilio refuses every write to an IncomingPhoneNumber (a 429 that outlasted retries)."""

    def request(self, method, url, *args, **kwargs):
        if method == "POST" and "/IncomingPhoneNumbers/" in url:
            self.log.append((method, url, {}))
            from twilio.http.response import Response

            return Response(400, '{"code": 21452, "message": "refused", "status": 400}')
        return super().request(method, url, *args, **kwargs)


def test_a_switch_whose_sms_url_write_fails_gives_the_address_back(monkeypatch, fake) -> None:
    use_fake(monkeypatch, fake)
    provider = PhoneNumberRouteProvider()
    created = provider.create(on_chat(FREE_NUMBER, record(FREE_NUMBER, addresses=False)))
    snapshot = record(FREE_NUMBER)
    use_fake(monkeypatch, fake, RefuseNumberWrites(fake))
    with pytest.raises(FlexorchError, match="refused"):
        provider.update(created.id, created.outs, on_conversations(FREE_NUMBER, snapshot))
    assert addresses(fake) == []  # the update failed, so nothing it made may stay
    assert fake.find(seed.NUMBERS, phone_number=FREE_NUMBER)["sms_url"] == HANDLER


def test_a_create_whose_sms_url_write_fails_puts_an_adopted_address_back(monkeypatch, fake) -> None:
    existing = fake.add(seed.ADDRESSES, type="sms", address=FREE_NUMBER, friendly_name="Studio",
                        auto_creation={"enabled": True, "type": "studio",
                                       "studio_flow_sid": seed.STUDIO_FLOW_SID})  # fmt: skip
    use_fake(monkeypatch, fake)
    snapshot = record(FREE_NUMBER)
    use_fake(monkeypatch, fake, RefuseNumberWrites(fake))
    with pytest.raises(FlexorchError):
        PhoneNumberRouteProvider().create(on_conversations(FREE_NUMBER, snapshot))
    assert [a["sid"] for a in addresses(fake)] == [existing["sid"]]
    assert existing["auto_creation"]["type"] == "studio"


def test_back_on_conversations_the_snapshot_records_the_addresses_of_now(http, fake) -> None:
    provider = PhoneNumbersSnapshotProvider()
    on = {"numbers": [FREE_NUMBER], "handler_url": HANDLER, "addresses": True}
    first = provider.create(on)
    assert first.outs["records"][FREE_NUMBER]["address"] == {}
    off = provider.update("phone-numbers", first.outs, dict(on, addresses=False)).outs
    made = fake.add(seed.ADDRESSES, type="sms", address=FREE_NUMBER, friendly_name="Admin's",
                    auto_creation={"enabled": True, "type": "default"})  # fmt: skip
    lookups.forget()
    again = provider.update("phone-numbers", off, on).outs["records"][FREE_NUMBER]
    assert again["address"]["sid"] == made["sid"]  # adopted, not refused as unknown


def test_a_switch_that_finds_conversations_on_the_handler_records_the_chat_settings(
    http, fake
) -> None:
    """If Twilio keeps Chat v2 and Conversations webhooks together, what is there on the switch is
    flexorch's own: the settings from before flexorch are the Chat ones it recorded."""
    provider = ChatServiceSnapshotProvider()
    props = {"service_sid": CHAT_SERVICE_SID, "handler_url": CHAT_HANDLER,
             "platform": "programmable-chat"}  # fmt: skip
    chat = fake.find(seed.CHAT_SERVICES, sid=CHAT_SERVICE_SID)
    chat.update(post_webhook_url="https://old.example.com/", webhook_filters=["onMessageSent"])
    first = provider.create(props).outs
    conversations_webhooks(fake).update(post_webhook_url=CHAT_HANDLER, filters=["onMessageAdded"])
    lookups.forget()
    moved = provider.update(CHAT_SERVICE_SID, first, dict(props, platform="conversations")).outs
    assert moved["previous_conversations"] == {
        "pre_webhook_url": "",
        "post_webhook_url": "https://old.example.com/",
        "method": "POST",
        "filters": ["onMessageAdded"],
    }
    assert moved["previous"] == first["previous"]


def test_conversations_webhooks_changed_in_the_console_read_as_drift_and_are_set_again(
    http, fake
) -> None:
    provider = ChatServiceWebhooksProvider()
    props = webhooks_props("conversations", service_snapshot("conversations"))
    created = provider.create(props)
    webhooks = conversations_webhooks(fake)
    webhooks.update(post_webhook_url="https://someone-else.example.com/", filters=[])
    read = provider.read(created.id, created.outs)
    assert provider.diff(created.id, read.outs, props).changes is True
    provider.update(created.id, read.outs, props)
    assert webhooks["post_webhook_url"] == CHAT_HANDLER
    assert webhooks["filters"] == ["onMessageAdded"]


# --- a cut-over whose second write fails: read back before anything is undone ---------------


class Killed(BaseException):
    """The CLI killed mid-operation: nothing after it runs, no `except` undoes anything."""


class AnswerLost(InProcessHttp):
    """Requests `method` to a path matching `pattern` get `status` after (or without) applying.

    `applied`: Twilio applied the request before its answer was lost (a 5xx or a dropped
    connection past the retries); else it refused it. `kill`: the CLI dies right after.
    """

    def __init__(
        self,
        fake,
        method: str,
        pattern: str,
        *,
        applied: bool = True,
        status: int = 500,
        kill: bool = False,
        times: int | None = None,
    ) -> None:
        super().__init__(fake)
        self.method, self.pattern, self.applied = method, re.compile(pattern), applied
        self.status, self.kill, self.times, self.fired = status, kill, times, 0

    def request(self, method, url, *args, **kwargs):
        from twilio.http.response import Response

        path = urlsplit(url).path
        due = self.times is None or self.fired < self.times
        if method != self.method or not self.pattern.search(path) or not due:
            return super().request(method, url, *args, **kwargs)
        self.fired += 1
        if self.applied:
            super().request(method, url, *args, **kwargs)
        else:
            self.log.append((method, path, {}))
        if self.kill:
            raise Killed(path)
        body = {"code": 20000 + self.status, "message": "answer lost", "status": self.status}
        return Response(self.status, json.dumps(body))


NUMBER_WRITE = r"/IncomingPhoneNumbers/PN[0-9a-f]{32}\.json$"
ADDRESS_WRITE = r"/Configuration/Addresses/IG[0-9a-f]{32}$"
STUDIO = {"enabled": True, "type": "studio", "studio_flow_sid": seed.STUDIO_FLOW_SID,
          "studio_retry_count": 2, "conversation_service_sid": CHAT_SERVICE_SID}  # fmt: skip


def studio_address(fake) -> dict[str, Any]:
    return fake.add(seed.ADDRESSES, type="sms", address=FREE_NUMBER, friendly_name="Studio",
                    auto_creation=dict(STUDIO))  # fmt: skip


def inbound_paths(fake, number: str = FREE_NUMBER) -> dict[str, Any]:
    """What takes `number`'s messages now: its SmsUrl and its address's autoCreation."""
    found = [a for a in addresses(fake) if a["address"] == number]
    assert len(found) <= 1
    auto = found[0]["auto_creation"] if found else {}
    webhook = auto.get("type") == "webhook"
    return {
        "sms_url": fake.find(seed.NUMBERS, phone_number=number)["sms_url"],
        "address": (auto["webhook_url"] if webhook else auto["type"]) if found else None,
    }


def on_chat_then_moving(monkeypatch, fake, adopted: bool):
    """A route on Programmable Chat and the snapshot's record once it moves onto Conversations."""
    if adopted:
        studio_address(fake)
    use_fake(monkeypatch, fake)
    provider = PhoneNumberRouteProvider()
    created = provider.create(on_chat(FREE_NUMBER, record(FREE_NUMBER, addresses=False)))
    return provider, created, record(FREE_NUMBER)


@pytest.mark.parametrize("adopted", [False, True], ids=["created", "adopted"])
def test_a_switch_whose_sms_url_answer_is_lost_after_it_was_applied_is_done(
    monkeypatch, fake, adopted
) -> None:
    provider, created, snapshot = on_chat_then_moving(monkeypatch, fake, adopted)
    http = use_fake(monkeypatch, fake, AnswerLost(fake, "POST", NUMBER_WRITE, times=1))
    moved = provider.update(created.id, created.outs, on_conversations(FREE_NUMBER, snapshot))
    # Read back: Twilio emptied the SmsUrl, so the address is the number's path; kept.
    assert inbound_paths(fake) == {"sms_url": "", "address": HANDLER}
    [address] = addresses(fake)
    assert moved.outs["address_sid"] == address["sid"]
    assert [m for m, _, _ in http.log] == ["POST", "POST", "GET"]  # the address, SmsUrl, read
    provider.delete(created.id, moved.outs)
    seeded = {"sms_url": PROXY_WEBHOOK, "address": "studio" if adopted else None}
    assert inbound_paths(fake) == seeded


def test_a_create_whose_sms_url_answer_is_lost_after_it_was_applied_is_done(
    monkeypatch, fake
) -> None:
    use_fake(monkeypatch, fake)
    snapshot = record(FREE_NUMBER)
    use_fake(monkeypatch, fake, AnswerLost(fake, "POST", NUMBER_WRITE, times=1))
    created = PhoneNumberRouteProvider().create(on_conversations(FREE_NUMBER, snapshot))
    assert inbound_paths(fake) == {"sms_url": "", "address": HANDLER}
    assert created.outs["address_sid"] == addresses(fake)[0]["sid"]


def test_a_switch_whose_sms_url_answer_and_read_back_are_lost_undoes_nothing(
    monkeypatch, fake
) -> None:
    provider, created, snapshot = on_chat_then_moving(monkeypatch, fake, adopted=False)

    class ReadsLostToo(AnswerLost):
        def request(self, method, url, *args, **kwargs):
            from twilio.http.response import Response

            if method == "GET" and re.search(NUMBER_WRITE, urlsplit(url).path):
                return Response(503, '{"code": 20503, "message": "busy", "status": 503}')
            return super().request(method, url, *args, **kwargs)

    use_fake(monkeypatch, fake, ReadsLostToo(fake, "POST", NUMBER_WRITE))
    with pytest.raises(FlexorchError, match="answer lost"):
        provider.update(created.id, created.outs, on_conversations(FREE_NUMBER, snapshot))
    # Nobody knows whether the SmsUrl went: the address stays, so the number has a path.
    assert inbound_paths(fake) == {"sms_url": "", "address": HANDLER}


@pytest.mark.parametrize("adopted", [False, True], ids=["created", "adopted"])
def test_a_rollback_whose_address_answer_is_lost_after_it_was_applied_is_done(
    monkeypatch, fake, adopted
) -> None:
    provider, created, snapshot = on_chat_then_moving(monkeypatch, fake, adopted)
    moved = provider.update(created.id, created.outs, on_conversations(FREE_NUMBER, snapshot))
    write = "POST" if adopted else "DELETE"  # an adopted address is put back, a created deleted
    use_fake(monkeypatch, fake, AnswerLost(fake, write, ADDRESS_WRITE, times=1))
    back = provider.update(created.id, moved.outs, on_chat(FREE_NUMBER, snapshot))
    # Read back: the address went (or is Studio's again), so the SmsUrl stays at the handler.
    assert inbound_paths(fake) == {"sms_url": HANDLER, "address": "studio" if adopted else None}
    assert back.outs["address_sid"] == "" and back.outs["platform"] == "programmable-chat"
    if adopted:
        assert addresses(fake)[0]["auto_creation"]["studio_retry_count"] == 2
    use_fake(monkeypatch, fake)
    http = use_fake(monkeypatch, fake)
    assert provider.diff(created.id, back.outs, on_chat(FREE_NUMBER, snapshot)).changes is False
    assert http.log == []


def test_a_rollback_whose_address_delete_was_refused_empties_the_sms_url_again(
    monkeypatch, fake
) -> None:
    provider, created, snapshot = on_chat_then_moving(monkeypatch, fake, adopted=False)
    moved = provider.update(created.id, created.outs, on_conversations(FREE_NUMBER, snapshot))
    refused = AnswerLost(fake, "DELETE", ADDRESS_WRITE, applied=False, status=400)
    use_fake(monkeypatch, fake, refused)
    with pytest.raises(FlexorchError, match="answer lost"):
        provider.update(created.id, moved.outs, on_chat(FREE_NUMBER, snapshot))
    # Read back: the address still takes the messages; the SmsUrl empty, as state records.
    assert inbound_paths(fake) == {"sms_url": "", "address": HANDLER}


# --- a cut-over stopped after its first write, then reverted --------------------------------


def reverted(fake, snapshot_outs: dict[str, Any]) -> dict[str, Any]:
    """The numbers snapshot after the config went back to Programmable Chat."""
    lookups.forget()
    back = dict(snapshot_outs, addresses=False)
    return PhoneNumbersSnapshotProvider().update("phone-numbers", snapshot_outs, back).outs


@pytest.mark.parametrize("adopted", [False, True], ids=["created", "adopted"])
@pytest.mark.parametrize("stop", ["killed", "answer-lost"])
def test_a_switch_stopped_after_the_address_write_then_reverted_gives_it_back(
    monkeypatch, fake, adopted, stop
) -> None:
    if adopted:
        existing = studio_address(fake)
    use_fake(monkeypatch, fake)
    snapshots, provider = PhoneNumbersSnapshotProvider(), PhoneNumberRouteProvider()
    props = {"numbers": [FREE_NUMBER], "handler_url": HANDLER, "addresses": False}
    chat = snapshots.create(props).outs
    created = provider.create(on_chat(FREE_NUMBER, chat["records"][FREE_NUMBER]))
    lookups.forget()
    moving = snapshots.update("phone-numbers", chat, dict(props, addresses=True)).outs
    # The address write is applied, then the CLI dies (or its answer is lost past retries, with
    # the give-back's requests lost too): the route's state still says Programmable Chat.
    if stop == "killed":
        transport = AnswerLost(fake, "POST", "/Configuration/Addresses", kill=True)
    else:
        transport = AnswerLost(fake, "POST", "/Configuration/Addresses")
        transport.request = _and_every_later_request_lost(transport)
    use_fake(monkeypatch, fake, transport)
    switch = on_conversations(FREE_NUMBER, moving["records"][FREE_NUMBER])
    with pytest.raises((Killed, FlexorchError)):
        provider.update(created.id, created.outs, switch)
    assert inbound_paths(fake) == {"sms_url": HANDLER, "address": HANDLER}

    http = use_fake(monkeypatch, fake)
    back = reverted(fake, moving)["records"][FREE_NUMBER]
    news = on_chat(FREE_NUMBER, back)
    assert provider.diff(created.id, created.outs, news).changes is True  # no request
    assert http.log == []
    [left] = addresses(fake)
    repaired = provider.update(created.id, created.outs, news)
    assert inbound_paths(fake) == {"sms_url": HANDLER, "address": "studio" if adopted else None}
    if adopted:
        # What was empty stays as Twilio has it (the spec cannot send "none").
        webhook = {"webhook_url": HANDLER, "webhook_method": "post"}
        assert existing["auto_creation"] == {**STUDIO, **webhook,
                                             "webhook_filters": ["onMessageAdded"]}  # fmt: skip
    # One read (the account's addresses), then the SmsUrl set again (the stopped run may have
    # emptied it too) before the address is given back: never a moment with no path.
    assert [(m, p) for m, p, _ in http.log] == [
        ("GET", ADDRESSES_PATH),
        ("POST", number_path(fake, FREE_NUMBER)),
        ("POST" if adopted else "DELETE", f"{ADDRESSES_PATH}/{left['sid']}"),
    ]

    http.log.clear()
    assert provider.diff(created.id, repaired.outs, news).changes is False
    assert http.log == []
    provider.delete(created.id, repaired.outs)
    seeded = {"sms_url": PROXY_WEBHOOK, "address": "studio" if adopted else None}
    assert inbound_paths(fake) == seeded


def _and_every_later_request_lost(transport: AnswerLost):
    """After the first fault, every request fails (Twilio unreachable until the run ends)."""
    forward = transport.request

    def request(method, url, *args, **kwargs):
        from twilio.http.response import Response

        if transport.fired:
            transport.log.append((method, urlsplit(url).path, {}))
            return Response(503, '{"code": 20503, "message": "unreachable", "status": 503}')
        return forward(method, url, *args, **kwargs)

    return request


def test_an_address_write_whose_answer_is_lost_is_given_back_at_once(monkeypatch, fake) -> None:
    existing = studio_address(fake)
    provider, created, snapshot = on_chat_then_moving(monkeypatch, fake, adopted=False)
    assert snapshot["address"]["sid"] == existing["sid"]
    use_fake(monkeypatch, fake, AnswerLost(fake, "POST", ADDRESS_WRITE, times=1))
    with pytest.raises(FlexorchError, match="answer lost"):
        provider.update(created.id, created.outs, on_conversations(FREE_NUMBER, snapshot))
    # Read back: Twilio had moved the Studio address to the handler; it is put back.
    assert inbound_paths(fake) == {"sms_url": HANDLER, "address": "studio"}


def test_a_route_made_on_chat_gives_back_an_address_a_stopped_create_left(
    monkeypatch, fake
) -> None:
    use_fake(monkeypatch, fake)
    snapshots = PhoneNumbersSnapshotProvider()
    props = {"numbers": [FREE_NUMBER], "handler_url": HANDLER, "addresses": True}
    moving = snapshots.create(props).outs
    use_fake(monkeypatch, fake, AnswerLost(fake, "POST", NUMBER_WRITE, kill=True))
    provider = PhoneNumberRouteProvider()
    with pytest.raises(Killed):  # after the SmsUrl was emptied: both writes were applied
        provider.create(on_conversations(FREE_NUMBER, moving["records"][FREE_NUMBER]))
    assert inbound_paths(fake) == {"sms_url": "", "address": HANDLER}
    use_fake(monkeypatch, fake)
    back = on_chat(FREE_NUMBER, reverted(fake, moving)["records"][FREE_NUMBER])
    created = provider.create(back)
    assert inbound_paths(fake) == {"sms_url": HANDLER, "address": None}
    assert provider.diff(created.id, created.outs, back).changes is False


def test_a_clean_round_trip_leaves_nothing_to_give_back_and_costs_no_more(
    monkeypatch, fake
) -> None:
    provider, created, snapshot = on_chat_then_moving(monkeypatch, fake, adopted=True)
    http = use_fake(monkeypatch, fake)
    moved = provider.update(created.id, created.outs, on_conversations(FREE_NUMBER, snapshot))
    back = provider.update(created.id, moved.outs, on_chat(FREE_NUMBER, snapshot))
    assert [m for m, _, _ in http.log] == ["POST", "POST", "POST", "POST"]  # no read back
    http.log.clear()
    assert provider.diff(created.id, back.outs, on_chat(FREE_NUMBER, snapshot)).changes is False
    assert http.log == []
