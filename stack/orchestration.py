"""The component that wires a stack's Twilio resources from its validated config."""

from __future__ import annotations

import json

import pulumi

from stack.config import Queue, StackConfig
from stack.providers.chat_webhooks import ChatServiceWebhooks
from stack.providers.flex_flow_guard import FlexFlowGuard
from stack.providers.phone_number import PhoneNumberRoute
from stack.providers.queue import TaskQueue
from stack.providers.task_channel import TaskChannel
from stack.providers.workflow import Workflow
from stack.providers.workspace import Workspace
from stack.routing import workflow_configuration


class CustomMessaging(pulumi.ComponentResource):
    """Everything one Flex account needs for custom messaging orchestration.

    The Flex Flow guard is registered first and every resource that changes Twilio depends on
    it, so `flexFlows: fail` with a conflict changes nothing.
    """

    workflow_sid: pulumi.Output[str]
    workspace_sid: pulumi.Output[str]
    task_channel_sids: pulumi.Output[dict[str, str]]
    numbers: pulumi.Output[list[str]]

    def __init__(
        self, name: str, config: StackConfig, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        """Declare the resources for `config` as children of this component."""
        super().__init__("flexorch:index:CustomMessaging", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        chat = config.chat_service

        guard = FlexFlowGuard(
            "flex-flow-guard",
            numbers=list(config.numbers),
            chat_service_sid=chat.sid,
            mode=config.flex_flows,
            opts=child,
        )
        guarded = pulumi.ResourceOptions(parent=self, depends_on=[guard])

        workspace = Workspace(
            "workspace",
            sid=config.workspace.sid,
            friendly_name=config.workspace.friendly_name,
            opts=child,
        )

        def queue(resource_name: str, ref: Queue, key: str) -> TaskQueue:
            return TaskQueue(
                resource_name,
                workspace_sid=workspace.sid,
                sid=ref.sid,
                friendly_name=ref.friendly_name,
                config_key=key,
                opts=guarded,
            )

        wf = config.workflow
        main_queue = queue("queue", wf.queue, "workflow.queue")
        fallback = None
        if wf.fallback_queue is not None:
            same = wf.fallback_queue == wf.queue
            fallback = (
                main_queue
                if same
                else queue("fallback-queue", wf.fallback_queue, "workflow.fallbackQueue")
            )

        channels = {
            c.unique_name: TaskChannel(
                f"channel-{c.unique_name}",
                workspace_sid=workspace.sid,
                unique_name=c.unique_name,
                friendly_name=c.effective_friendly_name,
                opts=guarded,
            )
            for c in config.task_channels
        }

        fallback_sid = fallback.sid if fallback else None
        document = pulumi.Output.all(main_queue.sid, fallback_sid).apply(
            lambda sids: json.dumps(workflow_configuration(config, sids[0], sids[1]), indent=2)
        )
        workflow = Workflow(
            "workflow",
            workspace_sid=workspace.sid,
            friendly_name=wf.friendly_name,
            configuration=document,
            task_reservation_timeout=wf.reservation_timeout,
            opts=guarded,
        )

        handler = config.handler
        chat_webhooks = ChatServiceWebhooks(
            "chat-webhooks",
            service_sid=chat.sid,
            pre_webhook_url=handler.effective_chat_url if chat.pre_events else "",
            post_webhook_url=handler.effective_chat_url if chat.post_events else "",
            webhook_method=handler.method,
            webhook_filters=list(chat.webhook_filters),
            retry_count=chat.retry_count,
            opts=guarded,
        )

        routes = [
            PhoneNumberRoute(
                f"number-{number}",
                number=number,
                sms_url=handler.effective_sms_url,
                sms_method=handler.method,
                opts=guarded,
            )
            for number in config.numbers
        ]

        # Every child, so callers (and tests) can wait for the whole graph to be registered.
        queues = [main_queue] if fallback in (None, main_queue) else [main_queue, fallback]
        self.children: list[pulumi.CustomResource] = [
            guard, workspace, *queues, *channels.values(), workflow, chat_webhooks, *routes,
        ]  # fmt: skip
        self.workspace_sid = workspace.sid
        self.workflow_sid = workflow.sid
        self.task_channel_sids = pulumi.Output.all(
            **{name: channel.sid for name, channel in channels.items()}
        )
        self.numbers = pulumi.Output.all(*[route.phone_number for route in routes])
        self.register_outputs(
            {
                "workspaceSid": self.workspace_sid,
                "workflowSid": self.workflow_sid,
                "taskChannelSids": self.task_channel_sids,
                "numbers": self.numbers,
            }
        )
