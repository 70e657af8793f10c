"""Flex Conversations with the handler's own orchestration (taskCreation: taskrouter).

`scenarios`: the healthy account, one broken account per step of the walk, and the same on a
stack with Known Agent Routing (`workflow.knownAgent: sid`).
"""

from __future__ import annotations

from flexorch.sandbox.platforms.conversations import scenarios as conversations
from flexorch.sandbox.platforms.conversations_taskrouter import scenarios
from flexorch.sandbox.toolkit import Platform

TITLE = "conversations, taskCreation: taskrouter (Flex UI 2.x, the handler's own orchestration)"

SANDBOX = Platform(
    config=scenarios.taskrouter_config,
    apply_stack=conversations.apply_conversations_stack,
    doctor=scenarios.TASKROUTER_CATALOGUE,
    title=TITLE,
)
KNOWN_AGENT = Platform(
    config=scenarios.known_agent_config,
    apply_stack=conversations.apply_conversations_stack,
    doctor=scenarios.KNOWN_AGENT_CATALOGUE,
    title=TITLE.replace("taskrouter", "taskrouter, workflow.knownAgent: sid", 1),
)
