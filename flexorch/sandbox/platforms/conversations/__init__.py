"""Flex Conversations (Flex UI 2.x) in the sandbox: addresses, conversations, participants.

`scenarios`: what `up` leaves, the healthy account, one broken account per doctor check.
`taskrouter`: the same on `taskCreation: taskrouter` (the handler's own orchestration), one
broken account per step of its walk, and on that stack with `workflow.knownAgent: sid`.
"""

from __future__ import annotations

from flexorch.sandbox.platforms.conversations import scenarios, taskrouter
from flexorch.sandbox.toolkit import Platform

SANDBOX = Platform(
    config=scenarios.conversations_config,
    apply_stack=scenarios.apply_conversations_stack,
    doctor=scenarios.CONVERSATIONS_CATALOGUE,
)

TASKROUTER_TITLE = (
    "conversations, taskCreation: taskrouter (Flex UI 2.x, the handler's own orchestration)"
)
TASKROUTER = Platform(
    config=taskrouter.taskrouter_config,
    apply_stack=scenarios.apply_conversations_stack,
    doctor=taskrouter.TASKROUTER_CATALOGUE,
    title=TASKROUTER_TITLE,
)
KNOWN_AGENT = Platform(
    config=taskrouter.known_agent_config,
    apply_stack=scenarios.apply_conversations_stack,
    doctor=taskrouter.KNOWN_AGENT_CATALOGUE,
    title=TASKROUTER_TITLE.replace("taskrouter", "taskrouter, workflow.knownAgent: sid", 1),
)
