"""The real provider's adapter, spoken to over gRPC as the engine does, against a fake Twilio.

What is checked: property values both ways (camelCase names, secrets kept, unknowns kept as the
engine's unknown), dispatch by type token to the existing providers (a child's URN carries its
parent's type too), an unknown token refused, a user error answered as its one line with no
Python stack, credentials from the provider's own config, and Twilio calls run off the event
loop (32 at once).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import grpc
import grpc.aio
import pulumi
import pytest
from google.protobuf import struct_pb2
from helpers import declared_resources
from pulumi.dynamic import CreateResult
from pulumi.provider.experimental.property_value import Computed, PropertyValue
from pulumi.runtime import proto
from pulumi.runtime.proto import provider_pb2_grpc
from pulumi.runtime.rpc import UNKNOWN
from typing_extensions import override

from flexorch.errors import FlexorchError
from flexorch.provider import schema
from flexorch.provider.provider import WORKERS, FlexorchProvider, resource_type
from flexorch.provider.registry import PROVIDERS
from flexorch.provider.server import Servicer
from flexorch.provider.values import to_properties, to_props
from flexorch.resources.base import SnapshotProvider, TwilioProvider
from flexorch.resources.resource import camel, snake
from flexorch.sandbox import seed
from flexorch.sandbox.seed import ACCOUNT_SID, AUTH_TOKEN, EVERYONE_SID, WORKSPACE_SID

PARENT = "flexorch:index:CustomMessaging"
DOC = {"task_routing": {"filters": [], "default_filter": {"queue": EVERYONE_SID}}}


def urn(kind: str, name: str = "east-workflow") -> str:
    return f"urn:pulumi:dev::flexorch::{PARENT}$flexorch:index:{kind}::{name}"


def struct(**values: PropertyValue) -> struct_pb2.Struct:
    """Properties as the engine puts them on the wire (the SDK's own encoding)."""
    return PropertyValue.marshal_map(values)


def unwire(message: struct_pb2.Struct) -> dict[str, PropertyValue]:
    return PropertyValue.unmarshal_map(message)


def workflow(**overrides: PropertyValue) -> struct_pb2.Struct:
    values = {
        "workspaceSid": PropertyValue(WORKSPACE_SID),
        "friendlyName": PropertyValue("Custom messaging"),
        "configuration": PropertyValue(json.dumps(DOC)),
        "taskReservationTimeout": PropertyValue(120.0),
        **overrides,
    }
    return struct(**values)


Call = Callable[[provider_pb2_grpc.ResourceProviderStub], Awaitable[Any]]


@asynccontextmanager
async def served(provider: FlexorchProvider) -> AsyncIterator[Any]:
    """The provider behind the real gRPC server, and a client stub talking to it."""
    server = grpc.aio.server()
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(
        Servicer([], "0.0.0", provider, engine_address=""), server
    )
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield provider_pb2_grpc.ResourceProviderStub(channel)
    finally:
        await server.stop(None)


def talk(call: Call, provider: FlexorchProvider | None = None) -> Any:
    async def run() -> Any:
        async with served(provider or FlexorchProvider()) as stub:
            return await call(stub)

    # Not asyncio.run: it leaves the thread with no event loop, which Pulumi's mocks need.
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(run())
    finally:
        loop.close()


def refusal(call: Call, provider: FlexorchProvider | None = None) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        talk(call, provider)
    return raised.value


# --- values ---------------------------------------------------------------------------------


def test_properties_become_the_providers_plain_dict_and_come_back_with_secrets_kept() -> None:
    props = to_props(
        {
            "workspaceSid": PropertyValue(WORKSPACE_SID),
            "taskReservationTimeout": PropertyValue(120.0),
            "handlerUrl": PropertyValue("https://h.example.com/", is_secret=True),
            "adopted": PropertyValue(
                {"previous": PropertyValue({"friendly_name": PropertyValue("x", is_secret=True)})}
            ),
            "numbers": PropertyValue([PropertyValue("+15005550006")]),
            "configuration": PropertyValue(Computed()),
            "__provider": PropertyValue("a pickle", is_secret=True),
        }
    )
    assert props.values == {
        "workspace_sid": WORKSPACE_SID,
        "task_reservation_timeout": 120.0,
        "handler_url": "https://h.example.com/",
        "adopted": {"previous": {"friendly_name": "x"}},
        "numbers": ["+15005550006"],
        "configuration": UNKNOWN,
    }
    assert props.secret == {"handler_url", "adopted"}
    back = to_properties({**props.values, "sid": "WW1", "reservation": 30}, props.secret)
    assert back == {
        "workspaceSid": PropertyValue(WORKSPACE_SID),
        "taskReservationTimeout": PropertyValue(120.0),
        "handlerUrl": PropertyValue("https://h.example.com/", is_secret=True),
        "adopted": PropertyValue(
            {"previous": PropertyValue({"friendly_name": PropertyValue("x")})}, is_secret=True
        ),
        "numbers": PropertyValue([PropertyValue("+15005550006")]),
        "configuration": PropertyValue(UNKNOWN),
        "sid": PropertyValue("WW1"),
        "reservation": PropertyValue(30.0),
    }


def test_an_unknown_goes_back_to_the_engine_as_its_unknown() -> None:
    wire = PropertyValue.marshal_map(to_properties({"configuration": UNKNOWN}, ()))
    assert wire.fields["configuration"].string_value == UNKNOWN


def test_state_of_the_dynamic_providers_reads_the_same_as_camel_case() -> None:
    assert to_props({"workspace_sid": PropertyValue("WS1")}).values == {"workspace_sid": "WS1"}
    assert to_props({"workspaceSid": PropertyValue("WS1")}).values == {"workspace_sid": "WS1"}


def test_every_property_name_of_every_provider_survives_the_round_trip() -> None:
    names = {name for provider in PROVIDERS.values() for name in provider.inputs}
    names |= {"sid", "adopted_previous", "previous_conversations", "points_at_handler"}
    assert {name for name in names if snake(camel(name)) != name} == set()


def test_a_value_state_cannot_hold_is_a_bug_not_silently_dropped() -> None:
    with pytest.raises(TypeError, match="a provider returned a object"):
        to_properties({"sid": object()}, ())


# --- dispatch -------------------------------------------------------------------------------


def test_every_dynamic_resource_has_its_token_and_provider() -> None:
    from pulumi.dynamic import Resource

    import flexorch.component  # noqa: F401 - registers every resource class

    def subclasses(cls: type) -> list[type]:
        return [c for s in cls.__subclasses__() for c in (s, *subclasses(s))]

    names = {
        c._resource_type_name.rsplit(":", 1)[-1]
        for c in subclasses(Resource)
        if c.__module__.startswith("flexorch.")
        and c._resource_type_name.startswith("dynamic/flexorch:")
    }
    assert {f"flexorch:index:{name}" for name in names} == set(PROVIDERS)
    assert all(PROVIDERS[f"flexorch:index:{n}"].kind == n for n in names)


def test_the_type_is_read_from_the_urn_without_the_parents_types() -> None:
    assert resource_type(urn("Workflow")) == "flexorch:index:Workflow"
    assert resource_type("urn:pulumi:dev::p::flexorch:index:Workspace::w") == (
        "flexorch:index:Workspace"
    )


def test_create_update_delete_of_a_workflow_reach_the_workflow_provider(http, fake) -> None:
    async def call(stub: Any) -> Any:
        created = await stub.Create(proto.CreateRequest(urn=urn("Workflow"), properties=workflow()))
        outs = unwire(created.properties)
        updated = await stub.Update(
            proto.UpdateRequest(
                urn=urn("Workflow"),
                id=created.id,
                olds=created.properties,
                news=workflow(taskReservationTimeout=PropertyValue(60.0)),
            )
        )
        assert fake.find(seed.WORKFLOWS, sid=created.id)["task_reservation_timeout"] == 60
        await stub.Delete(
            proto.DeleteRequest(urn=urn("Workflow"), id=created.id, properties=updated.properties)
        )
        return created.id, outs

    workflow_sid, outs = talk(call)
    assert outs["sid"] == PropertyValue(workflow_sid)
    assert outs["taskReservationTimeout"] == PropertyValue(120.0)
    assert set(outs) == {
        "workspaceSid", "friendlyName", "configuration", "taskReservationTimeout",
        "adoptSid", "adoptByName", "sid",
    }  # fmt: skip
    assert [(m, p) for m, p, _ in http.log if m != "GET"] == [
        ("POST", f"/v1/Workspaces/{WORKSPACE_SID}/Workflows"),
        ("POST", f"/v1/Workspaces/{WORKSPACE_SID}/Workflows/{workflow_sid}"),
        ("DELETE", f"/v1/Workspaces/{WORKSPACE_SID}/Workflows/{workflow_sid}"),
    ]


def test_a_secret_input_comes_back_secret(http) -> None:
    async def call(stub: Any) -> Any:
        name = PropertyValue("Custom messaging", is_secret=True)
        created = await stub.Create(
            proto.CreateRequest(urn=urn("Workflow"), properties=workflow(friendlyName=name))
        )
        return unwire(created.properties)

    outs = talk(call)
    assert outs["friendlyName"] == PropertyValue("Custom messaging", is_secret=True)
    assert outs["configuration"].is_secret is False


def test_diff_names_the_changed_properties_and_what_forces_a_replacement(http) -> None:
    async def call(stub: Any) -> Any:
        olds = workflow(sid=PropertyValue("WW1"))
        news = workflow(
            workspaceSid=PropertyValue("WS" + "9" * 32),
            configuration=PropertyValue(json.dumps(DOC, indent=4)),  # same by value
            taskReservationTimeout=PropertyValue(60.0),
        )
        return await stub.Diff(
            proto.DiffRequest(urn=urn("Workflow"), id="WW1", olds=olds, news=news)
        )

    diff = talk(call)
    assert diff.changes == proto.DiffResponse.DIFF_SOME
    assert list(diff.replaces) == ["workspaceSid"]
    assert sorted(diff.diffs) == ["taskReservationTimeout", "workspaceSid"]
    assert diff.detailedDiff["workspaceSid"].kind == proto.PropertyDiff.UPDATE_REPLACE
    assert diff.detailedDiff["taskReservationTimeout"].kind == proto.PropertyDiff.UPDATE
    assert diff.deleteBeforeReplace is True
    assert http.log == []


def test_an_unchanged_resource_is_no_change_with_no_request(http) -> None:
    async def call(stub: Any) -> Any:
        olds = workflow(sid=PropertyValue("WW1"))
        return await stub.Diff(
            proto.DiffRequest(urn=urn("Workflow"), id="WW1", olds=olds, news=workflow())
        )

    assert talk(call).changes == proto.DiffResponse.DIFF_NONE
    assert http.log == []


# A dynamic provider's state of that workflow (snake_case, its pickle secret), as aliased.
PICKLED = PropertyValue("gASV...", is_secret=True)


def dynamic_state(**overrides: PropertyValue) -> struct_pb2.Struct:
    values = {
        "workspace_sid": PropertyValue(WORKSPACE_SID),
        "friendly_name": PropertyValue("Custom messaging"),
        "configuration": PropertyValue(json.dumps(DOC)),
        "task_reservation_timeout": PropertyValue(120.0),
        "adopt_sid": PropertyValue(None),
        "adopt_by_name": PropertyValue(None),
        "sid": PropertyValue("WW1"),
        "__provider": PICKLED,
        **overrides,
    }
    return struct(**values)


def test_a_moved_dynamic_resource_is_an_update_that_drops_its_pickle_with_no_request(
    http,
) -> None:
    async def call(stub: Any) -> Any:
        olds = dynamic_state()
        diff = await stub.Diff(
            proto.DiffRequest(urn=urn("Workflow"), id="WW1", olds=olds, news=workflow())
        )
        updated = await stub.Update(
            proto.UpdateRequest(urn=urn("Workflow"), id="WW1", olds=olds, news=workflow())
        )
        return diff, unwire(updated.properties)

    diff, outs = talk(call)
    assert diff.changes == proto.DiffResponse.DIFF_SOME
    assert list(diff.replaces) == []
    assert list(diff.diffs) == ["__provider"]
    assert diff.detailedDiff["__provider"].kind == proto.PropertyDiff.DELETE
    assert outs == {
        "workspaceSid": PropertyValue(WORKSPACE_SID),
        "friendlyName": PropertyValue("Custom messaging"),
        "configuration": PropertyValue(json.dumps(DOC)),
        "taskReservationTimeout": PropertyValue(120.0),
        "adoptSid": PropertyValue(None),
        "adoptByName": PropertyValue(None),
        "sid": PropertyValue("WW1"),
    }
    assert http.log == []


def test_at_preview_create_and_update_answer_the_inputs_with_no_request(http) -> None:
    async def call(stub: Any) -> Any:
        news = workflow(taskReservationTimeout=PropertyValue(60.0))
        created = await stub.Create(
            proto.CreateRequest(urn=urn("Workflow"), properties=news, preview=True)
        )
        olds = workflow(sid=PropertyValue("WW1"))
        updated = await stub.Update(
            proto.UpdateRequest(urn=urn("Workflow"), id="WW1", olds=olds, news=news, preview=True)
        )
        moved = await stub.Update(
            proto.UpdateRequest(
                urn=urn("Workflow"), id="WW1", olds=dynamic_state(), news=workflow(), preview=True
            )
        )
        return created, unwire(updated.properties), unwire(moved.properties)

    created, updated, moved = talk(call)
    inputs = unwire(workflow(taskReservationTimeout=PropertyValue(60.0)))
    assert (created.id, unwire(created.properties)) == ("", inputs)
    assert updated == inputs
    assert moved["sid"] == PropertyValue("WW1")  # known at preview: its dependents keep theirs
    assert "__provider" not in moved
    assert http.log == []


def test_a_moved_dynamic_resource_with_a_real_change_is_the_providers_update(http, fake) -> None:
    async def call(stub: Any) -> Any:
        created = await stub.Create(proto.CreateRequest(urn=urn("Workflow"), properties=workflow()))
        olds = dynamic_state(sid=PropertyValue(created.id))
        news = workflow(taskReservationTimeout=PropertyValue(60.0))
        diff = await stub.Diff(
            proto.DiffRequest(urn=urn("Workflow"), id=created.id, olds=olds, news=news)
        )
        updated = await stub.Update(
            proto.UpdateRequest(urn=urn("Workflow"), id=created.id, olds=olds, news=news)
        )
        return created.id, diff, unwire(updated.properties)

    sid, diff, outs = talk(call)
    assert sorted(diff.diffs) == ["__provider", "taskReservationTimeout"]
    assert outs["taskReservationTimeout"] == PropertyValue(60.0)
    assert "__provider" not in outs
    assert fake.find(seed.WORKFLOWS, sid=sid)["task_reservation_timeout"] == 60
    assert [(m, p) for m, p, _ in http.log if m != "GET"] == [
        ("POST", f"/v1/Workspaces/{WORKSPACE_SID}/Workflows"),
        ("POST", f"/v1/Workspaces/{WORKSPACE_SID}/Workflows/{sid}"),
    ]


def snapshot_of_a_missing_workflow() -> struct_pb2.Struct:
    return struct(
        workspaceSid=PropertyValue(WORKSPACE_SID),
        workspaceLookup=PropertyValue({"sid": PropertyValue(WORKSPACE_SID)}),
        adoptSid=PropertyValue("WW" + "0" * 32),
        friendlyName=PropertyValue("Custom messaging"),
    )


def test_a_snapshot_check_answers_at_once_and_its_create_reports_a_bad_reference(http) -> None:
    """The engine checks one resource at a time: a look-up there would hold up the next ones."""
    news = snapshot_of_a_missing_workflow()

    async def call(stub: Any) -> Any:
        checked = await stub.Check(
            proto.CheckRequest(urn=urn("WorkflowSnapshot"), olds=struct(), news=news)
        )
        assert list(checked.failures) == []
        assert unwire(checked.inputs)["adoptSid"] == PropertyValue("WW" + "0" * 32)
        await stub.Create(
            proto.CreateRequest(urn=urn("WorkflowSnapshot"), properties=news, preview=True)
        )

    missing = "WW" + "0" * 32
    assert refusal(call).details() == (
        f'Workflow "{missing}": look up: Twilio error 20404: Unable to fetch record: The '
        f"requested resource /v1/Workspaces/{WORKSPACE_SID}/Workflows/{missing} was not found"
    )


def test_snapshot_checks_look_up_side_by_side() -> None:
    """Eight checks in a row, each look-up waiting until all eight are under way."""
    started = threading.Barrier(8, timeout=5)
    checked: set[str] = set()

    class Slow(SnapshotProvider):
        kind = "WorkflowSnapshot"
        inputs = ("adopt_sid",)

        @override
        def look_up(self, props: dict[str, Any]) -> dict[str, Any]:
            if props["adopt_sid"] not in checked:  # the check's; create's finds it at once
                checked.add(props["adopt_sid"])
                started.wait()  # every look-up under way at once, or this times out
            return {"sid": props["adopt_sid"]}

    provider = FlexorchProvider({"flexorch:index:WorkflowSnapshot": Slow})

    async def call(stub: Any) -> Any:
        for n in range(8):
            news = struct(adoptSid=PropertyValue(f"WW{n}"))
            name = urn("WorkflowSnapshot", f"w{n}")
            await stub.Check(proto.CheckRequest(urn=name, olds=struct(), news=news))
        return [
            await stub.Create(
                proto.CreateRequest(
                    urn=urn("WorkflowSnapshot", f"w{n}"),
                    properties=struct(adoptSid=PropertyValue(f"WW{n}")),
                )
            )
            for n in range(8)
        ]

    created = talk(call, provider)
    assert [c.id for c in created] == [f"WW{n}" for n in range(8)]


def test_read_of_an_owned_workflow_deleted_in_twilio_reports_it_gone(http, fake) -> None:
    async def call(stub: Any) -> Any:
        created = await stub.Create(proto.CreateRequest(urn=urn("Workflow"), properties=workflow()))
        stored = fake.records[seed.WORKFLOWS]
        del stored[next(path for path in stored if path.endswith(created.id))]
        return await stub.Read(
            proto.ReadRequest(
                urn=urn("Workflow"), id=created.id, properties=created.properties, inputs=workflow()
            )
        )

    assert talk(call).id == ""


def test_read_returns_what_twilio_has_and_the_inputs_that_produce_it(http, fake) -> None:
    async def call(stub: Any) -> Any:
        created = await stub.Create(proto.CreateRequest(urn=urn("Workflow"), properties=workflow()))
        fake.find(seed.WORKFLOWS, sid=created.id)["friendly_name"] = "Renamed in the Console"
        return await stub.Read(
            proto.ReadRequest(
                urn=urn("Workflow"), id=created.id, properties=created.properties, inputs=workflow()
            )
        )

    read = talk(call)
    assert unwire(read.properties)["friendlyName"] == PropertyValue("Renamed in the Console")
    assert unwire(read.inputs)["friendlyName"] == PropertyValue("Renamed in the Console")
    assert unwire(read.inputs)["workspaceSid"] == PropertyValue(WORKSPACE_SID)


# --- schema ---------------------------------------------------------------------------------


@pulumi.runtime.test
def test_the_shipped_schema_is_what_the_resources_and_the_config_declare(mocks) -> None:
    shipped = json.loads(schema.load())
    assert shipped == schema.build(declared_resources()), "run scripts/regenerate-schema"
    assert set(shipped["resources"]) == {*PROVIDERS, "flexorch:index:CustomMessaging"}


def test_the_engine_gets_the_schema() -> None:
    async def call(stub: Any) -> Any:
        return await stub.GetSchema(proto.GetSchemaRequest(version=0))

    served = json.loads(talk(call).schema)
    assert served["name"] == "flexorch"
    component = served["resources"]["flexorch:index:CustomMessaging"]
    assert component["isComponent"] is True
    assert component["requiredInputs"] == ["handler", "workspace", "chatService"]
    assert component["inputProperties"]["handler"] == {
        "$ref": "#/types/flexorch:index:MessagingHandler"
    }
    assert served["types"]["flexorch:index:MessagingHandler"]["required"] == ["url"]
    assert served["config"]["variables"]["authToken"]["secret"] is True
    workflow = served["resources"]["flexorch:index:Workflow"]
    assert set(workflow["properties"]) - set(workflow["inputProperties"]) == {
        "sid", "adoptedPrevious",
    }  # fmt: skip


# --- refusals -------------------------------------------------------------------------------


def test_an_unknown_type_token_is_refused_in_one_line(http) -> None:
    nope = "urn:pulumi:dev::flexorch::flexorch:index:Nope::n"

    async def call(stub: Any) -> Any:
        return await stub.Check(proto.CheckRequest(urn=nope, olds=struct(), news=struct()))

    error = refusal(call)
    served = ", ".join(sorted(PROVIDERS))
    assert error.details() == (
        f"{nope}: flexorch:index:Nope is not a flexorch resource type; "
        f"this provider serves {served}"
    )
    assert http.log == []


def test_a_user_error_is_its_one_line_with_no_python_stack(http, fake) -> None:
    taken = fake.add(
        seed.WORKFLOWS,
        {"WorkspaceSid": WORKSPACE_SID},
        friendly_name="Custom messaging",
        configuration=json.dumps({"task_routing": {"filters": []}}),
        task_reservation_timeout=30,
    )

    async def call(stub: Any) -> Any:
        return await stub.Create(proto.CreateRequest(urn=urn("Workflow"), properties=workflow()))

    error = refusal(call)
    assert error.code() == grpc.StatusCode.UNKNOWN
    assert error.details() == (
        f'Workflow "Custom messaging": a Workflow of that name already exists ({taken["sid"]}) '
        "with another configuration; set flexorch:workflow.adopt: true to adopt it (restored "
        "on destroy), or give flexorch:workflow.friendlyName another name"
    )


def test_an_update_at_preview_says_what_the_update_would_refuse_with_no_request(http) -> None:
    """The guard's refusal of drift by the new inputs reaches `preview`, not only `up`."""
    seen: list[tuple[dict[str, Any], dict[str, Any]]] = []

    class Refusing(TwilioProvider):
        kind = "Refusing"
        inputs = ("mode",)

        def preview_update(self, olds: dict[str, Any], news: dict[str, Any]) -> None:
            seen.append((olds, news))
            if news["mode"] == "fail":
                raise FlexorchError("refused by the new mode")

    provider = FlexorchProvider({"flexorch:index:Refusing": Refusing})
    olds = struct(mode=PropertyValue("fail"), drift=PropertyValue([PropertyValue("FO1")]))

    def update(mode: str) -> Call:
        async def call(stub: Any) -> Any:
            news = struct(mode=PropertyValue(mode))
            return await stub.Update(
                proto.UpdateRequest(urn=urn("Refusing"), id="g", olds=olds, news=news, preview=True)
            )

        return call

    assert refusal(update("fail"), provider).details() == "refused by the new mode"
    assert unwire(talk(update("disable"), provider).properties) == {
        "mode": PropertyValue("disable")
    }
    assert seen[-1] == ({"mode": "fail", "drift": ["FO1"]}, {"mode": "disable"})
    assert http.log == []


def test_a_bug_keeps_its_stack() -> None:
    class Broken(TwilioProvider):
        kind = "Broken"

        def create(self, props: dict[str, Any]) -> CreateResult:
            raise KeyError("sid")

    provider = FlexorchProvider({"flexorch:index:Broken": Broken})

    async def call(stub: Any) -> Any:
        return await stub.Create(proto.CreateRequest(urn=urn("Broken"), properties=struct()))

    details = refusal(call, provider).details()
    assert details.startswith("Unexpected <class 'Exception'>: 'sid':\n")
    assert 'in create\n    raise KeyError("sid")' in details


# --- credentials and concurrency ------------------------------------------------------------


def test_credentials_come_from_the_providers_own_config(http, monkeypatch) -> None:
    monkeypatch.delenv("TWILIO_ACCOUNT_SID")
    monkeypatch.delenv("TWILIO_AUTH_TOKEN")

    async def call(stub: Any) -> Any:
        await stub.Configure(
            proto.ConfigureRequest(
                args=struct(
                    accountSid=PropertyValue(ACCOUNT_SID),
                    authToken=PropertyValue(AUTH_TOKEN, is_secret=True),
                    handler=PropertyValue("{}"),  # the program's own key: not the provider's
                ),
                acceptSecrets=True,
            )
        )
        return await stub.Create(proto.CreateRequest(urn=urn("Workflow"), properties=workflow()))

    assert talk(call).id.startswith("WW")


def test_without_credentials_the_line_says_where_to_put_them(http, monkeypatch) -> None:
    monkeypatch.delenv("TWILIO_ACCOUNT_SID")

    async def call(stub: Any) -> Any:
        return await stub.Create(proto.CreateRequest(urn=urn("Workflow"), properties=workflow()))

    assert refusal(call).details() == (
        "twilio:accountSid: is not set; run `pulumi config set twilio:accountSid AC...` "
        "or set TWILIO_ACCOUNT_SID"
    )


def test_32_twilio_calls_run_at_once_off_the_event_loop() -> None:
    loop_threads: set[int] = set()

    class Slow(TwilioProvider):
        kind = "Slow"

        def create(self, props: dict[str, Any]) -> CreateResult:
            loop_threads.add(threading.get_ident())
            time.sleep(0.5)  # a blocking Twilio request
            return CreateResult(str(props["n"]), {})

    provider = FlexorchProvider({"flexorch:index:Slow": Slow})

    async def call(stub: Any) -> Any:
        async def one(n: int) -> Any:
            request = proto.CreateRequest(
                urn=urn("Slow", f"s{n}"), properties=struct(n=PropertyValue(float(n)))
            )
            return await stub.Create(request)

        started = time.monotonic()
        done = await asyncio.gather(*(one(n) for n in range(WORKERS)))
        return time.monotonic() - started, {d.id for d in done}

    elapsed, ids = talk(call, provider)
    assert WORKERS == 32
    assert ids == {f"{float(n)}" for n in range(32)}
    assert elapsed < 2.5  # 32 x 0.5 s one at a time would be 16 s
    assert threading.main_thread().ident not in loop_threads


def test_the_provider_starts_without_the_component_or_its_config_model() -> None:
    """Every operation waits for the provider to start; only `construct` needs those."""
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, flexorch.provider.provider as p; print(sorted("
         "m for m in ('flexorch.component', 'flexorch.config', 'pydantic') if m in sys.modules))"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert loaded.strip() == "[]"


def test_a_provider_resource_changes_with_its_credentials_only() -> None:
    """The `version` a generated SDK's component passes down is no change (TypeScript e2e)."""
    provider_urn = f"urn:pulumi:dev::flexorch::{PARENT}$pulumi:providers:flexorch::east-provider"
    token = PropertyValue("token", is_secret=True)
    olds = {"accountSid": PropertyValue(ACCOUNT_SID), "authToken": token}

    async def call(stub: Any) -> Any:
        same = await stub.DiffConfig(
            proto.DiffRequest(
                urn=provider_urn,
                id="1",
                olds=struct(**olds),
                news=struct(**olds, version=PropertyValue("0.2.0")),
            )
        )
        other = await stub.DiffConfig(
            proto.DiffRequest(
                urn=provider_urn,
                id="1",
                olds=struct(**olds),
                news=struct(**{**olds, "authToken": PropertyValue("new", is_secret=True)}),
            )
        )
        return same, other

    same, other = talk(call)
    assert (same.changes, list(same.diffs)) == (proto.DiffResponse.DIFF_NONE, [])
    assert (other.changes, list(other.diffs)) == (proto.DiffResponse.DIFF_SOME, ["authToken"])
