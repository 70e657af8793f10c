"""The message section on Flex Conversations: seven steps from the customer's SMS to the reply.

After Twilio's "Troubleshoot Flex Conversations" checklist (Messaging logs, the number's
configuration, the Conversations service's conversations, then TaskRouter): the SMS received;
its number with no SmsUrl and an address at the handler; a conversation holding it; a task
referencing that conversation and naming a worker's contact_uri; that worker's accepted
reservation and participation; her replies sent as SMS; the conversation closed after the task.
https://www.twilio.com/docs/flex/developer/conversations/faq-and-troubleshooting

The steps every platform takes are `flexorch.doctor.walk`'s; here the place of the customer's
messages is the conversation in which she is an SMS participant on the number, and the agent
joins it as a participant. Conversations itself sends what an agent writes to the participants
with an SMS binding, so step 6 checks Twilio's delivery (and the customer's binding), not a
relay in the handler.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flexorch.doctor.account import newest, stamp
from flexorch.doctor.platforms.conversations.account import (
    ConversationsAccount,
    binding,
    conversation_author,
)
from flexorch.doctor.platforms.conversations.checks import (
    number_check,
    remove_webhooks,
    studio_webhooks,
)
from flexorch.doctor.report import Check, Label, sentence
from flexorch.doctor.walk import Step, Walk
from flexorch.twilio_facts import attributes_of


class ConversationsWalk(Walk[ConversationsAccount]):
    """The seven steps for one inbound message on Flex Conversations."""

    PLACE = "conversation"
    STATE = "conversation_state"
    CLOSED = "closed"
    # The conversation's copy of the SMS is made after Twilio received it; timestamps of two
    # products may differ by a few seconds.
    COPY_CLOCK = timedelta(minutes=1)
    SENT_BY = "delivered"

    @property
    def conversation(self) -> Any:
        """The customer's ParticipantConversation row holding the SMS."""
        return self.place

    @property
    def sid(self) -> str:
        """The walked conversation's SID."""
        return str(self.conversation.conversation_sid)

    def judged(self) -> list[str]:
        """The walked conversation and number, which hygiene leaves to the walk."""
        out = [self.sid] if self.conversation is not None else []
        return out + ([str(self.message.to)] if self.message is not None else [])

    # The hooks of the shared steps

    def number_check(self, ref: str, label: Label) -> Check:
        """No Flex Flow, an empty SmsUrl, and one address at the handler."""
        return number_check(self.account, ref, label)

    @property
    def place_sid(self) -> str:
        """The conversation's SID."""
        return self.sid

    def place_state(self) -> Any:
        """The conversation's state (active, inactive, closed)."""
        return self.conversation.conversation_state

    def customer_places(self) -> tuple[list[Any], int]:
        """The service's conversations with the customer as SMS participant on this number."""
        rows = self.account.participant_conversations(self.customer)
        pair = {"address": self.customer, "proxy_address": str(self.message.to)}
        mine = newest(
            (r for r in rows if _on(binding(r, "participant_messaging_binding"), pair)),
            "conversation_date_created",
        )
        return mine, len(rows)

    def place_messages(self, place: Any) -> list[Any]:
        """A conversation's latest messages."""
        return self.account.conversation_messages(place.conversation_sid)

    def author(self, message: Any) -> Any:
        """Who wrote a message of the conversation."""
        return conversation_author(message)

    def no_place(self, looked_at: int) -> Check:
        """No conversation of the customer on the number: Twilio made none of the SMS."""
        customer, number = self.customer, str(self.message.to)
        service = self.config.chat_service.sid
        return self.check(
            "fail",
            f"no conversation of service {service} has {customer} as an SMS participant "
            f"on {number} ({looked_at} conversation(s) of the customer looked at)",
            {
                "chat_service": service,
                "customer": customer,
                "number": number,
                "conversations_of_customer": looked_at,
            },
            "Find why Twilio made no conversation of the SMS in the Conversations logs "
            "(Console > Conversations > Logs); a number in a Messaging Service needs its "
            '"Handle inbound Messages with Conversations" on.',
        )

    def not_held(self, places: list[Any], body: str, sent: Any) -> Check:
        """The customer's conversations hold no copy of the SMS: something else took it."""
        return self.check(
            "fail",
            f"{self.sid} is the customer's conversation on {self.message.to}, but none of its "
            f"latest messages is the SMS of {stamp(sent)}",
            {
                "conversation": self.sid,
                "conversation_state": places[0].conversation_state,
                "conversations_of_customer": len(places),
                "sms_body": body,
            },
            "Find where the SMS went in the Conversations logs (Console > Conversations > "
            "Logs): Twilio adds each SMS to the customer's open conversation unless something "
            f"else on the number (step {self.number_of('number')}) takes it.",
        )

    def found(self, row: Any, posted: Any, of_customer: int) -> Check:
        """The conversation holding the SMS: an active one has no Studio webhook.

        Otherwise the customer's messages go to Studio as well as to the agent.
        """
        sid = str(row.conversation_sid)
        evidence: dict[str, Any] = {
            "conversation": sid,
            "conversation_message": posted.sid,
            "conversation_state": row.conversation_state,
            "participant": row.participant_sid,
            "conversations_of_customer": of_customer,
        }
        detail = f"{sid} holds the customer's message {posted.sid}"
        if row.conversation_state != "active":
            return self.check("pass", f"{detail} ({row.conversation_state})", evidence)
        webhooks = studio_webhooks(self.account, sid)
        evidence["flex_webhooks"] = webhooks
        if not webhooks:
            return self.check(
                "pass", f"{detail} (active), no Studio or Flex webhook on it", evidence
            )
        first = webhooks[0]
        return self.check(
            "fail",
            f"{detail}, but it is active and still has webhook {first['webhook']} "
            f"({first['target']}), so each message in it also goes to {first['to']}",
            evidence,
            remove_webhooks(self.account, webhooks),
        )

    def place_tasks(self) -> list[Any]:
        """The tasks whose `conversationSid` is the conversation."""
        return self.account.tasks_by_conversation().get(self.sid, [])

    def no_task_fix(self) -> str:
        """The handler creates an Interaction; its task carries conversationSid."""
        workflow = self.config.workflow
        return (
            f"Make the handler create an Interaction for conversation {self.sid} "
            f'(Interactions API) whose routing properties name Workflow "'
            f'{workflow.friendly_name}" and set {workflow.target_attribute} to the '
            f"agent's {self.account.agent_name.what}: its task then carries conversationSid."
        )

    def task_evidence(self, task: Any, evidence: dict[str, Any]) -> None:
        """The Interaction the task was created for."""
        evidence["interaction"] = attributes_of(task.attributes).get("flexInteractionSid")

    def agent_joined(
        self, task: Any, reservation: Any, identity: str, uri: Any, evidence: dict[str, Any]
    ) -> Check:
        """Is the agent a participant of the conversation (Flex removes her on completion)."""
        participants = self.account.participants(self.sid)
        participant = next((p for p in participants if p.identity == identity), None)
        evidence["identity"] = identity
        evidence["participants"] = [
            p.identity or binding(p).get("address") or p.sid for p in participants
        ]
        if participant is None:
            if task.assignment_status == "completed":
                return self.check(
                    "pass",
                    f"{reservation.sid} accepted by {identity}, who has left {self.sid}: Flex "
                    "removes the agent when the task completes",
                    evidence,
                )
            return self.check(
                "fail",
                f"{identity} accepted {reservation.sid} but is not a participant of "
                f"{self.sid}, so cannot see or answer the customer",
                evidence,
                "Create the task through the Interactions API (Flex then adds the agent who "
                "accepts it to the conversation), or make the handler add her as participant "
                f"{identity} when she accepts.",
            )
        evidence["participant"] = participant.sid
        return self.check(
            "pass",
            f"{reservation.sid} accepted by {identity} ({uri}), participant "
            f"{participant.sid} of {self.sid}",
            evidence,
        )

    def reply_fix(self, first: Any) -> str:
        """Conversations delivers the agent's messages: why did it not deliver `first`."""
        service = self.config.chat_service.sid
        return (
            "Conversations sends each message an agent writes to the participants with an "
            f"SMS binding: check that {self.customer} is still a participant of {self.sid} "
            f"with proxy address {self.message.to}, and read why {first.sid} was not "
            "delivered: `twilio api:conversations:v1:services:conversations:messages:receipts:"
            f"list --chat-service-sid {service} --conversation-sid {self.sid} "
            f"--message-sid {first.sid}` (and the Messaging logs for its error code)."
        )

    def how_to_close(self) -> str:
        """The fix for a conversation its task's end left open."""
        service = self.config.chat_service.sid
        return (
            "close the conversation when its task ends: set its Interaction Channel's status to "
            "closed (Interactions API), or `twilio api:conversations:v1:services:conversations:"
            f"update --chat-service-sid {service} --sid {self.sid} --state closed`"
        )

    def left_open(self, task: Any, state: str, evidence: dict[str, Any]) -> Check:
        """A conversation left inactive (a warning) or active after its task."""
        close = self.how_to_close()
        if state == "inactive":
            return self.check(
                "warn",
                f"{task.sid} is completed but {self.sid} is inactive, not closed, so the "
                "customer's next message reopens it instead of starting a new conversation",
                evidence,
                sentence(["unless agents leave conversations open on purpose, " + close]),
            )
        return self.check(
            "fail",
            f"{task.sid} is completed but {self.sid} is still {state}, so the customer's "
            "next message lands in a conversation no agent is in (the address starts no "
            "new one)",
            evidence,
            sentence([close]),
        )

    STEPS = (
        Step(1, "received", "message received", Walk.received),
        Step(2, "number", "number on its address", Walk.number, needs=("received",)),
        Step(3, "conversation", "conversation", Walk.find_sms, needs=("number",)),
        Step(4, "task", "TaskRouter task", Walk.routed_task, needs=("conversation",)),
        Step(5, "agent", "agent accepted and joined", Walk.agent, needs=("task",)),
        Step(6, "relayed", "agent's replies sent as SMS", Walk.relayed, needs=("agent",)),
        Step(7, "closed", "completed and closed", Walk.closed, needs=("agent",)),
    )


def _on(found: dict[str, Any], wanted: dict[str, str]) -> bool:
    """Whether a messaging binding joins the customer's address and the number."""
    return all(found.get(key) == value for key, value in wanted.items())
