"""The peer's configuration: the flexorch stack's Twilio work as an OpenTofu JSON document.

For a shape's stack config (bench/shapes.py) it declares what Twilio's provider can express:
the Workflow (the document flexorch's routing.py builds, on the same queue), each TaskChannel,
each managed number's SmsUrl and SmsMethod, and the chat service's webhooks; the numbers and the
chat service exist already, so `import` blocks adopt them. The provider has no data sources, so
what flexorch looks up by name (the workspace, the queue, the numbers' SIDs) is given as SIDs,
as a Terraform user would paste them in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flexorch.config import parse_config
from flexorch.routing import workflow_configuration

PROVIDER_SOURCE = "twilio/twilio"
PROVIDER_VERSION = "0.18.46"
NUMBERS = "twilio_api_accounts_incoming_phone_numbers"
CHAT = "twilio_chat_services_v2"
WORKFLOWS = "twilio_taskrouter_workspaces_workflows_v1"
CHANNELS = "twilio_taskrouter_workspaces_task_channels_v1"


@dataclass(frozen=True)
class Account:
    """What the peer is told about the account: SIDs and the chat service's current name.

    `chat_name`: the provider requires `friendly_name` on a chat service, so the adopted one
    keeps its own.
    """

    workspace_sid: str
    queue_sid: str
    chat_name: str
    number_sids: dict[str, str]
    """E.164 number -> its IncomingPhoneNumber SID."""


def resource_name(number: str) -> str:
    """A number's resource name: `n15005550006` (a name cannot start with `+`)."""
    return "n" + number.lstrip("+")


def document(stack_config: dict[str, Any], account: Account) -> dict[str, Any]:
    """The `main.tf.json` for the stack config (`flexorch:` keys, as bench/shapes.py gives it)."""
    config = parse_config({k.removeprefix("flexorch:"): v for k, v in stack_config.items()})
    routing = workflow_configuration(config, account.queue_sid)
    chat = config.chat_service
    chat_url = config.handler.effective_chat_url
    webhooks: dict[str, Any] = {
        "friendly_name": account.chat_name,
        "webhook_method": config.handler.method,
        "webhook_filters": list(chat.webhook_filters),
    }
    if chat.pre_events:
        webhooks["pre_webhook_url"] = chat_url
    if chat.post_events:
        webhooks["post_webhook_url"] = chat_url
    if chat.retry_count is not None:
        webhooks["pre_webhook_retry_count"] = chat.retry_count
        webhooks["post_webhook_retry_count"] = chat.retry_count
    numbers = {
        resource_name(number): {
            "sms_url": config.handler.effective_sms_url,
            "sms_method": config.handler.method,
        }
        for number in config.numbers
    }
    channels = {
        channel.unique_name: {
            "workspace_sid": account.workspace_sid,
            "unique_name": channel.unique_name,
            "friendly_name": channel.effective_friendly_name,
        }
        for channel in config.task_channels
    }
    adopted = [
        {"to": f"{NUMBERS}.{resource_name(number)}", "id": account.number_sids[number]}
        for number in config.numbers
    ]
    adopted.append({"to": f"{CHAT}.chat", "id": chat.sid})
    return {
        "terraform": {
            "required_providers": {
                "twilio": {"source": PROVIDER_SOURCE, "version": PROVIDER_VERSION}
            }
        },
        "provider": {"twilio": {}},
        "import": adopted,
        "resource": {
            WORKFLOWS: {
                "routing": {
                    "workspace_sid": account.workspace_sid,
                    "friendly_name": config.workflow.friendly_name,
                    "configuration": json.dumps(routing, indent=2),
                    "task_reservation_timeout": config.workflow.reservation_timeout,
                }
            },
            CHANNELS: channels,
            NUMBERS: numbers,
            CHAT: {"chat": webhooks},
        },
    }
