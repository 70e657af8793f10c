"""The contact_uri Workflow document, a pure function of the config.

As in Twilio's Flex 1.x guide to custom orchestration: the handler sets a task attribute
(`targetWorker` by default) to the agent's worker `contact_uri` (e.g. `client:alice`), and the
Workflow sends the task to the queue that holds every agent, targeting only that worker.
https://www.twilio.com/docs/taskrouter/workflow-configuration
With `workflow.knownAgent` the attribute holds the worker's SID or friendly name instead, and
the target names the worker with Known Agent Routing, which Twilio recommends for targeted
routing (faster than evaluating an expression against every worker):
https://www.twilio.com/docs/taskrouter/workflow-configuration/known-agent-routing
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from flexorch.twilio_facts import KNOWN_WORKER_KEYS

if TYPE_CHECKING:  # only a type here: the providers need no pydantic at start-up
    from flexorch.config import StackConfig


def quote(value: str) -> str:
    """A TaskRouter expression string constant.

    TaskRouter strings are single- or double-quoted blocks of text with no escapes, so a value
    is quoted with the quote it does not contain (config validation refuses values with both).
    """
    if "'" not in value:
        return f"'{value}'"
    if '"' not in value:
        return f'"{value}"'
    raise ValueError(f"{value!r} cannot be quoted in a TaskRouter expression")


def filter_expression(config: StackConfig) -> str:
    """Tasks the handler addressed to an agent, narrowed to the managed channels if possible.

    Workflow expressions see only task attributes, not the task's TaskChannel, so the filter is
    narrowed by the `channelType` attribute, and only when every managed channel declares one:
    otherwise tasks of a channel without channelType would never match.
    """
    expression = f"{config.workflow.target_attribute} != null"
    channels = config.task_channels
    if not channels or not all(c.channel_type for c in channels):
        return expression
    types = sorted({c.channel_type for c in channels if c.channel_type})
    return f"{expression} AND channelType IN [{', '.join(quote(t) for t in types)}]"


def target_expression(config: StackConfig) -> str:
    """Only the worker whose contact_uri the task names."""
    return f"task.{config.workflow.target_attribute} == worker.contact_uri"


def target_selector(config: StackConfig) -> dict[str, str]:
    """The target's key that picks the one worker the task names, and its value.

    The contact_uri expression, or (with `workflow.knownAgent`) Known Agent Routing's key in
    place of the expression: Twilio's docs show the known-worker keys without one.
    """
    workflow = config.workflow
    if workflow.known_agent is None:
        return {"expression": target_expression(config)}
    return {KNOWN_WORKER_KEYS[workflow.known_agent]: f"task.{workflow.target_attribute}"}


def describe_target(target: dict[str, Any]) -> Any:
    """How a Workflow target picks its workers, in one line (its expression, or its known key)."""
    known = [f"{key} = {target[key]}" for key in KNOWN_WORKER_KEYS.values() if key in target]
    return known[0] if known else target.get("expression")


def workflow_configuration(
    config: StackConfig, queue_sid: str, fallback_queue_sid: str | None = None
) -> dict[str, Any]:
    """The Workflow `Configuration` document.

    With a fallback queue, a task whose agent has not accepted within one reservation timeout
    moves on to the fallback queue, and tasks that carry no target go there too. Without one,
    the task waits for its agent (no target timeout) and untargeted tasks go to the main queue,
    as Flex's own default workflow does.
    """
    timeout = config.workflow.reservation_timeout
    target: dict[str, Any] = {"queue": queue_sid, **target_selector(config)}
    targets = [target]
    if fallback_queue_sid:
        target["timeout"] = timeout
        targets.append({"queue": fallback_queue_sid})
    return {
        "task_routing": {
            "filters": [
                {
                    "filter_friendly_name": f"Route to {config.workflow.target_attribute}",
                    "expression": filter_expression(config),
                    "targets": targets,
                }
            ],
            "default_filter": {"queue": fallback_queue_sid or queue_sid},
        }
    }


def canonical_json(document: Any) -> str:
    """One text per document: equal documents give equal strings, whatever the key order."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
