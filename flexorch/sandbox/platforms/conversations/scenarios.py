"""Accounts for `flexorch doctor` on Flex Conversations: the sandbox stack moved onto it.

The same account as Programmable Chat's healthy one, with the sandbox stack on `flexorch:platform:
conversations`: each managed number on its Address Configuration (autoCreation webhook to the
handler), its own SmsUrl empty, the Conversations service's webhooks at the handler. The
customer's SMS started a conversation (customer and agent participants), the handler made its
task through the Interactions API, alice accepted and replied, Conversations sent her reply as
an SMS, and the conversation was closed on completion. Each `conversations-*` scenario breaks
one Conversations check: `flexorch sandbox --scenario NAME`, then
`flexorch doctor --config examples/Pulumi.sandbox-conversations.yaml --from +15558675309`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from flexorch.config import StackConfig
from flexorch.sandbox import seed, toolkit
from flexorch.sandbox.fake import FakeTwilio
from flexorch.sandbox.toolkit import (
    AGENT,
    CUSTOMER,
    ORPHAN_CUSTOMER,
    REPLY,
    RETURNING_CUSTOMER,
    SMS_BODY,
    Scenario,
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
from flexorch.twilio_facts import (
    ADDRESS_FRIENDLY_NAME,
    ADDRESS_WEBHOOK_FILTERS,
    CONVERSATIONS,
    conversations_twin,
)

SERVICE = {"ChatServiceSid": seed.CHAT_SERVICE_SID}
CONVERSATIONS_OF = seed.CONVERSATION_SERVICES + "/{ChatServiceSid}/Conversations"
CONVERSATION_PARTICIPANTS = CONVERSATIONS_OF + "/{ConversationSid}/Participants"
CONVERSATION_MESSAGES = CONVERSATIONS_OF + "/{ConversationSid}/Messages"
CONVERSATION_WEBHOOKS = CONVERSATIONS_OF + "/{ConversationSid}/Webhooks"
CONVERSATION_SID = seed.sid("CH", "customer conversation")
AGENT_PARTICIPANT_SID = seed.sid("MB", "alice in customer conversation")
CUSTOMER_MESSAGE_SID = seed.sid("IM", "customer sms in conversation")
AGENT_MESSAGE_SID = seed.sid("IM", "agent reply in conversation")
DELIVERED_SID = seed.sid("SM", "agent reply delivered")
CONVERSATION_TASK_SID = seed.sid("WT", "customer conversation task")
CONVERSATION_RESERVATION_SID = seed.sid("WR", "customer conversation reservation")
HANDLER_WEBHOOK_SID = seed.sid("WH", "customer conversation handler webhook")
STUDIO_WEBHOOK_SID = seed.sid("WH", "customer conversation studio webhook")


def conversations_stack() -> dict[str, Any]:
    """The sandbox stack file on Flex Conversations: the chat events' Conversations twins."""
    document = shipped_stack()
    config = document["config"]
    chat = config["flexorch:chatService"]
    config["flexorch:platform"] = CONVERSATIONS
    config["flexorch:chatService"] = {
        "sid": chat["sid"],
        "webhookFilters": [t for e in chat["webhookFilters"] if (t := conversations_twin(e))],
    }
    return document


@cache
def conversations_config() -> StackConfig:
    """The config of `conversations_stack()`."""
    return stack_config(conversations_stack())


def apply_conversations_stack(fake: FakeTwilio, config: StackConfig) -> FakeTwilio:
    """What `pulumi up` of a Conversations `config` leaves in the seeded account, without Pulumi."""
    handler, chat = config.handler, config.chat_service
    for number in managed_numbers(fake, config):
        number.update(sms_url="", sms_method=handler.method)
        auto_creation = {
            "enabled": True,
            "type": "webhook",
            "conversation_service_sid": chat.sid,
            "webhook_url": handler.effective_sms_url,
            "webhook_method": handler.method.lower(),
            "webhook_filters": list(ADDRESS_WEBHOOK_FILTERS),
        }
        fake.add(seed.ADDRESSES, sid=seed.sid("IG", number["phone_number"]), type="sms",
                 address=number["phone_number"], friendly_name=ADDRESS_FRIENDLY_NAME,
                 auto_creation=auto_creation)  # fmt: skip
    fake.singleton(seed.CONVERSATION_SERVICE_WEBHOOKS, ChatServiceSid=chat.sid).update(
        **service_webhook_urls(config),
        method=handler.method,
        filters=list(chat.webhook_filters),
    )
    apply_routing(fake, config)
    return fake


def _conversation(
    fake: FakeTwilio, sid: str, customer: str, number: str, state: str, when: datetime
) -> dict[str, str]:
    """A conversation the address created for `customer`'s SMS, with its SMS participant."""
    fake.add(CONVERSATIONS_OF, SERVICE, sid=sid, state=state, attributes="{}",
             friendly_name=None, timers={}, date_created=iso(when),
             date_updated=iso(when + timedelta(minutes=8)))  # fmt: skip
    parent = {**SERVICE, "ConversationSid": sid}
    fake.add(CONVERSATION_PARTICIPANTS, parent, sid=seed.sid("MB", f"{customer} in {sid}"),
             identity=None, attributes="{}", date_created=iso(when),
             messaging_binding={"type": "sms", "address": customer,
                                "proxy_address": number})  # fmt: skip
    return parent


def _conversation_task(
    fake: FakeTwilio, config: StackConfig, sid: str, conversation: str, *, status: str,
    when: datetime,
) -> dict[str, Any]:  # fmt: skip
    """A task as the Interactions API makes it: conversationSid and the routing attributes."""
    task = add_task(fake, config, sid, conversation, CUSTOMER, status=status, when=when)
    attributes = json.loads(task["attributes"])
    del attributes["channelSid"]
    attributes.update(conversationSid=conversation, channelType="sms",
                      flexInteractionSid=seed.sid("KD", sid),
                      flexInteractionChannelSid=seed.sid("UO", sid))  # fmt: skip
    task["attributes"] = json.dumps(attributes)
    return task


def conversations_all_pass() -> FakeTwilio:
    """A healthy Flex Conversations account: doctor passes every check."""
    return finished_conversation(conversations_config(), _conversation_task)


def finished_conversation(config: StackConfig, make_task: Callable[..., Any]) -> FakeTwilio:
    """`config` applied, and the customer's conversation handled and closed.

    `make_task` makes its task, as the Interactions API or the handler through TaskRouter does.
    """
    fake = apply_conversations_stack(seed.flex_account(), config)
    number = config.numbers[0]
    started = customer_wrote(fake, number)
    parent = _conversation(fake, CONVERSATION_SID, CUSTOMER, number, "closed", started)
    # The address's autoCreation gives the conversation a webhook to the handler.
    fake.add(CONVERSATION_WEBHOOKS, parent, sid=HANDLER_WEBHOOK_SID, target="webhook",
             configuration={"url": config.handler.effective_sms_url, "method": "POST",
                            "filters": list(ADDRESS_WEBHOOK_FILTERS)})  # fmt: skip
    customer = seed.sid("MB", f"{CUSTOMER} in {CONVERSATION_SID}")
    fake.add(CONVERSATION_MESSAGES, parent, sid=CUSTOMER_MESSAGE_SID, index=0, author=CUSTOMER,
             body=SMS_BODY, participant_sid=customer, attributes="{}",
             date_created=iso(started + timedelta(seconds=1)))  # fmt: skip
    fake.add(CONVERSATION_PARTICIPANTS, parent, sid=AGENT_PARTICIPANT_SID, identity=AGENT,
             attributes="{}", messaging_binding=None)  # fmt: skip
    written = replied(started)
    fake.add(CONVERSATION_MESSAGES, parent, sid=AGENT_MESSAGE_SID, index=1, author=AGENT,
             body=REPLY, participant_sid=AGENT_PARTICIPANT_SID, attributes="{}",
             date_created=iso(written))  # fmt: skip
    # Conversations sends it to the customer's SMS binding.
    reply_sent(fake, DELIVERED_SID, number, written)
    make_task(fake, config, CONVERSATION_TASK_SID, CONVERSATION_SID, status="completed",
              when=started)  # fmt: skip
    add_reservation(fake, CONVERSATION_TASK_SID, CONVERSATION_RESERVATION_SID)
    return fake


def live(fake: FakeTwilio) -> FakeTwilio:
    """The conversation still going on: active, its task assigned, its reservation accepted."""
    fake.find(CONVERSATIONS_OF, sid=CONVERSATION_SID)["state"] = "active"
    fake.find(seed.TASKS, sid=CONVERSATION_TASK_SID)["assignment_status"] = "assigned"
    reservation = fake.find(seed.RESERVATIONS, sid=CONVERSATION_RESERVATION_SID)
    reservation["reservation_status"] = "accepted"
    return fake


def conversations_sms_url_set() -> FakeTwilio:
    """Step 2: the number kept its SmsUrl, which runs in parallel with its address."""
    fake = conversations_all_pass()
    number = fake.find(seed.NUMBERS, phone_number=seed.FREE_NUMBER)
    number["sms_url"] = conversations_config().handler.effective_sms_url
    return fake


def conversations_address_elsewhere() -> FakeTwilio:
    """Step 2: the number's address sends new conversations to an old handler."""
    fake = conversations_all_pass()
    address = fake.find(seed.ADDRESSES, address=seed.FREE_NUMBER)
    address["auto_creation"] = {**address["auto_creation"], "webhook_url": OLD_HANDLER}
    return fake


OLD_HANDLER = "https://old-handler.example.com/sms"


def conversations_no_conversation() -> FakeTwilio:
    """Step 3: Twilio made no conversation of the SMS (nothing of the customer's in the service)."""
    fake = conversations_all_pass()
    for template in (CONVERSATION_PARTICIPANTS, CONVERSATION_MESSAGES, CONVERSATION_WEBHOOKS):
        remove_records(fake, template, conversation_sid=CONVERSATION_SID)
    remove_records(fake, CONVERSATIONS_OF, sid=CONVERSATION_SID)
    return fake


def conversations_studio_webhook() -> FakeTwilio:
    """Step 3: the customer's active conversation, from a Studio address, keeps its webhook."""
    fake = live(conversations_all_pass())
    parent = {**SERVICE, "ConversationSid": CONVERSATION_SID}
    fake.add(CONVERSATION_WEBHOOKS, parent, sid=STUDIO_WEBHOOK_SID, target="studio",
             configuration={"flow_sid": seed.STUDIO_FLOW_SID,
                            "filters": ["onMessageAdded"]})  # fmt: skip
    return fake


def conversations_no_task() -> FakeTwilio:
    """Step 4: the conversation is active, but the handler made no Interaction (no task)."""
    fake = live(conversations_all_pass())
    remove_records(fake, seed.TASKS, sid=CONVERSATION_TASK_SID)
    remove_records(fake, seed.RESERVATIONS, task_sid=CONVERSATION_TASK_SID)
    return fake


def conversations_agent_not_participant() -> FakeTwilio:
    """Step 5: alice accepted the live task, but is no participant of the conversation."""
    fake = live(conversations_all_pass())
    remove_records(fake, CONVERSATION_PARTICIPANTS, sid=AGENT_PARTICIPANT_SID)
    return fake


def conversations_reply_not_delivered() -> FakeTwilio:
    """Step 6: alice replied in the conversation, but no SMS went to the customer."""
    fake = conversations_all_pass()
    remove_records(fake, seed.MESSAGES, sid=DELIVERED_SID)
    return fake


def conversations_still_active() -> FakeTwilio:
    """Step 7: the task completed but the conversation stayed active."""
    fake = conversations_all_pass()
    fake.find(CONVERSATIONS_OF, sid=CONVERSATION_SID)["state"] = "active"
    return fake


def conversations_service_webhooks() -> FakeTwilio:
    """Config: the Conversations service's webhooks go to an old handler."""
    fake = conversations_all_pass()
    webhooks = fake.singleton(
        seed.CONVERSATION_SERVICE_WEBHOOKS, ChatServiceSid=seed.CHAT_SERVICE_SID
    )
    webhooks["post_webhook_url"] = OLD_HANDLER
    return fake


def conversations_studio_address() -> FakeTwilio:
    """Hygiene: +15005550007's address went back to Studio (type studio, Flex's own handling)."""
    fake = conversations_all_pass()
    address = fake.find(seed.ADDRESSES, address=seed.FLEX_FLOW_NUMBER)
    address["auto_creation"] = {"enabled": True, "type": "studio",
                                "studio_flow_sid": seed.STUDIO_FLOW_SID, "studio_retry_count": 0,
                                "conversation_service_sid": seed.CHAT_SERVICE_SID}  # fmt: skip
    return fake


RETURNING_CONVERSATION_SID = seed.sid("CH", "returning customer conversation")
ORPHAN_CONVERSATION_SID = seed.sid("CH", "orphan conversation")


def conversations_returning_studio_webhook() -> FakeTwilio:
    """Hygiene: another customer's active conversation still posts to the Studio flow."""
    fake = conversations_all_pass()
    config = conversations_config()
    when = ago(days=2)
    parent = _conversation(fake, RETURNING_CONVERSATION_SID, RETURNING_CUSTOMER,
                           config.numbers[1], "active", when)  # fmt: skip
    _conversation_task(fake, config, seed.sid("WT", "returning conversation task"),
                       RETURNING_CONVERSATION_SID, status="assigned", when=when)  # fmt: skip
    fake.add(CONVERSATION_WEBHOOKS, parent, sid=seed.sid("WH", "returning studio webhook"),
             target="studio", configuration={"flow_sid": seed.STUDIO_FLOW_SID})  # fmt: skip
    return fake


def conversations_orphans() -> FakeTwilio:
    """Hygiene: the day before yesterday's conversation is still active, its task completed."""
    fake = conversations_all_pass()
    config = conversations_config()
    when = ago(days=2)
    _conversation(fake, ORPHAN_CONVERSATION_SID, ORPHAN_CUSTOMER, config.numbers[0], "active",
                  when)  # fmt: skip
    _conversation_task(fake, config, seed.sid("WT", "orphan conversation task"),
                       ORPHAN_CONVERSATION_SID, status="completed", when=when)  # fmt: skip
    return fake


CONVERSATIONS_CATALOGUE = (
    Scenario("conversations-all-pass", conversations_all_pass, None, "pass"),
    Scenario(
        "conversations-step1-message-missing",
        broken(conversations_all_pass, toolkit.message_missing),
        "1-received",
    ),
    Scenario("conversations-step2-sms-url-set", conversations_sms_url_set, "2-number"),
    Scenario("conversations-step2-address-elsewhere", conversations_address_elsewhere, "2-number"),
    Scenario(
        "conversations-step2-number-in-messaging-service",
        broken(conversations_all_pass, toolkit.in_messaging_service),
        "2-number",
    ),
    Scenario(
        "conversations-step2-number-twiml-app",
        broken(conversations_all_pass, toolkit.twiml_app_on_number),
        "2-number",
    ),
    Scenario(
        "conversations-step3-no-conversation", conversations_no_conversation, "3-conversation"
    ),
    Scenario("conversations-step3-studio-webhook", conversations_studio_webhook, "3-conversation"),
    Scenario("conversations-step4-no-task", conversations_no_task, "4-task"),
    Scenario(
        "conversations-step5-agent-not-participant",
        conversations_agent_not_participant,
        "5-agent",
    ),
    Scenario(
        "conversations-step6-reply-not-delivered", conversations_reply_not_delivered, "6-relayed"
    ),
    Scenario("conversations-step7-still-active", conversations_still_active, "7-closed"),
    Scenario(
        "conversations-config-defaults",
        broken(conversations_all_pass, toolkit.conversations_defaults_off),
        "conversations-defaults",
        "warn",
    ),
    Scenario(
        "conversations-config-service-webhooks",
        conversations_service_webhooks,
        "conversations-service",
    ),
    Scenario(
        "conversations-hygiene-flex-flow-janitor",
        broken(conversations_all_pass, toolkit.flex_flow_janitor),
        "flex-flows",
        "warn",
    ),
    Scenario("conversations-hygiene-studio-address", conversations_studio_address, "addresses"),
    Scenario(
        "conversations-hygiene-conversation-webhooks",
        conversations_returning_studio_webhook,
        "conversation-webhooks",
    ),
    Scenario("conversations-hygiene-orphans", conversations_orphans, "orphans"),
    Scenario(
        "conversations-hygiene-studio-stale",
        broken(conversations_all_pass, toolkit.studio_stale),
        "studio-stale",
    ),
)
"""Every account of the doctor on Flex Conversations: healthy, then one broken check each."""
