"""Accounts for `flexorch doctor` on Flex Conversations with the handler's own orchestration.

The Conversations accounts' Twilio side (each number on its address, the service's webhooks at
the handler, the contact_uri Workflow), with the sandbox stack on `flexorch:taskCreation:
taskrouter`: the handler made the conversation's task through the TaskRouter API (attribute
`conversationSid`, no Interaction), added alice as participant when she accepted, and closed the
conversation when the task completed. Each `taskrouter-*` scenario breaks one step of the walk:
`flexorch sandbox --scenario NAME`, then `flexorch doctor --config
examples/Pulumi.sandbox-conversations-taskrouter.yaml --from +15558675309`. The `known-agent-*`
ones are the same account on the stack with `workflow.knownAgent: sid`: the Workflow targets
`known_worker_sid`, and the task names alice by her worker SID.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from flexorch.config import TASKROUTER, StackConfig
from flexorch.sandbox import seed, toolkit
from flexorch.sandbox.fake import FakeTwilio
from flexorch.sandbox.platforms.conversations.scenarios import (
    AGENT_PARTICIPANT_SID,
    CONVERSATION_MESSAGES,
    CONVERSATION_PARTICIPANTS,
    CONVERSATION_SID,
    CONVERSATION_TASK_SID,
    CONVERSATION_WEBHOOKS,
    CONVERSATIONS_OF,
    DELIVERED_SID,
    OLD_HANDLER,
    conversations_stack,
    finished_conversation,
    live,
)
from flexorch.sandbox.toolkit import AGENT, CUSTOMER, Scenario, add_task, broken, remove_records

# What the Interactions API sets on its tasks; on this path a task carrying it is a finding.
INTERACTION_SID = seed.sid("KD", "interaction the handler must not make")


def taskrouter_stack() -> dict[str, Any]:
    """The Conversations sandbox stack with the handler creating the tasks through TaskRouter."""
    document = conversations_stack()
    document["config"]["flexorch:taskCreation"] = TASKROUTER
    return document


def known_agent_stack() -> dict[str, Any]:
    """That stack with Known Agent Routing: tasks name the agent by her worker SID."""
    document = taskrouter_stack()
    document["config"]["flexorch:workflow"]["knownAgent"] = "sid"
    return document


@cache
def taskrouter_config() -> StackConfig:
    """The config of `taskrouter_stack()`."""
    return toolkit.stack_config(taskrouter_stack())


@cache
def known_agent_config() -> StackConfig:
    """The config of `known_agent_stack()`."""
    return toolkit.stack_config(known_agent_stack())


def handler_task(
    fake: FakeTwilio, config: StackConfig, sid: str, conversation: str, *, status: str,
    when: Any,
) -> dict[str, Any]:  # fmt: skip
    """The task the handler made through TaskRouter: conversationSid and the target, no more.

    The target is alice as the stack's tasks name her: her contact_uri, or with knownAgent her
    worker SID (or friendly name).
    """
    task = add_task(fake, config, sid, conversation, CUSTOMER, status=status, when=when)
    attributes = json.loads(task["attributes"])
    del attributes["channelSid"]
    attributes["conversationSid"] = conversation
    known = config.workflow.known_agent
    if known is not None:
        worker = fake.find(seed.WORKERS, friendly_name=AGENT)
        attributes[config.workflow.target_attribute] = worker["sid" if known == "sid" else
                                                              "friendly_name"]  # fmt: skip
    task["attributes"] = json.dumps(attributes)
    return task


def taskrouter_all_pass() -> FakeTwilio:
    """A healthy account where the handler orchestrates: doctor passes every check."""
    return finished_conversation(taskrouter_config(), handler_task)


def known_agent_all_pass() -> FakeTwilio:
    """Known Agent Routing, healthy: the task names alice by her worker SID."""
    return finished_conversation(known_agent_config(), handler_task)


def sms_url_set(fake: FakeTwilio) -> None:
    """Step 2: the number kept its SmsUrl, which runs in parallel with its address."""
    number = fake.find(seed.NUMBERS, phone_number=seed.FREE_NUMBER)
    number["sms_url"] = taskrouter_config().handler.effective_sms_url


def address_elsewhere(fake: FakeTwilio) -> None:
    """Step 2: the number's address sends new conversations to an old handler."""
    address = fake.find(seed.ADDRESSES, address=seed.FREE_NUMBER)
    address["auto_creation"] = {**address["auto_creation"], "webhook_url": OLD_HANDLER}


def no_conversation(fake: FakeTwilio) -> None:
    """Step 3: Twilio made no conversation of the SMS (nothing of the customer's in the service)."""
    for template in (CONVERSATION_PARTICIPANTS, CONVERSATION_MESSAGES, CONVERSATION_WEBHOOKS):
        remove_records(fake, template, conversation_sid=CONVERSATION_SID)
    remove_records(fake, CONVERSATIONS_OF, sid=CONVERSATION_SID)


def no_task(fake: FakeTwilio) -> None:
    """Step 4: the conversation is active, but the handler made no TaskRouter task for it."""
    live(fake)
    remove_records(fake, seed.TASKS, sid=CONVERSATION_TASK_SID)
    remove_records(fake, seed.RESERVATIONS, task_sid=CONVERSATION_TASK_SID)


def through_interactions(fake: FakeTwilio) -> None:
    """Step 4: the handler made the task through the Interactions API, which this path forbids."""
    task = fake.find(seed.TASKS, sid=CONVERSATION_TASK_SID)
    attributes = json.loads(task["attributes"])
    attributes.update(flexInteractionSid=INTERACTION_SID,
                      flexInteractionChannelSid=seed.sid("UO", INTERACTION_SID))  # fmt: skip
    task["attributes"] = json.dumps(attributes)


def unknown_target(fake: FakeTwilio) -> None:
    """Step 4: the task names a worker SID that no worker of the workspace has."""
    task = fake.find(seed.TASKS, sid=CONVERSATION_TASK_SID)
    attributes = json.loads(task["attributes"])
    attributes[known_agent_config().workflow.target_attribute] = seed.sid("WK", "carol")
    task["attributes"] = json.dumps(attributes)


def agent_not_added(fake: FakeTwilio) -> None:
    """Step 5: alice accepted the live task, but the handler did not add her to the conversation."""
    live(fake)
    remove_records(fake, CONVERSATION_PARTICIPANTS, sid=AGENT_PARTICIPANT_SID)


def reply_not_delivered(fake: FakeTwilio) -> None:
    """Step 6: alice replied in the conversation, but no SMS went to the customer."""
    remove_records(fake, seed.MESSAGES, sid=DELIVERED_SID)


def still_active(fake: FakeTwilio) -> None:
    """Step 7: the task completed but the handler left the conversation active."""
    fake.find(CONVERSATIONS_OF, sid=CONVERSATION_SID)["state"] = "active"


TASKROUTER_CATALOGUE = (
    Scenario("taskrouter-all-pass", taskrouter_all_pass, None, "pass"),
    Scenario(
        "taskrouter-step1-message-missing",
        broken(taskrouter_all_pass, toolkit.message_missing),
        "1-received",
    ),
    Scenario("taskrouter-step2-sms-url-set", broken(taskrouter_all_pass, sms_url_set), "2-number"),
    Scenario(
        "taskrouter-step2-address-elsewhere",
        broken(taskrouter_all_pass, address_elsewhere),
        "2-number",
    ),
    Scenario(
        "taskrouter-step3-no-conversation",
        broken(taskrouter_all_pass, no_conversation),
        "3-conversation",
    ),
    Scenario("taskrouter-step4-no-task", broken(taskrouter_all_pass, no_task), "4-task"),
    Scenario(
        "taskrouter-step4-interaction",
        broken(taskrouter_all_pass, through_interactions),
        "4-task",
    ),
    Scenario(
        "taskrouter-step5-agent-not-added", broken(taskrouter_all_pass, agent_not_added), "5-agent"
    ),
    Scenario(
        "taskrouter-step6-reply-not-delivered",
        broken(taskrouter_all_pass, reply_not_delivered),
        "6-relayed",
    ),
    Scenario(
        "taskrouter-step7-still-active", broken(taskrouter_all_pass, still_active), "7-closed"
    ),
)
"""The doctor on the handler's own orchestration: healthy, then one broken step each."""

KNOWN_AGENT_CATALOGUE = (
    Scenario("known-agent-all-pass", known_agent_all_pass, None, "pass"),
    Scenario(
        "known-agent-step4-unknown-worker",
        broken(known_agent_all_pass, unknown_target),
        "4-task",
    ),
)
"""Known Agent Routing: healthy, and a task naming a worker SID no worker has."""
