"""This repo's Pulumi program: the stack's `flexorch:` config, one component, its outputs."""

import pulumi

import flexorch
from flexorch.component import stack_config

config = stack_config()
messaging = flexorch.CustomMessaging("flexorch", config)

pulumi.export("workspaceSid", messaging.workspace_sid)
pulumi.export("workflowSid", messaging.workflow_sid)
pulumi.export("taskChannelSids", messaging.task_channel_sids)
pulumi.export("numbers", messaging.numbers)
pulumi.export("smsUrl", config.handler.effective_sms_url)
pulumi.export("chatUrl", config.handler.effective_chat_url)
pulumi.export("handlerMethod", config.handler.method)
