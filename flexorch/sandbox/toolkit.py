"""What every platform's sandbox accounts are built from, written once.

Each platform's accounts (`flexorch.sandbox.platforms`) are the seeded Flex account after `pulumi
up` of the shipped sandbox stack (a copy of the repo's examples/Pulumi.sandbox.yaml) on that
platform, plus one finished conversation that went the way a custom orchestration should: the
customer's SMS, a task targeting `client:alice`, her accepted reservation, her reply sent to
the customer as an SMS. This module holds what those accounts share: the stack, the customer
and the agent, the routing `up` writes on every platform, the steps of that conversation, the
broken things that look alike on every platform, and the `Scenario` and `Platform` records.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from importlib import resources
from typing import Any

import yaml

from flexorch.config import StackConfig, parse_config
from flexorch.loading import namespace_values
from flexorch.routing import workflow_configuration
from flexorch.sandbox import seed
from flexorch.sandbox.fake import FakeTwilio
from flexorch.twilio_facts import identities

# The stack these accounts are accounts of, shipped inside the package (a copy of the repo's
# examples/Pulumi.sandbox.yaml, which tests/test_package_data.py keeps equal to it).
SANDBOX_STACK = "Pulumi.sandbox.yaml"

CUSTOMER = "+15558675309"
SMS_BODY = "Hi, my order #1234 has not arrived yet"
AGENT = "alice"
REPLY = "Sorry about that, let me check."
MESSAGE_SID = seed.sid("SM", "customer message")
OLDER_MESSAGE_SID = seed.sid("SM", "customer message, day before")
EXECUTION_SID = seed.sid("FN", "customer studio execution")
RETURNING_CUSTOMER = "+15558675312"
ORPHAN_CUSTOMER = "+15558675310"
STALE_CONTACT = "+15558675311"
STALE_EXECUTION_SID = seed.sid("FN", "stale studio execution")

ACCOUNT = {"AccountSid": seed.ACCOUNT_SID}
WORKSPACE = {"WorkspaceSid": seed.WORKSPACE_SID}
STUDIO = {"FlowSid": seed.STUDIO_FLOW_SID}


def shipped_stack() -> dict[str, Any]:
    """The sandbox stack file's document, as shipped."""
    text = resources.files(__package__).joinpath(SANDBOX_STACK).read_text(encoding="utf-8")
    document: dict[str, Any] = yaml.safe_load(text)
    return document


def stack_config(document: dict[str, Any]) -> StackConfig:
    """The validated config of a sandbox stack file's `document`."""
    return parse_config(namespace_values(document["config"], SANDBOX_STACK))


def iso(when: datetime) -> str:
    """A time as the v1 products write it (ISO 8601, UTC, whole seconds)."""
    return when.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def ago(**delta: float) -> datetime:
    """That long before now."""
    return datetime.now(UTC) - timedelta(**delta)


def remove_records(fake: FakeTwilio, template: str, **match: Any) -> None:
    """Delete every record of `template` whose fields equal `match`."""
    with fake.lock:
        records = fake.records.get(template, {})
        for sid in [s for s, r in records.items() if all(r.get(k) == v for k, v in match.items())]:
            del records[sid]


# --- what `up` leaves on every platform ---------------------------------------------------


def managed_numbers(fake: FakeTwilio, config: StackConfig) -> list[dict[str, Any]]:
    """The seeded number records `config` manages."""
    return [
        number
        for number in fake.all(seed.NUMBERS)
        if number["phone_number"] in config.numbers or number["sid"] in config.numbers
    ]


def service_webhook_urls(config: StackConfig) -> dict[str, str | None]:
    """The chat service's pre- and post-event webhook URLs: the handler's where events go."""
    handler, chat = config.handler, config.chat_service
    return {
        "pre_webhook_url": handler.effective_chat_url if chat.pre_events else None,
        "post_webhook_url": handler.effective_chat_url if chat.post_events else None,
    }


def apply_routing(fake: FakeTwilio, config: StackConfig) -> FakeTwilio:
    """What `up` does on every platform: Flex Flows, the contact_uri Workflow, task channels."""
    managed = {form for n in config.numbers for form in identities(n)}
    if config.flex_flows == "disable":
        for flow in fake.all(seed.FLEX_FLOWS):
            if flow["contact_identity"] in managed:
                flow["enabled"] = False
    queue = fake.find(seed.QUEUES, friendly_name=config.workflow.queue.friendly_name)["sid"]
    fake.add(
        seed.WORKFLOWS,
        WORKSPACE,
        sid=seed.sid("WW", config.workflow.friendly_name),
        friendly_name=config.workflow.friendly_name,
        configuration=json.dumps(workflow_configuration(config, queue), indent=2),
        task_reservation_timeout=config.workflow.reservation_timeout,
    )
    for channel in config.task_channels:
        fake.add(
            seed.TASK_CHANNELS,
            WORKSPACE,
            sid=seed.sid("TC", channel.unique_name),
            unique_name=channel.unique_name,
            friendly_name=channel.effective_friendly_name,
        )
    return fake


# --- the steps of a conversation ----------------------------------------------------------


def add_message(
    fake: FakeTwilio, sid: str, sender: str, to: str, body: str, when: datetime,
    direction: str = "inbound", status: str = "received",
) -> None:  # fmt: skip
    """An SMS in the account's Messages (inbound from the customer by default)."""
    stamp = format_datetime(when.replace(microsecond=0))
    fake.add(seed.MESSAGES, ACCOUNT, sid=sid, body=body, direction=direction, status=status,
             to=to, num_media="0", num_segments="1", api_version="2010-04-01",
             date_created=stamp, date_sent=stamp, date_updated=stamp,
             **{"from": sender})  # fmt: skip


def customer_wrote(fake: FakeTwilio, number: str) -> datetime:
    """The customer's SMS to `number` (and one the day before yesterday); when it was sent."""
    started = ago(minutes=10)
    add_message(fake, OLDER_MESSAGE_SID, CUSTOMER, number, "Hello?", ago(days=2))
    add_message(fake, MESSAGE_SID, CUSTOMER, number, SMS_BODY, started)
    return started


def replied(started: datetime) -> datetime:
    """When alice wrote `REPLY` in the conversation that started at `started`."""
    return started + timedelta(minutes=2)


def reply_sent(fake: FakeTwilio, sid: str, number: str, written: datetime) -> None:
    """Alice's reply, written at `written`, as the SMS the customer got from `number`."""
    add_message(fake, sid, number, CUSTOMER, REPLY, written + timedelta(seconds=2),
                direction="outbound-api", status="delivered")  # fmt: skip


def add_task(
    fake: FakeTwilio, config: StackConfig, sid: str, channel: str, customer: str, *,
    status: str, when: datetime,
) -> dict[str, Any]:  # fmt: skip
    """The task the handler made for `customer`'s `channel`, targeting alice."""
    channel_config = config.task_channels[0]
    attributes = {
        "channelSid": channel,
        "channelType": channel_config.channel_type,
        config.workflow.target_attribute: f"client:{AGENT}",
        config.auto_accept.attribute: "true",
        "name": customer,
        "from": customer,
    }
    return fake.add(
        seed.TASKS,
        WORKSPACE,
        sid=sid,
        assignment_status=status,
        attributes=json.dumps(attributes),
        workflow_sid=seed.sid("WW", config.workflow.friendly_name),
        workflow_friendly_name=config.workflow.friendly_name,
        task_queue_sid=seed.EVERYONE_SID,
        task_queue_friendly_name="Everyone",
        task_channel_sid=seed.sid("TC", channel_config.unique_name),
        task_channel_unique_name=channel_config.unique_name,
        reason="conversation resolved" if status == "completed" else None,
        date_created=iso(when),
        date_updated=iso(when + timedelta(minutes=8)),
    )


def add_reservation(fake: FakeTwilio, task: str, sid: str) -> None:
    """Alice's reservation of `task`, completed with it."""
    fake.add(seed.RESERVATIONS, {**WORKSPACE, "TaskSid": task}, sid=sid,
             worker_sid=seed.sid("WK", AGENT), worker_name=AGENT,
             reservation_status="completed")  # fmt: skip


def add_execution(
    fake: FakeTwilio,
    status: str,
    steps: tuple[tuple[str, str, str], ...],
    sid: str = EXECUTION_SID,
    contact: str = CUSTOMER,
    when: datetime | None = None,
) -> None:
    """A Studio execution for `contact` with its steps (event, from widget, to widget)."""
    when = when or ago(minutes=10)
    fake.add(seed.STUDIO_EXECUTIONS, STUDIO, sid=sid, contact_channel_address=contact,
             status=status, date_created=iso(when), date_updated=iso(when))  # fmt: skip
    for index, (event, source, target) in enumerate(steps):
        fake.add(seed.STUDIO_STEPS, {**STUDIO, "ExecutionSid": sid},
                 sid=seed.sid("FT", f"{sid} step {index}"), name=event,
                 transitioned_from=source, transitioned_to=target,
                 date_created=iso(when + timedelta(seconds=index)))  # fmt: skip


# --- what breaks the same way on every platform -------------------------------------------


def message_missing(fake: FakeTwilio) -> None:
    """Step 1: Twilio has no inbound message from the customer (wrong number, carrier block)."""
    remove_records(fake, seed.MESSAGES, **{"from": CUSTOMER})


def in_messaging_service(fake: FakeTwilio) -> None:
    """Step 2: the number joined a Messaging Service that sends its SMS to the service's URL."""
    seed.add_messaging_service(fake, [seed.FREE_NUMBER])


def twiml_app_on_number(fake: FakeTwilio) -> None:
    """Step 2: the number got a TwiML App, whose SMS URL Twilio calls instead of the number's."""
    seed.add_twiml_app(fake, seed.FREE_NUMBER)


def conversations_defaults_off(fake: FakeTwilio) -> None:
    """Config: another service is the account's default, and conversations never close."""
    fake.singleton(seed.CONVERSATIONS_CONFIGURATION).update(
        default_chat_service_sid=seed.sid("IS", "another service"), default_closed_timer=None
    )


def flex_flow_janitor(fake: FakeTwilio) -> None:
    """Hygiene: the (disabled) SMS Flex Flow of +15005550007 has the Channel Janitor on."""
    fake.find(seed.FLEX_FLOWS, contact_identity=seed.FLEX_FLOW_NUMBER)["janitor_enabled"] = True


def studio_stale(fake: FakeTwilio) -> None:
    """Hygiene: a Studio execution still active three days after its last step."""
    add_execution(fake, "active", (("incomingMessage", "Trigger", "ask_order_number"),),
                  sid=STALE_EXECUTION_SID, contact=STALE_CONTACT, when=ago(days=3))  # fmt: skip


def broken(
    healthy: Callable[[], FakeTwilio], breaks: Callable[[FakeTwilio], None]
) -> Callable[[], FakeTwilio]:
    """A scenario's build: the `healthy` account with what `breaks` breaks, described by it."""

    def build() -> FakeTwilio:
        fake = healthy()
        breaks(fake)
        return fake

    build.__doc__ = breaks.__doc__
    return build


# --- the records a platform registers -----------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """A sandbox account and the check it is built to trip."""

    name: str
    build: Callable[[], FakeTwilio]
    check: str | None
    """The id of the one check that fails (or warns); None when everything passes."""
    status: str = "fail"
    """What that check reports."""

    @property
    def description(self) -> str:
        """What is broken, in one line."""
        return (self.build.__doc__ or "").strip()


@dataclass(frozen=True)
class Platform:
    """A messaging platform's sandbox: its stack applied, and its accounts by scenario."""

    config: Callable[[], StackConfig]
    """The config of the sandbox stack on this platform."""
    apply_stack: Callable[[FakeTwilio, StackConfig], FakeTwilio]
    """What `pulumi up` of a config on this platform leaves in the seeded account, without
    Pulumi: tests/test_sandbox.py runs the real providers and compares."""
    doctor: tuple[Scenario, ...]
    """The healthy account, then one per `flexorch doctor` check it trips."""
    migrate: tuple[Scenario, ...] = ()
    """One per `flexorch migrate` finding, moving a stack off this platform."""
    title: str = ""
    """How `sandbox --help` heads its accounts; "" for the platform's own title (a variant of a
    platform, like its taskCreation or knownAgent form, names itself)."""
