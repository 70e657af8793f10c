"""The contact_uri Workflow document, checked as a document."""

from __future__ import annotations

import json

import pytest
from helpers import minimal_config

from flexorch.config import parse_config
from flexorch.routing import canonical_json, describe_target, quote, workflow_configuration
from flexorch.twilio_facts import known_worker_problem

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


def test_known_agent_by_sid_is_known_agent_routings_key_in_place_of_the_expression() -> None:
    assert document(workflow={"knownAgent": "sid"}) == {
        "task_routing": {
            "filters": [
                {
                    "filter_friendly_name": "Route to targetWorker",
                    "expression": "targetWorker != null",
                    "targets": [{"queue": QUEUE, "known_worker_sid": "task.targetWorker"}],
                }
            ],
            "default_filter": {"queue": QUEUE},
        }
    }


def test_known_agent_by_friendly_name_with_attribute_fallback_and_channel_types() -> None:
    assert document(
        FALLBACK,
        workflow={"knownAgent": "friendlyName", "targetAttribute": "routing.agent",
                  "reservationTimeout": 45},
        taskChannels=[{"uniqueName": "c1", "channelType": "custom"}],
    ) == {
        "task_routing": {
            "filters": [
                {
                    "filter_friendly_name": "Route to routing.agent",
                    "expression": "routing.agent != null AND channelType IN ['custom']",
                    "targets": [
                        {
                            "queue": QUEUE,
                            "known_worker_friendly_name": "task.routing.agent",
                            "timeout": 45,
                        },
                        {"queue": FALLBACK},
                    ],
                }
            ],
            "default_filter": {"queue": FALLBACK},
        }
    }  # fmt: skip


def test_without_known_agent_the_document_text_is_unchanged() -> None:
    """An existing stack's Workflow is not updated by the release that adds knownAgent."""
    assert json.dumps(document(FALLBACK), indent=2) == json.dumps(
        {
            "task_routing": {
                "filters": [
                    {
                        "filter_friendly_name": "Route to targetWorker",
                        "expression": "targetWorker != null",
                        "targets": [
                            {
                                "queue": QUEUE,
                                "expression": "task.targetWorker == worker.contact_uri",
                                "timeout": 120,
                            },
                            {"queue": FALLBACK},
                        ],
                    }
                ],
                "default_filter": {"queue": FALLBACK},
            }
        },
        indent=2,
    )
    assert "knownAgent" not in parse_config(minimal_config()).model_dump(by_alias=True)["workflow"]


def test_every_known_agent_document_is_one_taskrouter_takes() -> None:
    for known in ("sid", "friendlyName"):
        routing = document(FALLBACK, workflow={"knownAgent": known})["task_routing"]
        for target in routing["filters"][0]["targets"]:
            assert known_worker_problem(target) is None


def test_taskrouter_refuses_both_known_keys_and_a_value_that_is_no_task_attribute() -> None:
    both = {"queue": QUEUE, "known_worker_sid": "task.a", "known_worker_friendly_name": "task.b"}
    assert known_worker_problem(both) == (
        "a target takes known_worker_sid or known_worker_friendly_name, not both"
    )
    assert known_worker_problem({"queue": QUEUE, "known_worker_sid": "WK" + "1" * 32}) == (
        "known_worker_sid must name a task attribute (like task.agent_sid), not 'WK"
        + "1" * 32
        + "'"
    )
    assert known_worker_problem({"queue": QUEUE, "known_worker_friendly_name": "task."}) == (
        "known_worker_friendly_name must name a task attribute (like task.agent_sid), not 'task.'"
    )


def test_describe_target_names_the_known_key_or_the_expression() -> None:
    assert describe_target({"known_worker_sid": "task.a", "queue": QUEUE}) == (
        "known_worker_sid = task.a"
    )
    assert describe_target({"expression": "1==1"}) == "1==1"
    assert describe_target({"queue": QUEUE}) is None


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
