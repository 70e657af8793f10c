"""The message section on Flex Conversations: seven steps from the customer's SMS to the reply.

After Twilio's "Troubleshoot Flex Conversations" checklist (Messaging logs, the number's
configuration, the Conversations service's conversations, then TaskRouter): the SMS received;
its number with no SmsUrl and an address at the handler; a conversation holding it; a task
referencing that conversation and naming a worker's contact_uri; that worker's accepted
reservation and participation; her replies sent as SMS; the conversation closed after the task.
https://www.twilio.com/docs/flex/developer/conversations/faq-and-troubleshooting

Conversations itself sends what an agent writes to the participants with an SMS binding, so
step 6 checks Twilio's delivery (and the customer's binding), not a relay in the handler.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flexorch.doctor.account import newest, parse_time, stamp
from flexorch.doctor.conversations_account import (
    ConversationsAccount,
    binding,
    conversation_author,
)
from flexorch.doctor.conversations_checks import (
    number_check,
    remove_webhooks,
    studio_webhooks,
)
from flexorch.doctor.report import Check, sentence
from flexorch.doctor.steps import Steps
from flexorch.twilio_facts import attributes_of, chat_identity

STEPS = {
    1: ("1-received", "1. message received"),
    2: ("2-number", "2. number on its address"),
    3: ("3-conversation", "3. conversation"),
    4: ("4-task", "4. TaskRouter task"),
    5: ("5-agent", "5. agent accepted and joined"),
    6: ("6-relayed", "6. agent's replies sent as SMS"),
    7: ("7-closed", "7. completed and closed"),
}
DEPENDS: dict[int, tuple[int, ...]] = {2: (1,), 3: (2,), 4: (3,), 5: (4,), 6: (5,), 7: (5,)}
# The conversation's copy of the SMS is made after Twilio received it; timestamps of two
# products may differ by a few seconds.
CLOCKS = timedelta(minutes=1)
# How many of the customer's conversations (newest first) have their messages read.
CONVERSATIONS_READ = 3


class ConversationsWalk(Steps):
    """The seven steps for one inbound message on Flex Conversations."""

    STEPS = STEPS
    DEPENDS = DEPENDS

    def __init__(
        self, account: ConversationsAccount, message_sid: str | None, sender: str | None
    ) -> None:
        """Walk `message_sid`, or the latest inbound message from `sender`."""
        super().__init__(account, message_sid, sender)
        self.conversations = account
        self.conversation: Any = None
        """The customer's ParticipantConversation row holding the SMS."""

    @property
    def sid(self) -> str:
        """The walked conversation's SID."""
        return str(self.conversation.conversation_sid)

    def order(self) -> list[tuple[int, Callable[[], Check]]]:
        """The steps in their own order."""
        return [
            (1, self.received),
            (2, self.number),
            (3, self.find_conversation),
            (4, self.routed_task),
            (5, self.agent),
            (6, self.relayed),
            (7, self.closed),
        ]

    def judged(self) -> list[str]:
        """The walked conversation and number, which hygiene leaves to the walk."""
        out = [self.sid] if self.conversation is not None else []
        return out + ([str(self.message.to)] if self.message is not None else [])

    def number_check(self, ref: str, check_id: str, title: str) -> Check:
        """No Flex Flow, an empty SmsUrl, and one address at the handler."""
        return number_check(self.conversations, ref, check_id, title)

    # 3
    def find_conversation(self) -> Check:
        """Is there a conversation with the customer on this number holding the SMS."""
        customer, number = self.customer, str(self.message.to)
        service = self.config.chat_service.sid
        rows = self.conversations.participant_conversations(customer)
        pair = {"address": customer, "proxy_address": number}
        mine = newest(
            (r for r in rows if _on(binding(r, "participant_messaging_binding"), pair)),
            "conversation_date_created",
        )
        if not mine:
            return self._check(
                3,
                "fail",
                f"no conversation of service {service} has {customer} as an SMS participant "
                f"on {number} ({len(rows)} conversation(s) of the customer looked at)",
                {
                    "chat_service": service,
                    "customer": customer,
                    "number": number,
                    "conversations_of_customer": len(rows),
                },
                "Find why Twilio made no conversation of the SMS in the Conversations logs "
                "(Console > Conversations > Logs); a number in a Messaging Service needs its "
                '"Handle inbound Messages with Conversations" on.',
            )
        body = (self.message.body or "").strip()
        sent = parse_time(self.message.date_sent or self.message.date_created)
        for row in mine[:CONVERSATIONS_READ]:
            for posted in self.conversations.conversation_messages(row.conversation_sid):
                at = parse_time(posted.date_created)
                if sent is not None and at is not None and at < sent - CLOCKS:
                    continue
                author = conversation_author(posted)
                if (posted.body or "").strip() == body if body else author == customer:
                    self.conversation = row
                    return self._found(row, posted, len(mine))
        self.conversation = mine[0]
        return self._check(
            3,
            "fail",
            f"{self.sid} is the customer's conversation on {number}, but none of its latest "
            f"messages is the SMS of {stamp(sent)}",
            {
                "conversation": self.sid,
                "conversation_state": mine[0].conversation_state,
                "conversations_of_customer": len(mine),
                "sms_body": body,
            },
            "Find where the SMS went in the Conversations logs (Console > Conversations > "
            "Logs): Twilio adds each SMS to the customer's open conversation unless something "
            "else on the number (step 2) takes it.",
        )

    def _found(self, row: Any, posted: Any, of_customer: int) -> Check:
        """Step 3 on the conversation holding the SMS: an active one has no Studio webhook.

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
            return self._check(3, "pass", f"{detail} ({row.conversation_state})", evidence)
        webhooks = studio_webhooks(self.conversations, sid)
        evidence["flex_webhooks"] = webhooks
        if not webhooks:
            return self._check(
                3, "pass", f"{detail} (active), no Studio or Flex webhook on it", evidence
            )
        first = webhooks[0]
        return self._check(
            3,
            "fail",
            f"{detail}, but it is active and still has webhook {first['webhook']} "
            f"({first['target']}), so each message in it also goes to {first['to']}",
            evidence,
            remove_webhooks(self.conversations, webhooks),
        )

    # 4
    def routed_task(self) -> Check:
        """Is there a task referencing the conversation and naming a worker's contact_uri."""
        missing = self.no_workspace(4)
        if missing is not None:
            return missing
        tasks = self.conversations.tasks_by_conversation().get(self.sid, [])
        state = self.conversation.conversation_state
        if not tasks:
            evidence = {
                "conversation": self.sid,
                "conversation_state": state,
                "tasks_scanned": len(self.account.tasks()),
            }
            if state == "closed":
                return self._check(
                    4,
                    "warn",
                    f"no task references {self.sid} any more; the conversation is closed, "
                    "and TaskRouter deletes finished tasks after a while",
                    evidence,
                    "Walk a more recent message to see its task.",
                )
            workflow = self.config.workflow
            return self._check(
                4,
                "fail",
                f"no TaskRouter task references conversation {self.sid}",
                evidence,
                f"Make the handler create an Interaction for conversation {self.sid} "
                f'(Interactions API) whose routing properties name Workflow "'
                f'{workflow.friendly_name}" and set {workflow.target_attribute} to the '
                "agent's contact_uri: its task then carries conversationSid.",
            )
        task = tasks[0]
        self.task = task
        reference = {"conversation": self.sid}
        target, evidence, problems, fixes = self.task_problems(task, reference)
        evidence["interaction"] = attributes_of(task.attributes).get("flexInteractionSid")
        if problems:
            return self._check(
                4, "fail", f"task {task.sid}: " + "; ".join(problems), evidence, sentence(fixes)
            )
        return self._check(
            4,
            "pass",
            f"{task.sid} ({task.assignment_status}) references {self.sid} and targets {target}",
            evidence,
        )

    # 5
    def agent(self) -> Check:
        """Did the targeted agent accept, and is she a participant of the conversation."""
        task = self.task
        if task is None:
            return self._check(5, "skipped", "because step 4 found no task", {})
        failed, reservation, evidence = self.accepted_by_target(5, task)
        if failed is not None:
            return failed
        uri = evidence["contact_uri"]["found"]
        identity = chat_identity(str(uri))
        self.agent_identity = identity
        participants = self.conversations.participants(self.sid)
        participant = next((p for p in participants if p.identity == identity), None)
        evidence["identity"] = identity
        evidence["participants"] = [
            p.identity or binding(p).get("address") or p.sid for p in participants
        ]
        if participant is None:
            if task.assignment_status == "completed":
                return self._check(
                    5,
                    "pass",
                    f"{reservation.sid} accepted by {identity}, who has left {self.sid}: Flex "
                    "removes the agent when the task completes",
                    evidence,
                )
            return self._check(
                5,
                "fail",
                f"{identity} accepted {reservation.sid} but is not a participant of "
                f"{self.sid}, so cannot see or answer the customer",
                evidence,
                "Create the task through the Interactions API (Flex then adds the agent who "
                "accepts it to the conversation), or make the handler add her as participant "
                f"{identity} when she accepts.",
            )
        evidence["participant"] = participant.sid
        return self._check(
            5,
            "pass",
            f"{reservation.sid} accepted by {identity} ({uri}), participant "
            f"{participant.sid} of {self.sid}",
            evidence,
        )

    # 6
    def relayed(self) -> Check:
        """Did each message the agent wrote reach the customer as an SMS from the number."""
        identity = self.agent_identity
        if identity is None:
            why = "step 4 found no task" if self.task is None else "step 5 found no agent"
            return self._check(6, "skipped", f"because {why}", {})
        written = [
            m
            for m in self.conversations.conversation_messages(self.sid)
            if conversation_author(m) == identity
        ]
        where = ("conversation", self.sid)
        return self.relayed_replies(6, where, written, self._delivery_fix, "delivered")

    def _delivery_fix(self, first: Any) -> str:
        service = self.config.chat_service.sid
        return (
            "Conversations sends each message an agent writes to the participants with an "
            f"SMS binding: check that {self.customer} is still a participant of {self.sid} "
            f"with proxy address {self.message.to}, and read why {first.sid} was not "
            "delivered: `twilio api:conversations:v1:services:conversations:messages:receipts:"
            f"list --chat-service-sid {service} --conversation-sid {self.sid} "
            f"--message-sid {first.sid}` (and the Messaging logs for its error code)."
        )

    # 7
    def closed(self) -> Check:
        """After completion, is the task completed and the conversation closed."""
        task = self.task
        if task is None:
            return self._check(7, "skipped", "because step 4 found no task", {})
        state = self.conversation.conversation_state or "(none)"
        service = self.config.chat_service.sid
        evidence = {
            "task": task.sid,
            "assignment_status": task.assignment_status,
            "conversation": self.sid,
            "conversation_state": {"found": state, "expected": "closed"},
        }
        close = (
            "close the conversation when its task ends: set its Interaction Channel's status to "
            "closed (Interactions API), or `twilio api:conversations:v1:services:conversations:"
            f"update --chat-service-sid {service} --sid {self.sid} --state closed`"
        )
        if task.assignment_status == "completed":
            if state == "closed":
                return self._check(
                    7, "pass", f"{task.sid} completed and {self.sid} closed", evidence
                )
            if state == "inactive":
                return self._check(
                    7,
                    "warn",
                    f"{task.sid} is completed but {self.sid} is inactive, not closed, so the "
                    "customer's next message reopens it instead of starting a new conversation",
                    evidence,
                    sentence(["unless agents leave conversations open on purpose, " + close]),
                )
            return self._check(
                7,
                "fail",
                f"{task.sid} is completed but {self.sid} is still {state}, so the customer's "
                "next message lands in a conversation no agent is in (the address starts no "
                "new one)",
                evidence,
                sentence([close]),
            )
        return self.not_completed(7, task, evidence)


def _on(found: dict[str, Any], wanted: dict[str, str]) -> bool:
    """Whether a messaging binding joins the customer's address and the number."""
    return all(found.get(key) == value for key, value in wanted.items())
