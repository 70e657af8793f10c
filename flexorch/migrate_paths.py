"""The two ways `flexorch migrate` offers a Programmable Chat stack onto Flex Conversations.

Twilio documents both; a 1.x custom-orchestration team picks one:
- (a) `taskCreation: interactions`, the webhook integration: the handler creates an Interaction
  (`POST /v1/Interactions`), and Flex adds and removes the agent;
- (b) `taskCreation: taskrouter`, "your own messaging orchestration" (Conversations FAQ, "Can I
  build my own Messaging Orchestration?",
  https://www.twilio.com/docs/flex/developer/conversations/faq-and-troubleshooting): the handler
  must not use Send to Flex or the Interactions API, keeps creating the tasks with the TaskRouter
  API, and the plugin overrides what Flex does on accept, wrap-up and complete
  (`flexorch:flexActions`).
Twilio's migration guide covers the standard set-up only and leaves out "backend modifications
or Flex UI plugin customizations for Programmable Chat APIs"
(https://www.twilio.com/docs/flex/developer/conversations/programmable-chat-to-flex-conversations),
so what changes in the handler is listed here call by call, and each path gets its config, plan
and rollback. All of it comes from the stack config and the inventory's verdicts: no request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flexorch.config import (
    FLEX_ACTION_EVENTS,
    INTERACTIONS,
    ORCHESTRATION_EVENTS,
    TASKROUTER,
    StackConfig,
)
from flexorch.doctor.platforms import for_stack
from flexorch.doctor.report import Report
from flexorch.twilio_facts import CONVERSATIONS, conversations_twin

# Each Flex UI 1.x ChatOrchestratorEvent and its Flex UI 2.x twin (config.py lists both in the
# same order: add the agent, deactivate the channel, make the agent leave it).
FLEX_ACTION_OF = dict(zip(ORCHESTRATION_EVENTS, FLEX_ACTION_EVENTS, strict=True))
STAGES = ("accepted", "wrapup", "completed")

RECOMMENDED = TASKROUTER
WHY = (
    "a custom-orchestration handler keeps creating its TaskRouter tasks for the contact_uri "
    "Workflow and only its Programmable Chat calls change, where (a) moves task creation onto "
    "the Interactions API and hands the agent's membership to Flex"
)


@dataclass(frozen=True)
class HandlerCall:
    """One thing a 1.x custom handler does, and what it becomes on a path."""

    now: str
    then: str


@dataclass(frozen=True)
class ConfigChange:
    """What the stack file must say on a path: keys to set (`flexorch:a.b` paths), keys to drop."""

    set: Mapping[str, Any]
    remove: tuple[str, ...]

    def lines(self) -> list[str]:
        """`flexorch:key: value` for each key set, then `remove flexorch:key` for each dropped."""
        return [f"{key}: {flow(value)}" for key, value in self.set.items()] + [
            f"remove {key}" for key in self.remove
        ]

    def to_json(self) -> dict[str, Any]:
        """The change as data: `set` (key path -> value) and `remove` (key paths)."""
        return {"set": dict(self.set), "remove": list(self.remove)}

    def apply(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """A stack file's `config:` mapping with the change made (the demo writes it so)."""
        changed = {key: dict(v) if isinstance(v, Mapping) else v for key, v in config.items()}
        for path, value in self.set.items():
            key, _, field = path.partition(".")
            if field:
                changed[key] = {**changed.get(key, {}), field: value}
            else:
                changed[key] = value
        for path in self.remove:
            key, _, field = path.partition(".")
            (changed.get(key, {}) if field else changed).pop(field or key, None)
        return changed


@dataclass(frozen=True)
class MigrationPath:
    """One way onto Flex Conversations for this stack: what changes, and how to make the move."""

    variant: Variant
    handler: tuple[HandlerCall, ...]
    config: ConfigChange
    plan: tuple[str, ...]
    rollback: tuple[str, ...]

    @property
    def task_creation(self) -> str:
        """The `flexorch:taskCreation` value it writes."""
        return self.variant.task_creation

    @property
    def recommended(self) -> bool:
        """Whether flexorch recommends it (custom-orchestration teams: (b))."""
        return self.task_creation == RECOMMENDED

    @property
    def heading(self) -> str:
        """`(b) taskCreation: taskrouter`."""
        return f"({self.variant.letter}) taskCreation: {self.task_creation}"

    def to_json(self) -> dict[str, Any]:
        """The path in migrate's `--json` document."""
        return {
            "name": self.variant.name,
            "summary": self.variant.summary,
            "recommended": self.recommended,
            "handler": [{"now": c.now, "then": c.then} for c in self.handler],
            "config": self.config.to_json(),
            "plan": list(self.plan),
            "rollback": list(self.rollback),
        }


@dataclass(frozen=True)
class Variant:
    """What tells one path from the other: its rows, its config keys, its plan's words."""

    task_creation: str
    """The `flexorch:taskCreation` value it writes."""
    letter: str
    """`a` or `b`, as the text tells Twilio's two ways apart."""
    name: str
    summary: str
    """What the handler does and what Flex does, in one sentence."""
    flex_actions: bool
    """Whether the path has `flexorch:flexActions` (else the key is refused)."""
    task: str
    """What the handler's task creation becomes (`{target}`: the target attribute)."""
    close: str
    """What cancelling or completing the task becomes."""
    agent: tuple[str, str, str]
    """What adding the agent, closing the channel and removing her become (see AGENT)."""
    plugin: str
    """What the 2.x plugin files do for the managed channels' tasks."""
    handler: str
    """What the handler does now, in the plan's Handler step."""
    back: str
    """What the handler goes back to, in the rollback."""


VARIANTS = {
    INTERACTIONS: Variant(
        task_creation=INTERACTIONS,
        letter="a",
        name="webhook integration",
        summary="the handler creates an Interaction for each conversation (Flex POST "
        "/v1/Interactions, no TaskRouter task of its own); Flex adds the agent on accept and "
        "removes her after, through the Interactions API",
        flex_actions=False,
        task="Flex POST /v1/Interactions (Channel: type sms, initiated_by customer, "
        "properties.media_channel_sid CH...; Routing.properties: workspace_sid, workflow_sid, "
        "task_channel_unique_name, attributes.{target})",
        # https://www.twilio.com/docs/flex/developer/conversations/best-practices
        close="Flex POST /v1/Interactions/KD.../Channels/UO... (Status closed): Twilio does not "
        "support cancelling or deleting an Interaction's task with the TaskRouter API",
        agent=(
            "none: Flex adds the agent when she accepts (the Interactions API)",
            "none: Flex wraps the interaction up and closes it (the Interactions API)",
            "none: Flex removes the agent on completion (the Interactions API)",
        ),
        plugin="the same names and export (init does not change)",
        handler="creates tasks through the Interactions API with routing.properties "
        "workspace_sid, workflow_sid, task_channel_unique_name and attributes.{target}, and "
        "leaves adding and removing the agent to Flex",
        back="creates TaskRouter tasks again (not Interactions) and adds and removes the agent "
        "itself",
    ),
    TASKROUTER: Variant(
        task_creation=TASKROUTER,
        letter="b",
        name="your own messaging orchestration",
        summary="the handler keeps creating the TaskRouter tasks (attributes conversationSid "
        "and the target attribute, for the contact_uri Workflow) and adds and removes the agent "
        "itself, never through Send to Flex or the Interactions API; the plugin replaces "
        "AcceptTask, WrapupTask and CompleteTask for the managed channels' tasks, Flex doing "
        "only what flexorch:flexActions lists",
        flex_actions=True,
        task="unchanged, the attributes referencing the conversation: conversationSid (for "
        "channelSid), {target}",
        close="unchanged",
        agent=(
            "Conversations POST /v1/Services/IS.../Conversations/CH.../Participants (Identity: "
            "the agent, on accept)",
            "Conversations POST /v1/Services/IS.../Conversations/CH... (State closed, on wrap-up)",
            "Conversations DELETE /v1/Services/IS.../Conversations/CH.../Participants/MB... "
            "(the agent, on completion)",
        ),
        plugin="the same names and export (init does not change); for the managed channels' "
        "tasks they replace AcceptTask, WrapupTask and CompleteTask, so Flex never calls the "
        "Interactions API for them and does only what flexorch:flexActions lists",
        handler="keeps creating the tasks through the TaskRouter API with attributes.{target}, "
        "referencing the conversation as conversationSid (not channelSid), never through Send "
        "to Flex or the Interactions API; its Programmable Chat calls become Conversations "
        "calls (its handler list): the agent becomes a participant on accept, the conversation is "
        "closed and she is removed after",
        back="makes its Programmable Chat calls again (its TaskRouter task creation stays as "
        "it is)",
    ),
}


def flow(value: Any) -> str:
    """A config value as YAML's flow style writes it: `[a, b]`, `{accepted: [], ...}`."""
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return str(value)


def flex_actions_of(config: StackConfig) -> dict[str, list[str]]:
    """`flexorch:orchestration` carried onto `flexorch:flexActions`, stage by stage."""
    return {
        stage: [FLEX_ACTION_OF[event] for event in getattr(config.orchestration, stage)]
        for stage in STAGES
    }


def config_change(config: StackConfig, variant: Variant) -> ConfigChange:
    """The keys to set and drop for `config`'s stack to run on Conversations on that path."""
    chat = config.chat_service
    moving = not for_stack(config).on_conversations
    switching = moving or config.task_creation != variant.task_creation
    changes: dict[str, Any] = {}
    if moving:
        changes["flexorch:platform"] = CONVERSATIONS
    if switching:
        changes["flexorch:taskCreation"] = variant.task_creation
    if moving:
        wanted = (conversations_twin(event) for event in chat.webhook_filters)
        changes["flexorch:chatService.webhookFilters"] = list(dict.fromkeys(e for e in wanted if e))
    remove = []
    if "retry_count" in chat.model_fields_set:
        remove.append("flexorch:chatService.retryCount")
    if "orchestration" in config.model_fields_set:  # refused on both paths, even empty
        remove.append("flexorch:orchestration")
    if variant.flex_actions and switching:
        changes["flexorch:flexActions"] = flex_actions_of(config)
    elif not variant.flex_actions and "flex_actions" in config.model_fields_set:
        remove.append("flexorch:flexActions")
    return ConfigChange(changes, tuple(remove))


# What a 1.x custom handler calls (Twilio's Flex UI 1.x "build your own messaging orchestration":
# its own chat channel per customer, a TaskRouter task carrying the agent's contact_uri, the agent
# added and removed by the handler when orchestration leaves it out), and the Conversations call
# each becomes. On Conversations the number's Address Configuration (autoCreation, type webhook)
# creates the conversation with the customer as its SMS participant, and Conversations sends
# what an agent writes to her (https://www.twilio.com/docs/conversations/inbound-autocreation).
INBOUND = HandlerCall(
    "gets the SMS on the number's SmsUrl (From, To, Body)",
    "gets onMessageAdded from the number's Address Configuration (ConversationSid, Author, Body)",
)
CHANNEL = HandlerCall(
    "Chat POST /v2/Services/IS.../Channels and .../Channels/CH.../Members (the customer's "
    "channel, the customer in it)",
    "none: the Address Configuration creates the conversation with the customer as its SMS "
    "participant",
)
MESSAGE = HandlerCall(
    "Chat POST /v2/Services/IS.../Channels/CH.../Messages (the customer's SMS into the channel)",
    "none: the customer's SMS is the conversation's message already",
)
RELAY = HandlerCall(
    "API POST /2010-04-01/Accounts/AC.../Messages.json (the agent's reply, on onMessageSent)",
    "none: Conversations sends the agent's messages to the customer's SMS participant",
)
TASK = "TaskRouter POST /v1/Workspaces/WS.../Tasks (attributes channelSid, {target})"
CLOSE = "TaskRouter POST /v1/Workspaces/WS.../Tasks/WT... (cancel or complete the task)"
# The Chat calls the handler makes around the agent, each with the orchestration event that
# would make Flex do it instead (Flex UI 1.x).
AGENT = (
    (
        "AddToChatChannel",
        "Chat POST /v2/Services/IS.../Channels/CH.../Members (the agent, on accept)",
    ),
    (
        "DeactivateChatChannel",
        "Chat POST /v2/Services/IS.../Channels/CH... (attributes status INACTIVE, on wrap-up)",
    ),
    (
        "LeaveChatChannel",
        "Chat DELETE /v2/Services/IS.../Channels/CH.../Members/MB... (the agent, on completion)",
    ),
)


def _where(stages: Mapping[str, Sequence[str]], event: str, key: str) -> str:
    """`orchestration.accepted: AddToChatChannel` for each stage that lists `event`."""
    return ", ".join(f"{key}.{stage}: {event}" for stage in STAGES if event in stages[stage])


def handler_calls(config: StackConfig, variant: Variant) -> tuple[HandlerCall, ...]:
    """What the 1.x handler calls, and what each call becomes on that path."""
    target = config.workflow.target_attribute
    orchestration = {stage: getattr(config.orchestration, stage) for stage in STAGES}
    flex_actions = flex_actions_of(config) if variant.flex_actions else {s: [] for s in STAGES}
    agent = []
    for (event, now), then in zip(AGENT, variant.agent, strict=True):
        flex_did = _where(orchestration, event, "orchestration")
        flex_does = _where(flex_actions, FLEX_ACTION_OF[event], "flexActions")
        agent.append(
            HandlerCall(
                f"none: Flex does it ({flex_did})" if flex_did else now,
                f"none: Flex does it ({flex_does})" if flex_does else then,
            )
        )
    task = HandlerCall(TASK.format(target=target), variant.task.format(target=target))
    return (INBOUND, CHANNEL, MESSAGE, RELAY, task, *agent, HandlerCall(CLOSE, variant.close))


def _step(text: str) -> str:
    return " ".join(text.split())


def _numbered(steps: Sequence[str]) -> tuple[str, ...]:
    return tuple(f"{i}. {_step(text)}" for i, text in enumerate(steps, start=1))


def migration_path(
    config: StackConfig, task_creation: str, report: Report, target: str, pulumi_stack: str
) -> MigrationPath:
    """One path for `config`'s stack: `target` names it for flexorch, `pulumi_stack` for pulumi."""
    variant = VARIANTS[task_creation]
    change = config_change(config, variant)
    return MigrationPath(
        variant=variant,
        handler=handler_calls(config, variant),
        config=change,
        plan=_plan(config, variant, change, target, pulumi_stack, report),
        rollback=_rollback(variant, change, target, pulumi_stack),
    )


def _plan(
    config: StackConfig,
    variant: Variant,
    change: ConfigChange,
    target: str,
    pulumi_stack: str,
    report: Report,
) -> tuple[str, ...]:
    """The move, in order, with this stack's names (`target` for flexorch, `pulumi_stack`)."""
    up = f"pulumi up {pulumi_stack}".strip()
    numbers = ", ".join(config.numbers) or "no numbers"
    found = {c.id: c for c in report.checks}
    in_flight = found["in-flight"].evidence
    handler = variant.handler.format(target=config.workflow.target_attribute)
    return _numbered(
        [
            f"Drain: wait until the {in_flight.get('active_channels', 0)} active chat "
            f"channel(s) and {in_flight.get('open_sessions', 0)} open Proxy session(s) of "
            "these numbers are closed (the in-flight check passes), at a quiet hour: what "
            "starts on Programmable Chat before the cut-over has to end there."
            if found["in-flight"].status != "pass"
            else "Drain: nothing is in flight now; still pick a quiet hour: what starts on "
            "Programmable Chat before the cut-over has to end there.",
            "Flex UI: the account is on 2.x already."
            if found["flex-ui"].status == "pass"
            else "Flex UI: upgrade the account to Flex UI 2.x (Console: Flex > Admin > "
            "Versioning).",
            f"Config: in the stack file set {'; '.join(change.lines()) or 'flexorch:platform'}; "
            f"`flexorch validate {target}` shows what each key maps to.",
            f"Plugin: `flexorch render {target} --out src/` writes the Flex UI 2.x files under "
            f"{variant.plugin}; build, deploy and release the plugin.",
            "Handler: it now gets each number's messages as Conversations onMessageAdded "
            "webhooks (from its Address Configuration) and the service's events, and "
            f"{handler}; deploy it before the cut-over, taking both the SmsUrl and the "
            "Conversations payloads (both arrive around the cut-over, and again on a rollback).",
            f"Cut-over: `{up}`. For each number ({numbers}) its Address Configuration is "
            "created (or adopted) first, then its SmsUrl emptied: two consecutive requests, so "
            "for the one between them a message may reach the handler twice, never zero "
            "times. The chat service's Chat v2 webhooks are given back, then its Conversations "
            f"webhooks set; Flex Flows stay guarded (flexFlows: {config.flex_flows}).",
            f"Check: `flexorch doctor {target}`, then `flexorch doctor {target} --from <a test "
            "customer>` after texting a managed number.",
        ]
    )


def _rollback(
    variant: Variant, change: ConfigChange, target: str, pulumi_stack: str
) -> tuple[str, ...]:
    """Back to Programmable Chat: the mirror of the cut-over."""
    up = f"pulumi up {pulumi_stack}".strip()
    added = [key for key in change.set if key in ("flexorch:taskCreation", "flexorch:flexActions")]
    also = f"; remove {' and '.join(added)}" if added else ""
    return _numbered(
        [
            "Config: set flexorch:platform back to programmable-chat with the Chat "
            f"webhookFilters (and retryCount, orchestration) the stack had{also}.",
            f"`{up}`: each number's SmsUrl points at the handler again first, then its Address "
            "Configuration is deleted (or put back as it was when adopted); the Conversations "
            "webhooks are given back, then the Chat v2 webhooks set.",
            f"Handler: it {variant.back}.",
            f"Plugin: `flexorch render {target} --out src/` writes the 1.x files again; deploy "
            "and release them (with Flex UI 1.x if the account went back).",
            "Mind: Twilio ended Programmable Chat for Flex on 2026-06-01, and the way back sets "
            "the Chat v2 webhooks again: try it on a dev stack first. A cut-over that failed "
            "half-way gave back what it took (the address of a number whose SmsUrl could not "
            "be emptied), so a rollback starts from what the state records.",
        ]
    )
