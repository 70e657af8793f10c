"""The stack configuration: one validated, frozen model of the `flexorch:` namespace.

`validate`, `render`, `doctor` and the Pulumi program all go through `parse_config`, so a
config that passes here is the config every part of flexorch sees. Problems are reported all
at once, each as `flexorch:<key path>: <what is wrong>; <how to fix it>`.
"""

from __future__ import annotations

import dataclasses
import difflib
import ipaddress
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Annotated, Any, Literal, get_args, get_origin
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    StrictBool,
    StrictInt,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic.alias_generators import to_camel, to_snake
from pydantic_core import PydanticCustomError

from flexorch.errors import FlexorchError
from flexorch.twilio_facts import (
    BUILTIN_TASK_CHANNELS,
    CHAT_POST_EVENTS,
    CHAT_PRE_EVENTS,
    CHAT_TO_CONVERSATIONS,
    CONVERSATION_TIMER_MINIMUMS,
    CONVERSATIONS,
    CONVERSATIONS_POST_EVENTS,
    CONVERSATIONS_PRE_EVENTS,
    DEFAULT_CALLBACK_EVENTS,
    DEFAULT_PLATFORM,
    PROGRAMMABLE_CHAT,
    TASK_CHANNEL_LIMIT,
    TASKROUTER_EVENTS,
    duration_seconds,
)

NAMESPACE = "flexorch"

# The members of Flex UI 1.x `ChatOrchestratorEvent` that a ChatOrchestrator callback may return.
ORCHESTRATION_EVENTS = ("AddToChatChannel", "DeactivateChatChannel", "LeaveChatChannel")

# Their Flex UI 2.x counterparts (`ChatOrchestratorEvent`, src/ChatOrchestrator.d.ts of
# @twilio/flex-ui 2.17.1): what Flex does on accept, wrap-up and complete for a chat task that
# no Interaction created (no flexInteractionChannelSid attribute), as on taskCreation: taskrouter.
# Flex's defaults there: accepted AddToConversation, wrapup DeactivateConversation, completed
# DeactivateConversation and LeaveConversation.
FLEX_ACTION_EVENTS = ("AddToConversation", "DeactivateConversation", "LeaveConversation")

# Who creates the tasks on Flex Conversations (flexorch:taskCreation): the handler through the
# Interactions API (webhook integration), or itself through the TaskRouter API (Twilio's "Can I
# build my own Messaging Orchestration?",
# https://www.twilio.com/docs/flex/developer/conversations/faq-and-troubleshooting).
INTERACTIONS = "interactions"
TASKROUTER = "taskrouter"

# --- what `flexorch:platform` decides: one row per platform ---------------------------------


@dataclasses.dataclass(frozen=True)
class TaskCreationRules:
    """What one `flexorch:taskCreation` value changes on a platform that offers the choice."""

    refused: Mapping[tuple[str, ...], str]
    """Key paths this variant does not have -> why; they replace the platform's own lines."""
    tasks: str
    """How `flexorch validate` says the tasks are created."""
    orchestrator: str = ""
    """Why there is nothing to configure of what Flex does; "" where `flex_still_does` is."""
    flex_still_does: str = ""
    """The config field listing what Flex still does for managed-channel tasks."""


@dataclasses.dataclass(frozen=True)
class PlatformRules:
    """What a platform changes in the config, and how `validate` describes the stack on it.

    Only this table names the platforms; the model, the problem lines and the summary read it.
    """

    name: str
    """The `flexorch:platform` value."""
    product: str
    """How problem lines name the platform's webhook events ("a Conversations event")."""
    pre_events: tuple[str, ...]
    """The webhook pre-events its chat service can send (to the pre-event URL)."""
    post_events: tuple[str, ...]
    """The webhook post-events its chat service can send (to the post-event URL)."""
    default_filters: tuple[str, ...]
    """The events sent to the handler when the stack lists none: the customer's message."""
    twins: Mapping[str, str]
    """Another platform's event -> this platform's counterpart, for a move's leftovers."""
    counterpart: str
    """What an event without a counterpart has none of ("no Conversations service webhook")."""
    refused: Mapping[tuple[str, ...], str] = dataclasses.field(default_factory=dict)
    """Key paths the platform does not have -> why (each is refused, and left out of a dump)."""
    dumped: bool = True
    """Whether a dump names the platform (the default's does not: see StackConfig's dump)."""
    # What `flexorch validate` says the stack manages there (see cli.summary).
    title: str = ""
    """The platform row."""
    sms_route: str = "{url}"
    """How a number's messages reach `{url}`."""
    chat_service: str = ""
    """The chat service `{sid}` and what happens to its webhooks."""
    webhook_events: str = "{events}"
    """The webhook events (`{events}`) and retries (`{retries}`)."""
    orchestrator: str = ""
    """Why there is no ChatOrchestrator to configure; "" where there is one (Flex UI 1.x)."""
    flex_still_does: str = "orchestration"
    """The config field listing what Flex still does for managed-channel tasks."""
    task_creation: Mapping[str, TaskCreationRules] = dataclasses.field(default_factory=dict)
    """`flexorch:taskCreation` value -> its rules; empty where the key is refused."""

    @property
    def events(self) -> tuple[str, ...]:
        """Every webhook event its chat service can send."""
        return self.pre_events + self.post_events

    def refused_for(self, task_creation: Any) -> dict[tuple[str, ...], str]:
        """The key paths refused on this platform with that raw `flexorch:taskCreation`."""
        variant = self.task_creation.get(task_creation) if isinstance(task_creation, str) else None
        return {**self.refused, **(variant.refused if variant else {})}


PLATFORM_RULES = {
    rules.name: rules
    for rules in (
        PlatformRules(
            name=PROGRAMMABLE_CHAT,
            product="Programmable Chat",
            pre_events=CHAT_PRE_EVENTS,
            post_events=CHAT_POST_EVENTS,
            default_filters=("onMessageSent",),
            twins={new: old for old, new in reversed(CHAT_TO_CONVERSATIONS.items())},
            counterpart="Programmable Chat webhook",
            refused={
                ("conversationTimers",): (
                    "Programmable Chat has no Conversations timers (they are the Flex "
                    f"Conversations account's); remove {NAMESPACE}:conversationTimers, or set "
                    f"{NAMESPACE}:platform: conversations"
                ),
                ("taskCreation",): (
                    "on Programmable Chat the handler always creates the tasks through TaskRouter; "
                    f"remove {NAMESPACE}:taskCreation, or set {NAMESPACE}:platform: conversations"
                ),
                ("flexActions",): (
                    "flexActions is Flex UI 2.x's (Flex Conversations with taskCreation: "
                    f"taskrouter); on Programmable Chat use {NAMESPACE}:orchestration instead"
                ),
            },
            dumped=False,
            title="programmable-chat (Flex UI 1.x, Programmable Chat)",
            chat_service="{sid} (adopted, webhooks restored on destroy)",
            webhook_events="{events}; retries {retries}",
        ),
        PlatformRules(
            name=CONVERSATIONS,
            product="Conversations",
            pre_events=CONVERSATIONS_PRE_EVENTS,
            post_events=CONVERSATIONS_POST_EVENTS,
            default_filters=("onMessageAdded",),
            twins=CHAT_TO_CONVERSATIONS,
            counterpart="Conversations service webhook",
            refused={
                # The service's webhook configuration has only URLs, a method and filters:
                # https://www.twilio.com/docs/conversations/api/per-service-webhook-resource
                ("chatService", "retryCount"): (
                    "a Conversations service's webhooks have no retry count (their configuration "
                    "takes only URLs, a method and filters); remove the key"
                ),
                ("orchestration",): (
                    "Programmable Chat's orchestration does not apply to Flex Conversations, "
                    "where the Interactions API adds and removes the agent (taskCreation: "
                    "interactions); "
                    f"remove {NAMESPACE}:orchestration, or set {NAMESPACE}:taskCreation: "
                    f"taskrouter and list what Flex still does in {NAMESPACE}:flexActions"
                ),
            },
            title="conversations (Flex UI 2.x, Flex Conversations)",
            sms_route=(
                "{url} via each number's Conversations Address Configuration (autoCreation "
                "webhook; the number's own SmsUrl is emptied while managed)"
            ),
            chat_service=(
                "{sid} (Flex Conversations service, adopted; webhooks at "
                "/v1/Services/{sid}/Configuration/Webhooks, restored on destroy)"
            ),
            task_creation={
                INTERACTIONS: TaskCreationRules(
                    refused={
                        ("flexActions",): (
                            "with taskCreation: interactions the Interactions API adds and "
                            "removes the agent, so Flex has nothing to leave out; remove "
                            f"{NAMESPACE}:flexActions, or set {NAMESPACE}:taskCreation: taskrouter"
                        ),
                    },
                    tasks="by the handler through the Interactions API (POST /v1/Interactions)",
                    orchestrator=("none: the Interactions API adds and removes the agent"),
                ),
                TASKROUTER: TaskCreationRules(
                    refused={
                        ("orchestration",): (
                            "Flex UI 1.x's ChatOrchestrator events do not exist in Flex UI 2.x; "
                            f"list what Flex still does in {NAMESPACE}:flexActions (values "
                            + ", ".join(FLEX_ACTION_EVENTS)
                            + f") and remove {NAMESPACE}:orchestration"
                        ),
                    },
                    tasks=(
                        "by the handler through the TaskRouter API (no Interaction); the plugin "
                        "overrides AcceptTask, WrapupTask and CompleteTask for managed-channel "
                        "tasks"
                    ),
                    flex_still_does="flex_actions",
                ),
            },
        ),
    )
}


def platform_rules(platform: Any) -> PlatformRules | None:
    """The rules of the platform a raw `flexorch:platform` value names; None if it names none."""
    return PLATFORM_RULES.get(platform) if isinstance(platform, str) else None


LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
E164 = re.compile(r"\+[1-9][0-9]{1,14}")
ATTRIBUTE_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
# Twilio's TaskChannel docs: unique and friendly names do not support hyphens ("may cause a
# parsing error"); the Flex UI name (flexName) may keep them.
UNIQUE_NAME = re.compile(r"[A-Za-z0-9_]+")


def _closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice a typo most likely meant, if any is close enough."""
    by_lower = {c.lower(): c for c in choices}
    match = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.6)
    return by_lower[match[0]] if match else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A hint for a misspelt value: the closest valid one, or the list to choose from."""
    choices = list(choices)
    guess = _closest(word, choices)
    return f'did you mean "{guess}"?' if guess else "use one of " + ", ".join(choices)


def _sid(prefix: str, what: str) -> Any:
    pattern = re.compile(prefix + r"[0-9a-fA-F]{32}")

    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise ValueError(
                f'"{value}" is not a {what} SID; it starts with {prefix} followed by 32 hex '
                f"digits (copy it from the Twilio Console)"
            )
        return value

    return AfterValidator(check)


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty; give a value or remove the key")
    return value


_HOST_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


def _valid_host(host: str) -> bool:
    """A DNS name of letters, digits and inner hyphens, or an IP address."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    try:  # an internationalised name is valid as its punycode form is
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    labels = host.rstrip(".").split(".")
    return len(host) <= 253 and all(_HOST_LABEL.fullmatch(label) for label in labels)


def _webhook_url(value: str) -> str:
    example = "write it like https://handler.example.com/flex"
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError(f'"{value}" contains a control character; {example}')
    parts = urlsplit(value)
    if any(c.isspace() for c in value) or not parts.netloc or not parts.hostname:
        raise ValueError(f'"{value}" is not an absolute URL; {example}')
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0 or (port is None and parts.netloc.rsplit("]", 1)[-1].endswith(":")):
        raise ValueError(f'"{value}" has no valid port (a number 1..65535); {example}')
    if not _valid_host(parts.hostname):
        raise ValueError(f'"{value}" has no valid host name; {example}')
    if parts.scheme == "http" and parts.hostname in LOCAL_HOSTS:
        return value
    if parts.scheme != "https":
        raise ValueError(
            f'"{value}" must use https (Twilio sends customer messages to it); '
            f"http is only allowed for localhost and 127.0.0.1"
        )
    return value


def _http_method(value: str) -> str:
    if value.upper() not in ("POST", "GET"):
        raise ValueError(f'"{value}" is not an HTTP method Twilio webhooks use; use POST or GET')
    return value.upper()


def _between(low: int, high: int, unit: str = "") -> Any:
    def check(value: int) -> int:
        if not low <= value <= high:
            raise ValueError(
                f"{value} is out of range; use a whole number from {low} to {high}{unit}"
            )
        return value

    return AfterValidator(check)


def _attribute_path(value: str) -> str:
    if not ATTRIBUTE_PATH.fullmatch(value):
        raise ValueError(
            f'"{value}" is not a TaskRouter attribute path; use letters, digits and _ in '
            "dot-separated parts that do not start with a digit, "
            "e.g. targetWorker or routing.agent"
        )
    return value


def _no_hyphen(value: str) -> str:
    if "-" in value:
        raise ValueError(
            f'"{value}" has a hyphen, which TaskRouter TaskChannel names do not support; '
            "use a space or _ instead"
        )
    return value


def _task_channel_name(value: str) -> str:
    if not UNIQUE_NAME.fullmatch(value):
        fix = (
            "; write it with _ (the Flex UI name, flexName, may keep the hyphen)"
            if "-" in value
            else ""
        )
        raise ValueError(
            f'"{value}" is not a valid TaskChannel unique name; use only letters, digits and _{fix}'
        )
    if value.lower() in BUILTIN_TASK_CHANNELS:
        raise ValueError(f'"{value}" is a Flex built-in channel; choose another name')
    return value


def _webhook_event_problem(event: str, rules: PlatformRules) -> str | None:
    """Why `event` is no webhook filter on the platform, pointing a move's leftover at its twin."""
    if event in rules.events:
        return None
    for other in PLATFORM_RULES.values():
        if other is not rules and event in other.events:
            twin = rules.twins.get(event)
            if twin:
                return f'"{event}" is a {other.product} event; on {rules.name} use "{twin}"'
            return (
                f'"{event}" is a {other.product} event with no {rules.counterpart} counterpart; '
                "remove it"
            )
    return f'"{event}" is not a {rules.product} webhook event; {did_you_mean(event, rules.events)}'


def _orchestration_event(value: str) -> str:
    if value not in ORCHESTRATION_EVENTS:
        hint = did_you_mean(value, ORCHESTRATION_EVENTS)
        raise ValueError(f'"{value}" is not a ChatOrchestrator event; {hint}')
    return value


def _expression_string(value: str) -> str:
    if "'" in value and '"' in value:
        raise ValueError(
            "must not contain both ' and \" (a TaskRouter expression cannot quote it); drop one"
        )
    return value


def _phone_number(value: str) -> str:
    if E164.fullmatch(value) or re.fullmatch(r"PN[0-9a-fA-F]{32}", value):
        return value
    raise ValueError(
        f'"{value}" is neither an E.164 number nor a phone number SID; write it like '
        f'"+15005550006" (quoted, no spaces) or PN followed by 32 hex digits'
    )


# The error type of a phone number that YAML read as an integer; `_problem` words it.
UNQUOTED_NUMBER = "unquoted_number"


def _quote_numbers(value: Any) -> Any:
    """YAML reads an unquoted +15005550006 as an integer; say so instead of a type error.

    The fix names the list index, which only `_problem` knows (from the error's location).
    """
    if isinstance(value, int) and not isinstance(value, bool):
        raise PydanticCustomError(
            UNQUOTED_NUMBER, "{number} was read as a number", {"number": value}
        )
    return value


@dataclasses.dataclass(frozen=True)
class _Unique:
    """A list whose items must differ; `what` one item is, as its problem line names it."""

    what: str

    def twice(self, value: str) -> str:
        """The problem of `value` listed twice."""
        return f'"{value}" is listed twice; list each {self.what} once'

    def first_twice(self, values: Iterable[Any]) -> str | None:
        """The first value listed twice, if any."""
        seen: set[Any] = set()
        for value in values:
            if value in seen:
                return str(value)
            seen.add(value)
        return None

    def __call__(self, values: tuple[str, ...]) -> tuple[str, ...]:
        twice = self.first_twice(values)
        if twice is not None:
            raise ValueError(self.twice(twice))
        return values


def _unique(what: str) -> Any:
    # pydantic runs it only once every item is valid: `_masked_duplicates` covers the rest.
    return AfterValidator(_Unique(what))


Text = Annotated[str, AfterValidator(_not_blank)]
WebhookUrl = Annotated[str, AfterValidator(_webhook_url)]


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
    )


class Handler(_Model):
    """The custom message handler that replaces Flex's own."""

    url: WebhookUrl
    """Where Twilio sends inbound SMS and chat webhooks."""
    sms_url: WebhookUrl | None = None
    """The phone numbers' SmsUrl; defaults to `url`."""
    chat_url: WebhookUrl | None = None
    """The chat service's webhook URL; defaults to `url`."""
    method: Annotated[str, AfterValidator(_http_method)] = "POST"
    """HTTP method Twilio uses for the webhooks."""

    @property
    def effective_sms_url(self) -> str:
        """The URL the managed numbers' SMS webhooks point at."""
        return self.sms_url or self.url

    @property
    def effective_chat_url(self) -> str:
        """The URL the chat service's webhooks point at."""
        return self.chat_url or self.url


class _SidOrName(_Model):
    """A Twilio resource adopted by SID or looked up by its friendly name: exactly one."""

    friendly_name: Text | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> _SidOrName:
        has_sid = getattr(self, "sid", None) is not None
        if has_sid == (self.friendly_name is not None):
            kind = type(self).__name__.lower()
            raise ValueError(
                f"give either sid or friendlyName, {'not both' if has_sid else 'one is required'};"
                f" the {kind} is looked up by one of them"
            )
        return self

    def describe(self) -> str:
        """How the resource is looked up, for summaries."""
        sid = getattr(self, "sid", None)
        return sid if sid else f'"{self.friendly_name}"'


def _taskrouter_event(value: str) -> str:
    if value not in TASKROUTER_EVENTS:
        hint = did_you_mean(value, TASKROUTER_EVENTS)
        raise ValueError(f'"{value}" is not a TaskRouter event type; {hint}')
    return value


def _some_events(values: tuple[str, ...]) -> tuple[str, ...]:
    if not values:
        raise ValueError(
            "is empty, which Twilio reads as every event; list the event types the handler "
            "needs, or remove the key for flexorch's default (reservation and terminal task events)"
        )
    return values


class EventCallback(_Model):
    """The workspace's event callback: where TaskRouter sends its events, and which."""

    url: WebhookUrl
    """The workspace's EventCallbackUrl (the handler's endpoint for TaskRouter events)."""
    events: Annotated[
        tuple[Annotated[str, AfterValidator(_taskrouter_event)], ...],
        _unique("event type"),
        AfterValidator(_some_events),
    ] = DEFAULT_CALLBACK_EVENTS
    """The workspace's EventsFilter; default: every reservation event and the terminal task
    events."""


class Workspace(_SidOrName):
    """The Flex TaskRouter workspace; adopted, never created or deleted."""

    sid: Annotated[str, _sid("WS", "TaskRouter workspace")] | None = None
    event_callback: EventCallback | None = None
    """The workspace's event callback, set by flexorch and put back on destroy (optional)."""

    @model_serializer(mode="wrap")
    def _without_unset_callback(self, handler: SerializerFunctionWrapHandler) -> Any:
        """A workspace without a callback dumps (and digests) as it did before the key existed."""
        data = handler(self)
        if isinstance(data, dict) and self.event_callback is None:
            data.pop("eventCallback", None)
            data.pop("event_callback", None)
        return data


class Queue(_SidOrName):
    """A TaskRouter queue; adopted by SID or friendly name."""

    sid: Annotated[str, _sid("WQ", "TaskRouter queue")] | None = None


def _one_way_to_adopt(sid: str | None, adopt: bool, what: str, by_name: str) -> None:
    if sid is not None and adopt:
        raise ValueError(
            f"give either sid or adopt: true, not both; sid adopts that {what}, adopt: true "
            f"{by_name}"
        )


class Workflow(_Model):
    """The Workflow that routes a task to the worker whose contact_uri it names."""

    friendly_name: Text = "Custom messaging - route to contact_uri"
    """The Workflow's name in TaskRouter."""
    target_attribute: Annotated[str, AfterValidator(_attribute_path)] = "targetWorker"
    """Task attribute holding the agent's contact_uri (e.g. client:alice)."""
    queue: Queue = Field(default_factory=lambda: Queue.model_validate({"friendlyName": "Everyone"}))
    """A queue that holds every agent (queue expression 1==1)."""
    reservation_timeout: Annotated[StrictInt, _between(1, 86400, " seconds")] = 120
    """Seconds an agent has to accept before the reservation times out."""
    fallback_queue: Queue | None = None
    """Where a task goes when its agent is not available; optional."""
    sid: Annotated[str, _sid("WW", "TaskRouter workflow")] | None = None
    """Adopt this existing Workflow (its SID is wired into handlers) instead of creating one."""
    adopt: StrictBool = False
    """Adopt the Workflow named `friendlyName`, if there is one, instead of creating one."""
    known_agent: Literal["sid", "friendlyName"] | None = None
    """Known Agent Routing: targetAttribute holds the worker's SID or friendly name, not her
    contact_uri; absent, the contact_uri expression."""

    @model_validator(mode="after")
    def _one_way_to_adopt(self) -> Workflow:
        _one_way_to_adopt(self.sid, self.adopt, "Workflow", "the one named friendlyName")
        return self

    @model_serializer(mode="wrap")
    def _without_known_agent_unset(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> Any:
        """A config without knownAgent dumps (and digests) as it did before the key existed."""
        data = handler(self)
        if isinstance(data, dict) and self.known_agent is None:
            data.pop("knownAgent" if info.by_alias else "known_agent", None)
        return data


class TaskChannel(_Model):
    """A custom TaskRouter TaskChannel and the Flex UI TaskChannel that renders its tasks."""

    unique_name: Annotated[str, AfterValidator(_task_channel_name)]
    """TaskRouter unique name; not a Flex built-in."""
    friendly_name: Annotated[Text, AfterValidator(_no_hyphen)] | None = None
    """TaskRouter friendly name; defaults to uniqueName."""
    flex_name: Text | None = None
    """Flex UI TaskChannel name; defaults to uniqueName."""
    channel_type: Annotated[Text, AfterValidator(_expression_string)] | None = None
    """Also treat tasks whose channelType attribute is this as the channel's."""
    sid: Annotated[str, _sid("TC", "TaskRouter task channel")] | None = None
    """Adopt this existing TaskChannel instead of creating one."""
    adopt: StrictBool = False
    """Adopt the existing TaskChannel with this uniqueName, if there is one."""

    @model_validator(mode="after")
    def _one_way_to_adopt(self) -> TaskChannel:
        _one_way_to_adopt(self.sid, self.adopt, "TaskChannel", "the one with this uniqueName")
        return self

    @property
    def effective_friendly_name(self) -> str:
        """The name shown in TaskRouter."""
        return self.friendly_name or self.unique_name

    @property
    def effective_flex_name(self) -> str:
        """The name the Flex UI TaskChannel is registered under."""
        return self.flex_name or self.unique_name


class ChatService(_Model):
    """The Flex chat service whose webhooks flexorch points at the handler."""

    sid: Annotated[str, _sid("IS", "Programmable Chat service")]
    """The Flex chat service (Flex's configuration names it); on Conversations, the same IS SID."""
    # Which events are valid depends on the platform, a sibling of chatService: `_platform_rules`
    # checks them, so that each problem still names its list index.
    webhook_filters: Annotated[tuple[str, ...], _unique("webhook event")] = PLATFORM_RULES[
        DEFAULT_PLATFORM
    ].default_filters
    """Webhook events sent to the handler (the default depends on the platform)."""
    retry_count: Annotated[StrictInt, _between(0, 3)] = 0
    """How often Twilio retries a failed webhook (Programmable Chat only)."""

    @property
    def pre_events(self) -> tuple[str, ...]:
        """The configured pre-event webhooks."""
        pre = {e for rules in PLATFORM_RULES.values() for e in rules.pre_events}
        return tuple(e for e in self.webhook_filters if e in pre)

    @property
    def post_events(self) -> tuple[str, ...]:
        """The configured post-event webhooks."""
        post = {e for rules in PLATFORM_RULES.values() for e in rules.post_events}
        return tuple(e for e in self.webhook_filters if e in post)


class AutoAccept(_Model):
    """Auto-accept of reservations whose task carries a flag attribute."""

    attribute: Text = "autoAnswer"
    """Task attribute that, when 'true', makes Flex accept and select the task."""


OrchestrationList = Annotated[
    tuple[Annotated[str, AfterValidator(_orchestration_event)], ...],
    _unique("orchestration"),
]


class Orchestration(_Model):
    """What Flex's ChatOrchestrator still does for tasks of the managed channels."""

    accepted: OrchestrationList = ()
    """On accept (Flex's default adds the agent to the channel)."""
    wrapup: OrchestrationList = ()
    """On wrap-up (Flex's default deactivates the channel)."""
    completed: OrchestrationList = ()
    """On completion (Flex's default makes the agent leave the channel)."""


def _flex_action_event(value: str) -> str:
    if value not in FLEX_ACTION_EVENTS:
        hint = did_you_mean(value, FLEX_ACTION_EVENTS)
        raise ValueError(f'"{value}" is not a Flex UI 2.x ChatOrchestratorEvent; {hint}')
    return value


FlexActionList = Annotated[
    tuple[Annotated[str, AfterValidator(_flex_action_event)], ...],
    _unique("flex action"),
]


class FlexActions(_Model):
    """What Flex UI 2.x still does for managed-channel tasks on taskCreation: taskrouter."""

    accepted: FlexActionList = ()
    """On accept (Flex's default adds the agent to the conversation)."""
    wrapup: FlexActionList = ()
    """On wrap-up (Flex's default deactivates the conversation)."""
    completed: FlexActionList = ()
    """On completion (Flex's default deactivates the conversation and removes the agent)."""


PhoneNumber = Annotated[str, BeforeValidator(_quote_numbers), AfterValidator(_phone_number)]


def _timer(which: str) -> Any:
    """An ISO 8601 duration no shorter than Twilio's minimum for that Conversations timer."""
    minimum = CONVERSATION_TIMER_MINIMUMS[which]

    def check(value: str) -> str:
        seconds = duration_seconds(value)
        if seconds is None:
            raise ValueError(
                f'"{value}" is not an ISO 8601 duration; write it like PT10M, PT1H or P1D'
            )
        if seconds < minimum:
            raise ValueError(
                f'"{value}" is shorter than Twilio\'s minimum for this timer ({minimum // 60} '
                f"minute{'s' if minimum > 60 else ''}); use PT{minimum // 60}M or more"
            )
        return value

    return AfterValidator(check)


class ConversationTimers(_Model):
    """The account's default Conversations timers, which flexorch sets and restores on destroy."""

    inactive: Annotated[str, _timer("inactive")] | None = None
    """After how long without a message a conversation becomes inactive (at least PT1M)."""
    closed: Annotated[str, _timer("closed")] | None = None
    """After how long a conversation is closed (at least PT10M)."""

    @model_validator(mode="after")
    def _one_at_least(self) -> ConversationTimers:
        if self.inactive is None and self.closed is None:
            raise ValueError("give inactive, closed or both (ISO 8601 durations like PT1H)")
        return self


# Keys added after configs were digested into plugin manifests: left out of a dump at their
# default, so an existing config digests as it did before they existed.
_NEWER_KEYS = (
    "messaging_services",
    "twiml_apps",
    "task_channel_limit",
    "conversation_timers",
    "task_creation",
    "flex_actions",
)


class StackConfig(_Model):
    """Everything under `flexorch:` in a stack's config."""

    platform: Literal["programmable-chat", "conversations"] = "programmable-chat"
    """Flex UI 1.x on Programmable Chat, or Flex UI 2.x on Flex Conversations."""
    handler: Handler
    """The custom message handler."""
    workspace: Workspace
    """The Flex TaskRouter workspace."""
    workflow: Workflow = Field(default_factory=Workflow)
    """The contact_uri Workflow."""
    task_channel_limit: Annotated[int, Field(ge=1, le=1000)] = TASK_CHANNEL_LIMIT
    """TaskChannels the workspace may hold, the default one included (TaskRouter's default
    limit; set it when Twilio raised the workspace's)."""
    task_channels: tuple[TaskChannel, ...] = ()
    """Custom chat TaskChannels."""
    chat_service: ChatService
    """The Flex chat service."""
    numbers: Annotated[tuple[PhoneNumber, ...], _unique("number")] = ()
    """Phone numbers whose SMS go to the handler."""
    flex_flows: Literal["fail", "disable"] = "fail"
    """What to do with an enabled Flex Flow that still takes a managed number's messages."""
    messaging_services: Literal["fail", "defer"] = "fail"
    """What to do with a Messaging Service that takes a managed number's messages."""
    twiml_apps: Literal["fail", "detach"] = "fail"
    """What to do with a TwiML App on a managed number."""
    conversation_timers: ConversationTimers | None = None
    """The account's default Conversations timers (Flex Conversations only)."""
    task_creation: Literal["interactions", "taskrouter"] = "interactions"
    """Who creates tasks on Flex Conversations: the Interactions API, or the handler through
    TaskRouter (its own messaging orchestration)."""
    auto_accept: AutoAccept = Field(default_factory=AutoAccept)
    """Auto-accept of flagged tasks."""
    orchestration: Orchestration = Field(default_factory=Orchestration)
    """What Flex still orchestrates for managed-channel tasks (Programmable Chat only)."""
    flex_actions: FlexActions = Field(default_factory=FlexActions)
    """What Flex UI 2.x still does for managed-channel tasks (taskCreation: taskrouter only)."""

    @field_validator("task_channels")
    @classmethod
    def _room_for_channels(
        cls, channels: tuple[TaskChannel, ...], info: ValidationInfo
    ) -> tuple[TaskChannel, ...]:
        """What can be told offline: the workspace's default channel always takes a place."""
        limit = info.data.get("task_channel_limit", TASK_CHANNEL_LIMIT)
        if len(channels) + 1 > limit:
            raise ValueError(
                f"{len(channels)} channels and the workspace's default one make "
                f"{len(channels) + 1}, more than the {limit} TaskChannels TaskRouter allows per "
                "workspace (flexorch:taskChannelLimit); list fewer, or raise the limit with "
                "Twilio first"
            )
        return channels

    @model_validator(mode="before")
    @classmethod
    def _platform_default_filters(cls, data: Any) -> Any:
        """The events sent when none are listed are the platform's (its customer message)."""
        if not isinstance(data, Mapping):
            return data
        rules = platform_rules(data.get("platform", DEFAULT_PLATFORM))
        chat = data.get("chatService")
        if rules is None or not isinstance(chat, Mapping) or "webhookFilters" in chat:
            return data
        filters = list(rules.default_filters)
        return {**data, "chatService": {**chat, "webhookFilters": filters}}

    @model_serializer(mode="wrap")
    def _without_keys_the_platform_refuses(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> Any:
        """A dump parses back: it leaves out what the platform refuses (`PlatformRules.refused`).

        The component validates a StackConfig it is given by dumping and parsing it again. The
        default platform is left out too, and so are the _NEWER_KEYS at their defaults, so a 1.x
        config dumps (and digests, in the plugin files' manifest) exactly as it did before those
        keys existed.
        """
        data = handler(self)
        if not isinstance(data, dict):
            return data
        rules = PLATFORM_RULES[self.platform]
        if not rules.dumped:
            data.pop("platform", None)
        for name in _NEWER_KEYS:
            default = type(self).model_fields[name].get_default(call_default_factory=True)
            if getattr(self, name) == default:
                data.pop(to_camel(name) if info.by_alias else name, None)
        for path in rules.refused:
            keys = list(path) if info.by_alias else [to_snake(key) for key in path]
            inside: Any = data
            for key in keys[:-1]:
                inside = inside.get(key) if isinstance(inside, dict) else None
            if isinstance(inside, dict):
                inside.pop(keys[-1], None)
        return data


# --- turning pydantic's errors into lines users can act on ---------------------------------

_MISSING_HINTS = {
    "handler": "add flexorch:handler with at least url: https://...",
    "handler.url": "set it to your handler's https URL",
    "workspace": 'add flexorch:workspace with sid: WS... or friendlyName: "Flex Task Assignment"',
    "chatService": "add flexorch:chatService with sid: IS... (the Flex chat service)",
    "chatService.sid": "set it to the Flex chat service SID (IS followed by 32 hex digits)",
    "workspace.eventCallback.url": "set it to the handler's https URL for TaskRouter events",
    "taskChannels[].uniqueName": "set it to the TaskRouter unique name, e.g. custom1",
}

_TYPE_NAMES = {
    "string_type": "a string",
    "int_type": "a whole number",
    "tuple_type": "a list",
    "model_type": "a mapping of keys",
    "dict_type": "a mapping of keys",
    "model_attributes_type": "a mapping of keys",
}


def key_path(loc: Iterable[str | int]) -> str:
    """`workflow.queue.sid`, `numbers[0]`: a location as the problem lines write it."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


def _model_at(loc: tuple[str | int, ...]) -> type[_Model] | None:
    """The model class that validates the mapping at `loc` (to list its known keys)."""
    annotation: Any = StackConfig
    for part in loc:
        annotation = _unwrap(annotation)
        if isinstance(part, int):
            continue
        if not (isinstance(annotation, type) and issubclass(annotation, _Model)):
            return None
        fields = {f.alias or name: f for name, f in annotation.model_fields.items()}
        if part not in fields:
            return None
        annotation = fields[part].annotation
    annotation = _unwrap(annotation)
    return annotation if isinstance(annotation, type) and issubclass(annotation, _Model) else None


def _unwrap(annotation: Any) -> Any:
    """Strip Optional, tuple[...] and Annotated down to the model type inside, if any."""
    while True:
        args = [a for a in get_args(annotation) if a is not type(None) and a is not Ellipsis]
        if get_origin(annotation) is None or not args:
            return annotation
        annotation = args[0]


def _literal_choices(loc: tuple[str | int, ...]) -> tuple[str, ...]:
    """The values a Literal field at `loc` allows (to guess which one a typo meant)."""
    model = _model_at(loc[:-1]) if loc and isinstance(loc[-1], str) else None
    fields = {f.alias or n: f for n, f in model.model_fields.items()} if model else {}
    annotation = fields[loc[-1]].annotation if loc and loc[-1] in fields else None
    optional = [a for a in get_args(annotation) if a is not type(None)]
    if get_origin(annotation) is not Literal and len(optional) == 1:
        annotation = optional[0]  # an optional Literal's choices are the Literal's
    if get_origin(annotation) is not Literal:
        return ()
    return tuple(str(choice) for choice in get_args(annotation))


def _describe(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if value is None:
        return "nothing"
    return f'"{value}"'


def _problem(error: Any) -> str:
    loc: tuple[str | int, ...] = tuple(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        key = str(loc[-1])
        model = _model_at(loc[:-1])
        known = [f.alias or n for n, f in model.model_fields.items()] if model else []
        return f'{NAMESPACE}:{key_path(loc)}: unknown key "{key}"; {did_you_mean(key, known)}'
    where = f"{NAMESPACE}:{key_path(loc)}" if loc else NAMESPACE
    if kind == "missing":
        generic = re.sub(r"\[\d+\]", "[]", key_path(loc))
        hint = _MISSING_HINTS.get(generic, "add it")
        return f"{where}: is required; {hint}"
    if kind == "value_error":
        return f"{where}: {error['ctx']['error']}"
    if kind == UNQUOTED_NUMBER:
        # `pulumi config set` stores a value that looks like a number as one, unless told
        # otherwise: https://www.pulumi.com/docs/iac/cli/commands/pulumi_config_set/
        number = f"+{error['ctx']['number']}"
        return (
            f"{where}: {error['ctx']['number']} was read as a number, not a string; quote it in "
            f'YAML: "{number}", or run: '
            f"pulumi config set --path '{where}' '{number}' --type string"
        )
    if kind == "literal_error":
        value = error["input"]
        guess = _closest(value, _literal_choices(loc)) if isinstance(value, str) else None
        hint = f'did you mean "{guess}"?' if guess else f"use {error['ctx']['expected']}"
        return f"{where}: {_describe(value)} is not allowed; {hint}"
    if kind in _TYPE_NAMES:
        value = error["input"]
        return (
            f"{where}: must be {_TYPE_NAMES[kind]}, not {_describe(value)}; {_retyped(kind, value)}"
        )
    return f"{where}: {error['msg']}"


def _retyped(kind: str, value: Any) -> str:
    """How to write `value` as the type `kind` asks for."""
    if isinstance(value, str) and value.lstrip().startswith(("[", "{")):
        return "it is JSON text that does not parse (a comma before ] or }?); fix the JSON"
    if kind == "tuple_type":
        return (
            f"write it as a list: [{json.dumps(value)}]"
            if isinstance(value, str)
            else "write it as a list, e.g. [a, b] or one `- item` per line"
        )
    if kind == "int_type":
        if isinstance(value, str) and value.strip().isdigit():
            return f"write it without quotes: {value.strip()}"
        return "write a whole number without quotes"
    if kind == "string_type":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return f'quote it: "{value}"'
        return "write it as text in quotes"
    return "write its keys under it, one `key: value` per line"


# Problems found on the raw input: the key path, and the line that names it.
Problems = list[tuple[tuple[str | int, ...], str]]


def _duplicates(raw: Mapping[str, Any]) -> Problems:
    """Names that must be unique across task channels, checked on the raw input.

    Done outside pydantic so that they are reported even when a sibling has other problems.
    """
    problems: Problems = []
    channels = raw.get("taskChannels")
    if not isinstance(channels, list):
        return problems
    first_unique: dict[str, int] = {}
    first_flex: dict[str, int] = {}
    for index, channel in enumerate(channels):
        if not isinstance(channel, Mapping):
            continue
        unique = channel.get("uniqueName")
        flex = channel.get("flexName", unique)
        if isinstance(unique, str) and unique:
            if unique in first_unique and "flexName" not in channel:
                flex = None  # the same name twice is one problem, not two
            if unique in first_unique:
                problems.append(
                    (
                        ("taskChannels", index, "uniqueName"),
                        f'"{unique}" is already used by taskChannels[{first_unique[unique]}]; '
                        "each TaskChannel needs its own unique name",
                    )
                )
            else:
                first_unique[unique] = index
        if isinstance(flex, str) and flex:
            key = "flexName" if "flexName" in channel else "uniqueName"
            if flex in first_flex:
                problems.append(
                    (
                        ("taskChannels", index, key),
                        f'Flex TaskChannel name "{flex}" is already used by '
                        f"taskChannels[{first_flex[flex]}]; give this channel its own flexName",
                    )
                )
            else:
                first_flex[flex] = index
    return problems


def _masked_duplicates(raw: Mapping[str, Any], failed: Iterable[tuple[str | int, ...]]) -> Problems:
    """Items listed twice in a list where some other item has a problem (`failed` locations).

    pydantic checks a list's items unique only once every item is valid, so
    `["12345", "+15005550006", "+15005550006"]` would name the duplicate only in the next run;
    all problems are reported in one. The items with problems of their own are left out.
    """
    bad: dict[tuple[str | int, ...], set[int]] = {}
    for loc in failed:
        for cut, part in enumerate(loc):
            if isinstance(part, int) and cut:
                bad.setdefault(tuple(loc[:cut]), set()).add(part)
    problems: Problems = []
    for path, indexes in bad.items():
        unique = _unique_at(path)
        items = _raw_at(raw, path)
        if unique is None or not isinstance(items, list):
            continue
        valid = (v for i, v in enumerate(items) if i not in indexes and isinstance(v, str))
        twice = unique.first_twice(valid)
        if twice is not None:
            problems.append((path, unique.twice(twice)))
    return problems


def _unique_at(loc: tuple[str | int, ...]) -> _Unique | None:
    """The uniqueness rule of the list field at `loc`, if it has one."""
    model = _model_at(loc[:-1]) if loc and isinstance(loc[-1], str) else None
    fields = {f.alias or n: f for n, f in model.model_fields.items()} if model else {}
    field = fields.get(str(loc[-1])) if loc else None
    for rule in field.metadata if field else ():
        if isinstance(rule, AfterValidator) and isinstance(rule.func, _Unique):
            return rule.func
    return None


def _raw_at(raw: Any, loc: tuple[str | int, ...]) -> Any:
    """The raw input at `loc`; None where there is nothing."""
    for part in loc:
        if isinstance(part, int) and isinstance(raw, list) and 0 <= part < len(raw):
            raw = raw[part]
        elif isinstance(part, str) and isinstance(raw, Mapping):
            raw = raw.get(part)
        else:
            return None
    return raw


def _platform_rules(raw: Mapping[str, Any]) -> Problems:
    """What the stack's platform does not have, checked on the raw input.

    Done outside pydantic because the platform is a sibling of the keys it rules on, and each
    problem must still name its own key path (down to the list index).
    """
    rules = platform_rules(raw.get("platform", DEFAULT_PLATFORM))
    if rules is None:
        return []  # pydantic reports the platform; which events are valid is unknown till then
    problems: Problems = []
    chat = raw.get("chatService")
    filters = chat.get("webhookFilters") if isinstance(chat, Mapping) else None
    if isinstance(filters, list | tuple):
        for index, event in enumerate(filters):
            problem = _webhook_event_problem(event, rules) if isinstance(event, str) else None
            if problem:
                problems.append((("chatService", "webhookFilters", index), problem))
    for path, why in rules.refused_for(raw.get("taskCreation", INTERACTIONS)).items():
        inside: Any = raw
        for key in path[:-1]:
            inside = inside.get(key) if isinstance(inside, Mapping) else None
        if isinstance(inside, Mapping) and path[-1] in inside:
            problems.append((path, why))
    return problems


# No flexorch key nests more than 4 levels; far deeper input is a mistake or an attack, and would
# exhaust Python's recursion (pydantic, JSON) before any useful message.
MAX_DEPTH = 16
# A 10,000-number stack holds about 10,000 values; YAML aliases can make a file of a few hundred
# bytes hold a billion ("billion laughs"), and every later walk would visit each of them.
MAX_VALUES = 100_000


def too_deep(raw: Any) -> str | None:
    """The first key nested deeper than MAX_DEPTH or holding more than MAX_VALUES, as a line.

    Mappings, lists and the component's typed args alike. Each distinct container is measured
    once (remembered by id), so a value that aliases repeat a billion times costs what the file
    is long; and without recursion, so absurd input never reaches a RecursionError (after which
    CPython 3.11 can no longer parse).
    """
    measured: dict[int, tuple[Any, int, int]] = {}
    total = 0
    for key, value in _children(raw):
        shape = _measure(value, measured)
        if shape is None or shape[0] >= MAX_DEPTH:
            return deeper_than_allowed(str(key))
        total += shape[1]
        if total > MAX_VALUES:
            return larger_than_allowed(str(key))
    return None


def _children(value: Any) -> list[tuple[str | int, Any]]:
    """What a mapping, list or dataclass (typed args) holds, by key; nothing for a leaf."""
    if isinstance(value, Mapping):
        return [(str(k), v) for k, v in value.items()]
    if isinstance(value, list | tuple):
        return list(enumerate(value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [(f.name, getattr(value, f.name)) for f in dataclasses.fields(value)]
    return []


_DONE = object()


def _measure(root: Any, measured: dict[int, tuple[Any, int, int]]) -> tuple[int, int] | None:
    """(levels nested below `root`, values it holds expanded); None past MAX_DEPTH.

    `measured` maps a finished container's id to it (kept alive, so the id is not reused), its
    levels and its values. A container that holds itself never finishes: it ends past MAX_DEPTH.
    """
    stack: list[tuple[Any, Iterator[Any], list[int]]] = []  # container, children left, totals
    pending = root
    while True:
        known = measured.get(id(pending))
        children = _children(pending) if known is None else []
        if children:
            if len(stack) >= MAX_DEPTH - 1:
                return None
            rest: Iterator[Any] = (value for _, value in children)
            stack.append((pending, rest, [0, 1]))
            pending = next(rest)
            continue
        depth, size = (known[1], known[2]) if known is not None else (0, 1)
        while stack:
            container, left, totals = stack[-1]
            totals[0] = max(totals[0], depth + 1)
            totals[1] += size
            pending = next(left, _DONE)
            if pending is not _DONE:
                break
            stack.pop()
            depth, size = totals
            measured[id(container)] = (container, depth, size)
        else:
            return depth, size


def deeper_than_allowed(key: str) -> str:
    """The problem line for a value nested deeper than any flexorch key."""
    return (
        f"{NAMESPACE}:{key}: is nested more than {MAX_DEPTH} levels deep; no flexorch key "
        "nests that deep, so remove the extra levels"
    )


def larger_than_allowed(key: str) -> str:
    """The problem line for a value holding more values than any flexorch config needs."""
    return (
        f"{NAMESPACE}:{key}: holds more than {MAX_VALUES} values, counting each use of a YAML "
        "alias; no flexorch config needs that many, so remove the repeated aliases"
    )


def parse_config(raw: Mapping[str, Any]) -> StackConfig:
    """Validate the `flexorch:` namespace (keys without the prefix) into a StackConfig.

    Raises:
        FlexorchError: with every problem found, one line each.
    """
    deep = too_deep(dict(raw))
    if deep:
        raise FlexorchError(deep)
    problems: Problems = []
    config: StackConfig | None = None
    try:
        config = StackConfig.model_validate(dict(raw))
    except ValidationError as exc:
        problems = [(tuple(e["loc"]), _problem(e)) for e in exc.errors()]
    ruled = _platform_rules(raw)
    # A key the platform refuses is reported alone, not with what else is wrong inside it.
    problems = [p for p in problems if not any(p[0][: len(loc)] == loc for loc, _ in ruled)]
    for loc, text in _masked_duplicates(raw, [loc for loc, _ in problems]):
        # Right after the problems of the list's own items, which hid it from pydantic.
        after = max(i for i, (at, _) in enumerate(problems) if at[: len(loc)] == loc)
        problems.insert(after + 1, (loc, f"{NAMESPACE}:{key_path(loc)}: {text}"))
    for loc, text in _duplicates(raw) + ruled:
        line = f"{NAMESPACE}:{key_path(loc)}: {text}"
        if all(existing != line for _, existing in problems):
            problems.append((loc, line))
    if problems or config is None:
        raise FlexorchError(_readable([line for _, line in problems]))
    return config


MAX_PROBLEMS = 50
_LONG_QUOTED = re.compile(r'"([^"]{80})[^"]{20,}"')


def _readable(lines: list[str]) -> list[str]:
    """Each problem on one line, echoed values shortened, and no more than MAX_PROBLEMS lines."""
    out = []
    for line in lines[:MAX_PROBLEMS]:
        line = "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in line)
        out.append(_LONG_QUOTED.sub(lambda m: f'"{m.group(1)}…"', line))
    if len(lines) > MAX_PROBLEMS:
        out.append(
            f"{NAMESPACE}: {len(lines) - MAX_PROBLEMS} more problems not shown; fix these first"
        )
    return out
