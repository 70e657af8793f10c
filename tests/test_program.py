"""The resource graph the Pulumi program declares, under Pulumi's own mocks."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pulumi
import pytest
from helpers import EXAMPLES

from flexorch.component import CustomMessaging
from flexorch.loading import load_stack_file
from flexorch.twilio_facts import CONVERSATIONS

TOKEN = "super-secret-auth-token-value"


class Recorder(pulumi.runtime.Mocks):
    """Records every registered resource and hands back plausible outputs."""

    def __init__(self) -> None:
        self.resources: list[pulumi.runtime.MockResourceArgs] = []
        self.outputs: dict[str, dict] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        self.resources.append(args)
        kind = args.typ.rsplit(":", 1)[-1]
        prefix = {"Workspace": "WS", "TaskQueue": "WQ", "Workflow": "WW", "TaskChannel": "TC",
                  "PhoneNumberRoute": "PN"}.get(kind, "XX")  # fmt: skip
        sid = prefix + format(len(self.resources), "032x")
        outputs = dict(args.inputs, sid=sid)
        if kind == "PhoneNumberRoute":
            outputs["phone_number"] = args.inputs["number"]
        self.outputs[args.name] = outputs
        return [f"{args.name}-id", outputs]

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}

    def of(self, kind: str) -> list[pulumi.runtime.MockResourceArgs]:
        return [r for r in self.resources if r.typ.endswith(":" + kind)]


@pytest.fixture
def mocks(monkeypatch):
    """Install Pulumi mocks for one test and restore the runtime settings afterwards."""
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    saved = pulumi.runtime.settings.SETTINGS
    recorder = Recorder()
    pulumi.runtime.set_mocks(recorder, project="flexorch", stack="test", preview=False)
    yield recorder
    pulumi.runtime.settings.configure(saved)


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
        assert target["expression"] == "task.targetWorker == worker.contact_uri"
        assert target["queue"] == mocks.outputs["flexorch-queue"]["sid"]
        guard = mocks.of("FlexFlowGuard")[0]
        assert guard.inputs["mode"] == config.flex_flows
        # Resource types are stable type tokens (renaming them would change URNs).
        assert workflow.typ == "pulumi-python:dynamic/flexorch:Workflow"

    return settle(*[child.urn for child in component.children]).apply(check)


@pulumi.runtime.test
def test_no_credential_reaches_any_registered_input(mocks):
    _config, component = declare(EXAMPLES[0])
    checked: list[str] = []

    def check(_):
        for resource in mocks.resources:
            text = json.dumps(resource.inputs, default=str)
            assert TOKEN not in text
            provider = resource.inputs.get("__provider")
            if isinstance(provider, dict):  # serialised as a secret: {sig: ..., "value": ...}
                provider = provider.get("value")
            if provider:
                assert TOKEN.encode() not in base64.b64decode(provider)
                checked.append(resource.name)
        assert len(checked) >= 7, checked  # every dynamic resource's pickled provider was read

    return settle(*[child.urn for child in component.children]).apply(check)


HANDLER = "https://handler.example.com/flex"
WS = "WS" + "1" * 32
IS = "IS" + "2" * 32


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


@pulumi.runtime.test
def test_typed_args_declare_what_the_mapping_declares(mocks):
    from flexorch import CustomMessagingArgs
    from flexorch.component import ChatServiceArgs, HandlerArgs, SidOrNameArgs, TaskChannelArgs

    typed = CustomMessaging(
        "typed",
        CustomMessagingArgs(
            handler=HandlerArgs(url=HANDLER),
            workspace=SidOrNameArgs(sid=WS),
            task_channels=[TaskChannelArgs(unique_name="custom1")],
            chat_service=ChatServiceArgs(sid=IS),
            numbers=["+15005550006"],
        ),
    )
    mapped = CustomMessaging("mapped", small())

    def check(_):
        def inputs(prefix):
            return {
                r.name.removeprefix(prefix): {
                    k: v
                    for k, v in r.inputs.items()
                    # SIDs the mocks hand out in registration order
                    if k not in ("__provider", "configuration", "workspace_sid", "snapshot")
                }
                for r in mocks.resources
                if r.name.startswith(prefix)
            }

        assert inputs("typed-") == inputs("mapped-")
        assert set(inputs("typed-")) == {
            "flex-flow-guard", "workspace", "queue", "channel-custom1", "workflow",
            "chat-webhooks", "number-+15005550006", "chat-service", "flex-flows",
            "phone-numbers",
        }  # fmt: skip

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
        'flexorch:workspace.sid: "WSnope" is not a TaskRouter workspace SID; it starts with WS '
        "followed by 32 hex digits (copy it from the Twilio Console)",
        'flexorch:numbers[0]: "15005550006" is neither an E.164 number nor a phone number SID; '
        'write it like "+15005550006" (quoted, no spaces) or PN followed by 32 hex digits',
    ]


@pytest.mark.parametrize("depth", [40, 5000])
def test_a_value_nested_absurdly_deep_is_one_line_not_a_recursion_error(mocks, depth):
    deep: list = []
    for _ in range(depth):
        deep = [deep]
    with pytest.raises(pulumi.RunError) as raised:
        CustomMessaging("east", small(numbers=deep))
    assert str(raised.value) == (
        "flexorch:numbers: is nested more than 16 levels deep; no flexorch key nests that "
        "deep, so remove the extra levels"
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
        "flexorch:numbers[0]: must be a plain value, not a pulumi.Output; it decides which "
        "resources exist (only URLs, methods, SIDs and friendly names may be Outputs)"
    )


def test_a_bad_output_value_fails_when_it_resolves(mocks):
    @pulumi.runtime.test
    def program():
        url = pulumi.Output.from_input("ftp://handler.example.com")
        component = CustomMessaging("east", small(handler={"url": url}))
        return settle(*[c.urn for c in component.children])

    with pytest.raises(pulumi.RunError) as raised:
        program()
    assert str(raised.value) == (
        'flexorch:handler.url: "ftp://handler.example.com" must use https (Twilio sends '
        "customer messages to it); http is only allowed for localhost and 127.0.0.1"
    )


@pulumi.runtime.test
def test_two_components_coexist_and_opts_reach_every_child(mocks, monkeypatch):
    retained: dict[str, bool | None] = {}
    original = pulumi.dynamic.Resource.__init__

    def spy(self, provider, name, props, opts=None):
        retained[name] = opts.retain_on_delete if opts else None
        original(self, provider, name, props, opts)

    monkeypatch.setattr(pulumi.dynamic.Resource, "__init__", spy)
    east = CustomMessaging(
        "east", small(), opts=pulumi.ResourceOptions(protect=True, retain_on_delete=True)
    )
    west = CustomMessaging("west", small(numbers=["+15005550007"]))

    def check(_):
        names = [r.name for r in mocks.resources if r.typ != "flexorch:index:CustomMessaging"]
        assert len(names) == len(set(names)) == 20
        assert all(child._protect for child in east.children)
        assert not any(child._protect for child in west.children)
        assert {n for n, kept in retained.items() if kept} == {
            n for n in retained if n.startswith("east-")
        }
        assert len(retained) == 20

    return settle(*[c.urn for c in east.children + west.children]).apply(check)
