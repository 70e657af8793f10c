"""The sandbox's realistic Flex account: what a Flex project has before flexorch touches it.

SIDs are fixed (derived from names) so that `examples/Pulumi.sandbox.yaml` can name them.
"""

from __future__ import annotations

import hashlib
import json

from flexorch.sandbox.fake import FakeTwilio
from flexorch.twilio_facts import AGENT_PERMISSIONS

ACCOUNT_SID = "AC" + "5a" * 16
AUTH_TOKEN = "sandbox-auth-token"

WORKSPACES = "/v1/Workspaces"
QUEUES = "/v1/Workspaces/{WorkspaceSid}/TaskQueues"
WORKFLOWS = "/v1/Workspaces/{WorkspaceSid}/Workflows"
TASK_CHANNELS = "/v1/Workspaces/{WorkspaceSid}/TaskChannels"
WORKERS = "/v1/Workspaces/{WorkspaceSid}/Workers"
TASKS = "/v1/Workspaces/{WorkspaceSid}/Tasks"
RESERVATIONS = "/v1/Workspaces/{WorkspaceSid}/Tasks/{TaskSid}/Reservations"
CHAT_SERVICES = "/v2/Services"
CHAT_CHANNELS = "/v2/Services/{ServiceSid}/Channels"
CHAT_MEMBERS = "/v2/Services/{ServiceSid}/Channels/{ChannelSid}/Members"
CHAT_MESSAGES = "/v2/Services/{ServiceSid}/Channels/{ChannelSid}/Messages"
CHANNEL_WEBHOOKS = "/v2/Services/{ServiceSid}/Channels/{ChannelSid}/Webhooks"
CHAT_ROLES = "/v2/Services/{ServiceSid}/Roles"
NUMBERS = "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json"
MESSAGES = "/2010-04-01/Accounts/{AccountSid}/Messages.json"
FLEX_FLOWS = "/v1/FlexFlows"
FLEX_CHANNELS = "/v1/Channels"
PROXY_SERVICES = "/v1/Services"
PROXY_SESSIONS = "/v1/Services/{ServiceSid}/Sessions"
PROXY_INTERACTIONS = "/v1/Services/{ServiceSid}/Sessions/{SessionSid}/Interactions"
STUDIO_FLOWS = "/v2/Flows"
STUDIO_EXECUTIONS = "/v2/Flows/{FlowSid}/Executions"
STUDIO_STEPS = "/v2/Flows/{FlowSid}/Executions/{ExecutionSid}/Steps"
# Conversations is served from under its host (see flexorch.sandbox.specs).
CONVERSATIONS = "/conversations.twilio.com/v1"
CONVERSATION_SERVICES = CONVERSATIONS + "/Services"
CONVERSATION_SERVICE_WEBHOOKS = CONVERSATIONS + "/Services/{ChatServiceSid}/Configuration/Webhooks"
ADDRESSES = CONVERSATIONS + "/Configuration/Addresses"
CONVERSATIONS_CONFIGURATION = CONVERSATIONS + "/Configuration"
FLEX_CONFIGURATION = "/v1/Configuration"
MESSAGING_SERVICES = "/messaging.twilio.com/v1/Services"
SERVICE_NUMBERS = MESSAGING_SERVICES + "/{ServiceSid}/PhoneNumbers"
APPLICATIONS = "/2010-04-01/Accounts/{AccountSid}/Applications.json"
# A Flex account still on Flex UI 1.x (a move to Conversations needs 2.x).
FLEX_UI_1 = "~1.34.6"


def sid(prefix: str, name: str) -> str:
    """A stable SID for a seeded resource."""
    return prefix + hashlib.sha256(name.encode()).hexdigest()[:32]


WORKSPACE_SID = sid("WS", "Flex Task Assignment")
EVERYONE_SID = sid("WQ", "Everyone")
CHAT_SERVICE_SID = sid("IS", "Flex Chat Service")
PROXY_SERVICE_SID = sid("KS", "Flex Proxy Service")
STUDIO_FLOW_SID = sid("FW", "Messaging Flow")
FREE_NUMBER = "+15005550006"
FLEX_FLOW_NUMBER = "+15005550007"
PROXY_WEBHOOK = f"https://webhooks.twilio.com/v1/Accounts/{ACCOUNT_SID}/Proxy/{PROXY_SERVICE_SID}/Webhooks/Message"


def flex_account() -> FakeTwilio:
    """A new fake account seeded like a Flex project that still uses Flex's own handling."""
    fake = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN)
    ws = {"WorkspaceSid": WORKSPACE_SID}
    fake.add(WORKSPACES, sid=WORKSPACE_SID, friendly_name="Flex Task Assignment")
    fake.add(QUEUES, ws, sid=EVERYONE_SID, friendly_name="Everyone", target_workers="1==1")
    fake.add(
        WORKFLOWS,
        ws,
        sid=sid("WW", "Assign to Anyone"),
        friendly_name="Assign to Anyone",
        configuration=json.dumps(
            {"task_routing": {"filters": [], "default_filter": {"queue": EVERYONE_SID}}}
        ),
        task_reservation_timeout=120,
    )
    for name in ("default", "voice", "chat", "sms", "video", "email"):
        fake.add(
            TASK_CHANNELS, ws, sid=sid("TC", name), unique_name=name, friendly_name=name.title()
        )
    for agent in ("alice", "bob"):
        fake.add(
            WORKERS,
            ws,
            sid=sid("WK", agent),
            friendly_name=agent,
            attributes=f'{{"contact_uri": "client:{agent}", "full_name": "{agent.title()}"}}',
            available=True,
            activity_name="Available",
        )
    fake.add(
        CHAT_SERVICES,
        sid=CHAT_SERVICE_SID,
        friendly_name="Flex Chat Service",
        webhook_method="POST",
        webhook_filters=[],
        pre_webhook_url=None,
        post_webhook_url=None,
    )
    # Conversations and Programmable Chat share their services: Flex's chat service is also
    # the Conversations service a move to Flex Conversations uses.
    fake.add(CONVERSATION_SERVICES, sid=CHAT_SERVICE_SID, friendly_name="Flex Chat Service")
    fake.singleton(CONVERSATION_SERVICE_WEBHOOKS, ChatServiceSid=CHAT_SERVICE_SID).update(
        method="POST", filters=[], pre_webhook_url=None, post_webhook_url=None
    )
    # Flex makes its service the account's default Conversations service; close timers set.
    fake.singleton(CONVERSATIONS_CONFIGURATION).update(
        default_chat_service_sid=CHAT_SERVICE_SID,
        default_inactive_timer="PT1H",
        default_closed_timer="P1D",
    )
    chat = {"ServiceSid": CHAT_SERVICE_SID}
    fake.add(CHAT_ROLES, chat, sid=sid("RL", "agent"), friendly_name="agent", type="channel",
             permissions=list(AGENT_PERMISSIONS))  # fmt: skip
    fake.add(CHAT_ROLES, chat, sid=sid("RL", "guest"), friendly_name="guest", type="channel",
             permissions=["sendMessage", "leaveChannel"])  # fmt: skip
    account = {"AccountSid": ACCOUNT_SID}
    for number, friendly in ((FREE_NUMBER, "(500) 555-0006"), (FLEX_FLOW_NUMBER, "(500) 555-0007")):
        # Both still answered by Flex's own handling (its Proxy message webhook).
        fake.add(
            NUMBERS,
            account,
            sid=sid("PN", number),
            phone_number=number,
            friendly_name=friendly,
            sms_url=PROXY_WEBHOOK,
            sms_method="POST",
            sms_fallback_url=None,
        )
    fake.add(PROXY_SERVICES, sid=PROXY_SERVICE_SID, unique_name="Flex Proxy Service")
    fake.add(
        FLEX_FLOWS,
        sid=sid("FO", "SMS Flex Flow"),
        friendly_name="SMS Flex Flow",
        chat_service_sid=CHAT_SERVICE_SID,
        channel_type="sms",
        contact_identity=FLEX_FLOW_NUMBER,
        enabled=True,
        integration_type="studio",
        integration={"flow_sid": STUDIO_FLOW_SID},
        janitor_enabled=False,
    )
    fake.add(
        FLEX_FLOWS,
        sid=sid("FO", "Flex Web Channel Flow"),
        friendly_name="Flex Web Channel Flow",
        chat_service_sid=CHAT_SERVICE_SID,
        channel_type="web",
        contact_identity="",
        enabled=True,
        integration_type="studio",
        integration={"flow_sid": STUDIO_FLOW_SID},
        janitor_enabled=False,
    )
    fake.add(STUDIO_FLOWS, sid=STUDIO_FLOW_SID, friendly_name="Messaging Flow", status="published")
    fake.singleton(FLEX_CONFIGURATION).update(
        ui_version=FLEX_UI_1,
        taskrouter_workspace_sid=WORKSPACE_SID,
        chat_service_instance_sid=CHAT_SERVICE_SID,
        status="ok",
    )
    return fake


def add_flex_channel(
    fake: FakeTwilio, customer: str, *, flow: str = "SMS Flex Flow", status: str = "ACTIVE"
) -> str:
    """The chat channel a Flex Flow made for `customer`, with the Studio webhook Flex gives it.

    As Flex does: the channel names the customer (not the number), its Flex Channel record names
    the Flex Flow, and its own webhook of type studio hands each message to the flow's Studio
    flow. Returns the channel's SID.
    """
    flex_flow = fake.find(FLEX_FLOWS, friendly_name=flow)
    channel = sid("CH", f"{flow} channel of {customer}")
    attributes = {"from": customer, "channel_type": flex_flow["channel_type"], "status": status}
    chat = {"ServiceSid": CHAT_SERVICE_SID}
    fake.add(CHAT_CHANNELS, chat, sid=channel, friendly_name=customer, type="private",
             attributes=json.dumps(attributes), created_by="system")  # fmt: skip
    fake.add(FLEX_CHANNELS, sid=channel, flex_flow_sid=flex_flow["sid"],
             user_sid=sid("US", customer))  # fmt: skip
    studio = {"flow_sid": flex_flow["integration"]["flow_sid"], "retry_count": 0}
    fake.add(CHANNEL_WEBHOOKS, {**chat, "ChannelSid": channel}, type="studio",
             configuration=studio)  # fmt: skip
    return channel


RETURNING_CUSTOMER = "+15558670001"


def returning_customer_account() -> FakeTwilio:
    """The seeded account with a returning customer's chat channel still handing it to Studio.

    The SMS Flex Flow made it before the switch and left it ACTIVE with its Studio webhook: `up`
    with `flexFlows: disable` removes that webhook, and destroy puts it back.
    """
    fake = flex_account()
    add_flex_channel(fake, RETURNING_CUSTOMER)
    return fake


def describe(fake: FakeTwilio) -> str:
    """What the sandbox account holds, for people starting it."""
    lines = ["seeded account:"]
    lines.append(
        f'  workspace      {WORKSPACE_SID} "Flex Task Assignment", queue Everyone {EVERYONE_SID}'
    )
    lines.append(f'  chat service   {CHAT_SERVICE_SID} "Flex Chat Service"')
    for number in fake.all(NUMBERS):
        flows = [f["friendly_name"] for f in fake.all(FLEX_FLOWS)
                 if f["contact_identity"] == number["phone_number"] and f["enabled"]]  # fmt: skip
        note = f"on Flex Flow {flows[0]!r}" if flows else "no Flex Flow"
        lines.append(f"  number         {number['phone_number']} {number['sid']} ({note})")
    workers = ", ".join(w["friendly_name"] for w in fake.all(WORKERS))
    lines.append(f"  workers        {workers}")
    return "\n".join(lines)


# What else can take a managed number's messages (README "What else can take a number's
# messages"): accounts for `up` and `preview` to meet, one per case.
A2P_SERVICE_SID = sid("MG", "Sandbox A2P")
A2P_INBOUND_URL = "https://a2p.example.com/inbound"
OTHER_NUMBER = "+15005550008"
APP_SID = sid("AP", "Legacy SMS bot")
APP_SMS_URL = "https://bot.example.com/sms"


def add_messaging_service(fake: FakeTwilio, numbers: list[str], *, defer: bool = False) -> None:
    """A Messaging Service holding `numbers`, sending inbound messages to its own URL or not."""
    fake.add(
        MESSAGING_SERVICES,
        sid=A2P_SERVICE_SID,
        friendly_name="Sandbox A2P",
        inbound_request_url=A2P_INBOUND_URL,
        inbound_method="POST",
        use_inbound_webhook_on_number=defer,
        usecase="mixed",
    )
    for number in numbers:
        found = fake.find(NUMBERS, phone_number=number)
        fake.add(
            SERVICE_NUMBERS,
            {"ServiceSid": A2P_SERVICE_SID},
            sid=found["sid"],
            phone_number=number,
            country_code="US",
            capabilities=["SMS", "MMS"],
        )


def messaging_service_account() -> FakeTwilio:
    """+15005550006 in a Messaging Service that sends its messages to the service's own URL.

    `up` stops on it; with `messagingServices: defer` flexorch makes the service defer to the
    number's webhook, and destroy sets it back.
    """
    fake = flex_account()
    add_messaging_service(fake, [FREE_NUMBER])
    return fake


def shared_messaging_service_account() -> FakeTwilio:
    """+15005550006 in a Messaging Service that also holds +15005550008, a number not managed.

    Deferring would move +15005550008 too, so `messagingServices: defer` refuses it.
    """
    fake = flex_account()
    fake.add(NUMBERS, {"AccountSid": ACCOUNT_SID}, sid=sid("PN", OTHER_NUMBER),
             phone_number=OTHER_NUMBER, friendly_name="(500) 555-0008",
             sms_url="https://marketing.example.com/sms", sms_method="POST")  # fmt: skip
    add_messaging_service(fake, [FREE_NUMBER, OTHER_NUMBER])
    return fake


def deferring_messaging_service_account() -> FakeTwilio:
    """+15005550006 in a Messaging Service that defers to the sender's webhook: nothing to do."""
    fake = flex_account()
    add_messaging_service(fake, [FREE_NUMBER], defer=True)
    return fake


def twiml_app_account() -> FakeTwilio:
    """+15005550007 with a TwiML App, whose SMS URL Twilio calls instead of the number's.

    `up` stops on it; with `twimlApps: detach` flexorch removes the app from the number, and
    destroy attaches it again.
    """
    fake = flex_account()
    add_twiml_app(fake, FLEX_FLOW_NUMBER)
    return fake


def add_twiml_app(fake: FakeTwilio, number: str) -> None:
    """A TwiML App with an SMS URL, set on `number`."""
    fake.add(APPLICATIONS, {"AccountSid": ACCOUNT_SID}, sid=APP_SID,
             friendly_name="Legacy SMS bot", sms_url=APP_SMS_URL, sms_method="POST")  # fmt: skip
    fake.find(NUMBERS, phone_number=number)["sms_application_sid"] = APP_SID


def full_workspace_account() -> FakeTwilio:
    """The workspace holds 15 TaskChannels (Flex's 6 and 9 of a former vendor): no room left.

    TaskRouter allows 15 per workspace by default, so preview refuses the stack's custom1.
    """
    fake = flex_account()
    for n in range(9):
        fake.add(TASK_CHANNELS, {"WorkspaceSid": WORKSPACE_SID}, sid=sid("TC", f"vendor{n}"),
                 unique_name=f"vendor{n}", friendly_name=f"Vendor {n}")  # fmt: skip
    return fake
