"""The message section on Programmable Chat: the nine steps of Flex's messaging checklist.

The steps every platform takes are `flexorch.doctor.walk`'s; here are the chat channel as the
place of the customer's messages (found by its `from` attribute, holding the SMS the handler
posted into it), Proxy (step 3) and Studio (step 5), which Flex 1.x may put in the message's
path, and the channel membership and role of the agent.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flexorch.doctor.account import newest, parse_time
from flexorch.doctor.platforms.programmable_chat.account import ChatAccount, chat_author
from flexorch.doctor.platforms.programmable_chat.checks import (
    flex_webhooks,
    number_check,
    remove_webhooks,
)
from flexorch.doctor.report import Check, Label, sentence
from flexorch.doctor.walk import Step, Walk
from flexorch.twilio_facts import (
    AGENT_PERMISSIONS,
    AGENT_ROLE,
    OPEN_SESSION,
    attributes_of,
    channel_status,
)

# HTTP Request widgets leave by `failed`, Run Function widgets by `fail`.
FAILED_TRANSITIONS = ("failed", "fail")


class ChatWalk(Walk[ChatAccount]):
    """The nine steps for one inbound message on Programmable Chat."""

    PLACE = "channel"
    STATE = "channel_status"
    CLOSED = "INACTIVE"
    # The handler posts its own copy of the SMS: judged by its body alone, whatever its date.
    COPY_CLOCK = None
    SENT_BY = "relayed"

    def __init__(self, account: ChatAccount, message_sid: str | None, sender: str | None) -> None:
        """Walk `message_sid`, or the latest inbound message from `sender`."""
        super().__init__(account, message_sid, sender)
        self.session: Any = None

    @property
    def channel(self) -> Any:
        """The customer's chat channel holding the SMS (or the newest of them)."""
        return self.place

    def judged(self) -> list[str]:
        """The channel and session the walk judged (steps 4 and 8 report them)."""
        return [x.sid for x in (self.channel, self.session) if x is not None]

    # The hooks of the shared steps

    def number_check(self, ref: str, label: Label) -> Check:
        """Is the number free of Flex Flows and pointed at the handler."""
        return number_check(self.account, ref, label)

    @property
    def place_sid(self) -> str:
        """The channel's SID."""
        return str(self.channel.sid)

    def place_state(self) -> Any:
        """The channel's `status` attribute (ACTIVE, INACTIVE)."""
        return channel_status(self.channel)

    def customer_places(self) -> tuple[list[Any], int]:
        """The chat channels whose `from` attribute is the customer, newest first."""
        customer = self.customer
        channels = self.account.channels()
        mine = newest(c for c in channels if attributes_of(c.attributes).get("from") == customer)
        return mine, len(channels)

    def place_messages(self, place: Any) -> list[Any]:
        """A channel's latest chat messages."""
        return self.account.chat_messages(place.sid)

    def author(self, message: Any) -> Any:
        """Who wrote a chat message."""
        return chat_author(message)

    def no_place(self, looked_at: int) -> Check:
        """No channel of the customer: the handler did not create it."""
        customer, sid = self.customer, self.config.chat_service.sid
        return self.check(
            "fail",
            f"no channel of chat service {sid} has attributes.from "
            f"{customer} ({looked_at} channels looked at)",
            {"chat_service": sid, "customer": customer, "channels_scanned": looked_at},
            "Make the handler create the customer's chat channel (Flex's "
            "Channels API, with the customer's address as identity) before "
            "it creates the task.",
        )

    def not_held(self, places: list[Any], body: str, sent: Any) -> Check:
        """The customer's channel does not hold the SMS: the handler did not post it."""
        return self.check(
            "fail",
            f"{places[0].sid} is the customer's channel, but none of its latest messages is the "
            "SMS",
            {"channel": places[0].sid, "channels_of_customer": len(places), "sms_body": body},
            "Make the handler post each inbound SMS into the customer's channel "
            "(Chat Messages API, from the customer's identity).",
        )

    def found(self, channel: Any, posted: Any, of_customer: int) -> Check:
        """The chat channel holding the SMS: an ACTIVE one carries no Studio/Flex webhook.

        Otherwise the customer's messages go there as well as to the agent.
        """
        evidence: dict[str, Any] = {
            "channel": channel.sid,
            "chat_message": posted.sid,
            "channel_status": attributes_of(channel.attributes).get("status"),
            "channels_of_customer": of_customer,
        }
        detail = f"{channel.sid} holds the customer's message {posted.sid}"
        if channel_status(channel) != "ACTIVE":
            return self.check("pass", detail, evidence)
        webhooks = flex_webhooks(self.account, channel)
        evidence["flex_webhooks"] = webhooks
        if not webhooks:
            return self.check("pass", f"{detail}; no Studio or Flex webhook on it", evidence)
        first = webhooks[0]
        return self.check(
            "fail",
            f"{detail}, but it is ACTIVE and still has channel webhook {first['webhook']} "
            f"({first['type']}), so each message posted into it also goes to {first['to']}",
            evidence,
            remove_webhooks(self.account, webhooks),
        )

    def place_tasks(self) -> list[Any]:
        """The tasks whose `channelSid` is the channel."""
        return self.account.tasks_by_channel().get(self.place_sid, [])

    def no_task_fix(self) -> str:
        """The handler creates the task itself, with the attributes the Workflow routes on."""
        return (
            "Make the handler create the task with attributes channelSid "
            f"and {self.config.workflow.target_attribute} on the contact_uri "
            "Workflow."
        )

    def agent_joined(
        self, task: Any, reservation: Any, identity: str, uri: Any, evidence: dict[str, Any]
    ) -> Check:
        """Is the agent a member of the channel, with the standard agent role."""
        channel = self.place
        members = self.account.members(channel.sid)
        member = next((m for m in members if m.identity == identity), None)
        evidence["identity"] = identity
        evidence["members"] = [m.identity for m in members]
        if member is None:
            left = "LeaveChatChannel" in (
                self.config.orchestration.wrapup + self.config.orchestration.completed
            )
            if left and task.assignment_status == "completed":
                return self.check(
                    "pass",
                    f"{reservation.sid} accepted by {identity}, who left "
                    f"{channel.sid} on completion as the orchestration says",
                    evidence,
                )
            return self.check(
                "fail",
                f"{identity} accepted {reservation.sid} but is not a member of "
                f"{channel.sid}, so cannot see or answer the customer",
                evidence,
                "Make the handler add the agent to the channel when the "
                "reservation is accepted, or add AddToChatChannel to "
                "flexorch:orchestration.accepted.",
            )
        role = self.account.roles().get(member.role_sid)
        name = role.friendly_name if role is not None else member.role_sid
        permissions = list(role.permissions or []) if role is not None else []
        missing = [p for p in AGENT_PERMISSIONS if p not in permissions]
        extra = sorted(set(permissions) - set(AGENT_PERMISSIONS))
        evidence.update(
            member=member.sid,
            role={"found": name, "expected": AGENT_ROLE},
            permissions={"missing": missing, "extra": extra},
        )
        if role is None or name != AGENT_ROLE:
            return self.check(
                "fail",
                f"member {member.sid} ({identity}) has role {name}, not agent",
                evidence,
                "Add the agent to the channel with the chat service's agent role.",
            )
        if missing:
            return self.check(
                "fail",
                f"role agent {role.sid} lacks {', '.join(missing)}",
                evidence,
                f"Give role {role.sid} back its standard permissions: "
                f"{', '.join(AGENT_PERMISSIONS)}.",
            )
        if extra:
            return self.check(
                "warn",
                f"role agent {role.sid} has more than the standard permissions: {', '.join(extra)}",
                evidence,
                f"Remove {', '.join(extra)} from role {role.sid}.",
            )
        return self.check(
            "pass",
            f"{reservation.sid} accepted by {identity} ({uri}), member "
            f"{member.sid} with role agent",
            evidence,
        )

    def reply_fix(self, first: Any) -> str:
        """The handler relays the agent's chat messages, on the chat service's onMessageSent."""
        number = str(self.message.to)
        chat = self.config.chat_service
        relay = (
            "make the handler's onMessageSent relay send each message whose From is not the "
            f"customer as an SMS from {number} to the customer's address (the chat service "
            f"posts onMessageSent to {self.config.handler.effective_chat_url})"
        )
        if "onMessageSent" in chat.webhook_filters:
            return sentence([relay])
        return sentence(
            ["add onMessageSent to flexorch:chatService.webhookFilters and run `pulumi up`", relay]
        )

    def left_open(self, task: Any, status: str, evidence: dict[str, Any]) -> Check:
        """A channel left ACTIVE after its task: the customer's next message lands there."""
        channel = self.place
        return self.check(
            "fail",
            f"{task.sid} is completed but {channel.sid} is still {status}, so "
            "the customer's next message lands in a channel no agent watches",
            evidence,
            "Set the channel's attributes status to INACTIVE when the task "
            "ends (in the handler, or with DeactivateChatChannel in "
            "flexorch:orchestration.wrapup).",
        )

    # The steps of Programmable Chat only

    def proxy(self) -> Check:
        """If Proxy is in use, is there a Session with an Interaction."""
        to = str(self.message.to)
        pools = [ks for ks, numbers in self.account.proxy_pools().items() if to in numbers]
        named = []
        if self.channel is not None:
            named = [s for s in self.account.sessions() if s.unique_name == self.channel.sid]
        if not named:
            if not pools:
                return self.check(
                    "skipped",
                    "Proxy is not in use for this message (no session named after "
                    "its chat channel, the number is in no Proxy pool)",
                    {"proxy_services": len(self.account.proxy_services())},
                )
            if self.channel is None:
                return self.check(
                    "skipped",
                    f"because step {self.number_of('channel')} failed (Flex names the session "
                    "after the chat channel)",
                    {"proxy_pools": pools},
                )
            return self.check(
                "fail",
                f"{to} is in the pool of Proxy service {pools[0]}, but no session "
                f"is named after channel {self.channel.sid}",
                {"proxy_pools": pools, "channel": self.channel.sid},
                "Create the Proxy session with uniqueName set to the chat channel "
                "SID, or take the number out of the Proxy pool.",
            )
        session = newest(named)[0]
        self.session = session
        interactions = self.account.interactions(session)
        evidence = {
            "session": session.sid,
            "service": session.service_sid,
            "status": session.status,
            "interactions": len(interactions),
        }
        if not interactions:
            return self.check(
                "fail",
                f"Proxy session {session.sid} ({session.status}) has no "
                "interaction, so the message did not go through it",
                evidence,
                "Check the session's participants (the customer's number and "
                "the proxy number) and the Proxy service's callbacks in the "
                "Proxy logs.",
            )
        if session.status not in OPEN_SESSION and channel_status(self.channel) == "ACTIVE":
            return self.check(
                "fail",
                f"Proxy session {session.sid} is {session.status} "
                f"({session.closed_reason or 'no reason given'}) while channel "
                f"{self.channel.sid} is still active",
                evidence,
                "Lengthen the session's ttl, or close the chat channel when the session ends.",
            )
        return self.check(
            "pass",
            f"Proxy session {session.sid} ({session.status}) with "
            f"{len(interactions)} interaction(s)",
            evidence,
        )

    def studio(self) -> Check:
        """If Studio is in use, did its execution for the customer avoid failed widgets."""
        customer = self.customer
        executions = [e for e in self.account.executions() if e.contact_channel_address == customer]
        if not executions:
            return self.check(
                "skipped",
                f"Studio is not in use for this message (no execution for {customer})",
                {"studio_flows": len(self.account.studio_flows())},
            )
        sent = parse_time(self.message.date_sent or self.message.date_created)
        earlier = [
            e
            for e in executions
            if sent is None or (parse_time(e.date_created) or sent) <= sent + timedelta(minutes=5)
        ]
        execution = newest(earlier or executions)[0]
        steps = self.account.execution_steps(execution)
        failed = [s for s in steps if str(s.name).lower() in FAILED_TRANSITIONS]
        evidence: dict[str, Any] = {
            "execution": execution.sid,
            "flow": execution.flow_sid,
            "status": execution.status,
            "steps": len(steps),
        }
        if failed:
            widget = failed[0].transitioned_from
            evidence["failed_widget"] = widget
            evidence["failed_step"] = failed[0].sid
            return self.check(
                "fail",
                f"execution {execution.sid} of flow {execution.flow_sid} left "
                f"widget {widget} by its failed transition",
                evidence,
                f"Open the execution in Studio's logs: fix what widget {widget} "
                "calls (its HTTP request or Function returned an error), or "
                "connect its failed transition.",
            )
        return self.check(
            "pass",
            f"execution {execution.sid} of flow {execution.flow_sid} "
            f"({execution.status}, {len(steps)} steps) has no failed widget",
            evidence,
        )

    STEPS = (
        Step(1, "received", "message received", Walk.received),
        Step(2, "number", "number on the handler", Walk.number, needs=("received",)),
        Step(4, "channel", "chat channel", Walk.find_sms, needs=("number",)),
        # Step 3 finds its session by the chat channel, so step 4 is looked at first.
        Step(3, "proxy", "Proxy session", proxy, needs=("number",)),
        Step(5, "studio", "Studio execution", studio, needs=("number",)),
        Step(6, "task", "TaskRouter task", Walk.routed_task, needs=("channel", "studio")),
        Step(7, "agent", "agent accepted and joined", Walk.agent, needs=("task",)),
        Step(8, "completed", "completed and closed", Walk.closed, needs=("agent",)),
        Step(9, "relayed", "agent's replies sent as SMS", Walk.relayed, needs=("agent",)),
    )
