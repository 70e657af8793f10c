"""The type token of each flexorch resource (`resource.token`) and the provider that serves it."""

from __future__ import annotations

from collections.abc import Mapping

from flexorch.resources.base import TwilioProvider
from flexorch.resources.chat_webhooks import (
    ChatServiceSnapshotProvider,
    ChatServiceWebhooksProvider,
)
from flexorch.resources.conversation_timers import (
    ConversationTimersProvider,
    ConversationTimersSnapshotProvider,
)
from flexorch.resources.event_callback import (
    EventCallbackSnapshotProvider,
    WorkspaceEventCallbackProvider,
)
from flexorch.resources.flex_flow_guard import FlexFlowGuardProvider, FlexFlowSnapshotProvider
from flexorch.resources.phone_number import PhoneNumberRouteProvider, PhoneNumbersSnapshotProvider
from flexorch.resources.queue import TaskQueueProvider, TaskQueueSnapshotProvider
from flexorch.resources.resource import token
from flexorch.resources.task_channel import TaskChannelProvider, TaskChannelSnapshotProvider
from flexorch.resources.workflow import WorkflowProvider, WorkflowSnapshotProvider
from flexorch.resources.workspace import WorkspaceProvider

PROVIDERS: Mapping[str, type[TwilioProvider]] = {
    token(provider.kind): provider
    for provider in (
        WorkspaceProvider,
        TaskQueueSnapshotProvider,
        TaskQueueProvider,
        WorkflowSnapshotProvider,
        WorkflowProvider,
        TaskChannelSnapshotProvider,
        TaskChannelProvider,
        ChatServiceSnapshotProvider,
        ChatServiceWebhooksProvider,
        ConversationTimersSnapshotProvider,
        ConversationTimersProvider,
        FlexFlowSnapshotProvider,
        FlexFlowGuardProvider,
        PhoneNumbersSnapshotProvider,
        PhoneNumberRouteProvider,
        EventCallbackSnapshotProvider,
        WorkspaceEventCallbackProvider,
    )
}
