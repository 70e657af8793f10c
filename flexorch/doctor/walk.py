"""The message section on Programmable Chat: the nine steps of Flex's messaging checklist."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flexorch.doctor.account import Account, chat_author, newest, parse_time
from flexorch.doctor.checks import flex_webhooks, number_check, remove_webhooks
from flexorch.doctor.report import Check, sentence
from flexorch.doctor.steps import Steps
from flexorch.twilio_facts import (
    AGENT_PERMISSIONS,
    AGENT_ROLE,
    OPEN_SESSION,
    attributes_of,
    channel_status,
    chat_identity,
)

# HTTP Request widgets leave by `failed`, Run Function widgets by `fail`.
FAILED_TRANSITIONS = ("failed", "fail")

STEPS = {
    1: ("1-received", "1. message received"),
    2: ("2-number", "2. number on the handler"),
    3: ("3-proxy", "3. Proxy session"),
    4: ("4-channel", "4. chat channel"),
    5: ("5-studio", "5. Studio execution"),
    6: ("6-task", "6. TaskRouter task"),
    7: ("7-agent", "7. agent accepted and joined"),
    8: ("8-completed", "8. completed and closed"),
    9: ("9-relayed", "9. agent's replies sent as SMS"),
}
# A step runs only when the steps it needs did not fail.
DEPENDS = {2: (1,), 3: (2,), 4: (2,), 5: (2,), 6: (4, 5), 7: (6,), 8: (7,), 9: (7,)}


class Walk(Steps):
    """The nine steps for one inbound message on Programmable Chat."""

    STEPS = STEPS
    DEPENDS = DEPENDS

    def __init__(self, account: Account, message_sid: str | None, sender: str | None) -> None:
        """Walk `message_sid`, or the latest inbound message from `sender`."""
        super().__init__(account, message_sid, sender)
        self.channel: Any = None
        self.session: Any = None

    def order(self) -> list[tuple[int, Callable[[], Check]]]:
        """Step 3 finds its session by the chat channel, so step 4 is looked at first."""
        return [
            (1, self.received),
            (2, self.number),
            (4, self.chat_channel),
            (3, self.proxy),
            (5, self.studio),
            (6, self.routed_task),
            (7, self.agent),
            (8, self.completed),
            (9, self.relayed),
        ]

    def judged(self) -> list[str]:
        """The channel and session the walk judged (steps 4 and 8 report them)."""
        return [x.sid for x in (self.channel, self.session) if x is not None]

    def number_check(self, ref: str, check_id: str, title: str) -> Check:
        """Is the number free of Flex Flows and pointed at the handler."""
        return number_check(self.account, ref, check_id, title)

    # 4 (looked at before 3)
    def chat_channel(self) -> Check:
        """Is there a chat channel with the customer's message."""
        customer = self.customer
        channels = self.account.channels()
        mine = newest(c for c in channels if attributes_of(c.attributes).get("from") == customer)
        sid = self.config.chat_service.sid
        if not mine:
            return self._check(
                4,
                "fail",
                f"no channel of chat service {sid} has attributes.from "
                f"{customer} ({len(channels)} channels looked at)",
                {"chat_service": sid, "customer": customer, "channels_scanned": len(channels)},
                "Make the handler create the customer's chat channel (Flex's "
                "Channels API, with the customer's address as identity) before "
                "it creates the task.",
            )
        body = (self.message.body or "").strip()
        for channel in mine[:3]:
            for posted in self.account.chat_messages(channel.sid):
                same = (
                    (posted.body or "").strip() == body if body else chat_author(posted) == customer
                )
                if same:
                    self.channel = channel
                    return self._found_channel(channel, posted, len(mine))
        self.channel = mine[0]
        return self._check(
            4,
            "fail",
            f"{mine[0].sid} is the customer's channel, but none of its latest messages is the SMS",
            {"channel": mine[0].sid, "channels_of_customer": len(mine), "sms_body": body},
            "Make the handler post each inbound SMS into the customer's channel "
            "(Chat Messages API, from the customer's identity).",
        )

    def _found_channel(self, channel: Any, posted: Any, of_customer: int) -> Check:
        """Step 4 on the channel holding the SMS: an ACTIVE one carries no Studio/Flex webhook.

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
            return self._check(4, "pass", detail, evidence)
        webhooks = flex_webhooks(self.account, channel)
        evidence["flex_webhooks"] = webhooks
        if not webhooks:
            return self._check(4, "pass", f"{detail}; no Studio or Flex webhook on it", evidence)
        first = webhooks[0]
        return self._check(
            4,
            "fail",
            f"{detail}, but it is ACTIVE and still has channel webhook {first['webhook']} "
            f"({first['type']}), so each message posted into it also goes to {first['to']}",
            evidence,
            remove_webhooks(self.account, webhooks),
        )

    # 3
    def proxy(self) -> Check:
        """If Proxy is in use, is there a Session with an Interaction."""
        to = str(self.message.to)
        pools = [ks for ks, numbers in self.account.proxy_pools().items() if to in numbers]
        named = []
        if self.channel is not None:
            named = [s for s in self.account.sessions() if s.unique_name == self.channel.sid]
        if not named:
            if not pools:
                return self._check(
                    3,
                    "skipped",
                    "Proxy is not in use for this message (no session named after "
                    "its chat channel, the number is in no Proxy pool)",
                    {"proxy_services": len(self.account.proxy_services())},
                )
            if self.channel is None:
                return self._check(
                    3,
                    "skipped",
                    "because step 4 failed (Flex names the session after the chat channel)",
                    {"proxy_pools": pools},
                )
            return self._check(
                3,
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
            return self._check(
                3,
                "fail",
                f"Proxy session {session.sid} ({session.status}) has no "
                "interaction, so the message did not go through it",
                evidence,
                "Check the session's participants (the customer's number and "
                "the proxy number) and the Proxy service's callbacks in the "
                "Proxy logs.",
            )
        if session.status not in OPEN_SESSION and channel_status(self.channel) == "ACTIVE":
            return self._check(
                3,
                "fail",
                f"Proxy session {session.sid} is {session.status} "
                f"({session.closed_reason or 'no reason given'}) while channel "
                f"{self.channel.sid} is still active",
                evidence,
                "Lengthen the session's ttl, or close the chat channel when the session ends.",
            )
        return self._check(
            3,
            "pass",
            f"Proxy session {session.sid} ({session.status}) with "
            f"{len(interactions)} interaction(s)",
            evidence,
        )

    # 5
    def studio(self) -> Check:
        """If Studio is in use, did its execution for the customer avoid failed widgets."""
        customer = self.customer
        executions = [e for e in self.account.executions() if e.contact_channel_address == customer]
        if not executions:
            return self._check(
                5,
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
        steps = self.account.steps(execution)
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
            return self._check(
                5,
                "fail",
                f"execution {execution.sid} of flow {execution.flow_sid} left "
                f"widget {widget} by its failed transition",
                evidence,
                f"Open the execution in Studio's logs: fix what widget {widget} "
                "calls (its HTTP request or Function returned an error), or "
                "connect its failed transition.",
            )
        return self._check(
            5,
            "pass",
            f"execution {execution.sid} of flow {execution.flow_sid} "
            f"({execution.status}, {len(steps)} steps) has no failed widget",
            evidence,
        )

    # 6
    def routed_task(self) -> Check:
        """Is there a task referencing the channel and naming a worker's contact_uri."""
        missing = self.no_workspace(6)
        if missing is not None:
            return missing
        channel = self.channel
        tasks = self.account.tasks_by_channel().get(channel.sid, [])
        if not tasks:
            status = channel_status(channel)
            evidence = {
                "channel": channel.sid,
                "channel_status": status,
                "tasks_scanned": len(self.account.tasks()),
            }
            if status == "INACTIVE":
                return self._check(
                    6,
                    "warn",
                    f"no task references {channel.sid} any more; the channel is "
                    "inactive, and TaskRouter deletes finished tasks after a while",
                    evidence,
                    "Walk a more recent message to see its task.",
                )
            return self._check(
                6,
                "fail",
                f"no TaskRouter task references channel {channel.sid}",
                evidence,
                "Make the handler create the task with attributes channelSid "
                f"and {self.config.workflow.target_attribute} on the contact_uri "
                "Workflow.",
            )
        task = tasks[0]
        self.task = task
        target, evidence, problems, fixes = self.task_problems(task, {"channel": channel.sid})
        if problems:
            return self._check(
                6, "fail", f"task {task.sid}: " + "; ".join(problems), evidence, sentence(fixes)
            )
        return self._check(
            6,
            "pass",
            f"{task.sid} ({task.assignment_status}) references {channel.sid} and targets {target}",
            evidence,
        )

    # 7
    def agent(self) -> Check:
        """Did the targeted agent accept and join the channel with the standard agent role."""
        task, channel = self.task, self.channel
        if task is None:
            return self._check(7, "skipped", "because step 6 found no task", {})
        failed, reservation, evidence = self.accepted_by_target(7, task)
        if failed is not None:
            return failed
        uri = evidence["contact_uri"]["found"]
        identity = chat_identity(str(uri))
        self.agent_identity = identity
        members = self.account.members(channel.sid)
        member = next((m for m in members if m.identity == identity), None)
        evidence["identity"] = identity
        evidence["members"] = [m.identity for m in members]
        if member is None:
            left = "LeaveChatChannel" in (
                self.config.orchestration.wrapup + self.config.orchestration.completed
            )
            if left and task.assignment_status == "completed":
                return self._check(
                    7,
                    "pass",
                    f"{reservation.sid} accepted by {identity}, who left "
                    f"{channel.sid} on completion as the orchestration says",
                    evidence,
                )
            return self._check(
                7,
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
            return self._check(
                7,
                "fail",
                f"member {member.sid} ({identity}) has role {name}, not agent",
                evidence,
                "Add the agent to the channel with the chat service's agent role.",
            )
        if missing:
            return self._check(
                7,
                "fail",
                f"role agent {role.sid} lacks {', '.join(missing)}",
                evidence,
                f"Give role {role.sid} back its standard permissions: "
                f"{', '.join(AGENT_PERMISSIONS)}.",
            )
        if extra:
            return self._check(
                7,
                "warn",
                f"role agent {role.sid} has more than the standard permissions: {', '.join(extra)}",
                evidence,
                f"Remove {', '.join(extra)} from role {role.sid}.",
            )
        return self._check(
            7,
            "pass",
            f"{reservation.sid} accepted by {identity} ({uri}), member "
            f"{member.sid} with role agent",
            evidence,
        )

    # 8
    def completed(self) -> Check:
        """After completion, is the task completed and the channel inactive."""
        task, channel = self.task, self.channel
        if task is None:
            return self._check(8, "skipped", "because step 6 found no task", {})
        status = channel_status(channel) or "(none)"
        evidence = {
            "task": task.sid,
            "assignment_status": task.assignment_status,
            "channel": channel.sid,
            "channel_status": {"found": status, "expected": "INACTIVE"},
        }
        if task.assignment_status == "completed":
            if status == "INACTIVE":
                return self._check(
                    8, "pass", f"{task.sid} completed and {channel.sid} INACTIVE", evidence
                )
            return self._check(
                8,
                "fail",
                f"{task.sid} is completed but {channel.sid} is still {status}, so "
                "the customer's next message lands in a channel no agent watches",
                evidence,
                "Set the channel's attributes status to INACTIVE when the task "
                "ends (in the handler, or with DeactivateChatChannel in "
                "flexorch:orchestration.wrapup).",
            )
        return self.not_completed(8, task, evidence)

    # 9
    def relayed(self) -> Check:
        """Did each message the agent wrote reach the customer as an SMS from the number.

        With a custom handler nothing else relays the agent's chat messages: when it does not,
        the agent types and the customer never hears back, though every other step passes.
        """
        identity, channel = self.agent_identity, self.channel
        if identity is None:
            why = "step 6 found no task" if self.task is None else "step 7 found no agent"
            return self._check(9, "skipped", f"because {why}", {})
        written = [m for m in self.account.chat_messages(channel.sid) if chat_author(m) == identity]
        fix = self._relay_fix(str(self.message.to))
        return self.relayed_replies(9, ("channel", channel.sid), written, lambda _first: fix)

    def _relay_fix(self, number: str) -> str:
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
