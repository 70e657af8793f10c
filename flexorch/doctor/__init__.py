"""`flexorch doctor`: Flex's messaging troubleshooting checklist, run read-only against an account.

Three sections, each a list of checks that report pass, fail, warn or skipped with their evidence
(SIDs, values found vs expected) and, when something is wrong, the fix in one sentence. The
stack's `flexorch:platform` picks the checks; output, `--json` schema and exit codes are the same.

Programmable Chat (Flex UI 1.x):
- `config` (when no message is named): every managed number exists, no enabled Flex Flow takes it
  and its SMS webhook points at the handler; the chat service's webhooks, the workspace, the
  contact_uri Workflow, the task channels and the workers' contact_uri attributes match the stack.
- `message` (with `--message SM...`, or `--from +E164` for the latest inbound message from that
  customer to a managed number): the nine steps of the README's Doctor section, in order.
  A step whose step it depends on failed is `skipped`, naming that step, rather than a second
  failure. The message's number, the Workflow and the workers are judged by steps 2, 6 and 7,
  so the config section is left out.
- `hygiene` (always): Flex Flows per managed number, Studio/Flex webhooks left on the active
  channels of managed numbers, chat users near the 1,000-channel limit, orphaned channels and
  Proxy sessions, Studio executions left active. The walked message's channel and session are
  left to the walk (steps 4 and 8 report its webhooks and a channel left active).

Flex Conversations (Flex UI 2.x):
- `config`: each managed number exists, no enabled Flex Flow takes it, its SmsUrl is empty and
  its one SMS Address Configuration hands new conversations to the handler (autoCreation
  webhook, method, onMessageAdded, the stack's Conversations service); the Conversations
  service's webhooks; the TaskRouter checks as on Programmable Chat.
- `message`: seven steps: received; number on its address; a conversation holding the SMS; a
  task referencing it (`conversationSid`) and naming a worker's contact_uri; that worker's
  accepted reservation and participation; her replies sent as SMS; the conversation closed.
  With `flexorch:taskCreation: taskrouter` (the handler's own orchestration, Twilio's
  Conversations FAQ) the same seven steps, but the task is the handler's (an Interaction behind
  it is a finding: this path must not use the Interactions API) and the handler, not Flex, adds
  the agent to the conversation and closes it (`platforms/conversations/taskrouter.py`).
- `hygiene`: Flex Flows per managed number, managed numbers whose address is Flex's own handling
  (type studio or default) or missing, Studio/Flex webhooks left on active conversations of
  managed numbers, orphaned conversations, Studio executions left active. What the other
  section judged (the walked conversation and number; without a message, every number's
  address) is left to it.

Doctor relies on the conventions of Flex and of Twilio's custom-orchestration guide:
- the handler creates the customer's chat channel the way Flex's Channels API does, with channel
  attributes `{"from": <customer address>, "status": "ACTIVE" | "INACTIVE", ...}`, and posts each
  inbound SMS into it with the same body;
- the handler relays each chat message the agent writes as an SMS from the number the customer
  texted (on the chat service's `onMessageSent`);
- the task's attributes hold `channelSid` (on Conversations `conversationSid`, as the
  Interactions API sets it) and the target attribute (`targetWorker`) set to the agent's worker
  `contact_uri` (`client:alice`), or with `workflow.knownAgent` her worker SID or friendly name
  (Known Agent Routing); the agent's chat identity (Conversations participant identity) is her
  contact_uri without `client:`;
- on Conversations, Twilio itself creates the customer's conversation from the number's address
  and sends what the agent writes to the customer's SMS binding;
- Flex names a Proxy session after its chat channel (`unique_name` is the channel SID); Proxy is
  "in use" for a message when such a session exists or the number is in a Proxy service's pool,
  and Studio when a Studio execution exists for the customer's address.

Only GET requests are made (the sandbox's request log proves it in the tests). Each Twilio list is
read once per run, at most `MAX_SCAN` records (one page; Conversations' pages are smaller).

The modules, by concern: `report` (verdicts and `--json`), `text` (the report for people,
loaded only to print it); the frames every platform fills in: `account` (the reads all
platforms share), `checks` (the config section and the checks shared), `walk` (numbered steps,
and the steps every platform takes), `hygiene`; the `platform` interface, and `platforms` (one
sub-package per platform, and the registry that picks the stack's); `credentials` (whose
credentials), `diagnose` (one run). Argument parsing lives in `flexorch.cli`; nothing here
imports Pulumi, so `flexorch doctor` starts fast.
"""

from __future__ import annotations

from flexorch.doctor.account import Account, endpoint, reading_client, requests_made
from flexorch.doctor.credentials import (
    find_credentials,
    pulumi_config,
    stack_credentials_config,
)
from flexorch.doctor.diagnose import run_doctor
from flexorch.doctor.report import (
    SCHEMA,
    Check,
    Report,
    Section,
    Status,
    error_document,
)

__all__ = [
    "SCHEMA",
    "Account",
    "Check",
    "Report",
    "Section",
    "Status",
    "endpoint",
    "error_document",
    "find_credentials",
    "pulumi_config",
    "reading_client",
    "requests_made",
    "run_doctor",
    "stack_credentials_config",
]
