"""The guard's takers: Messaging Services and TwiML Apps that would take a managed number's SMS.

Against the stateful fake in this process: what the snapshot records and reads, `fail` refusing
one line per number before any write, no false alarm (a deferring service, a service with no
inbound URL, a number without an app), the opt-in fixes and destroy putting them back, and the
faults: a create run again after a crash, a destroy run twice, a lost answer, a Console change
found by a refresh, an object deleted since, a number no longer managed.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from helpers import InProcessHttp, use_fake

from flexorch import lookups
from flexorch.errors import FlexorchError
from flexorch.resources.flex_flow_guard import FlexFlowGuardProvider, FlexFlowSnapshotProvider
from flexorch.sandbox import seed
from flexorch.sandbox.seed import A2P_SERVICE_SID, APP_SID, FLEX_FLOW_NUMBER, FREE_NUMBER

BOTH = [FREE_NUMBER, FLEX_FLOW_NUMBER]
SERVICE = f"/v1/Services/{A2P_SERVICE_SID}"
NUMBER_7 = seed.sid("PN", FLEX_FLOW_NUMBER)
RECORDED = ("resolved_numbers", "conflicts", "others", "channel_webhooks", "messaging_services",
            "twiml_apps")  # fmt: skip


def writes(http: InProcessHttp) -> list[tuple[str, str, dict[str, list[str]]]]:
    return [(m, p, f) for m, p, f in http.log if m != "GET"]


def snapshot(numbers: list[str] = BOTH) -> dict[str, Any]:
    return FlexFlowSnapshotProvider().create({"numbers": list(numbers)}).outs


def guard(numbers: list[str] = BOTH, **modes: str) -> dict[str, Any]:
    """Guard props (Flex Flows disabled as in the sandbox stack) with a snapshot taken now."""
    outs = snapshot(numbers)
    return {"numbers": list(numbers), "mode": "disable", "chat_service_sid": None,
            "snapshot": {k: outs[k] for k in RECORDED},
            "messaging_services": modes.get("messaging_services", "fail"),
            "twiml_apps": modes.get("twiml_apps", "fail")}  # fmt: skip


def service(fake: Any) -> dict[str, Any]:
    return fake.find(seed.MESSAGING_SERVICES, sid=A2P_SERVICE_SID)


def app_of(fake: Any, number: str) -> Any:
    return fake.find(seed.NUMBERS, phone_number=number).get("sms_application_sid")


def reasons(props: dict[str, Any]) -> str:
    failures = FlexFlowGuardProvider().check({}, props).failures
    return "\n".join(f.reason for f in failures)


# --- Messaging Services ----------------------------------------------------------------------


def test_the_snapshot_records_the_service_of_a_managed_number_with_one_list_each(http) -> None:
    seed.add_messaging_service(http.fake, [FREE_NUMBER])
    recorded = snapshot()["messaging_services"]
    assert recorded == [
        {
            "sid": A2P_SERVICE_SID,
            "friendly_name": "Sandbox A2P",
            "inbound_request_url": seed.A2P_INBOUND_URL,
            "use_inbound_webhook_on_number": False,
            "numbers": [FREE_NUMBER],
            "others": [],
        }
    ]
    service_reads = [p for m, p, _ in http.log if m == "GET" and p.startswith("/v1/Services")]
    assert service_reads == ["/v1/Services", f"{SERVICE}/PhoneNumbers"]
    assert writes(http) == []


def test_an_account_without_services_costs_one_list(http) -> None:
    assert snapshot()["messaging_services"] == []
    assert [p for _, p, _ in http.log if p.startswith("/v1/Services")] == ["/v1/Services"]


def test_an_endpoint_without_the_messaging_product_holds_no_service(monkeypatch, fake) -> None:
    class NoMessaging(InProcessHttp):
        def request(self, method, url, *args, **kwargs):
            from twilio.http.response import Response

            if url.startswith("https://messaging.twilio.com/"):
                self.log.append((method, url, {}))
                body = {"code": 20404, "message": "Not found", "status": 404}
                return Response(404, json.dumps(body), headers={})
            return super().request(method, url, *args, **kwargs)

    use_fake(monkeypatch, fake, NoMessaging(fake))
    assert snapshot()["messaging_services"] == []


def test_fail_refuses_one_line_per_number_naming_the_service_and_the_fix(http) -> None:
    seed.add_messaging_service(http.fake, BOTH)
    props = guard()
    reason = reasons(props)
    lines = reason.splitlines()
    assert len(lines) == 2
    for line, number in zip(lines, BOTH, strict=True):
        assert line.startswith(f'{number} is in Messaging Service {A2P_SERVICE_SID} "Sandbox A2P"')
        assert f"sends its inbound messages to {seed.A2P_INBOUND_URL}" in line
        assert f"--sid {A2P_SERVICE_SID} --use-inbound-webhook-on-number" in line
        assert "flexorch:messagingServices: defer" in line
    with pytest.raises(FlexorchError, match="is in Messaging Service"):
        FlexFlowGuardProvider().create(props)
    assert writes(http) == []  # not even the Flex Flow the sandbox stack would disable


@pytest.mark.parametrize(
    "settings",
    [{"use_inbound_webhook_on_number": True}, {"inbound_request_url": None}],
    ids=["defers-to-the-number", "no-inbound-url"],
)
def test_a_service_that_sends_nothing_elsewhere_passes(http, settings) -> None:
    seed.add_messaging_service(http.fake, [FREE_NUMBER])
    service(http.fake).update(settings)
    props = guard()
    assert reasons(props) == ""
    created = FlexFlowGuardProvider().create(props)
    assert created.outs["undone"]["messaging_services"] == []
    assert not [w for w in writes(http) if "/Services" in w[1]]


def test_defer_makes_the_service_defer_and_destroy_sets_it_back(http) -> None:
    seed.add_messaging_service(http.fake, [FREE_NUMBER])
    provider = FlexFlowGuardProvider()
    props = guard(messaging_services="defer")
    assert reasons(props) == ""
    http.log.clear()
    created = provider.create(props)
    assert service(http.fake)["use_inbound_webhook_on_number"] is True
    assert ("POST", SERVICE, {"UseInboundWebhookOnNumber": ["true"]}) in writes(http)
    http.log.clear()
    provider.delete(created.id, created.outs)
    assert service(http.fake)["use_inbound_webhook_on_number"] is False
    assert [w for w in writes(http) if "/Services" in w[1]] == [
        ("POST", SERVICE, {"UseInboundWebhookOnNumber": ["false"]})
    ]


def test_defer_refuses_a_service_holding_numbers_the_stack_does_not_manage(http) -> None:
    fake = http.fake
    fake.records.update(seed.shared_messaging_service_account().records)
    props = guard(messaging_services="defer")
    reason = reasons(props)
    assert f"would also move {seed.OTHER_NUMBER} (not in flexorch:numbers)" in reason
    assert "add them to flexorch:numbers" in reason
    with pytest.raises(FlexorchError, match=re.escape(seed.OTHER_NUMBER)):
        FlexFlowGuardProvider().create(props)
    assert writes(http) == []
    assert service(fake)["use_inbound_webhook_on_number"] is False


def test_a_guard_created_again_after_a_crash_still_sets_the_service_back(http) -> None:
    seed.add_messaging_service(http.fake, [FREE_NUMBER])
    provider = FlexFlowGuardProvider()
    props = guard(messaging_services="defer")
    provider.create(props)  # stopped before its outputs reached the state
    again = provider.create(props)  # the snapshot's record drives the re-run
    lookups.forget()
    assert snapshot()["messaging_services"][0]["use_inbound_webhook_on_number"] is True
    provider.delete(again.id, again.outs)
    provider.delete(again.id, again.outs)  # a destroy stopped halfway and run again
    assert service(http.fake)["use_inbound_webhook_on_number"] is False


def test_a_lost_answer_to_the_write_fails_the_step_and_a_rerun_finishes(monkeypatch, fake) -> None:
    seed.add_messaging_service(fake, [FREE_NUMBER])
    use_fake(monkeypatch, fake)
    props = guard(messaging_services="defer")
    use_fake(monkeypatch, fake, LoseAnswer(fake, SERVICE))
    with pytest.raises(FlexorchError):
        FlexFlowGuardProvider().create(props)
    assert service(fake)["use_inbound_webhook_on_number"] is True  # Twilio did it
    use_fake(monkeypatch, fake)
    created = FlexFlowGuardProvider().create(props)  # the next up: the same absolute write
    FlexFlowGuardProvider().delete(created.id, created.outs)
    assert service(fake)["use_inbound_webhook_on_number"] is False


def test_a_console_change_back_is_drift_refused_or_undone_by_mode(http) -> None:
    seed.add_messaging_service(http.fake, [FREE_NUMBER])
    provider = FlexFlowGuardProvider()
    props = guard(messaging_services="defer")
    created = provider.create(props)
    assert provider.read(created.id, created.outs).outs["taker_drift"] == {}
    service(http.fake)["use_inbound_webhook_on_number"] = False  # a person, in the Console
    state = provider.read(created.id, created.outs).outs
    assert [r["sid"] for r in state["taker_drift"]["messaging_services"]] == [A2P_SERVICE_SID]
    assert provider.diff(created.id, state, props).changes
    provider.preview_update(state, props)  # defer: nothing refused
    refusing = {**props, "messaging_services": "fail"}
    assert provider.diff(created.id, state, refusing).changes  # the refresh's own diff
    with pytest.raises(FlexorchError, match="is in Messaging Service"):
        provider.preview_update(state, refusing)
    updated = provider.update(created.id, state, props).outs
    assert service(http.fake)["use_inbound_webhook_on_number"] is True
    provider.delete(created.id, updated)
    assert service(http.fake)["use_inbound_webhook_on_number"] is False


def test_a_number_no_longer_managed_gives_its_service_back(http) -> None:
    seed.add_messaging_service(http.fake, [FREE_NUMBER])
    provider = FlexFlowGuardProvider()
    created = provider.create(guard(messaging_services="defer"))
    lookups.forget()
    kept = guard([FLEX_FLOW_NUMBER], messaging_services="defer")
    updated = provider.update(created.id, created.outs, kept).outs
    assert service(http.fake)["use_inbound_webhook_on_number"] is False
    assert updated["undone"]["messaging_services"] == []


def test_a_service_deleted_since_is_skipped_on_destroy(http) -> None:
    seed.add_messaging_service(http.fake, [FREE_NUMBER])
    provider = FlexFlowGuardProvider()
    created = provider.create(guard(messaging_services="defer"))
    del http.fake.records[seed.MESSAGING_SERVICES][A2P_SERVICE_SID]
    provider.delete(created.id, created.outs)  # 404: nothing to put back, no error


def test_the_sandbox_refuses_a_number_in_two_services(fake) -> None:
    from base64 import b64encode

    from flexorch.sandbox.fake import Request

    seed.add_messaging_service(fake, [FREE_NUMBER])
    auth = "Basic " + b64encode(f"{seed.ACCOUNT_SID}:{seed.AUTH_TOKEN}".encode()).decode()
    other = fake.add(seed.MESSAGING_SERVICES, friendly_name="Another")
    path = f"/messaging.twilio.com/v1/Services/{other['sid']}/PhoneNumbers"
    form = {"PhoneNumberSid": [seed.sid("PN", FREE_NUMBER)]}
    status, body = fake.handle(Request("POST", path, {}, form, auth))
    assert (status, body["code"]) == (400, 21712)
    form = {"PhoneNumberSid": [seed.sid("PN", FLEX_FLOW_NUMBER)]}
    status, body = fake.handle(Request("POST", path, {}, form, auth))
    assert (status, body["phone_number"]) == (201, FLEX_FLOW_NUMBER)


# --- TwiML Apps ------------------------------------------------------------------------------


def test_the_snapshot_records_the_app_of_a_managed_number_from_the_numbers_list(http) -> None:
    http.fake.records.update(seed.twiml_app_account().records)
    assert snapshot()["twiml_apps"] == [
        {
            "sid": NUMBER_7,
            "numbers": [FLEX_FLOW_NUMBER],
            "app_sid": APP_SID,
            "friendly_name": "Legacy SMS bot",
            "sms_url": seed.APP_SMS_URL,
        }
    ]
    number_reads = [p for m, p, _ in http.log if m == "GET" and "IncomingPhoneNumbers" in p]
    assert len(number_reads) == 1  # the one list the snapshot makes anyway
    assert [p for _, p, _ in http.log if "Applications" in p] == [
        f"/2010-04-01/Accounts/{seed.ACCOUNT_SID}/Applications/{APP_SID}.json"
    ]


def test_fail_refuses_a_number_with_an_app_and_one_without_passes(http) -> None:
    http.fake.records.update(seed.twiml_app_account().records)
    (line,) = reasons(guard()).splitlines()
    assert line.startswith(f'{FLEX_FLOW_NUMBER} has TwiML App {APP_SID} "Legacy SMS bot"')
    assert f"({seed.APP_SMS_URL}) gets its messages" in line
    assert f'--sid {NUMBER_7} --sms-application-sid ""' in line
    assert "flexorch:twimlApps: detach" in line
    lookups.forget()
    assert reasons(guard([FREE_NUMBER])) == ""


def test_detach_clears_only_that_number_and_destroy_attaches_it_again(http) -> None:
    http.fake.records.update(seed.twiml_app_account().records)
    provider = FlexFlowGuardProvider()
    props = guard(twiml_apps="detach")
    http.log.clear()
    created = provider.create(props)
    assert app_of(http.fake, FLEX_FLOW_NUMBER) == ""
    path = f"/2010-04-01/Accounts/{seed.ACCOUNT_SID}/IncomingPhoneNumbers/{NUMBER_7}.json"
    assert ("POST", path, {"SmsApplicationSid": [""]}) in writes(http)
    assert not [w for w in writes(http) if "IncomingPhoneNumbers" in w[1] and w[1] != path]
    provider.delete(created.id, created.outs)
    provider.delete(created.id, created.outs)  # run again after a stop: the same value
    assert app_of(http.fake, FLEX_FLOW_NUMBER) == APP_SID


def test_an_app_attached_again_in_the_console_is_drift(http) -> None:
    http.fake.records.update(seed.twiml_app_account().records)
    provider = FlexFlowGuardProvider()
    props = guard(twiml_apps="detach")
    created = provider.create(props)
    fake_number = http.fake.find(seed.NUMBERS, phone_number=FLEX_FLOW_NUMBER)
    fake_number["sms_application_sid"] = APP_SID  # a person, in the Console
    state = provider.read(created.id, created.outs).outs
    assert [r["sid"] for r in state["taker_drift"]["twiml_apps"]] == [NUMBER_7]
    refusing = {**props, "twiml_apps": "fail"}
    assert provider.diff(created.id, state, refusing).changes
    with pytest.raises(FlexorchError, match="has TwiML App"):
        provider.preview_update(state, refusing)
    provider.update(created.id, state, props)
    assert app_of(http.fake, FLEX_FLOW_NUMBER) == ""


# --- a mode changed after a Console change no refresh has seen ------------------------------


def console_takes_free_number(fake: Any) -> None:
    """A person puts +15005550006 in a Messaging Service and gives it a TwiML App."""
    seed.add_messaging_service(fake, [FREE_NUMBER])
    seed.add_twiml_app(fake, FREE_NUMBER)


def test_a_mode_changed_since_a_console_change_applies_with_no_refresh(http) -> None:
    provider = FlexFlowGuardProvider()
    props = guard()  # both `fail`, and nothing taking a number: the snapshot records none
    created = provider.create(props)
    console_takes_free_number(http.fake)
    lookups.forget()  # the next `up` is another provider process
    opted_in = {**props, "messaging_services": "defer", "twiml_apps": "detach"}
    assert provider.check(props, opted_in).failures == []
    http.log.clear()
    updated = provider.update(created.id, created.outs, opted_in).outs
    assert [m for m, _, _ in http.log] == ["POST", "POST"]  # the check's reads serve it
    assert service(http.fake)["use_inbound_webhook_on_number"] is True
    assert app_of(http.fake, FREE_NUMBER) == ""
    assert [r["sid"] for r in updated["undone"]["messaging_services"]] == [A2P_SERVICE_SID]
    assert updated["taker_drift"] == {}
    provider.delete(created.id, updated)
    assert service(http.fake)["use_inbound_webhook_on_number"] is False
    assert app_of(http.fake, FREE_NUMBER) == APP_SID


def test_a_mode_changed_that_cannot_apply_fails_the_update_naming_it_with_no_write(http) -> None:
    provider = FlexFlowGuardProvider()
    props = guard([FREE_NUMBER])
    created = provider.create(props)
    seed.add_messaging_service(http.fake, [FREE_NUMBER, FLEX_FLOW_NUMBER])  # in the Console
    lookups.forget()
    http.log.clear()
    with pytest.raises(FlexorchError) as caught:
        provider.update(created.id, created.outs, {**props, "messaging_services": "defer"})
    assert f"so it would also move {FLEX_FLOW_NUMBER} (not in flexorch:numbers)" in str(
        caught.value
    )
    assert writes(http) == []


def test_a_refresh_reports_what_it_finds_and_the_new_modes_judge_it(http) -> None:
    provider = FlexFlowGuardProvider()
    props = guard()
    created = provider.create(props)
    console_takes_free_number(http.fake)
    state = provider.read(created.id, created.outs).outs  # judged by no mode
    assert sorted(state["taker_drift"]) == ["messaging_services", "twiml_apps"]
    assert provider.diff(created.id, state, props).changes  # the refresh's diff, old modes
    with pytest.raises(FlexorchError) as caught:
        provider.preview_update(state, props)
    assert "set flexorch:messagingServices: defer" in str(caught.value)
    assert "set flexorch:twimlApps: detach" in str(caught.value)
    opted_in = {**props, "messaging_services": "defer", "twiml_apps": "detach"}
    provider.preview_update(state, opted_in)
    provider.update(created.id, state, opted_in)
    assert service(http.fake)["use_inbound_webhook_on_number"] is True
    assert app_of(http.fake, FREE_NUMBER) == ""


def test_an_unchanged_mode_reads_nothing_again_at_update(http) -> None:
    provider = FlexFlowGuardProvider()
    props = guard(messaging_services="defer")
    created = provider.create(props)
    lookups.forget()
    http.log.clear()
    renamed = {**props, "numbers": list(reversed(BOTH))}  # an update for another input
    provider.update(created.id, created.outs, renamed)
    assert http.log == []


class LoseAnswer(InProcessHttp):
    """Twilio applies the first POST to `path`, and its answer is lost (a 502)."""

    def __init__(self, fake: Any, path: str) -> None:
        super().__init__(fake)
        self.path, self.lost = path, False

    def request(self, method, url, *args, **kwargs):
        from twilio.http.response import Response

        answer = super().request(method, url, *args, **kwargs)
        if method == "POST" and url.endswith(self.path) and not self.lost:
            self.lost = True
            return Response(502, "<html>Bad Gateway</html>", headers={})
        return answer
