"""Pulumi entry point: load the stack's config, declare the component, export what users need."""

import sys
from pathlib import Path

# Pulumi runs this folder as a program, which puts it first on sys.path; drop it so that its
# modules are only ever imported as `stack.*` (the installed package), never as top-level names.
_here = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _here]

import pulumi  # noqa: E402

from stack.errors import FlexorchError  # noqa: E402
from stack.loading import load_from_pulumi  # noqa: E402
from stack.orchestration import CustomMessaging  # noqa: E402

try:
    loaded = load_from_pulumi()
except FlexorchError as error:
    raise pulumi.RunError("\n".join(error.problems)) from None

config = loaded.config
messaging = CustomMessaging("flexorch", config)

pulumi.export("workspaceSid", messaging.workspace_sid)
pulumi.export("workflowSid", messaging.workflow_sid)
pulumi.export("taskChannelSids", messaging.task_channel_sids)
pulumi.export("numbers", messaging.numbers)
pulumi.export("smsUrl", config.handler.effective_sms_url)
pulumi.export("chatUrl", config.handler.effective_chat_url)
pulumi.export("handlerMethod", config.handler.method)
