// A TypeScript Pulumi program using flexorch's CustomMessaging component, which the flexorch
// provider (pulumi-resource-flexorch, from `pip install flexorch`) constructs: the same config
// as the Python example in the README. Its types come from the generated SDK (sdk/nodejs).
import * as pulumi from "@pulumi/pulumi";
import * as flexorch from "@pulumi/flexorch";

const config = new pulumi.Config();

const messaging = new flexorch.CustomMessaging(
    "east",
    {
        // Any URL, SID or name may be an Output, e.g. the URL of a handler deployed here too.
        handler: { url: config.get("handlerUrl") ?? "https://handler.example.com/flex" },
        workspace: { friendlyName: "Flex Task Assignment" },
        taskChannels: [{ uniqueName: "custom1" }],
        chatService: { sid: config.get("chatServiceSid") ?? "IS00000000000000000000000000000000" },
        numbers: ["+15005550006"],
    },
    { protect: config.getBoolean("protect") ?? true },
);

export const workspaceSid = messaging.workspaceSid;
export const workflowSid = messaging.workflowSid;
export const taskChannelSids = messaging.taskChannelSids;
export const numbers = messaging.numbers;
