"""The contact_uri Workflow document, checked as a document."""

from __future__ import annotations

import json

import pytest
from helpers import minimal_config

from flexorch.config import parse_config
from flexorch.routing import canonical_json, quote, workflow_configuration

QUEUE = "WQ" + "1" * 32
FALLBACK = "WQ" + "2" * 32


def document(fallback: str | None = None, **overrides) -> dict:
    return workflow_configuration(parse_config(minimal_config(**overrides)), QUEUE, fallback)


def test_default_document_is_the_flex_guide_workflow() -> None:
    assert document() == {
        "task_routing": {
            "filters": [
                {
                    "filter_friendly_name": "Route to targetWorker",
                    "expression": "targetWorker != null",
                    "targets": [
                        {"queue": QUEUE, "expression": "task.targetWorker == worker.contact_uri"}
                    ],
                }
            ],
            "default_filter": {"queue": QUEUE},
        }
    }


def test_configured_target_attribute_is_used_in_filter_and_target() -> None:
    routing = document(workflow={"targetAttribute": "routing.agent"})["task_routing"]
    assert routing["filters"][0]["expression"] == "routing.agent != null"
    assert routing["filters"][0]["targets"][0]["expression"] == (
        "task.routing.agent == worker.contact_uri"
    )


def test_fallback_queue_after_one_reservation_timeout() -> None:
    routing = document(FALLBACK, workflow={"reservationTimeout": 45})["task_routing"]
    targets = routing["filters"][0]["targets"]
    assert targets == [
        {"queue": QUEUE, "expression": "task.targetWorker == worker.contact_uri", "timeout": 45},
        {"queue": FALLBACK},
    ]
    assert routing["default_filter"] == {"queue": FALLBACK}


def test_filter_narrowed_to_channel_types_when_every_channel_declares_one() -> None:
    channels = [
        {"uniqueName": "c1", "channelType": "custom"},
        {"uniqueName": "c2", "channelType": "it's"},
    ]
    routing = document(taskChannels=channels)["task_routing"]
    assert routing["filters"][0]["expression"] == (
        "targetWorker != null AND channelType IN ['custom', \"it's\"]"
    )


def test_filter_not_narrowed_when_a_channel_has_no_channel_type() -> None:
    channels = [{"uniqueName": "c1", "channelType": "custom"}, {"uniqueName": "c2"}]
    assert document(taskChannels=channels)["task_routing"]["filters"][0]["expression"] == (
        "targetWorker != null"
    )


def test_quote_refuses_what_taskrouter_cannot_express() -> None:
    assert quote("a'b") == '"a\'b"'
    with pytest.raises(ValueError):
        quote("a'b\"c")


def test_canonical_json_ignores_order_and_whitespace() -> None:
    assert canonical_json(json.loads('{"b": 1, "a": [1, 2]}')) == canonical_json(
        {"a": [1, 2], "b": 1}
    )
