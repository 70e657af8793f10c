"""The bench's peer, its pure parts: the OpenTofu document, tofu's summaries, the ratios."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench.__main__ import parse
from bench.peer import report
from bench.peer.document import CHANNELS, CHAT, NUMBERS, WORKFLOWS, Account, document
from bench.peer.life import PHASES, PeerMissing, Tools, changes_of, peer_account
from bench.shapes import Shape, numbers_of, stack_config
from flexorch.config import parse_config
from flexorch.routing import workflow_configuration
from flexorch.sandbox import seed


def _document(shape: Shape) -> tuple[dict[str, Any], Account]:
    _, facts = peer_account(shape)
    return document(stack_config(shape), facts), facts


def test_the_workflow_is_the_document_flexorch_builds_on_the_same_queue() -> None:
    doc, _ = _document(Shape(2, 3))
    config = parse_config(
        {k.removeprefix("flexorch:"): v for k, v in stack_config(Shape(2, 3)).items()}
    )
    workflow = doc["resource"][WORKFLOWS]["routing"]
    assert json.loads(workflow["configuration"]) == workflow_configuration(
        config, seed.EVERYONE_SID
    )
    assert workflow["workspace_sid"] == seed.WORKSPACE_SID
    assert workflow["friendly_name"] == "Custom messaging - route to contact_uri"
    assert workflow["task_reservation_timeout"] == 90


def test_channels_numbers_and_chat_webhooks_are_the_stacks() -> None:
    doc, _ = _document(Shape(3, 2))
    resources = doc["resource"]
    assert resources[CHANNELS] == {
        f"custom{i}": {
            "workspace_sid": seed.WORKSPACE_SID,
            "unique_name": f"custom{i}",
            "friendly_name": f"Custom {i}",
        }
        for i in (1, 2)
    }
    assert resources[NUMBERS] == {
        "n15005550007": {"sms_url": "http://localhost:3000/flex", "sms_method": "POST"},
        "n15005550006": {"sms_url": "http://localhost:3000/flex", "sms_method": "POST"},
        "n15005551000": {"sms_url": "http://localhost:3000/flex", "sms_method": "POST"},
    }
    assert resources[CHAT] == {
        "chat": {
            "friendly_name": "Flex Chat Service",
            "webhook_method": "POST",
            "webhook_filters": ["onMessageSent", "onChannelUpdated"],
            "post_webhook_url": "http://localhost:3000/flex",
            "pre_webhook_retry_count": 1,
            "post_webhook_retry_count": 1,
        }
    }


def test_the_numbers_and_the_chat_service_are_imported_by_sid() -> None:
    doc, facts = _document(Shape(2, 1))
    assert doc["import"] == [
        {"to": f"{NUMBERS}.n15005550007", "id": facts.number_sids["+15005550007"]},
        {"to": f"{NUMBERS}.n15005550006", "id": facts.number_sids["+15005550006"]},
        {"to": f"{CHAT}.chat", "id": seed.CHAT_SERVICE_SID},
    ]
    assert set(facts.number_sids) >= set(numbers_of(2))
    assert doc["terraform"]["required_providers"]["twilio"] == {
        "source": "twilio/twilio",
        "version": "0.18.46",
    }


def test_the_peers_account_has_a_token_twilio_go_accepts() -> None:
    fake, _ = peer_account(Shape(2, 1))
    assert fake.auth_token.isalnum()


@pytest.mark.parametrize(
    ("output", "changes"),
    [
        (
            "Plan: 3 to import, 7 to add, 3 to change, 0 to destroy.\n",
            {"import": 3, "add": 7, "change": 3},
        ),
        (
            "Plan: 3 to import, 7 to add, 3 to change, 0 to destroy.\n\n"
            "Apply complete! Resources: 3 imported, 7 added, 3 changed, 0 destroyed.\n",
            {"import": 3, "add": 7, "change": 3},
        ),
        (
            "Plan: 0 to add, 0 to change, 10 to destroy.\n"
            "Destroy complete! Resources: 10 destroyed.\n",
            {"destroy": 10},
        ),
        ("No changes. Your infrastructure matches the configuration.\n", {}),
    ],
)
def test_changes_are_read_from_tofus_last_summary(output: str, changes: dict[str, int]) -> None:
    assert changes_of(output) == changes


def test_an_unbuilt_peer_says_how_to_build_it(tmp_path: Path) -> None:
    with pytest.raises(PeerMissing, match="the peer is not built; run bench/peer/build"):
        Tools.find(tmp_path)


def _op(name: str, seconds: float, reads: int = 0, writes: int = 0) -> dict[str, Any]:
    requests = {"total": reads + writes, "reads": reads, "writes": writes, "rejected": 0}
    return {
        "operation": name,
        "seconds": seconds,
        "requests": requests,
        "max_in_flight": 10,
        "connections": 2,
        "changes": {},
    }


def test_the_report_sets_flexorch_over_the_peer_per_phase() -> None:
    peer_run = {
        "shape": {"name": "n2-c5"},
        "latency_ms": 150,
        "operations": {p: _op(p, 1.0, reads=6) for p in PHASES},
    }
    stack = {
        "shape": {"name": "n2-c5"},
        "latency_ms": 150,
        "platform": "programmable-chat",
        "operations": {"up from scratch": _op("up from scratch", 5.0, 12, 6)},
    }
    lines = report.tables(
        {"lives": 3, "versions": ["OpenTofu v1.10.6"], "runs": [peer_run]}, [stack]
    )
    assert "| apply | 1.00 s · 6 r / 0 w · 10 in flight · 2 conn. · no changes |" in lines
    assert "| up from scratch / apply | 5.00 / 1.00 s = 5.00× |" in lines
    assert "| refresh / refresh | — |" in lines
    assert "| flexorch / peer | n2-c5 |" in lines


def test_the_peer_runs_with_the_bench_only_when_asked() -> None:
    assert parse(["--peer"]).peer is True
    assert parse([]).peer is False
