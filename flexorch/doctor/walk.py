"""The message section's frame: numbered steps run in order, and the steps every platform takes.

Each platform walks one inbound message through its own products (`flexorch.doctor.platforms`),
but the walk finds the message, judges its number, finds the place the SMS was copied to (a chat
channel, a conversation), the task that references that place, the agent who accepted it, the
SMS sent for her replies and the place closed after the task the same way: those steps are
written once here, and each platform answers their questions about its place through hooks.
A platform's `STEPS` declares each step once: its number, name and title (the check's id and
title), what runs it, and the steps it needs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any, ClassVar, Generic, TypeVar

from flexorch.doctor.account import (
    AGENT_NAMES,
    Account,
    lookup,
    newest,
    oldest,
    parse_time,
    stamp,
)
from flexorch.doctor.checks import guarded
from flexorch.doctor.report import EXAMPLES, Check, Label, Status, sentence
from flexorch.twilio_facts import (
    ACCEPTED_RESERVATION,
    attributes_of,
    chat_identity,
    on_managed_channel,
)

A = TypeVar("A", bound=Account)

# What the Messages API says of an SMS sent through it (a relay, Conversations' delivery) or as
# a TwiML reply.
OUTBOUND = ("outbound-api", "outbound-reply")
# A reply is sent within seconds of being written; an SMS much later is some other message.
RELAY_WINDOW = timedelta(minutes=10)
# How many of the customer's places (newest first) have their messages read for the SMS.
PLACES_READ = 3


@dataclass(frozen=True)
class Step:
    """One step of a walk, declared once: its number, name, title, what runs it, what it needs."""

    number: int
    name: str
    """The check id is `<number>-<name>`; other steps name this one by it in `needs`."""
    title: str
    run: Callable[[Any], Check]
    """The walk's method that judges the step."""
    needs: tuple[str, ...] = ()
    """The steps that must not have failed (else this one is skipped, naming the failed one)."""

    @property
    def label(self) -> Label:
        """The step's check id and title."""
        return Label(f"{self.number}-{self.name}", f"{self.number}. {self.title}")


class Walk(Generic[A]):
    """The steps for one inbound message, in order, each given what earlier ones found.

    A platform's walk declares `STEPS` and its place, and answers the hooks below.
    """

    STEPS: ClassVar[tuple[Step, ...]] = ()
    """The steps in the order they are looked at; the report lists them by number."""
    PLACE: ClassVar[str]
    """Where the customer's messages are copied, as the evidence names it: "channel"."""
    STATE: ClassVar[str]
    """The evidence key of the place's state: "channel_status"."""
    CLOSED: ClassVar[str]
    """The place's state once its task ended: "INACTIVE"."""
    COPY_CLOCK: ClassVar[timedelta | None] = None
    """How much earlier than the SMS the place's copy of it may be dated; None: not compared."""
    SENT_BY: ClassVar[str]
    """How an agent's reply becomes an SMS: "relayed" (by the handler), "delivered"."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """A walk's steps have a number and a name each, and need only steps looked at before."""
        super().__init_subclass__(**kwargs)
        seen: list[Step] = []
        for step in cls.STEPS:
            names, numbers = {s.name for s in seen}, {s.number for s in seen}
            if step.name in names or step.number in numbers:
                raise TypeError(f"{cls.__name__}: step {step.number}-{step.name} declared twice")
            if not set(step.needs) <= names:
                raise TypeError(
                    f"{cls.__name__}: step {step.number}-{step.name} needs a step looked at later"
                )
            seen.append(step)

    def __init__(self, account: A, message_sid: str | None, sender: str | None) -> None:
        """Walk `message_sid`, or the latest inbound message from `sender`."""
        self.account = account
        self.config = account.config
        self.message_sid = message_sid
        self.sender = sender
        self.message: Any = None
        self.place: Any = None
        """The customer's place holding the SMS (or the newest of them)."""
        self.task: Any = None
        self.agent_identity: str | None = None
        self.results: dict[int, Check] = {}
        self.root: dict[int, int] = {}
        self.current: Step | None = None
        """The step being judged."""

    @property
    def customer(self) -> str:
        """The customer's address (the message's From)."""
        return str(self.message.from_)

    def number_of(self, name: str) -> int:
        """The number of the step called `name`."""
        return next(step.number for step in self.STEPS if step.name == name)

    def run(self) -> list[Check]:
        """Every step's check, by step number."""
        for step in self.STEPS:
            needed = [self.number_of(name) for name in step.needs]
            blocked = [
                self.root.get(d, d)
                for d in needed
                if self.results[d].status == "fail" or d in self.root
            ]
            if blocked:
                self.root[step.number] = blocked[0]
                reason = f"because step {blocked[0]} failed"
                self.results[step.number] = step.label.check("skipped", reason)
                continue
            self.current = step
            self.results[step.number] = guarded(step.label, partial(step.run, self))
        return [self.results[number] for number in sorted(self.results)]

    def check(self, status: Status, detail: str, evidence: dict[str, Any], fix: str = "") -> Check:
        """The verdict of the step being judged."""
        assert self.current is not None, "a verdict outside a step"
        return self.current.label.check(status, detail, evidence, fix)

    def judged(self) -> list[str]:
        """The SIDs (and numbers) the walk judged, which the hygiene section leaves to it."""
        return []

    # The platform's hooks

    def number_check(self, ref: str, label: Label) -> Check:
        """The platform's check of a managed number."""
        raise NotImplementedError

    @property
    def place_sid(self) -> str:
        """The SID of the place."""
        raise NotImplementedError

    def place_state(self) -> Any:
        """The place's state (ACTIVE/INACTIVE, active/inactive/closed)."""
        raise NotImplementedError

    def customer_places(self) -> tuple[list[Any], int]:
        """The customer's places on this number, newest first, and how many were looked at."""
        raise NotImplementedError

    def place_messages(self, place: Any) -> list[Any]:
        """A place's latest messages."""
        raise NotImplementedError

    def author(self, message: Any) -> Any:
        """Who wrote a message of a place."""
        raise NotImplementedError

    def no_place(self, looked_at: int) -> Check:
        """The find-the-SMS step's failure when the customer has no place on the number."""
        raise NotImplementedError

    def not_held(self, places: list[Any], body: str, sent: Any) -> Check:
        """Its failure when none of the customer's latest places holds the SMS."""
        raise NotImplementedError

    def found(self, place: Any, posted: Any, of_customer: int) -> Check:
        """Its verdict on the place holding the SMS (`posted` its copy)."""
        raise NotImplementedError

    def place_tasks(self) -> list[Any]:
        """The tasks that reference the place, newest first."""
        raise NotImplementedError

    def no_task_fix(self) -> str:
        """What to do when no task references the place."""
        raise NotImplementedError

    def task_evidence(self, task: Any, evidence: dict[str, Any]) -> None:
        """Add what the platform shows of the routed task to its evidence."""

    def agent_joined(
        self, task: Any, reservation: Any, identity: str, uri: Any, evidence: dict[str, Any]
    ) -> Check:
        """The agent step's verdict once the targeted worker accepted: is she in the place."""
        raise NotImplementedError

    def reply_fix(self, first: Any) -> str:
        """What to do about the first reply that did not reach the customer."""
        raise NotImplementedError

    def left_open(self, task: Any, state: str, evidence: dict[str, Any]) -> Check:
        """The close-out step's verdict on a completed task whose place is not closed."""
        raise NotImplementedError

    # The steps

    def received(self) -> Check:
        """Did Twilio receive the message (Messages, direction inbound)."""
        managed = self.account.managed_numbers()
        if self.message_sid:
            message = self.account.message(self.message_sid)
            if message is None:
                return self.check(
                    "fail",
                    f"no message {self.message_sid} in account {self.account.account_sid}",
                    {"sid": self.message_sid},
                    "Copy the SID from the Messaging logs of the account the "
                    "credentials belong to.",
                )
            if message.direction != "inbound":
                return self.check(
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
                return self.check(
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
        return self.check("pass", detail, evidence)

    def number(self) -> Check:
        """Is the message's number one of the stack's, set up as the platform needs."""
        to = str(self.message.to)
        ref = self.account.managed_numbers().get(to)
        if ref is None:
            return self.check(
                "fail",
                f"{to} is not one of this stack's numbers, so the stack does not "
                "route it to the handler",
                {"number": to, "managed_numbers": list(self.config.numbers)},
                "Add the number to flexorch:numbers and run `pulumi up`, or walk "
                "a message sent to a managed number.",
            )
        assert self.current is not None
        return self.number_check(ref, self.current.label)

    def find_sms(self) -> Check:
        """Is there a place of the customer on this number holding the SMS."""
        mine, looked_at = self.customer_places()
        if not mine:
            return self.no_place(looked_at)
        body = (self.message.body or "").strip()
        sent = parse_time(self.message.date_sent or self.message.date_created)
        for place in mine[:PLACES_READ]:
            for posted in self.place_messages(place):
                at = parse_time(posted.date_created)
                clock = self.COPY_CLOCK
                if clock is not None and sent is not None and at is not None and at < sent - clock:
                    continue
                same = (
                    (posted.body or "").strip() == body
                    if body
                    else self.author(posted) == self.customer
                )
                if same:
                    self.place = place
                    return self.found(place, posted, len(mine))
        self.place = mine[0]
        return self.not_held(mine, body, sent)

    def routed_task(self) -> Check:
        """Is there a task referencing the place and naming a worker's contact_uri."""
        missing = self.no_workspace()
        if missing is not None:
            return missing
        sid = self.place_sid
        tasks = self.place_tasks()
        if not tasks:
            state = self.place_state()
            evidence = {
                self.PLACE: sid,
                self.STATE: state,
                "tasks_scanned": len(self.account.tasks()),
            }
            if state == self.CLOSED:
                return self.check(
                    "warn",
                    f"no task references {sid} any more; the {self.PLACE} is "
                    f"{self.CLOSED.lower()}, and TaskRouter deletes finished tasks after a while",
                    evidence,
                    "Walk a more recent message to see its task.",
                )
            return self.check(
                "fail",
                f"no TaskRouter task references {self.PLACE} {sid}",
                evidence,
                self.no_task_fix(),
            )
        task = tasks[0]
        self.task = task
        target, evidence, problems, fixes = self.task_problems(task, {self.PLACE: sid})
        self.task_evidence(task, evidence)
        if problems:
            return self.check(
                "fail", f"task {task.sid}: " + "; ".join(problems), evidence, sentence(fixes)
            )
        return self.check(
            "pass",
            f"{task.sid} ({task.assignment_status}) references {sid} and targets {target}",
            evidence,
        )

    def agent(self) -> Check:
        """Did the targeted agent accept the reservation and join the place."""
        task = self.task
        if task is None:
            return self.check("skipped", f"because step {self.number_of('task')} found no task", {})
        failed, reservation, evidence = self.accepted_by_target(task)
        if failed is not None:
            return failed
        uri = self.contact_uri_of(reservation.worker_sid)
        identity = chat_identity(str(uri))
        self.agent_identity = identity
        return self.agent_joined(task, reservation, identity, uri, evidence)

    def relayed(self) -> Check:
        """Did each message the agent wrote reach the customer as an SMS from the number."""
        identity = self.agent_identity
        if identity is None:
            why = (
                f"step {self.number_of('task')} found no task"
                if self.task is None
                else f"step {self.number_of('agent')} found no agent"
            )
            return self.check("skipped", f"because {why}", {})
        written = [m for m in self.place_messages(self.place) if self.author(m) == identity]
        return self.relayed_replies(written)

    def closed(self) -> Check:
        """After completion, is the task completed and the place closed."""
        task = self.task
        if task is None:
            return self.check("skipped", f"because step {self.number_of('task')} found no task", {})
        sid = self.place_sid
        state = self.place_state() or "(none)"
        evidence = {
            "task": task.sid,
            "assignment_status": task.assignment_status,
            self.PLACE: sid,
            self.STATE: {"found": state, "expected": self.CLOSED},
        }
        if task.assignment_status == "completed":
            if state == self.CLOSED:
                return self.check("pass", f"{task.sid} completed and {sid} {self.CLOSED}", evidence)
            return self.left_open(task, state, evidence)
        return self.not_completed(task, evidence)

    # What the steps share

    def no_workspace(self) -> Check | None:
        """The failure of a task step when the workspace is missing, else None."""
        if self.account.workspace() is not None:
            return None
        return self.check(
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
        name = self.account.agent_name
        uris = self.account.named_workers()
        workflows = self.account.workflows()
        evidence = {
            "task": task.sid,
            "assignment_status": task.assignment_status,
            **reference,
            attribute: target,
            name.listed: sorted(uris),
            "workflow": task.workflow_sid,
            "task_channel": task.task_channel_unique_name,
        }
        problems: list[str] = []
        fixes: list[str] = []
        if target is None:
            problems.append(f"it has no {attribute} attribute")
            fixes.append(f"make the handler set {attribute} to the agent's {name.what}")
        elif target not in uris:
            known = ", ".join(sorted(uris)) or "none"
            problems.append(
                f"{attribute} is {target!r}, which no worker has ({name.plural}: {known})"
            )
            fixes.append(f"set {attribute} to the {name.what} of an existing worker")
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

    def not_completed(self, task: Any, evidence: dict[str, Any]) -> Check:
        """The close-out step of a task that did not complete: canceled fails, live waits."""
        if task.assignment_status == "canceled":
            return self.check(
                "fail",
                f"{task.sid} was canceled ({task.reason or 'no reason given'}) "
                "after the agent accepted it",
                evidence,
                "Find what canceled the task (TaskRouter events of the task) "
                "and complete tasks instead.",
            )
        return self.check(
            "skipped",
            f"{task.sid} is still {task.assignment_status}; run doctor again after "
            "the agent completes it",
            evidence,
        )

    def accepted_by_target(self, task: Any) -> tuple[Check | None, Any, dict[str, Any]]:
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
            failed = self.check("fail", detail, {"task": task.sid, "reservations": seen}, fix)
            return failed, None, {}
        reservation = newest(accepted, "date_updated")[0]
        workers = {w.sid: w for w in self.account.workers()}
        worker = workers.get(reservation.worker_sid)
        name = self.account.agent_name
        found = name.read(worker) if worker else None
        evidence: dict[str, Any] = {
            "reservation": reservation.sid,
            "reservation_status": reservation.reservation_status,
            "worker": reservation.worker_sid,
            name.key: {"found": found, "expected": target},
        }
        if found != target:
            failed = self.check(
                "fail",
                f"{reservation.sid} was accepted by {reservation.worker_name} "
                f"({found}), not by {target}",
                evidence,
                "Run `pulumi up --refresh` to restore the contact_uri Workflow, which "
                "reserves only the worker the task names.",
            )
            return failed, reservation, evidence
        return None, reservation, evidence

    def contact_uri_of(self, worker_sid: str) -> Any:
        """A worker's contact_uri (her chat identity with `client:`), whatever tasks name her by."""
        worker = next((w for w in self.account.workers() if w.sid == worker_sid), None)
        return AGENT_NAMES[None].read(worker) if worker else None

    def relayed_replies(self, written: Iterable[Any]) -> Check:
        """Did each message the agent wrote in the place reach the customer as an SMS.

        Each, oldest first, takes the earliest unused outgoing SMS from the number to the
        customer sent after it within RELAY_WINDOW; `reply_fix` says what to do about the first
        one that did not.
        """
        kind, sid = self.PLACE, self.place_sid
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
            return self.check(
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
            return self.check(
                "fail",
                f"{identity}'s message {first.sid} ({stamp(first.date_created)}) in "
                f"{sid} has no SMS from {number} to {customer} after it; "
                f"{len(missing)} of {len(mine)} not {self.SENT_BY}, so the customer never "
                "hears back",
                evidence,
                self.reply_fix(first),
            )
        return self.check(
            "pass",
            f"each of {identity}'s {len(mine)} message(s) in {sid} was sent as an "
            f"SMS from {number} to {customer}",
            evidence,
        )
