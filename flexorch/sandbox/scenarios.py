"""Accounts for `flexorch doctor` to diagnose: the sandbox stack applied, then one thing broken.

Every scenario starts from `all_pass()`: the seeded Flex account after `pulumi up` of
`examples/Pulumi.sandbox.yaml` (numbers on the handler, the SMS Flex Flow disabled, chat webhooks
set, the contact_uri Workflow and the `custom1` channel) plus one finished conversation that went
the way a custom orchestration should: the customer's SMS, a chat channel the handler created
(attributes `{"from": <customer>, "status": ...}` as Flex's Channels API stores them), a task
targeting `client:alice`, her accepted reservation and agent membership, her reply relayed as an
SMS by the handler, then completion with the channel made INACTIVE. Each other scenario breaks
exactly one doctor check, so users can see what each failure looks like:
`flexorch sandbox --scenario NAME`, then
`flexorch doctor --config examples/Pulumi.sandbox.yaml --from +15558675309`.

The same account on Flex Conversations is in `conversations_scenarios`; `catalogue` names them all.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from functools import cache
from importlib import resources
from typing import Any

from flexorch.config import StackConfig
from flexorch.loading import load_stack_file
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
MESSAGE_SID = seed.sid("SM", "customer message")
OLDER_MESSAGE_SID = seed.sid("SM", "customer message, day before")
CHANNEL_SID = seed.sid("CH", "customer channel")
TASK_SID = seed.sid("WT", "customer task")
RESERVATION_SID = seed.sid("WR", "customer reservation")
AGENT_MEMBER_SID = seed.sid("MB", "alice in customer channel")
CUSTOMER_MEMBER_SID = seed.sid("MB", "customer in customer channel")
SESSION_SID = seed.sid("KC", "customer proxy session")
EXECUTION_SID = seed.sid("FN", "customer studio execution")
AGENT_REPLY_SID = seed.sid("IM", "agent reply in channel")
RELAY_SID = seed.sid("SM", "agent reply relayed")
CHANNEL_WEBHOOK_SID = seed.sid("WH", "customer channel studio webhook")
AGENT_ROLE_SID = seed.sid("RL", "agent")
GUEST_ROLE_SID = seed.sid("RL", "guest")

ACCOUNT = {"AccountSid": seed.ACCOUNT_SID}
WORKSPACE = {"WorkspaceSid": seed.WORKSPACE_SID}
CHAT = {"ServiceSid": seed.CHAT_SERVICE_SID}
PROXY = {"ServiceSid": seed.PROXY_SERVICE_SID}
STUDIO = {"FlowSid": seed.STUDIO_FLOW_SID}
CHAT_USERS = "/v2/Services/{ServiceSid}/Users"
PROXY_NUMBERS = "/v1/Services/{ServiceSid}/PhoneNumbers"


@cache
def sandbox_config() -> StackConfig:
    """The config of the stack these scenarios are accounts of (examples/Pulumi.sandbox.yaml)."""
    with resources.as_file(resources.files(__package__).joinpath(SANDBOX_STACK)) as path:
        return load_stack_file(path).config


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


def apply_stack(fake: FakeTwilio, config: StackConfig) -> FakeTwilio:
    """What `pulumi up` of `config` leaves in the seeded account, without importing Pulumi.

    tests/test_sandbox.py runs the real providers through the component and compares.
    """
    handler = config.handler
    for number in managed_numbers(fake, config):
        number["sms_url"] = handler.effective_sms_url
        number["sms_method"] = handler.method
    chat = config.chat_service
    service = fake.find(seed.CHAT_SERVICES, sid=chat.sid)
    service.update(
        pre_webhook_url=handler.effective_chat_url if chat.pre_events else None,
        post_webhook_url=handler.effective_chat_url if chat.post_events else None,
        webhook_method=handler.method,
        webhook_filters=list(chat.webhook_filters),
        pre_webhook_retry_count=chat.retry_count,
        post_webhook_retry_count=chat.retry_count,
    )
    return apply_routing(fake, config)


def managed_numbers(fake: FakeTwilio, config: StackConfig) -> list[dict[str, Any]]:
    """The seeded number records `config` manages."""
    return [
        number
        for number in fake.all(seed.NUMBERS)
        if number["phone_number"] in config.numbers or number["sid"] in config.numbers
    ]


def apply_routing(fake: FakeTwilio, config: StackConfig) -> FakeTwilio:
    """What `up` does on both platforms: Flex Flows, the contact_uri Workflow, task channels."""
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


def _channel(fake: FakeTwilio, sid: str, customer: str, status: str, when: datetime) -> None:
    attributes = {"from": customer, "channel_type": "sms", "status": status, "long_lived": False}
    fake.add(seed.CHAT_CHANNELS, CHAT, sid=sid, friendly_name=customer, type="private",
             attributes=json.dumps(attributes), created_by="system", members_count=2,
             messages_count=2, date_created=iso(when), date_updated=iso(when))  # fmt: skip


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


def all_pass() -> FakeTwilio:
    """A healthy custom-orchestration account: doctor passes every check."""
    config = sandbox_config()
    fake = apply_stack(seed.flex_account(), config)
    started = ago(minutes=10)
    number = config.numbers[0]
    add_message(fake, OLDER_MESSAGE_SID, CUSTOMER, number, "Hello?", ago(days=2))
    add_message(fake, MESSAGE_SID, CUSTOMER, number, SMS_BODY, started)
    # The handler creates the customer's channel, posts the SMS into it and creates the task;
    # the agent's accept adds her as a member (the plugin's orchestration adds nothing).
    _channel(fake, CHANNEL_SID, CUSTOMER, "INACTIVE", started)
    channel = {**CHAT, "ChannelSid": CHANNEL_SID}
    fake.add(seed.CHAT_MEMBERS, channel, sid=CUSTOMER_MEMBER_SID, identity=CUSTOMER,
             role_sid=GUEST_ROLE_SID)  # fmt: skip
    fake.add(seed.CHAT_MEMBERS, channel, sid=AGENT_MEMBER_SID, identity=AGENT,
             role_sid=AGENT_ROLE_SID)  # fmt: skip
    fake.add(seed.CHAT_MESSAGES, channel, sid=seed.sid("IM", "customer sms in channel"),
             body=SMS_BODY, index=0, attributes=json.dumps({"messageSid": MESSAGE_SID}),
             date_created=iso(started), **{"from": CUSTOMER})  # fmt: skip
    # The agent's reply, and the SMS the handler's onMessageSent relay sent for it.
    replied = started + timedelta(minutes=2)
    reply = "Sorry about that, let me check."
    fake.add(seed.CHAT_MESSAGES, channel, sid=AGENT_REPLY_SID, body=reply, index=1,
             attributes="{}", date_created=iso(replied), **{"from": AGENT})  # fmt: skip
    add_message(fake, RELAY_SID, number, CUSTOMER, reply, replied + timedelta(seconds=2),
             direction="outbound-api", status="delivered")  # fmt: skip
    for identity, joined in ((AGENT, 1), ("bob", 0), (CUSTOMER, 1)):
        fake.add(CHAT_USERS, CHAT, sid=seed.sid("US", identity), identity=identity,
                 friendly_name=identity, joined_channels_count=joined)  # fmt: skip
    add_task(fake, config, TASK_SID, CHANNEL_SID, CUSTOMER, status="completed", when=started)
    fake.add(seed.RESERVATIONS, {**WORKSPACE, "TaskSid": TASK_SID}, sid=RESERVATION_SID,
             worker_sid=seed.sid("WK", AGENT), worker_name=AGENT,
             reservation_status="completed")  # fmt: skip
    return fake


def with_proxy_and_studio() -> FakeTwilio:
    """Healthy, with a Studio flow and a Proxy session in the message's path (steps 3 and 5)."""
    fake = all_pass()
    add_session(fake, "closed")
    session = {**PROXY, "SessionSid": SESSION_SID}
    fake.add(seed.PROXY_INTERACTIONS, session, sid=seed.sid("KI", "customer sms"), type="message",
             inbound_resource_sid=MESSAGE_SID, inbound_resource_type="Message",
             inbound_resource_status="received",
             data=json.dumps({"body": SMS_BODY}))  # fmt: skip
    add_execution(fake, "ended", (("incomingMessage", "Trigger", "lookup_order"),
                               ("success", "lookup_order", "send_to_handler"),
                               ("success", "send_to_handler", "Ended")))  # fmt: skip
    return fake


def add_session(fake: FakeTwilio, status: str) -> None:
    """Flex's Proxy session for the customer's channel, in `status`."""
    fake.add(seed.PROXY_SESSIONS, PROXY, sid=SESSION_SID, unique_name=CHANNEL_SID, status=status,
             mode="message-only", date_started=iso(ago(minutes=10)),
             date_last_interaction=iso(ago(minutes=10)))  # fmt: skip


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


# --- one broken thing each --------------------------------------------------------------------


def message_missing() -> FakeTwilio:
    """Step 1: Twilio has no inbound message from the customer (wrong number, carrier block)."""
    fake = all_pass()
    remove_records(fake, seed.MESSAGES, **{"from": CUSTOMER})
    return fake


def number_on_flex_proxy() -> FakeTwilio:
    """Step 2: the number's SmsUrl is back on Flex's Proxy webhook (Flex's own handling)."""
    fake = all_pass()
    fake.find(seed.NUMBERS, phone_number=seed.FREE_NUMBER)["sms_url"] = seed.PROXY_WEBHOOK
    return fake


def proxy_without_interaction() -> FakeTwilio:
    """Step 3: a Proxy session named after the channel carried no interaction."""
    fake = all_pass()
    add_session(fake, "closed")
    return fake


def no_chat_channel() -> FakeTwilio:
    """Step 4: the handler never created the customer's chat channel."""
    fake = all_pass()
    remove_records(fake, seed.CHAT_CHANNELS, sid=CHANNEL_SID)
    remove_records(fake, seed.CHAT_MEMBERS, channel_sid=CHANNEL_SID)
    remove_records(fake, seed.CHAT_MESSAGES, channel_sid=CHANNEL_SID)
    return fake


def studio_widget_failed() -> FakeTwilio:
    """Step 5: the Studio execution for the customer left an HTTP Request widget by `failed`."""
    fake = all_pass()
    add_execution(fake, "ended", (("incomingMessage", "Trigger", "lookup_order"),
                               ("failed", "lookup_order", "Ended")))  # fmt: skip
    return fake


def target_worker_unknown() -> FakeTwilio:
    """Step 6: the task targets a contact_uri no worker has (`client:carol`)."""
    fake = all_pass()
    task = fake.find(seed.TASKS, sid=TASK_SID)
    attributes = json.loads(task["attributes"])
    attributes[sandbox_config().workflow.target_attribute] = "client:carol"
    task["attributes"] = json.dumps(attributes)
    return fake


def agent_not_member() -> FakeTwilio:
    """Step 7: alice accepted, but nobody added her to the channel (orchestration.accepted: [])."""
    fake = all_pass()
    remove_records(fake, seed.CHAT_MEMBERS, sid=AGENT_MEMBER_SID)
    return fake


def channel_still_active() -> FakeTwilio:
    """Step 8: the task completed but the channel stayed ACTIVE."""
    fake = all_pass()
    channel = fake.find(seed.CHAT_CHANNELS, sid=CHANNEL_SID)
    channel["attributes"] = json.dumps({**json.loads(channel["attributes"]), "status": "ACTIVE"})
    return fake


def reply_not_relayed() -> FakeTwilio:
    """Step 9: alice replied in the channel, but the handler sent no SMS to the customer."""
    fake = all_pass()
    remove_records(fake, seed.MESSAGES, sid=RELAY_SID)
    return fake


def channel_studio_webhook() -> FakeTwilio:
    """Step 4: the customer's channel, made by Flex before the switch, keeps its studio webhook."""
    fake = all_pass()
    channel = fake.find(seed.CHAT_CHANNELS, sid=CHANNEL_SID)
    channel["attributes"] = json.dumps({**json.loads(channel["attributes"]), "status": "ACTIVE"})
    channel["date_created"] = iso(ago(days=3))
    # The conversation is still going on, so the channel is no orphan.
    fake.find(seed.TASKS, sid=TASK_SID)["assignment_status"] = "assigned"
    fake.find(seed.RESERVATIONS, sid=RESERVATION_SID)["reservation_status"] = "accepted"
    # The webhook a Flex Flow with integration type studio gives each channel it creates.
    fake.add(seed.CHANNEL_WEBHOOKS, {**CHAT, "ChannelSid": CHANNEL_SID}, sid=CHANNEL_WEBHOOK_SID,
             type="studio",
             configuration={"flow_sid": seed.STUDIO_FLOW_SID, "retry_count": 0})  # fmt: skip
    return fake


RETURNING_CUSTOMER = "+15558675312"
RETURNING_CHANNEL_SID = seed.sid("CH", "returning customer channel")
RETURNING_WEBHOOK_SID = seed.sid("WH", "returning customer channel webhook")


def channel_flex_webhook() -> FakeTwilio:
    """Hygiene: another customer's ACTIVE channel still posts to the Messaging Flow's webhook."""
    fake = all_pass()
    config = sandbox_config()
    when = ago(days=2)
    add_message(fake, seed.sid("SM", "returning customer message"), RETURNING_CUSTOMER,
             config.numbers[1], "Any news?", when)  # fmt: skip
    _channel(fake, RETURNING_CHANNEL_SID, RETURNING_CUSTOMER, "ACTIVE", when)
    add_task(fake, config, seed.sid("WT", "returning customer task"), RETURNING_CHANNEL_SID,
          RETURNING_CUSTOMER, status="assigned", when=when)  # fmt: skip
    # The Twilio-hosted URL that starts the Studio flow.
    studio = (
        f"https://webhooks.twilio.com/v1/Accounts/{seed.ACCOUNT_SID}/Flows/{seed.STUDIO_FLOW_SID}"
    )
    fake.add(seed.CHANNEL_WEBHOOKS, {**CHAT, "ChannelSid": RETURNING_CHANNEL_SID},
             sid=RETURNING_WEBHOOK_SID, type="webhook",
             configuration={"url": studio, "method": "POST", "filters": ["onMessageSent"],
                            "retry_count": 0})  # fmt: skip
    return fake


def flex_flow_janitor() -> FakeTwilio:
    """Hygiene: the (disabled) SMS Flex Flow of +15005550007 has the Channel Janitor on."""
    fake = all_pass()
    fake.find(seed.FLEX_FLOWS, contact_identity=seed.FLEX_FLOW_NUMBER)["janitor_enabled"] = True
    return fake


def channel_limit() -> FakeTwilio:
    """Hygiene: alice is in 1,000 chat channels (error 45207), bob in 912."""
    fake = all_pass()
    fake.find(CHAT_USERS, identity=AGENT)["joined_channels_count"] = 1000
    fake.find(CHAT_USERS, identity="bob")["joined_channels_count"] = 912
    return fake


ORPHAN_CUSTOMER = "+15558675310"
ORPHAN_CHANNEL_SID = seed.sid("CH", "orphan channel")
ORPHAN_TASK_SID = seed.sid("WT", "orphan task")
ORPHAN_SESSION_SID = seed.sid("KC", "orphan proxy session")


def orphans() -> FakeTwilio:
    """Hygiene: yesterday's conversation left its channel ACTIVE and Proxy session open."""
    fake = all_pass()
    config = sandbox_config()
    when = ago(days=1)
    add_message(fake, seed.sid("SM", "orphan message"), ORPHAN_CUSTOMER, config.numbers[0],
             "Is anyone there?", when)  # fmt: skip
    _channel(fake, ORPHAN_CHANNEL_SID, ORPHAN_CUSTOMER, "ACTIVE", when)
    add_task(fake, config, ORPHAN_TASK_SID, ORPHAN_CHANNEL_SID, ORPHAN_CUSTOMER,
          status="completed", when=when)  # fmt: skip
    fake.add(seed.PROXY_SESSIONS, PROXY, sid=ORPHAN_SESSION_SID, unique_name=ORPHAN_CHANNEL_SID,
             status="open", mode="message-only", date_started=iso(when),
             date_created=iso(when), date_updated=iso(when))  # fmt: skip
    return fake


STALE_CONTACT = "+15558675311"
STALE_EXECUTION_SID = seed.sid("FN", "stale studio execution")


def studio_stale() -> FakeTwilio:
    """Hygiene: a Studio execution still active three days after its last step."""
    fake = all_pass()
    add_execution(fake, "active", (("incomingMessage", "Trigger", "ask_order_number"),),
               sid=STALE_EXECUTION_SID, contact=STALE_CONTACT,
               when=ago(days=3))  # fmt: skip
    return fake


@dataclass(frozen=True)
class Scenario:
    """A sandbox account and the doctor check it is built to trip."""

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


CATALOGUE = (
    Scenario("all-pass", all_pass, None, "pass"),
    Scenario("all-pass-proxy-studio", with_proxy_and_studio, None, "pass"),
    Scenario("step1-message-missing", message_missing, "1-received"),
    Scenario("step2-number-on-flex-proxy", number_on_flex_proxy, "2-number"),
    Scenario("step3-proxy-no-interaction", proxy_without_interaction, "3-proxy"),
    Scenario("step4-no-chat-channel", no_chat_channel, "4-channel"),
    Scenario("step5-studio-widget-failed", studio_widget_failed, "5-studio"),
    Scenario("step6-target-worker-unknown", target_worker_unknown, "6-task"),
    Scenario("step7-agent-not-member", agent_not_member, "7-agent"),
    Scenario("step4-channel-studio-webhook", channel_studio_webhook, "4-channel"),
    Scenario("step8-channel-still-active", channel_still_active, "8-completed"),
    Scenario("step9-reply-not-relayed", reply_not_relayed, "9-relayed"),
    Scenario("hygiene-flex-flow-janitor", flex_flow_janitor, "flex-flows", "warn"),
    Scenario("hygiene-channel-webhooks", channel_flex_webhook, "channel-webhooks"),
    Scenario("hygiene-channel-limit", channel_limit, "channel-limit"),
    Scenario("hygiene-orphans", orphans, "orphans"),
    Scenario("hygiene-studio-stale", studio_stale, "studio-stale"),
)
