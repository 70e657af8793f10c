"""flexorch: Twilio Flex custom messaging orchestration as code.

`import flexorch` stays cheap (the CLI and the sandbox never load Pulumi): the component and its
args are imported on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

if TYPE_CHECKING:
    from flexorch.component import (
        AutoAcceptArgs,
        ChatServiceArgs,
        ConversationTimersArgs,
        CustomMessaging,
        CustomMessagingArgs,
        EventCallbackArgs,
        FlexActionsArgs,
        HandlerArgs,
        OrchestrationArgs,
        SidOrNameArgs,
        TaskChannelArgs,
        WorkflowArgs,
        WorkspaceArgs,
    )
    from flexorch.resources.account import Provider
    from flexorch.resources.task_channel import TaskChannel
    from flexorch.resources.workflow import Workflow

# Resources a program may declare on its own (`pulumi import` of one prints that code).
_RESOURCES = {
    "TaskChannel": "flexorch.resources.task_channel",
    "Workflow": "flexorch.resources.workflow",
}

__all__ = [
    "AutoAcceptArgs",
    "ChatServiceArgs",
    "ConversationTimersArgs",
    "CustomMessaging",
    "CustomMessagingArgs",
    "EventCallbackArgs",
    "FlexActionsArgs",
    "HandlerArgs",
    "OrchestrationArgs",
    "Provider",
    "SidOrNameArgs",
    "TaskChannel",
    "TaskChannelArgs",
    "Workflow",
    "WorkflowArgs",
    "WorkspaceArgs",
    "__version__",
]


def __getattr__(name: str) -> Any:
    if name == "Provider":
        from flexorch.resources.account import Provider

        return Provider
    if name in _RESOURCES:
        return getattr(importlib.import_module(_RESOURCES[name]), name)
    if name in __all__ and name != "__version__":
        from flexorch import component

        return getattr(component, name)
    raise AttributeError(f"module 'flexorch' has no attribute {name!r}")
