"""The sandbox as users and tests meet it: contract-checked, stateful, logged, one command."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pulumi
import pytest
from helpers import Applying, use_fake
from twilio.rest import Client

from flexorch.sandbox import seed
from flexorch.sandbox.platforms import PLATFORMS
from flexorch.sandbox.prism import free_port
from flexorch.sandbox.server import Sandbox
from flexorch.sandbox.toolkit import Platform
from flexorch.twilio_client import RetryingHttpClient


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(seed.flex_account()) as running:
        yield running


def client(sandbox: Sandbox, token: str = seed.AUTH_TOKEN) -> Client:
    http = RetryingHttpClient(sandbox.url, max_attempts=1)
    return Client(seed.ACCOUNT_SID, token, seed.ACCOUNT_SID, http_client=http)


def test_created_resources_can_be_read_listed_updated_and_deleted(sandbox: Sandbox) -> None:
    channels = client(sandbox).taskrouter.v1.workspaces(seed.WORKSPACE_SID).task_channels
    created = channels.create(friendly_name="Custom", unique_name="custom9")
    assert created.sid.startswith("TC") and len(created.sid) == 34
    assert channels(created.sid).fetch().unique_name == "custom9"
    assert "custom9" in [c.unique_name for c in channels.list()]
    assert channels(created.sid).update(friendly_name="Renamed").friendly_name == "Renamed"
    assert channels(created.sid).delete() is True
    with pytest.raises(Exception, match="404"):
        channels(created.sid).fetch()


def test_lookups_by_friendly_name_and_phone_number(sandbox: Sandbox) -> None:
    twilio = client(sandbox)
    found = twilio.taskrouter.v1.workspaces.list(friendly_name="Flex Task Assignment")
    assert [w.sid for w in found] == [seed.WORKSPACE_SID]
    numbers = twilio.incoming_phone_numbers.list(phone_number=seed.FLEX_FLOW_NUMBER)
    assert [n.phone_number for n in numbers] == [seed.FLEX_FLOW_NUMBER]


def test_a_request_the_spec_rejects_is_422_and_never_reaches_the_state(sandbox: Sandbox) -> None:
    number = sandbox.fake.find(seed.NUMBERS, phone_number=seed.FREE_NUMBER)
    mark = len(sandbox.requests)
    with pytest.raises(Exception, match="SmsMethod"):
        client(sandbox).incoming_phone_numbers(number["sid"]).update(sms_method="PUT")
    assert sandbox.fake.find(seed.NUMBERS, phone_number=seed.FREE_NUMBER)["sms_method"] == "POST"
    logged = sandbox.since(mark)
    assert [(r["method"], r["status"], r["form"]) for r in logged] == [
        ("POST", 422, {"SmsMethod": ["PUT"]})
    ]


def test_wrong_credentials_are_refused(sandbox: Sandbox) -> None:
    with pytest.raises(Exception, match="20003"):
        client(sandbox, token="wrong").taskrouter.v1.workspaces.list()


def test_the_log_is_json_lines_without_credentials(sandbox: Sandbox) -> None:
    client(sandbox).flex_api.v1.flex_flow.list()
    lines = sandbox.log_path.read_text().splitlines()
    entry = json.loads(lines[-1])
    assert set(entry) == {"method", "host", "path", "query", "form", "status"}
    assert entry["path"] == "/v1/FlexFlows" and entry["status"] == 200
    assert entry["host"] == "flex-api.twilio.com"  # the product the client meant
    assert seed.AUTH_TOKEN not in sandbox.log_path.read_text()


def test_conversations_is_told_apart_from_flex_and_proxy_by_its_host(sandbox: Sandbox) -> None:
    """`/v1/Services` is Proxy's and Conversations'; the Host header says which is meant."""
    twilio = client(sandbox)
    proxy = [s.sid for s in twilio.proxy.v1.services.list()]
    conversations = [s.sid for s in twilio.conversations.v1.services.list()]
    assert proxy == [seed.PROXY_SERVICE_SID]
    assert conversations == [seed.CHAT_SERVICE_SID]
    webhooks = twilio.conversations.v1.services(seed.CHAT_SERVICE_SID).configuration.webhooks()
    assert webhooks.update(filters=["onMessageAdded"]).filters == ["onMessageAdded"]
    mark = len(sandbox.requests)
    missing = f"/v1/Services/IS{'0' * 32}/Configuration/Webhooks"
    with pytest.raises(
        Exception, match=f"resource {missing} was not found"
    ):  # as the client wrote it
        twilio.conversations.v1.services("IS" + "0" * 32).configuration.webhooks().fetch()
    assert sandbox.since(mark)[0]["host"] == "conversations.twilio.com"


def test_a_second_address_configuration_for_one_number_is_refused(sandbox: Sandbox) -> None:
    addresses = client(sandbox).conversations.v1.address_configurations
    made = addresses.create(type="sms", address="+15005550099")
    with pytest.raises(Exception, match="already exists"):
        addresses.create(type="sms", address="+15005550099")
    assert [a.sid for a in addresses.list(type="sms") if a.address == "+15005550099"] == [made.sid]
    addresses(made.sid).delete()


def known_agent_document(target: dict) -> str:
    routing = {"filters": [{"filter_friendly_name": "Known", "expression": "targetWorker != null",
                            "targets": [{"queue": seed.EVERYONE_SID, **target}]}],
               "default_filter": {"queue": seed.EVERYONE_SID}}  # fmt: skip
    return json.dumps({"task_routing": routing})


def test_a_known_agent_workflow_is_taken_exactly_as_taskrouter_takes_it(sandbox: Sandbox) -> None:
    """Known Agent Routing: one known-worker key, naming a task attribute (Twilio's docs)."""
    workflows = client(sandbox).taskrouter.v1.workspaces(seed.WORKSPACE_SID).workflows
    made = workflows.create(
        friendly_name="Known agent",
        configuration=known_agent_document({"known_worker_sid": "task.targetWorker"}),
    )
    updated = workflows(made.sid).update(
        configuration=known_agent_document({"known_worker_friendly_name": "task.routing.agent"})
    )
    target = json.loads(updated.configuration)["task_routing"]["filters"][0]["targets"][0]
    assert target["known_worker_friendly_name"] == "task.routing.agent"
    refusals = {
        "a target takes known_worker_sid or known_worker_friendly_name, not both": {
            "known_worker_sid": "task.a", "known_worker_friendly_name": "task.b"},
        "known_worker_sid must name a task attribute (like task.agent_sid), not 'WK"
        + "1" * 32 + "'": {"known_worker_sid": "WK" + "1" * 32},
    }  # fmt: skip
    for problem, target in refusals.items():
        with pytest.raises(Exception, match=re.escape(problem)):
            workflows.create(friendly_name="Refused", configuration=known_agent_document(target))
        with pytest.raises(Exception, match=re.escape(problem)):
            workflows(made.sid).update(configuration=known_agent_document(target))
    with pytest.raises(Exception, match="Configuration is not a JSON document"):
        workflows(made.sid).update(configuration="{not json")
    assert workflows(made.sid).fetch().configuration == updated.configuration
    assert [w.sid for w in workflows.list(friendly_name="Refused")] == []
    workflows(made.sid).delete()


def test_the_command_prints_how_to_use_it_and_stops_on_sigterm(tmp_path: Path) -> None:
    port, log = free_port(), tmp_path / "requests.jsonl"
    process = subprocess.Popen(
        [sys.executable, "-m", "flexorch.cli", "sandbox", "--port", str(port), "--log", str(log)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "Ctrl-C to stop" in line:
                break
        text = "".join(lines)
        assert f"export FLEXORCH_TWILIO_BASE_URL=http://127.0.0.1:{port}" in text
        assert f"export TWILIO_ACCOUNT_SID={seed.ACCOUNT_SID}" in text
        assert "+15005550007" in text and "SMS Flex Flow" in text
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
        process.stdout.close()
    assert code == 0
    assert log.exists()


def account_settings(fake) -> dict:
    """What `up` changes in an account on any platform, comparable both ways of getting there."""
    chat = fake.find(seed.CHAT_SERVICES, sid=seed.CHAT_SERVICE_SID)
    webhooks = fake.singleton(
        seed.CONVERSATION_SERVICE_WEBHOOKS, ChatServiceSid=seed.CHAT_SERVICE_SID
    )
    return {
        "numbers": {
            n["phone_number"]: (n["sms_url"], n["sms_method"]) for n in fake.all(seed.NUMBERS)
        },
        "addresses": {
            a["address"]: (a["type"], a["friendly_name"], a["auto_creation"])
            for a in fake.all(seed.ADDRESSES)
        },
        "flows": {f["sid"]: f["enabled"] for f in fake.all(seed.FLEX_FLOWS)},
        "chat": {
            k: chat.get(k)
            for k in (
                "pre_webhook_url",
                "post_webhook_url",
                "webhook_method",
                "webhook_filters",
                "pre_webhook_retry_count",
                "post_webhook_retry_count",
            )
        },  # fmt: skip
        "conversations_service": {
            k: webhooks.get(k) for k in ("pre_webhook_url", "post_webhook_url", "method", "filters")
        },
        "workflows": {
            w["friendly_name"]: (json.loads(w["configuration"]), w["task_reservation_timeout"])
            for w in fake.all(seed.WORKFLOWS)
        },
        "channels": {c["unique_name"]: c["friendly_name"] for c in fake.all(seed.TASK_CHANNELS)},
    }


@pytest.mark.parametrize("platform", PLATFORMS.values(), ids=list(PLATFORMS))
def test_each_platforms_account_after_up_is_what_the_real_providers_leave(
    platform: Platform, monkeypatch, pulumi_mocks
):
    """A platform's `apply_stack` (the sandbox imports no Pulumi) must match a real `up`, and
    every healthy scenario be that account."""
    from flexorch.component import CustomMessaging

    config = platform.config()
    real = seed.flex_account()
    use_fake(monkeypatch, real)
    pulumi_mocks(Applying(), stack="sandbox")

    @pulumi.runtime.test
    def up():
        component = CustomMessaging("flexorch", config)
        return pulumi.Output.all(*[child.urn for child in component.children])

    up()
    by_hand = platform.apply_stack(seed.flex_account(), config)
    assert account_settings(real) != account_settings(seed.flex_account())  # up did change it
    assert account_settings(by_hand) == account_settings(real)
    healthy = [s for s in platform.doctor if s.check is None]
    assert healthy
    for scenario in healthy:
        assert account_settings(scenario.build()) == account_settings(by_hand), scenario.name


# Latency and traffic (issue #10's measuring side): every answer late, concurrency, connections.


def _get(url: str, session=None):
    import requests

    getter = session or requests
    return getter.get(f"{url}/v1/FlexFlows", auth=(seed.ACCOUNT_SID, seed.AUTH_TOKEN), timeout=30)


def test_latency_delays_every_answer_and_concurrent_requests_overlap() -> None:
    import threading

    with Sandbox(seed.flex_account(), contract=False, latency_ms=300) as slow:
        assert slow.latency_ms == 300
        started = time.perf_counter()
        assert _get(slow.url).status_code == 200
        assert time.perf_counter() - started >= 0.3
        mark = slow.mark()
        barrier = threading.Barrier(5)
        statuses: list[int] = []

        def one() -> None:
            barrier.wait()
            statuses.append(_get(slow.url).status_code)

        threads = [threading.Thread(target=one) for _ in range(5)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        traffic = slow.traffic(mark)
    assert statuses == [200] * 5
    assert 0.3 <= elapsed < 1.2  # one after another would take 1.5 s
    assert traffic.max_in_flight == 5 and traffic.connections == 5
    assert all(span.finished - span.started >= 0.3 for span in traffic.spans)


def test_latency_is_zero_by_default_and_never_negative(tmp_path: Path) -> None:
    assert Sandbox(seed.flex_account(), contract=False, workdir=tmp_path).latency_ms == 0
    for bad in (-1, float("inf"), float("nan")):
        with pytest.raises(ValueError, match="latency_ms"):
            Sandbox(seed.flex_account(), contract=False, latency_ms=bad)


def test_connections_count_what_the_client_opens_with_prism_in_front(sandbox: Sandbox) -> None:
    import requests

    before = sandbox.connections
    mark = sandbox.mark()
    with requests.Session() as kept_alive:
        for _ in range(3):
            assert _get(sandbox.url, kept_alive).status_code == 200
    for _ in range(2):
        assert _get(sandbox.url).status_code == 200  # a new connection each
    traffic = sandbox.traffic(mark)
    assert [r["path"] for r in traffic.requests] == ["/v1/FlexFlows"] * 5
    assert len(traffic.spans) == 5
    assert traffic.connections == 3 == traffic.connections_used
    assert sandbox.connections == before + 3
    assert traffic.max_in_flight == 1  # one after another
    assert sandbox.max_in_flight >= 1


def test_in_flight_is_the_most_spans_open_at_one_instant() -> None:
    from flexorch.sandbox.server import Span, max_in_flight

    assert max_in_flight([]) == 0
    spans = [Span(0, 2, 1), Span(1, 3, 2), Span(1.5, 1.8, 3), Span(3, 4, 2)]
    assert max_in_flight(spans) == 3  # at 1.5-1.8; the one starting at 3 only touches
    assert max_in_flight([Span(0, 1, 1), Span(1, 2, 1)]) == 1


def test_the_command_takes_a_latency_and_refuses_a_negative_one(capsys) -> None:
    from flexorch.cli import build_parser, main

    assert build_parser().parse_args(["sandbox"]).latency == 0
    assert build_parser().parse_args(["sandbox", "--latency", "150"]).latency == 150
    assert main(["sandbox", "--latency", "-5"]) != 0
    assert "--latency" in capsys.readouterr().err
