"""The guard's second half: Studio/Flex webhooks Flex left on managed numbers' chat channels.

Against the stateful fake in this process: what the snapshot records (and reads), `fail`
refusing before any write, `disable` removing exactly those and destroy putting them back once,
and the faults: a crash after the removal, a destroy stopped halfway, a lost create answer, a
channel deleted since, and a webhook a person added again in the Console.
"""

from __future__ import annotations

from typing import Any

import pytest
from helpers import LoseFirstCreate, use_fake

from flexorch import lookups
from flexorch.errors import FlexorchError
from flexorch.resources.flex_flow_guard import FlexFlowGuardProvider, FlexFlowSnapshotProvider
from flexorch.sandbox import seed
from flexorch.sandbox.seed import CHAT_SERVICE_SID, FLEX_FLOW_NUMBER, FREE_NUMBER

BOTH = [FREE_NUMBER, FLEX_FLOW_NUMBER]
CUSTOMER = seed.RETURNING_CUSTOMER
HANDLER = "https://handler.example.com/flex"


@pytest.fixture
def returning(fake) -> str:
    """An ACTIVE channel the SMS Flex Flow (on +15005550007) made before the switch."""
    return seed.add_flex_channel(fake, CUSTOMER)


def webhooks(fake, channel: str) -> list[dict[str, Any]]:
    return [w for w in fake.all(seed.CHANNEL_WEBHOOKS) if w["channel_sid"] == channel]


def writes(http) -> list[tuple[str, str]]:
    return [(m, p) for m, p, _ in http.log if m != "GET"]


def snapshot(numbers=BOTH, service: str | None = CHAT_SERVICE_SID) -> dict[str, Any]:
    props = {"numbers": list(numbers), "chat_service_sid": service}
    return FlexFlowSnapshotProvider().create(props).outs


def guard(mode: str, numbers=BOTH, service: str | None = CHAT_SERVICE_SID) -> dict[str, Any]:
    """Guard props with a snapshot taken now."""
    outs = snapshot(numbers, service)
    recorded = {k: outs[k] for k in ("resolved_numbers", "conflicts", "others", "channel_webhooks")}
    return {"numbers": list(numbers), "mode": mode, "chat_service_sid": service,
            "snapshot": recorded}  # fmt: skip


def test_the_snapshot_records_only_flex_webhooks_on_active_channels_of_managed_numbers(
    http, fake, returning
) -> None:
    studio = webhooks(fake, returning)[0]
    # The team's own webhook on that channel is theirs, not Flex's.
    fake.add(seed.CHANNEL_WEBHOOKS, {"ServiceSid": CHAT_SERVICE_SID, "ChannelSid": returning},
             type="webhook", configuration={"url": HANDLER, "method": "POST"})  # fmt: skip
    inactive = seed.add_flex_channel(fake, "+15558670002", status="INACTIVE")
    web_chat = seed.add_flex_channel(fake, "Guest 1", flow="Flex Web Channel Flow")
    outs = snapshot()
    assert outs["channel_webhooks"] == [
        {
            "service": CHAT_SERVICE_SID,
            "channel": returning,
            "sid": studio["sid"],
            "type": "studio",
            "configuration": {"flow_sid": seed.STUDIO_FLOW_SID, "retry_count": 0},
            "flex_flow": seed.sid("FO", "SMS Flex Flow"),
            "contact_identity": FLEX_FLOW_NUMBER,
            "to": f"Studio flow {seed.STUDIO_FLOW_SID}",
        }
    ]
    read = [p for m, p, _ in http.log if m == "GET"]
    # numbers, Flex Flows, the service's channels, the Flex channels, one channel's webhooks,
    # Messaging Services (none)
    assert len(read) == 6, read
    assert not any(inactive in p or web_chat in p for p in read)
    assert writes(http) == []


def test_no_flex_flow_on_the_numbers_costs_no_channel_read(http, returning) -> None:
    assert snapshot([FREE_NUMBER])["channel_webhooks"] == []
    assert not any("Channels" in p for _, p, _ in http.log)


def test_no_active_channel_costs_one_read_and_no_flex_channel_list(http, fake) -> None:
    seed.add_flex_channel(fake, CUSTOMER, status="INACTIVE")
    assert snapshot()["channel_webhooks"] == []
    channel_reads = [p for _, p, _ in http.log if "Channels" in p]
    assert channel_reads == [f"/v2/Services/{CHAT_SERVICE_SID}/Channels"]


def test_on_conversations_no_channel_is_read(http, returning) -> None:
    assert snapshot(service=None)["channel_webhooks"] == []
    assert not any("Channels" in p for _, p, _ in http.log)


def test_preview_checks_the_numbers_without_reading_channels(http, returning) -> None:
    props = {"numbers": BOTH, "chat_service_sid": CHAT_SERVICE_SID}
    assert FlexFlowSnapshotProvider().check({}, props).failures == []
    assert http.log and not any("Channels" in p for _, p, _ in http.log)


def test_fail_mode_refuses_in_check_naming_the_channel_and_the_fix(http, fake, returning) -> None:
    fake.find(seed.FLEX_FLOWS, friendly_name="SMS Flex Flow")["enabled"] = False
    props = guard("fail")
    result = FlexFlowGuardProvider().check({}, props)
    assert len(result.failures) == 1
    reason = result.failures[0].reason
    hook = webhooks(fake, returning)[0]["sid"]
    assert "1 webhook(s) on ACTIVE chat channels of managed numbers" in reason
    assert (
        f"{returning} (Flex Flow {seed.sid('FO', 'SMS Flex Flow')} on {FLEX_FLOW_NUMBER})" in reason
    )
    assert f"has {hook} (studio, to Studio flow {seed.STUDIO_FLOW_SID})" in reason
    assert f"--channel-sid {returning} --sid {hook}" in reason
    assert "flexorch:flexFlows: disable" in reason
    assert "Flex Flow(s) still take" not in reason  # the disabled flow is no conflict
    with pytest.raises(FlexorchError, match="1 webhook"):
        FlexFlowGuardProvider().create(props)
    assert writes(http) == []
    assert len(webhooks(fake, returning)) == 1


def test_disable_removes_exactly_that_webhook_and_destroy_puts_it_back(
    http, fake, returning
) -> None:
    web_chat = seed.add_flex_channel(fake, "Guest 1", flow="Flex Web Channel Flow")
    before = webhooks(fake, returning)[0]
    provider = FlexFlowGuardProvider()
    props = guard("disable")
    http.log.clear()
    created = provider.create(props)
    assert webhooks(fake, returning) == []
    assert len(webhooks(fake, web_chat)) == 1  # web chat keeps Flex's orchestration
    path = f"/v2/Services/{CHAT_SERVICE_SID}/Channels/{returning}/Webhooks/{before['sid']}"
    assert ("DELETE", path) in writes(http)
    assert [h["sid"] for h in created.outs["removed_webhooks"]] == [before["sid"]]

    http.log.clear()
    provider.delete(created.id, created.outs)
    (after,) = webhooks(fake, returning)
    assert (after["type"], after["configuration"]) == ("studio", before["configuration"])
    flex_flow_writes = [w for w in writes(http) if "FlexFlows" in w[1]]
    assert len(writes(http)) == len(flex_flow_writes) + 1  # one create for the webhook


def test_a_guard_created_again_after_a_crash_still_puts_the_webhook_back(
    http, fake, returning
) -> None:
    provider = FlexFlowGuardProvider()
    props = guard("disable")
    provider.create(props)  # stopped before its outputs reached the state
    again = provider.create(props)  # the snapshot's record drives the re-run
    assert [h["channel"] for h in again.outs["removed_webhooks"]] == [returning]
    lookups.forget()
    assert snapshot()["channel_webhooks"] == []  # a snapshot now would have lost it
    provider.delete(again.id, again.outs)
    assert [w["type"] for w in webhooks(fake, returning)] == ["studio"]


def test_a_destroy_stopped_halfway_and_run_again_puts_back_one(http, fake, returning) -> None:
    provider = FlexFlowGuardProvider()
    created = provider.create(guard("disable"))
    provider.delete(created.id, created.outs)  # put back, but the state still has the guard
    provider.delete(created.id, created.outs)
    assert len(webhooks(fake, returning)) == 1


@pytest.mark.parametrize("applied", [True, False])
def test_a_put_back_whose_answer_was_lost_makes_one(monkeypatch, fake, returning, applied) -> None:
    use_fake(monkeypatch, fake)
    provider = FlexFlowGuardProvider()
    created = provider.create(guard("disable"))
    use_fake(monkeypatch, fake, LoseFirstCreate(fake, "/Webhooks", applied))
    provider.delete(created.id, created.outs)
    assert [w["type"] for w in webhooks(fake, returning)] == ["studio"]


def test_a_channel_deleted_since_is_skipped_on_destroy(http, fake, returning) -> None:
    provider = FlexFlowGuardProvider()
    created = provider.create(guard("disable"))
    del fake.records[seed.CHAT_CHANNELS][returning]
    http.log.clear()
    provider.delete(created.id, created.outs)
    assert [m for m, p, _ in http.log if returning in p] == ["GET"]  # 404, nothing created


def test_a_webhook_added_again_in_the_console_is_drift_removed_by_up(http, fake, returning) -> None:
    provider = FlexFlowGuardProvider()
    props = guard("disable")
    created = provider.create(props)
    assert provider.read(created.id, created.outs).outs["webhook_drift"] == []
    # A person puts a Studio webhook back on the customer's channel.
    fake.add(seed.CHANNEL_WEBHOOKS, {"ServiceSid": CHAT_SERVICE_SID, "ChannelSid": returning},
             type="studio", configuration={"flow_sid": seed.STUDIO_FLOW_SID})  # fmt: skip
    refreshed = provider.read(created.id, created.outs).outs
    assert [h["channel"] for h in refreshed["webhook_drift"]] == [returning]
    assert provider.diff(created.id, refreshed, props).changes is True
    http.log.clear()
    updated = provider.update(created.id, refreshed, props)
    assert webhooks(fake, returning) == []
    assert [m for m, _ in writes(http)] == ["DELETE"]
    assert len(updated.outs["removed_webhooks"]) == 2 and updated.outs["webhook_drift"] == []
    provider.delete(created.id, updated.outs)
    assert len(webhooks(fake, returning)) == 1  # both went to one place: put back once


def test_in_fail_mode_a_webhook_found_again_stops_the_preview(http, fake, returning) -> None:
    provider = FlexFlowGuardProvider()
    fake.records[seed.CHANNEL_WEBHOOKS].clear()
    fake.find(seed.FLEX_FLOWS, friendly_name="SMS Flex Flow")["enabled"] = False
    props = guard("fail")
    created = provider.create(props)
    fake.add(seed.CHANNEL_WEBHOOKS, {"ServiceSid": CHAT_SERVICE_SID, "ChannelSid": returning},
             type="studio", configuration={"flow_sid": seed.STUDIO_FLOW_SID})  # fmt: skip
    refreshed = provider.read(created.id, created.outs).outs
    assert provider.diff(created.id, refreshed, props).changes is True
    with pytest.raises(FlexorchError, match=f"{returning} .*studio, to Studio flow"):
        provider.preview_update(refreshed, props)


def test_a_number_no_longer_managed_gets_its_channels_webhooks_back(http, fake, returning) -> None:
    provider = FlexFlowGuardProvider()
    created = provider.create(guard("disable"))
    assert webhooks(fake, returning) == []
    lookups.forget()
    news = {"numbers": [FREE_NUMBER], "chat_service_sid": CHAT_SERVICE_SID}
    kept = FlexFlowSnapshotProvider().update("flex-flows", snapshot(), news).outs
    recorded = {k: kept[k] for k in ("resolved_numbers", "conflicts", "others", "channel_webhooks")}
    updated = provider.update(
        created.id, created.outs, {"mode": "disable", "snapshot": recorded, **news}
    )
    assert [w["type"] for w in webhooks(fake, returning)] == ["studio"]
    assert updated.outs["removed_webhooks"] == []


def test_a_put_back_from_the_state_sends_whole_numbers(http, fake, returning) -> None:
    provider = FlexFlowGuardProvider()
    created = provider.create(guard("disable"))
    state = dict(created.outs)  # Pulumi's state keeps every number as a float
    state["removed_webhooks"] = [
        {**h, "configuration": {**h["configuration"], "retry_count": 0.0}}
        for h in created.outs["removed_webhooks"]
    ]
    provider.delete(created.id, state)
    (posted,) = [form for m, p, form in http.log if m == "POST" and p.endswith("/Webhooks")]
    assert posted["Configuration.RetryCount"] == ["0"]


def test_many_returning_customers_cost_one_webhook_list_each(http, fake) -> None:
    channels = [seed.add_flex_channel(fake, f"+1555867{i:04d}") for i in range(12)]
    provider = FlexFlowGuardProvider()
    props = guard("disable")
    lists = [p for m, p, _ in http.log if m == "GET" and p.endswith("/Webhooks")]
    assert sorted(lists) == sorted(
        f"/v2/Services/{CHAT_SERVICE_SID}/Channels/{c}/Webhooks" for c in channels
    )
    created = provider.create(props)
    assert len(created.outs["removed_webhooks"]) == 12
    assert all(webhooks(fake, c) == [] for c in channels)
    provider.delete(created.id, created.outs)
    assert all([w["type"] for w in webhooks(fake, c)] == ["studio"] for c in channels)
