"""The Pulumi component a user declares: typed args or a `flexorch:`-shaped mapping, validated once.

Any string in the args may be a `pulumi.Input` (e.g. the URL of a handler deployed in the same
program). Values that decide which resources exist (numbers, task channel names, whether a
fallback queue is set) must be plain: they name resources. Only what reads an Output waits for
it (plain SIDs stay known at preview); Outputs are validated when they resolve, with the same
lines as `flexorch validate`, each prefixed with the component (`CustomMessaging "east": `).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

import pulumi

from flexorch.config import NAMESPACE, Queue, StackConfig, key_path, parse_config, too_deep
from flexorch.deployed import CONFIG_OUTPUT
from flexorch.errors import FlexorchError
from flexorch.loading import engine_config, plain_text_token
from flexorch.resources.account import Provider
from flexorch.resources.chat_webhooks import ChatServiceSnapshot, ChatServiceWebhooks
from flexorch.resources.conversation_timers import ConversationTimers, ConversationTimersSnapshot
from flexorch.resources.event_callback import EventCallbackSnapshot, WorkspaceEventCallback
from flexorch.resources.flex_flow_guard import FlexFlowGuard, FlexFlowSnapshot
from flexorch.resources.phone_number import PhoneNumberRoute, PhoneNumbersSnapshot
from flexorch.resources.platform import Platform
from flexorch.resources.platforms import platform
from flexorch.resources.queue import TaskQueue, TaskQueueSnapshot
from flexorch.resources.resource import PACKAGE, served_by
from flexorch.resources.task_channel import TaskChannel, TaskChannelSnapshot
from flexorch.resources.workflow import Workflow, WorkflowSnapshot
from flexorch.resources.workspace import Workspace
from flexorch.routing import workflow_configuration

T = TypeVar("T")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


class _Args:
    """Typed args render to the camelCase mapping of the `flexorch:` namespace, Nones left out."""

    def to_mapping(self) -> dict[str, Any]:
        """This value as it would be written under `flexorch:` in a stack file."""
        out: dict[str, Any] = {}
        for arg in fields(self):  # type: ignore[arg-type]
            value = getattr(self, arg.name)
            if value is not None:
                out[_camel(arg.name)] = _plain(value)
        return out


def _plain(value: Any) -> Any:
    if isinstance(value, _Args):
        return value.to_mapping()
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class HandlerArgs(_Args):
    """The custom message handler (`flexorch:handler`)."""

    url: pulumi.Input[str]
    sms_url: pulumi.Input[str] | None = None
    chat_url: pulumi.Input[str] | None = None
    method: pulumi.Input[str] | None = None


@dataclass(frozen=True)
class SidOrNameArgs(_Args):
    """An object adopted by SID or by friendly name (workspace, queues)."""

    sid: pulumi.Input[str] | None = None
    friendly_name: pulumi.Input[str] | None = None


@dataclass(frozen=True)
class EventCallbackArgs(_Args):
    """The workspace's event callback (`flexorch:workspace.eventCallback`)."""

    url: pulumi.Input[str]
    events: Sequence[str] | None = None


@dataclass(frozen=True)
class WorkspaceArgs(SidOrNameArgs):
    """The Flex workspace, adopted by SID or friendly name (`flexorch:workspace`)."""

    event_callback: EventCallbackArgs | Mapping[str, Any] | None = None


@dataclass(frozen=True)
class WorkflowArgs(_Args):
    """The contact_uri Workflow (`flexorch:workflow`)."""

    friendly_name: pulumi.Input[str] | None = None
    target_attribute: str | None = None
    queue: SidOrNameArgs | Mapping[str, Any] | None = None
    reservation_timeout: int | None = None
    fallback_queue: SidOrNameArgs | Mapping[str, Any] | None = None
    sid: pulumi.Input[str] | None = None
    adopt: bool | None = None
    known_agent: str | None = None


@dataclass(frozen=True)
class TaskChannelArgs(_Args):
    """One custom chat TaskChannel (`flexorch:taskChannels[]`)."""

    unique_name: str
    friendly_name: pulumi.Input[str] | None = None
    flex_name: str | None = None
    channel_type: str | None = None
    sid: str | None = None
    adopt: bool | None = None


@dataclass(frozen=True)
class ChatServiceArgs(_Args):
    """The Flex chat service whose webhooks point at the handler (`flexorch:chatService`)."""

    sid: pulumi.Input[str]
    webhook_filters: Sequence[str] | None = None
    retry_count: int | None = None


@dataclass(frozen=True)
class AutoAcceptArgs(_Args):
    """Which task attribute makes the plugin accept a reservation (`flexorch:autoAccept`)."""

    attribute: str | None = None


@dataclass(frozen=True)
class OrchestrationArgs(_Args):
    """What Flex still does for managed-channel tasks (`flexorch:orchestration`)."""

    accepted: Sequence[str] | None = None
    wrapup: Sequence[str] | None = None
    completed: Sequence[str] | None = None


@dataclass(frozen=True)
class FlexActionsArgs(_Args):
    """What Flex still does for managed-channel tasks on path (b) (`flexorch:flexActions`)."""

    accepted: Sequence[str] | None = None
    wrapup: Sequence[str] | None = None
    completed: Sequence[str] | None = None


@dataclass(frozen=True)
class ConversationTimersArgs(_Args):
    """`conversationTimers`: the account's default Conversations timers (ISO 8601 durations)."""

    inactive: str | None = None
    closed: str | None = None


@dataclass(frozen=True)
class CustomMessagingArgs(_Args):
    """The inputs of `CustomMessaging`: the `flexorch:` namespace in snake_case."""

    handler: HandlerArgs | Mapping[str, Any]
    workspace: WorkspaceArgs | SidOrNameArgs | Mapping[str, Any]
    chat_service: ChatServiceArgs | Mapping[str, Any]
    platform: str | None = None
    workflow: WorkflowArgs | Mapping[str, Any] | None = None
    task_channels: Sequence[TaskChannelArgs | Mapping[str, Any]] | None = None
    numbers: Sequence[str] | None = None
    flex_flows: str | None = None
    messaging_services: str | None = None
    twiml_apps: str | None = None
    task_channel_limit: int | None = None
    conversation_timers: ConversationTimersArgs | Mapping[str, Any] | None = None
    task_creation: str | None = None
    flex_actions: FlexActionsArgs | Mapping[str, Any] | None = None
    auto_accept: AutoAcceptArgs | Mapping[str, Any] | None = None
    orchestration: OrchestrationArgs | Mapping[str, Any] | None = None


# A placeholder stands in for an Output while the plain values are validated; each is valid where
# it stands, so only the plain values can fail then. Keyed by the last key of the path.
_SID_PREFIXES: dict[tuple[str | int, ...], str] = {
    ("workspace",): "WS",
    ("chatService",): "IS",
    ("workflow",): "WW",
    ("workflow", "queue"): "WQ",
    ("workflow", "fallbackQueue"): "WQ",
}
_PLACEHOLDERS: dict[str, Callable[[tuple[str | int, ...], int], str | None]] = {
    "url": lambda _, n: f"https://flexorch-output-{n}.invalid/",
    "smsUrl": lambda _, n: f"https://flexorch-output-{n}.invalid/",
    "chatUrl": lambda _, n: f"https://flexorch-output-{n}.invalid/",
    "method": lambda _, n: "GET" if n else "POST",
    "friendlyName": lambda _, n: f"output {n}",
    "sid": lambda path, n: (
        prefix + format(n, "032x") if (prefix := _SID_PREFIXES.get(path[:-1])) else None
    ),
}


def _placeholder(path: tuple[str | int, ...], n: int = 0) -> str | None:
    """A valid stand-in for the Output at `path`, None where none may be; each `n` differs."""
    make = _PLACEHOLDERS.get(str(path[-1]) if path else "")
    return make(path, n) if make is not None else None


def _find_outputs(value: Any, path: tuple[str | int, ...], found: list[Any]) -> Any:
    """`value` with each Output or awaitable leaf replaced by a placeholder; leaves in `found`."""
    if isinstance(value, Mapping):
        return {k: _find_outputs(v, (*path, str(k)), found) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_find_outputs(v, (*path, i), found) for i, v in enumerate(value)]
    if isinstance(value, pulumi.Output) or hasattr(value, "__await__"):
        placeholder = _placeholder(path)
        if placeholder is None:
            raise FlexorchError(
                f"{NAMESPACE}:{key_path(path)}: must be a plain value, not a "
                "pulumi.Output; it decides which resources exist (only URLs, methods, SIDs and "
                "friendly names may be Outputs)"
            )
        found.append((path, value))
        return placeholder
    return value


def _replace(value: Any, path: tuple[str | int, ...], values: Mapping[Any, Any]) -> Any:
    if path in values:
        return values[path]
    if isinstance(value, Mapping):
        return {k: _replace(v, (*path, str(k)), values) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_replace(v, (*path, i), values) for i, v in enumerate(value)]
    return value


def _as_mapping(args: CustomMessagingArgs | Mapping[str, Any] | StackConfig) -> dict[str, Any]:
    if isinstance(args, StackConfig):
        return args.model_dump(by_alias=True, exclude_none=True, mode="json")
    if isinstance(args, CustomMessagingArgs):
        return args.to_mapping()
    if isinstance(args, Mapping):
        return {str(k).removeprefix(f"{NAMESPACE}:"): _plain(v) for k, v in args.items()}
    raise FlexorchError(
        f"{NAMESPACE}: CustomMessaging args must be a CustomMessagingArgs or a mapping shaped "
        f"like the flexorch: namespace, not {type(args).__name__}"
    )


def stack_config() -> StackConfig:
    """The validated `flexorch:` config of the stack the engine runs (inside a program only).

    The rules `flexorch validate` applies to the stack file, secrets and the token included;
    every problem ends the run as one RunError, which Pulumi prints as is (no traceback).
    """
    from pulumi.runtime.config import get_config_env, get_config_secret_keys_env

    try:
        return engine_config(get_config_env(), get_config_secret_keys_env())
    except FlexorchError as error:
        raise _run_error(error) from None


def _refuse_plain_text_token() -> None:
    """`twilio:authToken` set without --secret in the engine's config: refused, as validate does."""
    from pulumi.runtime.config import get_config_env, get_config_secret_keys_env

    token = plain_text_token(get_config_env(), get_config_secret_keys_env())
    if token:
        raise pulumi.RunError(token)


def _validated(raw: Mapping[str, Any], component: str = "") -> StackConfig:
    """`parse_config` whose problems end the run as a RunError, which Pulumi prints as is."""
    try:
        return parse_config(raw)
    except FlexorchError as error:
        raise _run_error(error, component) from None


def _run_error(error: FlexorchError, component: str = "") -> pulumi.RunError:
    """The problem lines, each naming the component they come from (a program may have several).

    `CustomMessaging "east": flexorch:numbers[0]: ...`: after the prefix (the `Kind "name": `
    form the providers' errors use) comes the line `flexorch validate` prints.
    """
    prefix = f'CustomMessaging "{component}": ' if component else ""
    return pulumi.RunError("\n".join(prefix + line for line in error.problems))


class _Values:
    """The config's values for the children: plain where no Output feeds them, else Outputs.

    The config is validated with every Output replaced by a placeholder, so problems of plain
    values fail at once. A value read from it stays plain when a second config, whose
    placeholders all differ from the first's, gives the same value (it reads no Output);
    otherwise it is read from the config validated again once every Output resolved. So at a
    preview where an Output is unknown only what reads it is unknown: plain SIDs and names stay
    known and nothing planned is a replacement that `up` will not make.
    """

    def __init__(self, raw: Any, component: str) -> None:
        deep = too_deep(raw)
        if deep:
            raise _run_error(FlexorchError(deep), component)
        try:
            leaves: list[tuple[tuple[str | int, ...], Any]] = []
            plain = _find_outputs(_as_mapping(raw), (), leaves)
        except FlexorchError as error:
            raise _run_error(error, component) from None
        self.config = _validated(plain, component)
        self._probe: StackConfig | None = self.config
        self._resolved: pulumi.Output[StackConfig] | None = None
        if not leaves:
            return
        paths = [path for path, _ in leaves]
        others = {path: _placeholder(path, n) for n, path in enumerate(paths, start=1)}
        try:
            self._probe = parse_config(_replace(plain, (), others))
        except FlexorchError:  # never expected: then every value waits for the Outputs
            self._probe = None
        self._resolved = pulumi.Output.all(*[value for _, value in leaves]).apply(
            lambda values: _validated(
                _replace(plain, (), dict(zip(paths, values, strict=True))), component
            )
        )

    def pick(self, read: Callable[[StackConfig], T]) -> pulumi.Input[T]:
        """`read(config)`: plain when it reads no Output, else an Output of the resolved config."""
        value = read(self.config)
        if self._resolved is None or (self._probe is not None and read(self._probe) == value):
            return value
        return self._resolved.apply(read)

    def valid(self) -> pulumi.Input[bool]:
        """True once every Output resolved and the whole config validated (at once if none)."""
        return True if self._resolved is None else self._resolved.apply(lambda _: True)

    def checked(self) -> list[pulumi.Input[pulumi.Resource]]:
        """`depends_on` entries that hold a writer back until `valid` (none without Outputs)."""
        if self._resolved is None:
            return []
        nothing: pulumi.Output[Any] = self._resolved.apply(lambda _: None)
        return [nothing]


class CustomMessaging(pulumi.ComponentResource):
    """Everything one Flex account needs for custom messaging orchestration.

    Children are named `<name>-<what>`, so two components in one program never collide, and
    `opts` reaches every child. Reads come first: every adopted object is looked up and its
    settings recorded by a read-only snapshot. The Flex Flow guard depends on all of them and
    every other resource that changes Twilio depends on the guard, so a bad reference, or
    `flexFlows: fail` with a conflict, fails before anything in Twilio changes.
    """

    workflow_sid: pulumi.Output[str]
    workspace_sid: pulumi.Output[str]
    task_channel_sids: pulumi.Output[dict[str, str]]
    numbers: pulumi.Output[list[str]]

    def __init__(
        self,
        resource_name: str,
        args: CustomMessagingArgs | Mapping[str, Any] | StackConfig,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Validate `args` (every problem, one line each) and declare the children.

        The children are the real provider's resources (`flexorch:index:*`, served by
        `pulumi-resource-flexorch`) on the `flexorch.Provider` in `opts`, else on one for the
        stack's account (`Provider.from_stack_config`).
        """
        _refuse_plain_text_token()
        super().__init__("flexorch:index:CustomMessaging", resource_name, None, opts)
        self._opts = opts or pulumi.ResourceOptions()
        values = _Values(args, resource_name)
        self.config = values.config
        """The validated config (Output values replaced by placeholders until they resolve)."""
        with served_by(self._account(resource_name)):
            self._declare(resource_name, values)

    def _account(self, name: str) -> pulumi.ProviderResource:
        """The flexorch provider given in `opts`, else one for the stack's account."""
        given = self._opts.provider
        if given is not None and given.package == PACKAGE:
            return given
        providers = self._opts.providers
        listed = providers.values() if isinstance(providers, Mapping) else providers or []
        for provider in listed:
            if provider.package == PACKAGE:
                return provider
        return Provider.from_stack_config(f"{name}-provider", pulumi.ResourceOptions(parent=self))

    def _child(
        self,
        name: str,
        old_name: str | None = None,
        depends_on: Sequence[pulumi.Input[pulumi.Resource]] = (),
    ) -> pulumi.ResourceOptions:
        """Options for a child: parent, the caller's opts, and the name the 0.1 program used."""
        # flexorch 0.1's program named its one component "flexorch" and its children without a
        # prefix; that alias lets such a stack upgrade with no replacement.
        upgraded = old_name is not None and self._name == "flexorch"
        aliases = [pulumi.Alias(name=old_name)] if upgraded else []
        # protect and aliases pass from parent to child by themselves; these do not.
        given: Any = self._opts.depends_on
        inherited: list[Any] = [given] if isinstance(given, pulumi.Resource) else list(given or [])
        return pulumi.ResourceOptions(
            parent=self,
            depends_on=[*inherited, *depends_on],
            aliases=aliases,
            retain_on_delete=self._opts.retain_on_delete,
            custom_timeouts=self._opts.custom_timeouts,
        )

    def _declare(self, name: str, values: _Values) -> None:
        """Reads first, then the guard after all of them, then every writer after the guard."""
        on = platform(values.config.platform)
        reads = _Reads(self, name, values, on)
        guard = self._guard(name, values, reads)
        writes = _Writes(self, name, values, on, reads, guard)
        # Every child, so callers (and tests) can wait for the whole graph to be registered.
        self.children: list[pulumi.Resource] = [*reads.all, guard, *writes.all]
        self.workspace_sid = reads.workspace.sid
        self.workflow_sid = writes.workflow.sid
        self.task_channel_sids = pulumi.Output.all(
            **{unique: channel.sid for unique, channel in writes.channels.items()}
        )
        self.numbers = pulumi.Output.all(*[route.phone_number for route in writes.routes])
        self.register_outputs(
            {
                "workspaceSid": self.workspace_sid,
                "workflowSid": self.workflow_sid,
                "taskChannelSids": self.task_channel_sids,
                "numbers": self.numbers,
                # The validated config, shaped like the `flexorch:` namespace (it holds no
                # secret): `flexorch doctor|migrate|render --stack` read it back from state for
                # a program that declares its components in code.
                CONFIG_OUTPUT: values.pick(
                    lambda c: c.model_dump(mode="json", by_alias=True, exclude_none=True)
                ),
            }
        )

    def _guard(self, name: str, values: _Values, reads: _Reads) -> FlexFlowGuard:
        """The Flex Flow guard: after every read, before every writer."""
        config = values.config
        return FlexFlowGuard(
            f"{name}-flex-flow-guard",
            numbers=list(config.numbers),
            mode=config.flex_flows,
            snapshot=reads.flows.recorded(),
            chat_service_sid=reads.channels_of,
            takers={
                "messaging_services": config.messaging_services,
                "twiml_apps": config.twiml_apps,
            },
            task_channels=[c.unique_name for c in config.task_channels],
            channel_limit=config.task_channel_limit,
            workspace_lookup=reads.workspace_lookup,
            # With Output values, the guard (and so every writer after it) is registered only
            # once they resolve and validate, so a bad one changes nothing in Twilio; its check
            # still sees the plain numbers and mode at preview.
            config_valid=values.valid(),
            opts=self._child(f"{name}-flex-flow-guard", "flex-flow-guard", reads.all),
        )


class _Reads:
    """The reads: every adopted object looked up and its settings recorded, before any write.

    Registered in this order (the workspace, the queues, the chat service, the numbers, the
    flows, the Workflow and the task channels adopted, the workspace's event callback); `all` is
    what the guard waits for.
    """

    def __init__(self, owner: CustomMessaging, name: str, values: _Values, on: Platform) -> None:
        self._owner, self._name, self._values = owner, name, values
        config = values.config
        pick = self._pick = _picker(values)
        self.workspace = Workspace(
            f"{name}-workspace",
            sid=pick(lambda c: c.workspace.sid),
            friendly_name=pick(lambda c: c.workspace.friendly_name),
            opts=owner._child(f"{name}-workspace", "workspace"),
        )
        self.workspace_lookup: Any = pick(
            lambda c: {"sid": c.workspace.sid, "friendly_name": c.workspace.friendly_name}
        )
        self._queue_snapshots: list[TaskQueueSnapshot] = []
        self.queue, self.fallback = self._queues()
        self.chat_url: Any = pick(lambda c: c.handler.effective_chat_url)
        self.chat = ChatServiceSnapshot(
            f"{name}-chat-service",
            service_sid=pick(lambda c: c.chat_service.sid),
            handler_url=self.chat_url,
            platform=config.platform,
            opts=owner._child(f"{name}-chat-service"),
        )
        self.sms_url: Any = pick(lambda c: c.handler.effective_sms_url)
        self.numbers = PhoneNumbersSnapshot(
            f"{name}-phone-numbers",
            numbers=list(config.numbers),
            handler_url=self.sms_url,
            addresses=on.addresses,
            opts=owner._child(f"{name}-phone-numbers"),
        )
        # Where the guard also covers webhooks Flex left on the numbers' chat channels.
        self.channels_of: Any = (
            pick(lambda c: c.chat_service.sid) if on.scans_chat_channels else None
        )
        self.flows = FlexFlowSnapshot(
            f"{name}-flex-flows",
            numbers=list(config.numbers),
            chat_service_sid=self.channels_of,
            opts=owner._child(f"{name}-flex-flows"),
        )
        self.workflow = self._workflow()
        self.channels = self._task_channels()
        self.event_callback = self._event_callback()
        timers = config.conversation_timers
        self.timers = (
            ConversationTimersSnapshot(
                f"{name}-conversation-timers-before",
                timers=[k for k, v in timers.model_dump().items() if v],
                opts=owner._child(f"{name}-conversation-timers-before"),
            )
            if timers
            else None
        )
        queues = (
            [self.queue] if self.fallback in (None, self.queue) else [self.queue, self.fallback]
        )
        self.all: list[pulumi.Resource] = [
            self.workspace, *self._queue_snapshots, *queues, self.chat, self.numbers, self.flows,
            *([self.workflow] if self.workflow else []), *self.channels.values(),
            *([self.timers] if self.timers else []),
            *([self.event_callback] if self.event_callback else []),
        ]  # fmt: skip

    def _event_callback(self) -> EventCallbackSnapshot | None:
        """The snapshot of the workspace's event callback, if the stack sets one."""
        if self._values.config.workspace.event_callback is None:
            return None
        name = self._name
        return EventCallbackSnapshot(
            f"{name}-event-callback-before",
            workspace_sid=self.workspace.sid,
            workspace_lookup=self.workspace_lookup,
            url=self._pick(lambda c: _must(c.workspace.event_callback).url),
            opts=self._owner._child(f"{name}-event-callback-before"),
        )

    def _queue(
        self, suffix: str, read: Callable[[StackConfig], Queue | None], key: str
    ) -> TaskQueue:
        """A queue adopted or created, after its snapshot.

        It may create the queue, and no guard stands before it: it waits for the config to
        validate instead.
        """
        name, owner, pick = self._name, self._owner, self._pick
        sid = pick(lambda c: _must(read(c)).sid)
        friendly_name = pick(lambda c: _must(read(c)).friendly_name)
        snapshot = TaskQueueSnapshot(
            f"{name}-{suffix}-before",
            workspace_sid=self.workspace.sid,
            workspace_lookup=self.workspace_lookup,
            sid=sid,
            friendly_name=friendly_name,
            config_key=key,
            opts=owner._child(f"{name}-{suffix}-before"),
        )
        self._queue_snapshots.append(snapshot)
        return TaskQueue(
            f"{name}-{suffix}",
            workspace_sid=self.workspace.sid,
            sid=sid,
            friendly_name=friendly_name,
            config_key=key,
            adopted=snapshot.recorded(),
            opts=owner._child(f"{name}-{suffix}", suffix, self._values.checked()),
        )

    def _queues(self) -> tuple[TaskQueue, TaskQueue | None]:
        """The Workflow's queue and its fallback queue (the same one, or None)."""
        main = self._queue("queue", lambda c: c.workflow.queue, "workflow.queue")
        if self._values.config.workflow.fallback_queue is None:
            return main, None
        # One queue only when they are equal whatever their Outputs resolve to.
        if self._pick(lambda c: c.workflow.fallback_queue == c.workflow.queue) is True:
            return main, main
        fallback = self._queue(
            "fallback-queue", lambda c: c.workflow.fallback_queue, "workflow.fallbackQueue"
        )
        return main, fallback

    def _workflow(self) -> WorkflowSnapshot | None:
        """The snapshot of the Workflow the config adopts (`sid` / `adopt`), if it does."""
        name, pick, wf = self._name, self._pick, self._values.config.workflow
        if not (wf.sid or wf.adopt):
            return None
        return WorkflowSnapshot(
            f"{name}-workflow-before",
            workspace_sid=self.workspace.sid,
            workspace_lookup=self.workspace_lookup,
            adopt_sid=pick(lambda c: c.workflow.sid),
            adopt_by_name=wf.adopt,
            friendly_name=pick(lambda c: c.workflow.friendly_name),
            opts=self._owner._child(f"{name}-workflow-before"),
        )

    def _task_channels(self) -> dict[str, TaskChannelSnapshot]:
        """The snapshots of the task channels the config adopts, by unique name."""
        name = self._name
        return {
            channel.unique_name: TaskChannelSnapshot(
                f"{name}-channel-{channel.unique_name}-before",
                workspace_sid=self.workspace.sid,
                workspace_lookup=self.workspace_lookup,
                unique_name=channel.unique_name,
                adopt_sid=channel.sid,
                adopt_by_name=channel.adopt,
                opts=self._owner._child(f"{name}-channel-{channel.unique_name}-before"),
            )
            for channel in self._values.config.task_channels
            if channel.sid or channel.adopt
        }


class _Writes:
    """The writers, each after the guard.

    Registered in this order: task channels, the Workflow, the chat service's webhooks, the
    conversation timers, the workspace's event callback and each number's route.
    """

    def __init__(
        self,
        owner: CustomMessaging,
        name: str,
        values: _Values,
        on: Platform,
        reads: _Reads,
        guard: FlexFlowGuard,
    ) -> None:
        self._owner, self._name, self._values, self._reads = owner, name, values, reads
        self._pick = _picker(values)
        self._guard = [guard]
        self.channels = self._task_channels()
        self.workflow = self._workflow()
        self.chat = self._chat_webhooks()
        self.timers = self._conversation_timers()
        self.event_callback = self._event_callback()
        self.routes = self._routes(on)
        self.all: list[pulumi.Resource] = [
            *self.channels.values(), self.workflow, self.chat,
            *([self.timers] if self.timers else []),
            *([self.event_callback] if self.event_callback else []), *self.routes,
        ]  # fmt: skip

    def _opts(self, what: str) -> pulumi.ResourceOptions:
        return self._owner._child(f"{self._name}-{what}", what, self._guard)

    def _task_channels(self) -> dict[str, TaskChannel]:
        pick, channels = self._pick, {}
        workspace = self._values.config.workspace
        owners = _siblings().channels
        for index, channel in enumerate(self._values.config.task_channels):
            unique = channel.unique_name
            key = (workspace.sid or "", workspace.friendly_name or "", unique)
            owner = owners.setdefault(key, self._name)
            if owner != self._name:
                pulumi.log.warn(
                    f'CustomMessaging "{self._name}": TaskChannel {unique} is also component '
                    f'"{owner}"\'s in this workspace, and a unique name is one TaskChannel per '
                    "workspace: both hold the same one, and removing either deletes it; give one "
                    "of them another uniqueName"
                )
            snapshot = self._reads.channels.get(unique)
            channels[unique] = TaskChannel(
                f"{self._name}-channel-{unique}",
                workspace_sid=self._reads.workspace.sid,
                unique_name=unique,
                friendly_name=pick(
                    lambda c, i=index: c.task_channels[i].effective_friendly_name  # type: ignore[misc]
                ),
                adopt_sid=channel.sid,
                adopt_by_name=channel.adopt,
                adopted=snapshot.recorded() if snapshot else None,
                opts=self._opts(f"channel-{unique}"),
            )
        return channels

    def _workflow(self) -> Workflow:
        pick, wf, reads = self._pick, self._values.config.workflow, self._reads
        fallback = reads.fallback
        fallback_sid = fallback.sid if fallback else None
        # The document with slots for the queue SIDs, so it is an Output only if it reads one.
        routing = pick(
            lambda c: workflow_configuration(c, _QUEUE_SLOT, _FALLBACK_SLOT if fallback else None)
        )
        document = pulumi.Output.all(routing, reads.queue.sid, fallback_sid).apply(
            lambda v: json.dumps(_filled(v[0], {_QUEUE_SLOT: v[1], _FALLBACK_SLOT: v[2]}), indent=2)
        )
        earlier = _siblings().workflows
        workflow = Workflow(
            f"{self._name}-workflow",
            workspace_sid=reads.workspace.sid,
            friendly_name=pick(lambda c: c.workflow.friendly_name),
            configuration=document,
            task_reservation_timeout=wf.reservation_timeout,
            adopt_sid=pick(lambda c: c.workflow.sid),
            adopt_by_name=wf.adopt,
            adopted=reads.workflow.recorded() if reads.workflow else None,
            siblings=list(earlier),
            opts=self._opts("workflow"),
        )
        earlier.append(workflow.sid)
        return workflow

    def _conversation_timers(self) -> ConversationTimers | None:
        timers, before = self._values.config.conversation_timers, self._reads.timers
        if timers is None or before is None:
            return None
        return ConversationTimers(
            f"{self._name}-conversation-timers",
            inactive=timers.inactive,
            closed=timers.closed,
            snapshot=before.previous,
            opts=self._opts("conversation-timers"),
        )

    def _event_callback(self) -> WorkspaceEventCallback | None:
        callback, before = self._values.config.workspace.event_callback, self._reads.event_callback
        if callback is None or before is None:
            return None
        return WorkspaceEventCallback(
            f"{self._name}-event-callback",
            workspace_sid=self._reads.workspace.sid,
            url=self._pick(lambda c: _must(c.workspace.event_callback).url),
            events=list(callback.events),
            snapshot=before.previous,
            opts=self._opts("event-callback"),
        )

    def _chat_webhooks(self) -> ChatServiceWebhooks:
        pick, config = self._pick, self._values.config
        chat, chat_url = config.chat_service, self._reads.chat_url
        return ChatServiceWebhooks(
            f"{self._name}-chat-webhooks",
            service_sid=pick(lambda c: c.chat_service.sid),
            snapshot=self._reads.chat.recorded(),
            pre_webhook_url=chat_url if chat.pre_events else "",
            post_webhook_url=chat_url if chat.post_events else "",
            webhook_method=pick(lambda c: c.handler.method),
            webhook_filters=list(chat.webhook_filters),
            retry_count=chat.retry_count,
            platform=config.platform,
            opts=self._opts("chat-webhooks"),
        )

    def _routes(self, on: Platform) -> list[PhoneNumberRoute]:
        pick, config = self._pick, self._values.config
        # The number's Address Configuration, where its platform takes messages through one.
        address = pick(
            lambda c: on.route_address(
                c.handler.effective_sms_url, c.handler.method, c.chat_service.sid
            )
        )
        return [
            PhoneNumberRoute(
                f"{self._name}-number-{number}",
                number=number,
                snapshot=self._reads.numbers.recorded(number),
                sms_url=on.route_sms_url(self._reads.sms_url),
                sms_method=pick(lambda c: c.handler.method),
                platform=config.platform,
                address=address,
                opts=self._opts(f"number-{number}"),
            )
            for number in config.numbers
        ]


def _picker(values: _Values) -> Callable[[Callable[[StackConfig], Any]], Any]:
    """`values.pick`, typed loosely.

    Each resource names the plain types it stores; what `pick` gives may be an Output of them.
    """
    return values.pick


def _must(value: T | None) -> T:
    assert value is not None  # the plain config decided that this queue exists
    return value


@dataclass
class _Siblings:
    """What the components of one program run declared so far.

    `workflows`: their Workflows' SIDs, so a later component's create never takes one of them
    for its own (`Workflow`). `channels`: which component owns each task channel unique name
    per workspace, a unique name being one TaskChannel per workspace.
    """

    monitor: object
    workflows: list[pulumi.Output[str]] = field(default_factory=list)
    channels: dict[tuple[str, str, str], str] = field(default_factory=dict)


# By the run's resource monitor: each run, and each test under Pulumi's mocks, has its own.
_RUNS: dict[int, _Siblings] = {}


def _siblings() -> _Siblings:
    monitor = pulumi.runtime.settings.get_monitor()
    return _RUNS.setdefault(id(monitor), _Siblings(monitor))


# Where the queues' SIDs go in the Workflow document until the queues have them.
_QUEUE_SLOT = "flexorch-slot:queue"
_FALLBACK_SLOT = "flexorch-slot:fallback-queue"


def _filled(document: Any, sids: Mapping[str, Any]) -> Any:
    """`document` with each slot string replaced by its SID."""
    if isinstance(document, Mapping):
        return {k: _filled(v, sids) for k, v in document.items()}
    if isinstance(document, list):
        return [_filled(v, sids) for v in document]
    return sids.get(document, document) if isinstance(document, str) else document
