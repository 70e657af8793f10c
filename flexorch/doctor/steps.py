"""What both message walks share: numbered steps run in order, and the judgments they repeat.

Programmable Chat (`walk`) and Flex Conversations (`conversations`) walk one inbound message
through different products, but find it, judge its task, the agent's reservation and the SMS
sent for her replies the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any, ClassVar

from flexorch.doctor.account import Account, lookup, newest, oldest, parse_time, stamp
from flexorch.doctor.checks import guarded
from flexorch.doctor.report import EXAMPLES, Check, Status
from flexorch.twilio_facts import ACCEPTED_RESERVATION, attributes_of, on_managed_channel

# What the Messages API says of an SMS sent through it (a relay, Conversations' delivery) or as
# a TwiML reply.
OUTBOUND = ("outbound-api", "outbound-reply")
# A reply is sent within seconds of being written; an SMS much later is some other message.
RELAY_WINDOW = timedelta(minutes=10)


class Steps:
    """The steps for one inbound message, in order, each given what earlier ones found."""

    STEPS: ClassVar[dict[int, tuple[str, str]]] = {}
    """Step number -> (check id, title)."""
    DEPENDS: ClassVar[dict[int, tuple[int, ...]]] = {}
    """A step runs only when the steps it needs did not fail."""

    def __init__(self, account: Account, message_sid: str | None, sender: str | None) -> None:
        """Walk `message_sid`, or the latest inbound message from `sender`."""
        self.account = account
        self.config = account.config
        self.message_sid = message_sid
        self.sender = sender
        self.message: Any = None
        self.task: Any = None
        self.agent_identity: str | None = None
        self.results: dict[int, Check] = {}
        self.root: dict[int, int] = {}

    @property
    def customer(self) -> str:
        """The customer's address (the message's From)."""
        return str(self.message.from_)

    def order(self) -> list[tuple[int, Callable[[], Check]]]:
        """Each step and what runs it, in the order they are looked at."""
        raise NotImplementedError

    def judged(self) -> list[str]:
        """The SIDs (and numbers) the walk judged, which the hygiene section leaves to it."""
        return []

    def run(self) -> list[Check]:
        """Every step's check, by step number."""
        for step, run in self.order():
            check_id, title = self.STEPS[step]
            blocked = [
                self.root.get(d, d)
                for d in self.DEPENDS.get(step, ())
                if self.results[d].status == "fail" or d in self.root
            ]
            if blocked:
                self.root[step] = blocked[0]
                reason = f"because step {blocked[0]} failed"
                self.results[step] = Check(check_id, title, "skipped", reason)
                continue
            self.results[step] = guarded(check_id, title, run)
        return [self.results[step] for step in sorted(self.results)]

    def _check(
        self, step: int, status: Status, detail: str, evidence: dict[str, Any], fix: str = ""
    ) -> Check:
        check_id, title = self.STEPS[step]
        return Check(check_id, title, status, detail, evidence, fix)

    # 1, on both platforms
    def received(self) -> Check:
        """Did Twilio receive the message (Messages, direction inbound)."""
        managed = self.account.managed_numbers()
        if self.message_sid:
            message = self.account.message(self.message_sid)
            if message is None:
                return self._check(
                    1,
                    "fail",
                    f"no message {self.message_sid} in account {self.account.account_sid}",
                    {"sid": self.message_sid},
                    "Copy the SID from the Messaging logs of the account the "
                    "credentials belong to.",
                )
            if message.direction != "inbound":
                return self._check(
                    1,
                    "fail",
                    f"{message.sid} is {message.direction} (sent by this account), "
                    "not a customer's inbound message",
                    {"sid": message.sid, "direction": message.direction},
                    "Walk the customer's inbound message, or use --from with "
                    "the customer's number.",
                )
        else:
            sender = str(self.sender)
            sent = self.account.messages_from(sender)
            inbound = [m for m in sent if m.direction == "inbound" and m.to in managed]
            if not inbound:
                to = ", ".join(managed) or "none (flexorch:numbers is empty)"
                return self._check(
                    1,
                    "fail",
                    f"no inbound message from {sender} to a managed number ({to})",
                    {
                        "from": sender,
                        "managed_numbers": list(managed),
                        "messages_from_sender": len(sent),
                    },
                    "Check that the customer texts one of the stack's numbers "
                    "and that Twilio did not block it (Messaging logs, errors "
                    "21610 and 30007).",
                )
            message = newest(inbound, "date_sent")[0]
        self.message = message
        evidence = {
            "sid": message.sid,
            "from": message.from_,
            "to": message.to,
            "direction": message.direction,
            "status": message.status,
            "date_sent": stamp(message.date_sent or message.date_created),
        }
        detail = f"{message.sid} from {message.from_} to {message.to}, {message.status}"
        return self._check(1, "pass", detail, evidence)

    # 2, on both platforms: which number, then the platform's own judgment of it
    def number(self) -> Check:
        """Is the message's number one of the stack's, set up as the platform needs."""
        to = str(self.message.to)
        ref = self.account.managed_numbers().get(to)
        check_id, title = self.STEPS[2]
        if ref is None:
            return self._check(
                2,
                "fail",
                f"{to} is not one of this stack's numbers, so the stack does not "
                "route it to the handler",
                {"number": to, "managed_numbers": list(self.config.numbers)},
                "Add the number to flexorch:numbers and run `pulumi up`, or walk "
                "a message sent to a managed number.",
            )
        return self.number_check(ref, check_id, title)

    def number_check(self, ref: str, check_id: str, title: str) -> Check:
        """The platform's check of a managed number."""
        raise NotImplementedError

    def no_workspace(self, step: int) -> Check | None:
        """The failure of a task step when the workspace is missing, else None."""
        if self.account.workspace() is not None:
            return None
        return self._check(
            step,
            "fail",
            f"no TaskRouter workspace {self.config.workspace.describe()}",
            {"workspace": self.config.workspace.describe()},
            "Set flexorch:workspace to the Flex workspace of this account.",
        )

    def task_problems(
        self, task: Any, reference: dict[str, Any]
    ) -> tuple[Any, dict[str, Any], list[str], list[str]]:
        """Does the task name a worker's contact_uri, on the stack's Workflow and task channel.

        Returns its target, the evidence (`reference` names what it belongs to), the problems
        and their fixes.
        """
        attributes = attributes_of(task.attributes)
        attribute = self.config.workflow.target_attribute
        target = lookup(attributes, attribute)
        uris = self.account.contact_uris()
        workflows = self.account.workflows()
        evidence = {
            "task": task.sid,
            "assignment_status": task.assignment_status,
            **reference,
            attribute: target,
            "worker_contact_uris": sorted(uris),
            "workflow": task.workflow_sid,
            "task_channel": task.task_channel_unique_name,
        }
        problems: list[str] = []
        fixes: list[str] = []
        if target is None:
            problems.append(f"it has no {attribute} attribute")
            fixes.append(f"make the handler set {attribute} to the agent's contact_uri")
        elif target not in uris:
            known = ", ".join(sorted(uris)) or "none"
            problems.append(
                f"{attribute} is {target!r}, which no worker has (contact_uris: {known})"
            )
            fixes.append(f"set {attribute} to the contact_uri of an existing worker")
        if workflows and task.workflow_sid != workflows[0].sid:
            problems.append(
                f'it was created on Workflow {task.workflow_sid} "{task.workflow_friendly_name}",'
                f' not "{self.config.workflow.friendly_name}" ({workflows[0].sid})'
            )
            fixes.append(f"create tasks on Workflow {workflows[0].sid}")
        managed = {c.unique_name for c in self.config.task_channels}
        on_channel = on_managed_channel(
            self.config.task_channels, task.task_channel_unique_name, attributes
        )
        if managed and not on_channel:
            problems.append(
                f'it is on TaskChannel "{task.task_channel_unique_name}", not a managed channel '
                f"({', '.join(sorted(managed))}), so Flex orchestrates it itself"
            )
            fixes.append(f"create it on TaskChannel {sorted(managed)[0]}")
        return target, evidence, problems, fixes

    def not_completed(self, step: int, task: Any, evidence: dict[str, Any]) -> Check:
        """The close-out step of a task that did not complete: canceled fails, live waits."""
        if task.assignment_status == "canceled":
            return self._check(
                step,
                "fail",
                f"{task.sid} was canceled ({task.reason or 'no reason given'}) "
                "after the agent accepted it",
                evidence,
                "Find what canceled the task (TaskRouter events of the task) "
                "and complete tasks instead.",
            )
        return self._check(
            step,
            "skipped",
            f"{task.sid} is still {task.assignment_status}; run doctor again after "
            "the agent completes it",
            evidence,
        )

    def accepted_by_target(self, step: int, task: Any) -> tuple[Check | None, Any, dict[str, Any]]:
        """Did the worker the task names accept its reservation.

        Returns the step's failure (or None), the accepted reservation and the evidence.
        """
        target = lookup(attributes_of(task.attributes), self.config.workflow.target_attribute)
        reservations = self.account.reservations(task.sid)
        accepted = [r for r in reservations if r.reservation_status in ACCEPTED_RESERVATION]
        seen = [f"{r.sid} {r.reservation_status} ({r.worker_name})" for r in reservations]
        if not accepted:
            detail = (
                f"no reservation of {task.sid} was accepted ({', '.join(seen)})"
                if reservations
                else f"TaskRouter created no reservation for {task.sid}"
            )
            fix = (
                "Check that the agent is available and in the Workflow's queue, and that Flex "
                "auto-accepts (flexorch:autoAccept) or the agent accepts in time."
            )
            failed = self._check(
                step, "fail", detail, {"task": task.sid, "reservations": seen}, fix
            )
            return failed, None, {}
        reservation = newest(accepted, "date_updated")[0]
        workers = {w.sid: w for w in self.account.workers()}
        worker = workers.get(reservation.worker_sid)
        uri = attributes_of(worker.attributes).get("contact_uri") if worker else None
        evidence: dict[str, Any] = {
            "reservation": reservation.sid,
            "reservation_status": reservation.reservation_status,
            "worker": reservation.worker_sid,
            "contact_uri": {"found": uri, "expected": target},
        }
        if uri != target:
            failed = self._check(
                step,
                "fail",
                f"{reservation.sid} was accepted by {reservation.worker_name} "
                f"({uri}), not by {target}",
                evidence,
                "Run `pulumi up --refresh` to restore the contact_uri Workflow, which "
                "reserves only the worker the task names.",
            )
            return failed, reservation, evidence
        return None, reservation, evidence

    def relayed_replies(
        self,
        step: int,
        where: tuple[str, str],
        written: Iterable[Any],
        fix: Callable[[Any], str],
        sent_by: str = "relayed",
    ) -> Check:
        """Did each message the agent wrote (in `where`: its kind and SID) reach the customer.

        `fix` says what to do about the first one that did not, `sent_by` how an SMS goes
        (relayed by the handler, delivered by Conversations). Each, oldest first, takes
        the earliest unused outgoing SMS from the number to the customer sent after it within
        RELAY_WINDOW.
        """
        kind, sid = where
        identity = self.agent_identity
        number, customer = str(self.message.to), self.customer
        mine = oldest(written)
        evidence: dict[str, Any] = {
            kind: sid,
            "agent": identity,
            "from": number,
            "to": customer,
            "agent_messages": len(mine),
        }
        if not mine:
            return self._check(
                step,
                "skipped",
                f"{identity} wrote nothing in {sid}, so there is no reply to relay",
                evidence,
            )
        sent = [
            m
            for m in oldest(self.account.messages_between(number, customer))
            if m.direction in OUTBOUND
        ]
        unused = [(parse_time(m.date_created or m.date_sent), m) for m in sent]
        pairs: list[str] = []
        missing: list[Any] = []
        for reply in mine:
            at = parse_time(reply.date_created)
            index = next(
                (
                    i
                    for i, (when, _sms) in enumerate(unused)
                    if at is None or (when is not None and at <= when <= at + RELAY_WINDOW)
                ),
                None,
            )
            if index is None:
                missing.append(reply)
            else:
                pairs.append(f"{reply.sid} -> {unused.pop(index)[1].sid}")
        evidence.update(
            outbound_sms=len(sent),
            relayed=len(pairs),
            pairs=pairs[:EXAMPLES],
            not_relayed=[m.sid for m in missing[:EXAMPLES]],
        )
        if missing:
            first = missing[0]
            return self._check(
                step,
                "fail",
                f"{identity}'s message {first.sid} ({stamp(first.date_created)}) in "
                f"{sid} has no SMS from {number} to {customer} after it; "
                f"{len(missing)} of {len(mine)} not {sent_by}, so the customer never hears back",
                evidence,
                fix(first),
            )
        return self._check(
            step,
            "pass",
            f"each of {identity}'s {len(mine)} message(s) in {sid} was sent as an "
            f"SMS from {number} to {customer}",
            evidence,
        )
