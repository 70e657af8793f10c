"""Contract: every provider operation against Prism serving Twilio's official OpenAPI specs.

Prism answers valid requests from the specs' examples and refuses invalid ones with 422, which
the client turns into a TwilioApiError: any operation the spec rejects fails its test. Prism
keeps no state, so resources are addressed by SID. A HostRouter in front of it serves
Conversations from under its host, as the sandbox does (its paths are Flex's and Proxy's too).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from flexorch import lookups
from flexorch.errors import FlexorchError
from flexorch.resources.chat_webhooks import (
    ChatServiceSnapshotProvider,
    ChatServiceWebhooksProvider,
)
from flexorch.resources.event_callback import (
    EventCallbackSnapshotProvider,
    WorkspaceEventCallbackProvider,
)
from flexorch.resources.flex_flow_guard import FlexFlowGuardProvider, FlexFlowSnapshotProvider
from flexorch.resources.phone_number import PhoneNumberRouteProvider, PhoneNumbersSnapshotProvider
from flexorch.resources.queue import TaskQueueProvider
from flexorch.resources.task_channel import TaskChannelProvider, TaskChannelSnapshotProvider
from flexorch.resources.workflow import WorkflowProvider, WorkflowSnapshotProvider
from flexorch.resources.workspace import WorkspaceProvider
from flexorch.sandbox.prism import Prism
from flexorch.sandbox.server import HostRouter
from flexorch.sandbox.specs import write_merged
from flexorch.takers.messaging_services import MessagingServices
from flexorch.takers.twiml_apps import TwimlApps
from flexorch.twilio_client import BASE_URL_ENV, TwilioApiError, twilio_call

ACCOUNT = "AC" + "a" * 32
WS, WQ, WW, TC = ("WS" + "1" * 32, "WQ" + "2" * 32, "WW" + "3" * 32, "TC" + "4" * 32)
IS, PN, FO = ("IS" + "5" * 32, "PN" + "6" * 32, "FO" + "7" * 32)
HANDLER = "https://handler.example.com/flex"
SERVICE_RECORD = {"sid": "MG" + "8" * 32, "friendly_name": "A2P", "numbers": ["+15005550006"],
                  "inbound_request_url": "https://a2p.example.com", "others": [],
                  "use_inbound_webhook_on_number": False}  # fmt: skip
APP_RECORD = {"sid": PN, "numbers": ["+15005550006"], "app_sid": "AP" + "9" * 32,
              "friendly_name": "bot", "sms_url": "https://bot.example.com"}  # fmt: skip


@pytest.fixture(scope="module")
def prism(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("prism")
    spec = write_merged(folder / "twilio.json")
    with Prism(spec, folder / "prism.log") as server, HostRouter(server.port) as router:
        yield router


@pytest.fixture(autouse=True)
def against_prism(prism: HostRouter, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(BASE_URL_ENV, prism.url)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "contract-token")
    lookups.forget()  # each operation makes its own requests


def queue(**extra: Any) -> dict[str, Any]:
    return {"workspace_sid": WS, "lookup_sid": None, "lookup_name": None,
            "config_key": "workflow.queue", **extra}  # fmt: skip


WORKFLOW = {
    "workspace_sid": WS,
    "friendly_name": "Custom messaging",
    "configuration": json.dumps({"task_routing": {"filters": [], "default_filter": {"queue": WQ}}}),
    "task_reservation_timeout": 120,
}
CALLBACK = {"workspace_sid": WS, "url": HANDLER, "events": ["task.completed", "task.canceled"]}
CHANNEL = {"workspace_sid": WS, "unique_name": "custom1", "friendly_name": "Custom SMS"}
CHAT = {
    "service_sid": IS,
    "pre_webhook_url": HANDLER,
    "post_webhook_url": HANDLER,
    "webhook_method": "POST",
    "webhook_filters": ["onMessageSend", "onMessageSent", "onChannelUpdated"],
    "retry_count": 2,
}
PREVIOUS_CHAT = {
    "pre_webhook_url": "",
    "post_webhook_url": "https://old.example.com",
    "webhook_method": "GET",
    "webhook_filters": ["onMessageSent"],
    "pre_webhook_retry_count": 0,
    "post_webhook_retry_count": 0,
}
NUMBER = {"number": PN, "sms_url": HANDLER, "sms_method": "POST"}
IG = "IG" + "8" * 32
ADDRESS = {
    "webhook_url": HANDLER,
    "webhook_method": "POST",
    "webhook_filters": ["onMessageAdded"],
    "conversation_service_sid": IS,
}
ON_CONVERSATIONS = dict(NUMBER, sms_url="", platform="conversations", address=ADDRESS)
PREVIOUS_ADDRESS = {
    "sid": IG,
    "address": "+15005550006",
    "friendly_name": "Studio",
    "enabled": True,
    "type": "studio",
    "conversation_service_sid": IS,
    "webhook_url": "",
    "webhook_method": "POST",
    "webhook_filters": [],
    "studio_flow_sid": "FW" + "9" * 32,
    "studio_retry_count": 1,
}
CONVERSATIONS_CHAT = dict(CHAT, platform="conversations", retry_count=0)
PREVIOUS_CONVERSATIONS = {
    "pre_webhook_url": "",
    "post_webhook_url": "https://old.example.com",
    "method": "GET",
    "filters": ["onMessageAdded"],
}
PREVIOUS_NUMBER = {
    "sms_url": "https://old.example.com",
    "sms_method": "GET",
    "sms_fallback_url": "",
}


def lookup(run: Callable[[], Any]) -> None:
    """A look-up may find no, several or other example records: that is not a contract issue."""
    try:
        run()
    except TwilioApiError:
        raise
    except FlexorchError as error:
        found = (
            "has that name",
            "already exists",
            "no phone number of this account",
            "is no longer a number of this account",
        )
        assert any(text in str(error) for text in found), error


OPERATIONS: dict[str, Callable[[], Any]] = {
    "workspace: fetch by SID": lambda: WorkspaceProvider().create(
        {"lookup_sid": WS, "lookup_name": None}
    ),
    "workspace: list by friendly name": lambda: lookup(
        lambda: WorkspaceProvider().create(
            {"lookup_sid": None, "lookup_name": "Flex Task Assignment"}
        )
    ),
    "workspace: read": lambda: WorkspaceProvider().read(WS, {}),
    "queue: fetch by SID": lambda: TaskQueueProvider().create(queue(lookup_sid=WQ)),
    "queue: list by friendly name": lambda: lookup(
        lambda: TaskQueueProvider().create(queue(lookup_name="Everyone"))
    ),
    "queue: read": lambda: TaskQueueProvider().read(WQ, queue(lookup_sid=WQ)),
    "queue: delete (created)": lambda: TaskQueueProvider().delete(WQ, queue(created=True)),
    "workflow: look up by name, then create": lambda: lookup(
        lambda: WorkflowProvider().create(WORKFLOW)
    ),
    "workflow: update": lambda: WorkflowProvider().update(WW, WORKFLOW, WORKFLOW),
    "workflow: read": lambda: WorkflowProvider().read(WW, WORKFLOW),
    "workflow: delete": lambda: WorkflowProvider().delete(WW, WORKFLOW),
    "workflow: snapshot by SID": lambda: WorkflowSnapshotProvider().create(
        {"workspace_sid": WS, "adopt_sid": WW, "adopt_by_name": None}
    ),
    "workflow: snapshot by name": lambda: lookup(
        lambda: WorkflowSnapshotProvider().create(
            {"workspace_sid": WS, "adopt_by_name": True, "friendly_name": "Custom messaging"}
        )
    ),
    "workflow: adopt (update)": lambda: WorkflowProvider().create(
        dict(WORKFLOW, adopted={"sid": WW, "previous": WORKFLOW})
    ),
    "workflow: restore (adopted)": lambda: WorkflowProvider().delete(
        WW, dict(WORKFLOW, adopted_previous=dict(WORKFLOW, task_reservation_timeout=30.0))
    ),
    "task channel: create": lambda: TaskChannelProvider().create(CHANNEL),
    "task channel: update": lambda: TaskChannelProvider().update(TC, CHANNEL, CHANNEL),
    "task channel: read": lambda: TaskChannelProvider().read(TC, CHANNEL),
    "task channel: delete": lambda: TaskChannelProvider().delete(TC, CHANNEL),
    "task channel: snapshot by name (list)": lambda: TaskChannelSnapshotProvider().create(
        dict(CHANNEL, adopt_by_name=True)
    ),
    "task channel: adopt (update)": lambda: TaskChannelProvider().create(
        dict(CHANNEL, adopted={"sid": TC, "previous": {"friendly_name": "Made by hand"}})
    ),
    "task channel: restore (adopted)": lambda: TaskChannelProvider().delete(
        TC, dict(CHANNEL, adopted_previous={"friendly_name": "Made by hand"})
    ),
    "chat service: snapshot (fetch)": lambda: ChatServiceSnapshotProvider().create(
        {"service_sid": IS, "handler_url": HANDLER}
    ),
    "chat webhooks: adopt (update)": lambda: ChatServiceWebhooksProvider().create(
        dict(CHAT, snapshot={"previous": PREVIOUS_CHAT, "points_at_handler": False})
    ),
    "chat webhooks: update": lambda: ChatServiceWebhooksProvider().update(IS, CHAT, CHAT),
    "chat webhooks: read": lambda: ChatServiceWebhooksProvider().read(IS, CHAT),
    "chat webhooks: restore": lambda: ChatServiceWebhooksProvider().delete(
        IS, dict(CHAT, previous=PREVIOUS_CHAT)
    ),
    "chat webhooks: restore to no events": lambda: ChatServiceWebhooksProvider().delete(
        IS, dict(CHAT, previous=dict(PREVIOUS_CHAT, post_webhook_url="", webhook_filters=[]))
    ),
    "number: snapshot (one page of the account's numbers)": lambda: lookup(
        lambda: PhoneNumbersSnapshotProvider().create({"numbers": [PN], "handler_url": HANDLER})
    ),
    "number: route (update)": lambda: PhoneNumberRouteProvider().create(
        dict(
            NUMBER,
            snapshot={"sid": PN, "phone_number": "+15005550006", "previous": PREVIOUS_NUMBER},
        )
    ),
    "number: update": lambda: PhoneNumberRouteProvider().update(PN, NUMBER, NUMBER),
    "number: read (one list of the account's numbers)": lambda: lookup(
        lambda: PhoneNumberRouteProvider().read(PN, NUMBER)
    ),
    "number: restore": lambda: PhoneNumberRouteProvider().delete(
        PN, dict(NUMBER, previous=PREVIOUS_NUMBER)
    ),
    "number: snapshot with addresses (numbers and SMS addresses listed)": lambda: lookup(
        lambda: PhoneNumbersSnapshotProvider().create(
            {"numbers": [PN], "handler_url": HANDLER, "addresses": True}
        )
    ),
    "number on conversations: create address, empty SmsUrl": lambda: (
        PhoneNumberRouteProvider().create(
            dict(
                ON_CONVERSATIONS,
                snapshot={
                    "sid": PN,
                    "phone_number": "+15005550006",
                    "previous": PREVIOUS_NUMBER,
                    "address": None,
                },  # fmt: skip
            )
        )
    ),
    "number on conversations: adopt address (update)": lambda: PhoneNumberRouteProvider().update(
        PN,
        dict(NUMBER, phone_number="+15005550006", previous=PREVIOUS_NUMBER),
        dict(ON_CONVERSATIONS, snapshot={"address": PREVIOUS_ADDRESS}),
    ),
    "number back to programmable chat: SmsUrl, then address restored": lambda: (
        PhoneNumberRouteProvider().update(
            PN,
            dict(ON_CONVERSATIONS, address_sid=IG, address_previous=PREVIOUS_ADDRESS),
            dict(NUMBER, previous=PREVIOUS_NUMBER),
        )
    ),
    "number on conversations: restore, delete created address": lambda: (
        PhoneNumberRouteProvider().delete(
            PN, dict(ON_CONVERSATIONS, previous=PREVIOUS_NUMBER, address_sid=IG)
        )
    ),
    "number restore to an empty SmsUrl": lambda: PhoneNumberRouteProvider().delete(
        PN, dict(NUMBER, previous=dict(PREVIOUS_NUMBER, sms_url=""))
    ),
    "conversations service: snapshot (fetch webhooks)": lambda: (
        ChatServiceSnapshotProvider().create(
            {"service_sid": IS, "handler_url": HANDLER, "platform": "conversations"}
        )
    ),
    "conversations webhooks: adopt (update)": lambda: ChatServiceWebhooksProvider().create(
        dict(
            CONVERSATIONS_CHAT,
            snapshot={"previous_conversations": PREVIOUS_CONVERSATIONS, "points_at_handler": False},
        )
    ),
    "conversations webhooks: read": lambda: ChatServiceWebhooksProvider().read(
        IS, CONVERSATIONS_CHAT
    ),
    "conversations webhooks: switch from chat (chat restored, then conversations set)": lambda: (
        ChatServiceWebhooksProvider().update(
            IS,
            dict(CHAT, previous=PREVIOUS_CHAT),
            dict(CONVERSATIONS_CHAT, snapshot={"previous_conversations": PREVIOUS_CONVERSATIONS}),
        )
    ),
    "conversations webhooks: restore to no events": lambda: ChatServiceWebhooksProvider().delete(
        IS,
        dict(
            CONVERSATIONS_CHAT,
            previous_conversations=dict(PREVIOUS_CONVERSATIONS, post_webhook_url="", filters=[]),
        ),
    ),
    "flex flows: snapshot (list)": lambda: FlexFlowSnapshotProvider().create(
        {"numbers": ["+15005550006"]}
    ),
    "flex flows: list (guard check)": lambda: FlexFlowGuardProvider().check(
        {}, {"numbers": ["+15005550006"], "mode": "fail"}
    ),
    "flex flows: resolve PN and list (guard read)": lambda: FlexFlowGuardProvider().read(
        "flex-flow-guard", {"numbers": [PN], "mode": "disable"}
    ),
    "flex flows: disable (the guard's update call)": lambda: (
        FlexFlowGuardProvider().client().flex_api.v1.flex_flow(FO).update(enabled=False)
    ),
    "flex flows: re-enable (guard delete)": lambda: FlexFlowGuardProvider().delete(
        "flex-flow-guard", {"disabled": [FO]}
    ),
    "messaging services: list them and each one's numbers (snapshot, refresh)": lambda: (
        MessagingServices().scan(FlexFlowGuardProvider().client(), ["+15005550006"], first=False)
    ),
    "messaging services: defer to the number, and set back (guard)": lambda: (
        MessagingServices().undo(FlexFlowGuardProvider().client(), SERVICE_RECORD),
        MessagingServices().restore(FlexFlowGuardProvider().client(), SERVICE_RECORD),
    ),
    "twiml apps: numbers and the app in use (snapshot, refresh)": lambda: TwimlApps().scan(
        FlexFlowGuardProvider().client(), ["+15005550006"], first=False
    ),
    "event callback: snapshot (workspace fetch)": lambda: EventCallbackSnapshotProvider().create(
        {"workspace_sid": WS, "workspace_lookup": None, "url": HANDLER}
    ),
    "event callback: set URL and filter (workspace update)": lambda: (
        WorkspaceEventCallbackProvider().create(
            {**CALLBACK, "snapshot": {"url": "https://wfm.example.com/e", "events": ""}}
        )
    ),
    "event callback: read": lambda: WorkspaceEventCallbackProvider().read(WS, CALLBACK),
    "event callback: restore a workspace that had none (both cleared)": lambda: (
        WorkspaceEventCallbackProvider().delete(WS, {**CALLBACK, "previous": {"url": ""}})
    ),
    "twiml apps: detach from the number, attach again (guard)": lambda: (
        TwimlApps().undo(FlexFlowGuardProvider().client(), APP_RECORD),
        TwimlApps().restore(FlexFlowGuardProvider().client(), APP_RECORD),
    ),
}


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_operation_is_valid_under_the_official_spec(name: str) -> None:
    OPERATIONS[name]()


def test_a_request_the_spec_rejects_is_one_clear_line() -> None:
    with pytest.raises(TwilioApiError) as caught:
        PhoneNumberRouteProvider().update(PN, NUMBER, dict(NUMBER, sms_method="PUT"))
    message = str(caught.value)
    assert message == (
        f'PhoneNumberRoute "{PN}": update (SmsUrl, SmsMethod): HTTP 422: Unable to update record: '
        "Request body property SmsMethod must be equal to one of the allowed values: GET, POST"
    )


def test_the_contract_checker_rejects_wrong_types() -> None:
    """The providers send integers (they coerce the engine's floats); Prism would catch it."""
    services = ChatServiceWebhooksProvider().client().chat.v2.services
    with pytest.raises(TwilioApiError, match="PostWebhookRetryCount"):
        with twilio_call("chat", "update"):
            services(IS).update(post_webhook_retry_count="twice")


def test_the_spec_fixture_patches_form_arrays(tmp_path: Path) -> None:
    spec = json.loads(write_merged(tmp_path / "s.json").read_text())
    body = spec["paths"]["/v2/Services/{Sid}"]["post"]["requestBody"]["content"]
    encoding = body["application/x-www-form-urlencoded"]["encoding"]
    assert encoding["WebhookFilters"] == {"style": "form", "explode": True}
