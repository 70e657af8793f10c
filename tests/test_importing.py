"""`pulumi import` of a Workflow or a TaskChannel by SID, as the engine asks: a read with no state.

The engine sends the id the user typed and empty inputs and state (ImportStep.Apply, pulumi
3.274.1). Checked against a fake account with two workspaces: the workspace holding the SID is
found by listing them, `WS.../WW...` asks only that one, what comes back is the inputs that
produce the outputs (so a program declaring the same object has no change), and the refusals
(no such SID in the account, not a SID, a Flex built-in channel, a kind that is not imported)
are each one line. A refresh, which has state, still reads the object alone.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from typing import Any, TypeVar

import pytest
from pulumi.provider.experimental import provider as api
from pulumi.provider.experimental.property_value import PropertyValue

from flexorch.errors import FlexorchError
from flexorch.provider.provider import FlexorchProvider
from flexorch.sandbox import seed
from flexorch.sandbox.seed import ACCOUNT_SID, WORKSPACE_SID

T = TypeVar("T")

SALES_WORKSPACE = seed.sid("WS", "Sales")
SALES_ROUTING = seed.sid("WW", "Sales routing")
SALES_DOCUMENT = '{"task_routing": {"filters": [], "default_filter": {"queue": "WQ1"}}}'
VENDOR_CHANNEL = seed.sid("TC", "vendor_sms")
NOWHERE = "WW" + "0" * 32


def urn(kind: str, name: str = "imported") -> str:
    return f"urn:pulumi:dev::userapp::flexorch:index:{kind}::{name}"


def run(call: Coroutine[Any, Any, T]) -> T:
    # Not asyncio.run: it leaves the thread with no event loop, which Pulumi's mocks need.
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(call)
    finally:
        loop.close()


def imported(kind: str, id_: str) -> api.ReadResponse:
    """What `pulumi import flexorch:index:<kind> imported <id_>` gets from the provider."""
    return run(FlexorchProvider().read(api.ReadRequest(urn(kind), id_, {}, {})))


def refusal(kind: str, id_: str) -> str:
    with pytest.raises(FlexorchError) as raised:
        imported(kind, id_)
    return str(raised.value)


def values(properties: dict[str, PropertyValue] | None) -> dict[str, Any]:
    return {key: value.value for key, value in (properties or {}).items()}


@pytest.fixture
def account(fake: Any) -> Any:
    """The seeded Flex account, plus a second workspace holding a Workflow, and a custom channel."""
    fake.add(seed.WORKSPACES, sid=SALES_WORKSPACE, friendly_name="Sales")
    fake.add(
        seed.WORKFLOWS,
        {"WorkspaceSid": SALES_WORKSPACE},
        sid=SALES_ROUTING,
        friendly_name="Sales routing",
        configuration=SALES_DOCUMENT,
        task_reservation_timeout=60,
    )
    fake.add(
        seed.TASK_CHANNELS,
        {"WorkspaceSid": WORKSPACE_SID},
        sid=VENDOR_CHANNEL,
        unique_name="vendor_sms",
        friendly_name="Vendor SMS",
    )
    return fake


def test_a_workflow_is_found_by_its_sid_alone_in_the_workspace_that_holds_it(
    http: Any, account: Any
) -> None:
    read = imported("Workflow", SALES_ROUTING)
    inputs = {
        "workspaceSid": SALES_WORKSPACE,
        "friendlyName": "Sales routing",
        "configuration": SALES_DOCUMENT,
        "taskReservationTimeout": 60.0,
    }
    assert read.resource_id == SALES_ROUTING
    assert values(read.inputs) == inputs
    assert values(read.properties) == {**inputs, "sid": SALES_ROUTING}
    assert [(method, path) for method, path, _ in http.log] == [
        ("GET", "/v1/Workspaces"),
        ("GET", f"/v1/Workspaces/{WORKSPACE_SID}/Workflows/{SALES_ROUTING}"),  # 404
        ("GET", f"/v1/Workspaces/{SALES_WORKSPACE}/Workflows/{SALES_ROUTING}"),
    ]


def test_workspace_slash_sid_asks_only_that_workspace(http: Any, account: Any) -> None:
    read = imported("Workflow", f"{SALES_WORKSPACE}/{SALES_ROUTING}")
    assert read.resource_id == SALES_ROUTING  # the id in state is the SID, as after a create
    assert values(read.inputs)["workspaceSid"] == SALES_WORKSPACE
    assert [(method, path) for method, path, _ in http.log] == [
        ("GET", f"/v1/Workspaces/{SALES_WORKSPACE}/Workflows/{SALES_ROUTING}"),
    ]


def test_a_task_channel_is_found_by_its_sid_alone(http: Any, account: Any) -> None:
    read = imported("TaskChannel", VENDOR_CHANNEL)
    inputs = {
        "workspaceSid": WORKSPACE_SID,
        "uniqueName": "vendor_sms",
        "friendlyName": "Vendor SMS",
    }
    assert (read.resource_id, values(read.inputs)) == (VENDOR_CHANNEL, inputs)
    assert values(read.properties) == {**inputs, "sid": VENDOR_CHANNEL}
    assert {method for method, _, _ in http.log} == {"GET"}


def test_a_program_declaring_the_imported_workflow_has_no_change(http: Any, account: Any) -> None:
    """Its document written another way (spacing, key order) is the same document."""
    read = imported("Workflow", SALES_ROUTING)
    document = json.loads(SALES_DOCUMENT)
    program = {
        **(read.inputs or {}),
        "configuration": PropertyValue(json.dumps(document, indent=2, sort_keys=True)),
    }
    mark = len(http.log)
    diff = run(
        FlexorchProvider().diff(
            api.DiffRequest(urn("Workflow"), SALES_ROUTING, read.properties or {}, program, [])
        )
    )
    assert (diff.changes, diff.diffs) == (False, [])
    assert http.log[mark:] == []


def test_a_refresh_after_the_import_reads_the_object_alone_and_sees_it_gone(
    http: Any, account: Any
) -> None:
    read = imported("Workflow", SALES_ROUTING)
    provider = FlexorchProvider()
    state = read.properties or {}
    request = api.ReadRequest(urn("Workflow"), SALES_ROUTING, state, read.inputs or {})
    mark = len(http.log)
    assert run(provider.read(request)).resource_id == SALES_ROUTING
    assert [(m, p) for m, p, _ in http.log[mark:]] == [
        ("GET", f"/v1/Workspaces/{SALES_WORKSPACE}/Workflows/{SALES_ROUTING}"),
    ]
    # Deleted in the Console: imported is owned, so it is reported gone, not an error.
    stored = account.records[seed.WORKFLOWS]
    del stored[next(path for path in stored if path.endswith(SALES_ROUTING))]
    gone = run(provider.read(request))
    assert (gone.resource_id, gone.properties, gone.inputs) == ("", {}, {})


def test_a_sid_in_no_workspace_of_the_account_is_one_line_naming_both(
    http: Any, account: Any
) -> None:
    assert refusal("Workflow", NOWHERE) == (
        f"Workflow {NOWHERE}: not found in any TaskRouter workspace ({WORKSPACE_SID}, "
        f"{SALES_WORKSPACE}) of account {ACCOUNT_SID}; check the SID in the Twilio Console "
        "(TaskRouter > Workspaces) and that the provider's credentials (flexorch:accountSid, or "
        "TWILIO_ACCOUNT_SID) are that account's"
    )
    assert refusal("TaskChannel", f"{SALES_WORKSPACE}/{VENDOR_CHANNEL}") == (
        f"TaskChannel {VENDOR_CHANNEL}: not found in workspace {SALES_WORKSPACE} of account "
        f"{ACCOUNT_SID}; check the SID in the Twilio Console (TaskRouter > Workspaces) and that "
        "the provider's credentials (flexorch:accountSid, or TWILIO_ACCOUNT_SID) are that "
        "account's"
    )
    assert {method for method, _, _ in http.log} == {"GET"}


@pytest.mark.parametrize(
    "id_",
    ["nope", "", f"{VENDOR_CHANNEL}", f"{SALES_ROUTING}x", f"WQ{'0' * 32}/{SALES_ROUTING}"],
)
def test_an_id_that_is_not_a_workflow_sid_is_refused_before_any_request(
    http: Any, account: Any, id_: str
) -> None:
    assert refusal("Workflow", id_) == (
        f'Workflow "{id_}": is not a Workflow SID; import it by the SID the Twilio Console '
        "shows (WW followed by 32 hex digits), or as WS.../WW... to name its workspace"
    )
    assert http.log == []


def test_a_flex_built_in_channel_is_not_imported(http: Any, account: Any) -> None:
    sms = seed.sid("TC", "sms")
    assert refusal("TaskChannel", sms) == (
        f'TaskChannel {sms}: is Flex\'s built-in "sms" channel, which Flex needs; flexorch owns '
        "only custom channels (destroy deletes what it owns), so import a custom one"
    )


def test_what_the_component_adopts_by_config_is_not_imported(http: Any, account: Any) -> None:
    number = "PN" + "1" * 32
    assert refusal("PhoneNumberRoute", number) == (
        f"flexorch:index:PhoneNumberRoute {number}: cannot be imported; `pulumi import` takes "
        "flexorch:index:Workflow (WW...) and flexorch:index:TaskChannel (TC...) by SID, and the "
        "component adopts the workspace, queues, chat service and numbers by its config"
    )
    assert http.log == []
