"""Flex Conversations with the handler's own orchestration (`flexorch:taskCreation: taskrouter`).

Twilio's Conversations FAQ, "Can I build my own Messaging Orchestration?": the number stays a
Conversations address, but the handler "must not use the Send To Flex widget or the
Interactions API"; it creates the customer's task with the TaskRouter API and adds and removes
the agent itself (the plugin keeps Flex from doing it).
https://www.twilio.com/docs/flex/developer/conversations/faq-and-troubleshooting
The config and hygiene sections are Conversations' own; the walk's steps are too, but its task
is the handler's (an Interaction behind it is a finding), and the handler, not Flex, puts the
agent into the conversation and closes it. The task references its conversation by
`conversationSid`, the attribute the Interactions API sets and Flex UI 2.x reads a chat task's
conversation from (https://www.twilio.com/docs/flex/developer/conversations/interactions-api).
"""

from __future__ import annotations

from typing import Any

from flexorch.doctor.platforms.conversations import Conversations
from flexorch.doctor.platforms.conversations.account import TASK_REFERENCE, ConversationsAccount
from flexorch.doctor.platforms.conversations.walk import ConversationsWalk
from flexorch.doctor.report import Check
from flexorch.twilio_facts import attributes_of

# The task attributes the Interactions API sets on the tasks it creates (its docs' example).
INTERACTION_ATTRIBUTES = ("flexInteractionSid", "flexInteractionChannelSid")
NO_INTERACTIONS = "the handler must not use the Interactions API on this path"


class TaskRouterWalk(ConversationsWalk):
    """The seven steps when the handler creates the task and adds the agent itself."""

    def task_problems(
        self, task: Any, reference: dict[str, Any]
    ) -> tuple[Any, dict[str, Any], list[str], list[str]]:
        """Conversations' task problems, and an Interaction behind the task."""
        target, evidence, problems, fixes = super().task_problems(task, reference)
        attributes = attributes_of(task.attributes)
        interaction = next((attributes[a] for a in INTERACTION_ATTRIBUTES if a in attributes), None)
        evidence["interaction"] = interaction
        if interaction is not None:
            problems.append(
                f"it was created through the Interactions API (Interaction {interaction}), so "
                "Flex adds and removes the agent as well as the handler"
            )
            fixes.append(
                f"{NO_INTERACTIONS}: create the task with the TaskRouter API (POST "
                f"/v1/Workspaces/{task.workspace_sid}/Tasks) instead of an Interaction"
            )
        return target, evidence, problems, fixes

    def task_evidence(self, task: Any, evidence: dict[str, Any]) -> None:
        """Nothing besides `task_problems`' evidence (the Interaction, if any)."""

    def no_task_fix(self) -> str:
        """The handler creates the task through TaskRouter, referencing the conversation."""
        workflow = self.config.workflow
        return (
            f"Make the handler create a TaskRouter task for conversation {self.sid} on "
            f'Workflow "{workflow.friendly_name}" (TaskRouter API; {NO_INTERACTIONS}) with '
            f"attributes {TASK_REFERENCE} and {workflow.target_attribute} set to the agent's "
            f"{self.account.agent_name.what}."
        )

    def agent_joined(
        self, task: Any, reservation: Any, identity: str, uri: Any, evidence: dict[str, Any]
    ) -> Check:
        """Is the agent a participant of the conversation: the handler adds her on accept."""
        participants = self.account.participants(self.sid)
        participant = next((p for p in participants if p.identity == identity), None)
        if participant is not None or task.assignment_status == "completed":
            return super().agent_joined(task, reservation, identity, uri, evidence)
        evidence["identity"] = identity
        evidence["participants"] = [p.identity or p.sid for p in participants]
        return self.check(
            "fail",
            f"{identity} accepted {reservation.sid} but is not a participant of {self.sid}, "
            "so cannot see or answer the customer",
            evidence,
            f"Make the handler add her as participant {identity} of {self.sid} when she "
            "accepts (TaskRouter's reservation.accepted event), or list AddToConversation in "
            "flexorch:flexActions.accepted to let Flex add her.",
        )

    def how_to_close(self) -> str:
        """The handler closes the conversation when TaskRouter says the task completed."""
        service = self.config.chat_service.sid
        return (
            "make the handler close the conversation when its task completes (TaskRouter's "
            "task.completed event): `twilio api:conversations:v1:services:conversations:update "
            f"--chat-service-sid {service} --sid {self.sid} --state closed`"
        )


class ConversationsTaskRouter(Conversations):
    """The doctor on Flex Conversations when the handler creates the tasks through TaskRouter."""

    def walk(
        self, account: ConversationsAccount, message: str | None, sender: str | None
    ) -> TaskRouterWalk:
        """Seven steps from the customer's SMS to the reply, the handler orchestrating."""
        return TaskRouterWalk(account, message, sender)
