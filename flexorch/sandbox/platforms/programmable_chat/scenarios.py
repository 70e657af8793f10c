"""Accounts for `flexorch doctor` on Programmable Chat: the sandbox stack applied, one thing broken.

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
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache

from flexorch.config import StackConfig
from flexorch.sandbox import seed, toolkit
from flexorch.sandbox.fake import FakeTwilio
from flexorch.sandbox.toolkit import (
    AGENT,
    CUSTOMER,
    MESSAGE_SID,
    ORPHAN_CUSTOMER,
    REPLY,
    RETURNING_CUSTOMER,
    SMS_BODY,
    Scenario,
    add_execution,
    add_message,
    add_reservation,
    add_task,
    ago,
    apply_routing,
    broken,
    customer_wrote,
    iso,
    managed_numbers,
    remove_records,
    replied,
    reply_sent,
    service_webhook_urls,
    shipped_stack,
    stack_config,
)

CHANNEL_SID = seed.sid("CH", "customer channel")
TASK_SID = seed.sid("WT", "customer task")
RESERVATION_SID = seed.sid("WR", "customer reservation")
AGENT_MEMBER_SID = seed.sid("MB", "alice in customer channel")
CUSTOMER_MEMBER_SID = seed.sid("MB", "customer in customer channel")
SESSION_SID = seed.sid("KC", "customer proxy session")
AGENT_REPLY_SID = seed.sid("IM", "agent reply in channel")
RELAY_SID = seed.sid("SM", "agent reply relayed")
CHANNEL_WEBHOOK_SID = seed.sid("WH", "customer channel studio webhook")
AGENT_ROLE_SID = seed.sid("RL", "agent")
GUEST_ROLE_SID = seed.sid("RL", "guest")

CHAT = {"ServiceSid": seed.CHAT_SERVICE_SID}
PROXY = {"ServiceSid": seed.PROXY_SERVICE_SID}
CHAT_USERS = "/v2/Services/{ServiceSid}/Users"
PROXY_NUMBERS = "/v1/Services/{ServiceSid}/PhoneNumbers"


@cache
def sandbox_config() -> StackConfig:
    """The config of the stack these scenarios are accounts of (examples/Pulumi.sandbox.yaml)."""
    return stack_config(shipped_stack())


def apply_stack(fake: FakeTwilio, config: StackConfig) -> FakeTwilio:
    """What `pulumi up` of `config` leaves in the seeded account, without importing Pulumi."""
    handler = config.handler
    for number in managed_numbers(fake, config):
        number["sms_url"] = handler.effective_sms_url
        number["sms_method"] = handler.method
    chat = config.chat_service
    service = fake.find(seed.CHAT_SERVICES, sid=chat.sid)
    service.update(
        **service_webhook_urls(config),
        webhook_method=handler.method,
        webhook_filters=list(chat.webhook_filters),
        pre_webhook_retry_count=chat.retry_count,
        post_webhook_retry_count=chat.retry_count,
    )
    return apply_routing(fake, config)


def _channel(fake: FakeTwilio, sid: str, customer: str, status: str, when: datetime) -> None:
    attributes = {"from": customer, "channel_type": "sms", "status": status, "long_lived": False}
    fake.add(seed.CHAT_CHANNELS, CHAT, sid=sid, friendly_name=customer, type="private",
             attributes=json.dumps(attributes), created_by="system", members_count=2,
             messages_count=2, date_created=iso(when), date_updated=iso(when))  # fmt: skip


def all_pass() -> FakeTwilio:
    """A healthy custom-orchestration account: doctor passes every check."""
    config = sandbox_config()
    fake = apply_stack(seed.flex_account(), config)
    number = config.numbers[0]
    started = customer_wrote(fake, number)
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
    written = replied(started)
    fake.add(seed.CHAT_MESSAGES, channel, sid=AGENT_REPLY_SID, body=REPLY, index=1,
             attributes="{}", date_created=iso(written), **{"from": AGENT})  # fmt: skip
    reply_sent(fake, RELAY_SID, number, written)
    for identity, joined in ((AGENT, 1), ("bob", 0), (CUSTOMER, 1)):
        fake.add(CHAT_USERS, CHAT, sid=seed.sid("US", identity), identity=identity,
                 friendly_name=identity, joined_channels_count=joined)  # fmt: skip
    add_task(fake, config, TASK_SID, CHANNEL_SID, CUSTOMER, status="completed", when=started)
    add_reservation(fake, TASK_SID, RESERVATION_SID)
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


# --- one broken thing each --------------------------------------------------------------------


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


def channel_limit() -> FakeTwilio:
    """Hygiene: alice is in 1,000 chat channels (error 45207), bob in 912."""
    fake = all_pass()
    fake.find(CHAT_USERS, identity=AGENT)["joined_channels_count"] = 1000
    fake.find(CHAT_USERS, identity="bob")["joined_channels_count"] = 912
    return fake


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


CATALOGUE = (
    Scenario("all-pass", all_pass, None, "pass"),
    Scenario("all-pass-proxy-studio", with_proxy_and_studio, None, "pass"),
    Scenario("step1-message-missing", broken(all_pass, toolkit.message_missing), "1-received"),
    Scenario("step2-number-on-flex-proxy", number_on_flex_proxy, "2-number"),
    Scenario(
        "step2-number-in-messaging-service",
        broken(all_pass, toolkit.in_messaging_service),
        "2-number",
    ),
    Scenario("step2-number-twiml-app", broken(all_pass, toolkit.twiml_app_on_number), "2-number"),
    Scenario("step3-proxy-no-interaction", proxy_without_interaction, "3-proxy"),
    Scenario("step4-no-chat-channel", no_chat_channel, "4-channel"),
    Scenario("step5-studio-widget-failed", studio_widget_failed, "5-studio"),
    Scenario("step6-target-worker-unknown", target_worker_unknown, "6-task"),
    Scenario("step7-agent-not-member", agent_not_member, "7-agent"),
    Scenario("step4-channel-studio-webhook", channel_studio_webhook, "4-channel"),
    Scenario("step8-channel-still-active", channel_still_active, "8-completed"),
    Scenario("step9-reply-not-relayed", reply_not_relayed, "9-relayed"),
    Scenario(
        "hygiene-flex-flow-janitor",
        broken(all_pass, toolkit.flex_flow_janitor),
        "flex-flows",
        "warn",
    ),
    Scenario("hygiene-channel-webhooks", channel_flex_webhook, "channel-webhooks"),
    Scenario("hygiene-channel-limit", channel_limit, "channel-limit"),
    Scenario("hygiene-orphans", orphans, "orphans"),
    Scenario("hygiene-studio-stale", broken(all_pass, toolkit.studio_stale), "studio-stale"),
)
"""Every account of the doctor on Programmable Chat: healthy, then one broken check each."""
