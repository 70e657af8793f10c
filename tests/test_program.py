"""The resource graph the Pulumi program declares, under Pulumi's own mocks."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import typing
from pathlib import Path

import pulumi
import pytest
from helpers import EXAMPLES, Recorder

from flexorch.component import CustomMessaging
from flexorch.loading import load_stack_file
from flexorch.provider.registry import PROVIDERS
from flexorch.resources.resource import TwilioResource
from flexorch.twilio_facts import CONVERSATIONS

TOKEN = "super-secret-auth-token-value"
# How a secret value is serialised in the inputs the mocks see.
SECRET_SIG, SECRET = "4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270"


@pytest.fixture(autouse=True)
def token(monkeypatch):
    """A token in the environment, as a user's would be: no registered input may carry it."""
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)


def declare(path: Path):
    config = load_stack_file(path).config
    component = CustomMessaging("flexorch", config)
    return config, component


def settle(*outputs):
    """Wait for the outputs the test needs (the mocks resolve them asynchronously)."""
    return pulumi.Output.all(*outputs)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
@pulumi.runtime.test
def test_example_stack_graph(mocks, path: Path):
    config, component = declare(path)

    def check(values):
        kinds = sorted(r.typ for r in mocks.resources)
        assert "flexorch:index:CustomMessaging" in kinds
        assert len(mocks.of("FlexFlowGuard")) == 1
        assert len(mocks.of("Workspace")) == 1
        assert len(mocks.of("Workflow")) == 1
        assert len(mocks.of("ChatServiceWebhooks")) == 1
        channels = mocks.of("TaskChannel")
        assert sorted(c.inputs["unique_name"] for c in channels) == sorted(
            c.unique_name for c in config.task_channels
        )
        routes = mocks.of("PhoneNumberRoute")
        assert sorted(r.inputs["number"] for r in routes) == sorted(config.numbers)
        if config.platform == CONVERSATIONS:
            # The address takes the number's messages; its own SmsUrl is emptied.
            assert all(r.inputs["sms_url"] == "" for r in routes)
            assert all(
                r.inputs["address"]["webhook_url"] == config.handler.effective_sms_url
                and r.inputs["address"]["conversation_service_sid"] == config.chat_service.sid
                for r in routes
            )
            assert mocks.of("PhoneNumbersSnapshot")[0].inputs["addresses"] is True
        else:
            assert all(r.inputs["sms_url"] == config.handler.effective_sms_url for r in routes)
            assert all(r.inputs.get("address") is None for r in routes)
        webhooks = mocks.of("ChatServiceWebhooks")[0]
        assert webhooks.inputs["platform"] == config.platform
        queues = mocks.of("TaskQueue")
        expected_queues = (
            1 if config.workflow.fallback_queue in (None, config.workflow.queue) else 2
        )
        assert len(queues) == expected_queues
        workflow = mocks.of("Workflow")[0]
        document = json.loads(workflow.inputs["configuration"])
        target = document["task_routing"]["filters"][0]["targets"][0]
        if config.workflow.known_agent == "sid":  # the path-(b) example: Known Agent Routing
            assert target["known_worker_sid"] == "task.targetWorker" and "expression" not in target
        else:
            assert config.workflow.known_agent is None
            assert target["expression"] == "task.targetWorker == worker.contact_uri"
        assert target["queue"] == mocks.outputs["flexorch-queue"]["sid"]
        guard = mocks.of("FlexFlowGuard")[0]
        assert guard.inputs["mode"] == config.flex_flows
        # Resource types are stable type tokens (renaming them would change URNs).
        assert workflow.typ == "flexorch:index:Workflow"

    return settle(*[child.urn for child in component.children]).apply(check)


@pulumi.runtime.test
def test_the_auth_token_is_only_a_secret_input_of_the_provider_resource(mocks, monkeypatch):
    # As a stack's secret `twilio:authToken` reaches the program (the CLI decrypts it).
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"twilio:authToken": TOKEN}))
    monkeypatch.setenv("PULUMI_CONFIG_SECRET_KEYS", json.dumps(["twilio:authToken"]))
    _config, component = declare(EXAMPLES[0])

    def check(_):
        assert len(mocks.resources) >= 7
        for resource in mocks.resources:
            assert TOKEN not in json.dumps(resource.inputs, default=str), resource.name
            assert "__provider" not in resource.inputs, resource.name
        [provider] = mocks.provider_resources
        assert provider.typ == "pulumi:providers:flexorch"
        assert provider.inputs["authToken"] == {SECRET_SIG: SECRET, "value": TOKEN}
        others = {k: v for k, v in provider.inputs.items() if k != "authToken"}
        assert TOKEN not in json.dumps(others, default=str)

    return settle(*[child.urn for child in component.children]).apply(check)


@pulumi.runtime.test
def test_the_providers_own_config_wins_over_the_twilio_namespace(mocks, monkeypatch):
    # A YAML program's stack: the default provider's `flexorch:` credentials, which the component
    # the provider constructs sees with the rest of the stack config.
    config = {
        "flexorch:accountSid": "AC" + "1" * 32,
        "flexorch:authToken": TOKEN,
        "twilio:accountSid": "AC" + "2" * 32,
    }
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps(config))
    monkeypatch.setenv("PULUMI_CONFIG_SECRET_KEYS", json.dumps(["flexorch:authToken"]))
    component = CustomMessaging("east", small())

    def check(_):
        [provider] = mocks.provider_resources
        assert provider.name == "east-provider"
        assert provider.inputs == {
            "accountSid": "AC" + "1" * 32,
            "authToken": {SECRET_SIG: SECRET, "value": TOKEN},
        }

    return settle(*[child.urn for child in component.children]).apply(check)


HANDLER = "https://handler.example.com/flex"
WS = "WS" + "1" * 32
IS = "IS" + "2" * 32
WW = "WW" + "3" * 32


def small(**changes):
    args = {
        "handler": {"url": HANDLER},
        "workspace": {"sid": WS},
        "taskChannels": [{"uniqueName": "custom1"}],
        "chatService": {"sid": IS},
        "numbers": ["+15005550006"],
    }
    args.update(changes)
    return args


# Inputs holding SIDs the mocks hand out in registration order.
BY_REGISTRATION_ORDER = ("configuration", "workspace_sid", "snapshot", "adopted", "siblings")


@pulumi.runtime.test
def test_typed_args_declare_what_the_mapping_declares(mocks):
    from flexorch import (
        ChatServiceArgs,
        CustomMessagingArgs,
        HandlerArgs,
        SidOrNameArgs,
        TaskChannelArgs,
        WorkflowArgs,
    )

    typed = CustomMessaging(
        "typed",
        CustomMessagingArgs(
            handler=HandlerArgs(url=HANDLER),
            workspace=SidOrNameArgs(sid=WS),
            workflow=WorkflowArgs(sid=WW, known_agent="friendlyName"),
            task_channels=[TaskChannelArgs(unique_name="custom1", adopt=True)],
            chat_service=ChatServiceArgs(sid=IS),
            numbers=["+15005550006"],
        ),
    )
    mapped = CustomMessaging(
        "mapped",
        small(
            workflow={"sid": WW, "knownAgent": "friendlyName"},
            taskChannels=[{"uniqueName": "custom1", "adopt": True}],
        ),
    )

    def check(_):
        def inputs(prefix):
            return {
                r.name.removeprefix(prefix): {
                    k: v for k, v in r.inputs.items() if k not in BY_REGISTRATION_ORDER
                }
                for r in mocks.resources
                if r.name.startswith(prefix)
            }

        assert inputs("typed-") == inputs("mapped-")
        assert set(inputs("typed-")) == {
            "flex-flow-guard", "workspace", "queue-before", "queue", "channel-custom1-before",
            "channel-custom1", "workflow-before", "workflow", "chat-webhooks",
            "number-+15005550006", "chat-service", "flex-flows", "phone-numbers",
        }  # fmt: skip
        assert inputs("typed-")["workflow"]["adopt_sid"] == WW
        for prefix in ("typed-", "mapped-"):
            workflow = next(r for r in mocks.resources if r.name == prefix + "workflow")
            document = json.loads(workflow.inputs["configuration"])
            target = document["task_routing"]["filters"][0]["targets"][0]
            assert target["known_worker_friendly_name"] == "task.targetWorker"
        assert inputs("typed-")["channel-custom1"]["adopt_by_name"] is True

    return settle(*[c.urn for c in typed.children + mapped.children]).apply(check)


@pulumi.runtime.test
def test_typed_args_on_conversations_with_an_output_url_give_the_address_the_url(mocks):
    from flexorch import CustomMessagingArgs
    from flexorch.component import ChatServiceArgs, HandlerArgs, SidOrNameArgs

    url = pulumi.Output.from_input("https://deployed.example.com/hook")
    component = CustomMessaging(
        "conv",
        CustomMessagingArgs(
            platform="conversations",
            handler=HandlerArgs(url=url),
            workspace=SidOrNameArgs(sid=WS),
            chat_service=ChatServiceArgs(sid=IS, webhook_filters=["onMessageAdded"]),
            numbers=["+15005550006"],
        ),
    )

    def check(_):
        route = next(r for r in mocks.resources if r.name == "conv-number-+15005550006")
        assert route.inputs["platform"] == "conversations"
        assert route.inputs["sms_url"] == ""  # the address takes the messages
        assert route.inputs["address"] == {
            "webhook_url": "https://deployed.example.com/hook",
            "webhook_method": "POST",
            "webhook_filters": ["onMessageAdded"],
            "conversation_service_sid": IS,
        }
        chat = next(r for r in mocks.resources if r.name == "conv-chat-webhooks")
        assert (chat.inputs["platform"], chat.inputs["post_webhook_url"]) == (
            "conversations",
            "https://deployed.example.com/hook",
        )

    return settle(*[c.urn for c in component.children]).apply(check)


@pulumi.runtime.test
def test_an_output_handler_url_reaches_the_resources_once_resolved(mocks):
    url = pulumi.Output.from_input("https://deployed.example.com/hook")
    component = CustomMessaging("east", small(handler={"url": url, "method": "get"}))

    def check(_):
        route = next(r for r in mocks.resources if r.name == "east-number-+15005550006")
        assert (route.inputs["sms_url"], route.inputs["sms_method"]) == (
            "https://deployed.example.com/hook",
            "GET",
        )
        chat = next(r for r in mocks.resources if r.name == "east-chat-webhooks")
        assert chat.inputs["post_webhook_url"] == "https://deployed.example.com/hook"

    return settle(*[c.urn for c in component.children]).apply(check)


def test_a_bad_plain_value_fails_with_the_validate_line(mocks):
    with pytest.raises(pulumi.RunError) as raised:
        CustomMessaging("east", small(numbers=["15005550006"], workspace={"sid": "WSnope"}))
    assert str(raised.value).splitlines() == [
        'CustomMessaging "east": flexorch:workspace.sid: "WSnope" is not a TaskRouter workspace '
        "SID; it starts with WS followed by 32 hex digits (copy it from the Twilio Console)",
        'CustomMessaging "east": flexorch:numbers[0]: "15005550006" is neither an E.164 number '
        'nor a phone number SID; write it like "+15005550006" (quoted, no spaces) or PN followed '
        "by 32 hex digits",
    ]


@pytest.mark.parametrize("depth", [40, 5000])
def test_a_value_nested_absurdly_deep_is_one_line_not_a_recursion_error(mocks, depth):
    deep: list = []
    for _ in range(depth):
        deep = [deep]
    with pytest.raises(pulumi.RunError) as raised:
        CustomMessaging("east", small(numbers=deep))
    assert str(raised.value) == (
        'CustomMessaging "east": flexorch:numbers: is nested more than 16 levels deep; no '
        "flexorch key nests that deep, so remove the extra levels"
    )


def test_typed_args_nested_absurdly_deep_are_one_line(mocks):
    from flexorch import CustomMessagingArgs
    from flexorch.component import ChatServiceArgs, HandlerArgs, SidOrNameArgs

    deep: list = []
    for _ in range(5000):
        deep = [deep]
    args = CustomMessagingArgs(
        handler=HandlerArgs(url=HANDLER),
        workspace=SidOrNameArgs(sid=WS),
        chat_service=ChatServiceArgs(sid=IS, webhook_filters=deep),
    )
    with pytest.raises(pulumi.RunError, match="nested more than 16 levels deep"):
        CustomMessaging("east", args)


def test_an_output_where_a_resource_name_comes_from_is_refused(mocks):
    with pytest.raises(pulumi.RunError) as raised:
        CustomMessaging("east", small(numbers=[pulumi.Output.from_input("+15005550006")]))
    assert str(raised.value) == (
        'CustomMessaging "east": flexorch:numbers[0]: must be a plain value, not a '
        "pulumi.Output; it decides which resources exist (only URLs, methods, SIDs and friendly "
        "names may be Outputs)"
    )


def test_a_bad_output_value_fails_when_it_resolves(mocks):
    @pulumi.runtime.test
    def program():
        url = pulumi.Output.from_input("ftp://handler.example.com")
        queue = {"queue": {"friendlyName": "Custom"}}  # not found: the TaskQueue would create it
        component = CustomMessaging("east", small(handler={"url": url}, workflow=queue))
        return settle(*[c.urn for c in component.children])

    with pytest.raises(pulumi.RunError) as raised:
        program()
    assert str(raised.value) == (
        'CustomMessaging "east": flexorch:handler.url: "ftp://handler.example.com" must use '
        "https (Twilio sends customer messages to it); http is only allowed for localhost and "
        "127.0.0.1"
    )
    # Reads of plain values may go ahead; nothing that writes to Twilio was registered.
    kinds = {r.typ.rsplit(":", 1)[-1] for r in mocks.resources}
    assert kinds <= {"CustomMessaging", "Workspace", "TaskQueueSnapshot", "PhoneNumbersSnapshot",
                     "FlexFlowSnapshot", "ChatServiceSnapshot"}  # fmt: skip


@pulumi.runtime.test
def test_the_sdk_logs_no_routine_debug_line_for_the_components_children(mocks, monkeypatch):
    # Each is a blocking call to the engine on the program's event loop: four per resource.
    lines: list[str] = []
    monkeypatch.setattr(pulumi.log, "debug", lambda msg, *args, **kwargs: lines.append(msg))
    _, component = declare(EXAMPLES[0])
    mine = pulumi.CustomResource("test:index:Mine", "mine", {})

    def check(_):
        registered = [line for line in lines if line.startswith("registering resource: ")]
        assert any("ty=flexorch:index:CustomMessaging" in line for line in registered)
        assert any("ty=test:index:Mine" in line for line in registered)
        assert not any("ty=flexorch:index:PhoneNumberRoute" in line for line in registered)
        assert sum("ty=flexorch:index:" in line for line in registered) == 1  # the component
        # The program's own resource keeps the whole sequence.
        assert any(line.startswith("resource registration successful: ty=test:index:Mine")
                   for line in lines)  # fmt: skip
        pulumi.log.debug("RPC failed with exception:")  # not routine: reaches the engine
        assert lines[-1] == "RPC failed with exception:"

    return settle(mine.urn, *[child.urn for child in component.children]).apply(check)


@pulumi.runtime.test
def test_two_components_coexist_and_opts_reach_every_child(mocks, monkeypatch):
    retained: dict[str, bool | None] = {}
    original = TwilioResource.__init__

    def spy(self, name, props, opts=None):
        retained[name] = opts.retain_on_delete if opts else None
        original(self, name, props, opts)

    monkeypatch.setattr(TwilioResource, "__init__", spy)
    east = CustomMessaging(
        "east", small(), opts=pulumi.ResourceOptions(protect=True, retain_on_delete=True)
    )
    west = CustomMessaging("west", small(numbers=["+15005550007"]))

    def check(_):
        names = [r.name for r in mocks.resources if r.typ != "flexorch:index:CustomMessaging"]
        assert len(names) == len(set(names)) == 22
        assert all(child._protect for child in east.children)
        assert not any(child._protect for child in west.children)
        assert {n for n, kept in retained.items() if kept} == {
            n for n in retained if n.startswith("east-")
        }
        assert len(retained) == 22

    return settle(*[c.urn for c in east.children + west.children]).apply(check)


@pulumi.runtime.test
def test_two_components_with_one_channel_unique_name_are_warned(mocks, monkeypatch):
    said: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda msg, *args, **kwargs: said.append(msg))
    east = CustomMessaging("east", small())
    west = CustomMessaging("west", small(numbers=["+15005550007"]))
    other = CustomMessaging(
        "other", small(numbers=["+15005550008"], taskChannels=[{"uniqueName": "custom2"}])
    )

    def check(_):
        assert said == [
            'CustomMessaging "west": TaskChannel custom1 is also component "east"\'s in this '
            "workspace, and a unique name is one TaskChannel per workspace: both hold the same "
            "one, and removing either deletes it; give one of them another uniqueName"
        ]

    return settle(*[c.urn for c in east.children + west.children + other.children]).apply(check)


def test_errors_name_the_component_they_come_from(mocks):
    CustomMessaging("east", small())
    with pytest.raises(pulumi.RunError) as raised:
        CustomMessaging(
            "west",
            small(numbers=["+15005550007"], workflow={"sid": WW, "adopt": True}),
        )
    assert str(raised.value).splitlines() == [
        'CustomMessaging "west": flexorch:workflow: give either sid or adopt: true, not both; '
        "sid adopts that Workflow, adopt: true the one named friendlyName",
    ]


def test_a_bad_output_value_names_its_component_when_it_resolves(mocks):
    @pulumi.runtime.test
    def program():
        CustomMessaging("east", small())
        url = pulumi.Output.from_input("https://handler.example.com/west")
        west = CustomMessaging(
            "west", small(handler={"url": url, "method": pulumi.Output.from_input("PUT")})
        )
        return settle(*[c.urn for c in west.children])

    with pytest.raises(pulumi.RunError) as raised:
        program()
    assert str(raised.value) == (
        'CustomMessaging "west": flexorch:handler.method: "PUT" is not an HTTP method Twilio '
        "webhooks use; use POST or GET"
    )


# --- typed args: every key of the mapping form ------------------------------------------------


def _classes(annotation, base):
    """The subclasses of `base` an annotation names, through unions, sequences and Annotated."""
    if isinstance(annotation, type) and issubclass(annotation, base):
        return [annotation]
    return [found for arg in typing.get_args(annotation) for found in _classes(arg, base)]


def uncovered(model, args) -> list[str]:
    """Keys of a config model its typed Args class lacks (or has beyond it), nested ones too."""
    from pydantic import BaseModel

    from flexorch.component import _Args, _camel

    hints = typing.get_type_hints(args, localns={"Output": pulumi.Output})  # in pulumi.Input
    fields = {_camel(f.name): f.name for f in dataclasses.fields(args)}
    keys = {field.alias or name: field for name, field in model.model_fields.items()}
    problems = [f"{args.__name__} has no {key} ({model.__name__})" for key in keys - fields.keys()]
    problems += [f"{args.__name__}.{fields[k]} is no key of {model.__name__}"
                 for k in fields.keys() - keys]  # fmt: skip
    for key in keys.keys() & fields.keys():
        nested = _classes(keys[key].annotation, BaseModel)
        if not nested:
            continue
        typed = _classes(hints[fields[key]], _Args)
        if not typed:
            problems.append(f"{args.__name__}.{fields[key]} takes no typed args")
        else:
            problems += uncovered(nested[0], typed[0])
    return sorted(problems)


def test_typed_args_cover_every_key_of_the_mapping_form():
    from flexorch import CustomMessagingArgs
    from flexorch.config import StackConfig

    assert uncovered(StackConfig, CustomMessagingArgs) == []


def test_flexorch_exports_the_component_and_every_args_class():
    import flexorch
    from flexorch import component
    from flexorch.resources import account, task_channel, workflow

    args = [
        name
        for name, value in vars(component).items()
        if isinstance(value, type) and issubclass(value, component._Args) and name[0] != "_"
    ]
    # Workflow and TaskChannel: what `pulumi import` of one prints (tests/e2e/test_import.py).
    resources = ["CustomMessaging", "Provider", "TaskChannel", "Workflow"]
    assert flexorch.__all__ == sorted([*args, *resources, "__version__"])
    assert all(getattr(flexorch, n) is getattr(component, n) for n in [*args, "CustomMessaging"])
    assert flexorch.Provider is account.Provider
    assert flexorch.Workflow is workflow.Workflow
    assert flexorch.TaskChannel is task_channel.TaskChannel


# --- a preview while the handler URL is an unknown Output -------------------------------------


class HandlerApp(pulumi.CustomResource):
    """Another resource of the user's program: at this preview its URL changes, so is unknown."""

    url: pulumi.Output[str]

    def __init__(self, name: str) -> None:
        super().__init__("test:index:HandlerApp", name, {"url": None})


class PreviewRecorder(Recorder):
    """A preview's outputs: the handler app's URL unknown; a SID names what the object is (the
    same object for both components), as Twilio's would."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        if args.typ == "test:index:HandlerApp":
            self.resources.append(args)
            return [f"{args.name}-id", {}]  # no url: unknown at a preview
        id_, outputs = super().new_resource(args)
        if args.typ.startswith("pulumi:providers:"):
            return [id_, outputs]
        what = args.name.split("-", 1)[-1]
        outputs["sid"] = outputs["sid"][:2] + hashlib.sha256(what.encode()).hexdigest()[:32]
        return [id_, outputs]


@pytest.fixture
def preview(pulumi_mocks):
    """Pulumi mocks of a preview (dry run) for one test; runtime settings restored afterwards."""
    return pulumi_mocks(PreviewRecorder(), preview=True)


def planned(recorder: Recorder, before: str, after: str) -> dict[str, str]:
    """What the engine plans for each child of `after`, over the state `before`'s children left.

    As the flexorch plugin does: the provider of the resource's type diffs the recorded
    outputs against the new inputs (unknown ones included).
    """
    plan = {}
    for new in recorder.resources:
        if not new.name.startswith(f"{after}-"):
            continue
        what = new.name.removeprefix(f"{after}-")
        provider = PROVIDERS[new.typ]()
        diff = provider.diff("id", recorder.outputs[f"{before}-{what}"], new.inputs)
        plan[what] = "replace" if diff.replaces else "update" if diff.changes else "same"
    return plan


@pulumi.runtime.test
def test_a_preview_with_an_unknown_handler_url_plans_only_what_reads_it(preview):
    from flexorch.resources.base import known

    up = CustomMessaging("up", small(workflow={"sid": WW}))  # what the last `up` recorded
    app = HandlerApp("handler-app")
    fed = CustomMessaging("fed", small(workflow={"sid": WW}, handler={"url": app.url}))

    def check(_):
        assert planned(preview, "up", "fed") == {
            "workspace": "same", "queue-before": "same", "queue": "same",
            "chat-service": "same", "phone-numbers": "same", "flex-flows": "same",
            "workflow-before": "same", "flex-flow-guard": "same", "channel-custom1": "same",
            "workflow": "same", "chat-webhooks": "update", "number-+15005550006": "update",
        }  # fmt: skip
        fed_inputs = {r.name.removeprefix("fed-"): r.inputs for r in preview.resources
                      if r.name.startswith("fed-")}  # fmt: skip
        unknown = {
            what: sorted(k for k, v in inputs.items() if not known(v))
            for what, inputs in fed_inputs.items()
        }
        # Only what reads the URL is unknown (and what the mocks leave out: snapshots' records).
        assert {what: keys for what, keys in unknown.items() if keys} == {
            "chat-service": ["handler_url"],
            "phone-numbers": ["handler_url"],
            "queue": ["adopted"],
            "flex-flow-guard": ["config_valid", "snapshot"],
            "workflow": ["adopted"],
            "chat-webhooks": ["post_webhook_url", "snapshot"],
            "number-+15005550006": ["sms_url", "snapshot"],
        }
        assert (
            fed_inputs["workspace"]["lookup_sid"],
            fed_inputs["workflow"]["adopt_sid"],
            fed_inputs["chat-webhooks"]["service_sid"],
            fed_inputs["flex-flows"]["chat_service_sid"],
        ) == (WS, WW, IS, IS)

    return settle(*[c.urn for c in up.children + fed.children]).apply(check)


# --- the dependency graph: reads, then the guard, then the writes -----------------------------

# What only reads (or, for a queue, may create the queue the Workflow needs, before any guard).
READS = (
    "Workspace",
    "TaskQueueSnapshot",
    "TaskQueue",
    "ChatServiceSnapshot",
    "PhoneNumbersSnapshot",
    "FlexFlowSnapshot",
    "WorkflowSnapshot",
    "TaskChannelSnapshot",
    "EventCallbackSnapshot",
)
WRITES = (
    "TaskChannel",
    "Workflow",
    "ChatServiceWebhooks",
    "WorkspaceEventCallback",
    "PhoneNumberRoute",
)


def every_kind(platform: str) -> dict:
    """A stack with one resource of every kind: adopted Workflow and channel, a fallback queue."""
    return small(
        platform=platform,
        workspace={"sid": WS, "eventCallback": {"url": HANDLER + "/events"}},
        workflow={"sid": WW, "fallbackQueue": {"friendlyName": "Fallback"}},
        taskChannels=[{"uniqueName": "custom1", "adopt": True}, {"uniqueName": "custom2"}],
        numbers=["+15005550006", "+15005550007"],
    )


class Recording(Recorder):
    """Outputs as a deployment's: the numbers' snapshot records each number, the event
    callback's snapshot what the workspace had.

    (A None input carries no dependency, so a route would not show the snapshot it reads.)
    """

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        id_, outputs = super().new_resource(args)
        if args.typ.endswith(":PhoneNumbersSnapshot"):
            outputs["records"] = {n: {"sid": "PN" + "0" * 32} for n in args.inputs["numbers"]}
        if args.typ.endswith(":EventCallbackSnapshot"):
            outputs["previous"] = {"url": "", "events": ""}
        return id_, outputs


@pytest.mark.parametrize("platform", ["programmable-chat", "conversations"])
@pulumi.runtime.test
def test_every_write_depends_on_the_guard_and_the_guard_on_every_read(pulumi_mocks, platform):
    mocks = pulumi_mocks(Recording())
    component = CustomMessaging("east", every_kind(platform))

    def check(_):
        graph = {
            r.name.removeprefix("east-"): {d.removeprefix("east-") for d in mocks.depends[r.name]}
            for r in mocks.resources
            if r.name.startswith("east-")
        }
        kinds = {name: mocks.kind(f"east-{name}") for name in graph}
        assert sorted(set(kinds.values())) == sorted({*READS, *WRITES, "FlexFlowGuard"})
        reads = {name for name, kind in kinds.items() if kind in READS}
        writes = {name for name, kind in kinds.items() if kind in WRITES}
        assert graph["flex-flow-guard"] == reads
        assert all("flex-flow-guard" in graph[name] for name in writes)
        # Nothing reads after the guard, nor writes before it.
        assert not any("flex-flow-guard" in graph[name] for name in reads)
        assert graph == {
            "workspace": set(),
            "queue-before": {"workspace"},
            "queue": {"workspace", "queue-before"},
            "fallback-queue-before": {"workspace"},
            "fallback-queue": {"workspace", "fallback-queue-before"},
            "chat-service": set(),
            "phone-numbers": set(),
            "flex-flows": set(),
            "workflow-before": {"workspace"},
            "channel-custom1-before": {"workspace"},
            "event-callback-before": {"workspace"},
            "flex-flow-guard": reads,
            "channel-custom1": {"flex-flow-guard", "workspace", "channel-custom1-before"},
            "channel-custom2": {"flex-flow-guard", "workspace"},
            "workflow": {
                "flex-flow-guard",
                "workspace",
                "queue",
                "fallback-queue",
                "workflow-before",
            },
            "chat-webhooks": {"flex-flow-guard", "chat-service"},
            "event-callback": {"flex-flow-guard", "workspace", "event-callback-before"},
            "number-+15005550006": {"flex-flow-guard", "phone-numbers"},
            "number-+15005550007": {"flex-flow-guard", "phone-numbers"},
        }

    return settle(*[child.urn for child in component.children]).apply(check)
