"""Faults after Twilio applied a write, against the real engine: nothing duplicated, nothing lost.

Each case runs `pulumi up` through a FaultProxy in front of a fresh sandbox account, with one
fault on one request: the connection dropped, a 5xx, a read timeout or a garbled answer after
the write was applied, or the CLI killed (SIGKILL) right after an adoption write and then
`pulumi cancel` and a plain `up` to recover; and faults while destroy puts a removed channel
webhook back. Each asserts the end state (the numbers and the chat service on the handler, no
Studio webhook on the returning customer's channel, exactly one Workflow and one TaskChannel),
that destroy puts every adopted setting back, and that no traceback reached the user. Console
drift (a Flex Flow re-enabled, a Workflow or TaskChannel deleted, a number's SmsUrl changed, a
Studio webhook added back to a channel) is repaired by `up --refresh` in tests/e2e.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pulumi.automation as auto
import pytest
from engine import TOOLS, adopted_settings, engine, sandbox_config
from faults.proxy import FaultProxy, RequestInfo

from flexorch.sandbox import seed
from flexorch.sandbox.server import Sandbox

HANDLER = "http://localhost:3000/flex"
WORKFLOW = "Custom messaging - route to contact_uri"  # the config's default friendly name
NUMBER_UPDATE = r"/IncomingPhoneNumbers/PN[0-9a-f]{32}\.json$"


# A customer whose ACTIVE chat channel the SMS Flex Flow made before the switch: its Studio
# webhook is removed by up (Programmable Chat) and put back by destroy.
CHANNEL = seed.sid("CH", f"SMS Flex Flow channel of {seed.RETURNING_CUSTOMER}")
WEBHOOK_REMOVAL = r"/Channels/CH[0-9a-f]{32}/Webhooks/WH[0-9a-f]{32}$"
WEBHOOK_PUT_BACK = r"/Channels/CH[0-9a-f]{32}/Webhooks$"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed.returning_customer_account()) as running:
        yield running


@pytest.fixture
def proxy(sandbox: Sandbox) -> Iterator[FaultProxy]:
    with FaultProxy(sandbox.url) as running:
        yield running


def conversations_config() -> dict[str, Any]:
    config = sandbox_config()
    config["flexorch:platform"] = "conversations"
    config["flexorch:chatService"] = {"sid": seed.CHAT_SERVICE_SID}
    return config


def stack_behind(
    proxy: FaultProxy, sandbox: Sandbox, tmp: Path, config: dict[str, Any] | None = None, **env: str
) -> auto.Stack:
    return engine(
        tmp,
        sandbox,
        "faults",
        config or sandbox_config(),
        {"FLEXORCH_TWILIO_BASE_URL": proxy.url, **env},
    )


def conversations_webhooks(sandbox: Sandbox) -> dict[str, Any]:
    return sandbox.fake.singleton(
        seed.CONVERSATION_SERVICE_WEBHOOKS, ChatServiceSid=seed.CHAT_SERVICE_SID
    )


def assert_converged_on_conversations(sandbox: Sandbox) -> None:
    """Each number has exactly one address at the handler and no SmsUrl; one of each owned."""
    fake = sandbox.fake
    for number in (seed.FREE_NUMBER, seed.FLEX_FLOW_NUMBER):
        address = fake.find(seed.ADDRESSES, address=number)  # exactly one, or LookupError
        assert address["auto_creation"]["webhook_url"] == HANDLER
        assert fake.find(seed.NUMBERS, phone_number=number)["sms_url"] == ""
    assert conversations_webhooks(sandbox)["post_webhook_url"] == HANDLER
    assert fake.find(seed.FLEX_FLOWS, contact_identity=seed.FLEX_FLOW_NUMBER)["enabled"] is False
    fake.find(seed.TASK_CHANNELS, unique_name="custom1")
    assert len([w for w in fake.all(seed.WORKFLOWS) if w["friendly_name"] == WORKFLOW]) == 1


def assert_restored_from_conversations(sandbox: Sandbox, before: dict[str, Any]) -> None:
    """Destroy put the numbers and the service back and removed every address it made."""
    after = adopted_settings(sandbox)
    for number, record in before["numbers"].items():
        now = after["numbers"][number]
        assert (now["sms_url"], now["sms_method"]) == (record["sms_url"], record["sms_method"])
    assert sandbox.fake.all(seed.ADDRESSES) == []
    assert conversations_webhooks(sandbox)["filters"] == []  # as seeded
    assert after["flows"] == before["flows"]
    assert after["workflows"] == before["workflows"]
    assert after["channels"] == before["channels"]
    assert after["channel_webhooks"] == before["channel_webhooks"]


def assert_converged(sandbox: Sandbox) -> None:
    """Everything points at the handler, and exactly one of each owned object exists."""
    fake = sandbox.fake
    for number in (seed.FREE_NUMBER, seed.FLEX_FLOW_NUMBER):
        assert fake.find(seed.NUMBERS, phone_number=number)["sms_url"] == HANDLER
    assert fake.find(seed.CHAT_SERVICES, sid=seed.CHAT_SERVICE_SID)["post_webhook_url"] == HANDLER
    assert fake.find(seed.FLEX_FLOWS, contact_identity=seed.FLEX_FLOW_NUMBER)["enabled"] is False
    fake.find(seed.TASK_CHANNELS, unique_name="custom1")  # exactly one, or LookupError
    assert len([w for w in fake.all(seed.WORKFLOWS) if w["friendly_name"] == WORKFLOW]) == 1
    assert [w for w in fake.all(seed.CHANNEL_WEBHOOKS) if w["channel_sid"] == CHANNEL] == []


def assert_restored(sandbox: Sandbox, before: dict[str, Any]) -> None:
    """Destroy put every adopted setting back and removed what the stack made."""
    after = adopted_settings(sandbox)
    for number, record in before["numbers"].items():
        now = after["numbers"][number]
        assert (now["sms_url"], now["sms_method"], now["sms_fallback_url"]) == (
            record["sms_url"],
            record["sms_method"],
            record["sms_fallback_url"],
        ), number
    for key in ("webhook_filters", "webhook_method"):
        assert after["chat"][key] == before["chat"][key], key
    # An empty URL cannot be sent (Twilio's spec types it as a URI): with the filters back as
    # they were, a URL that was empty before stays set but silent.
    for key in ("pre_webhook_url", "post_webhook_url"):
        if before["chat"][key]:
            assert after["chat"][key] == before["chat"][key], key
    assert after["flows"] == before["flows"]
    assert after["workflows"] == before["workflows"]
    assert after["channels"] == before["channels"]
    assert after["channel_webhooks"] == before["channel_webhooks"]


def no_traceback(*texts: str) -> None:
    for text in texts:
        assert "Traceback" not in text, text[-3000:]


# --- a fault on one request, the run goes on ------------------------------------------------

FAULTS: dict[str, Callable[[FaultProxy], Any]] = {
    "drop after a TaskChannel create": lambda p: p.drop("POST", r"/TaskChannels$"),
    "500 after a Workflow create": lambda p: p.error("POST", r"/Workflows$", status=500),
    # Twilio documents 503 as "not processed", but a gateway in between can answer it after
    # forwarding: a create's 503 is resolved by a look-up like any lost answer.
    "503 after a Workflow create": lambda p: p.error("POST", r"/Workflows$", status=503),
    "503 after a TaskChannel create": lambda p: p.error("POST", r"/TaskChannels$", status=503),
    "read timeout on a TaskChannel create": lambda p: p.stall("POST", r"/TaskChannels$", 3),
    "garbled answer to a number update": lambda p: p.garble("POST", NUMBER_UPDATE),
    "500 after a number update": lambda p: p.error("POST", NUMBER_UPDATE, status=500),
    "drop after a Flex Flow disable": lambda p: p.drop("POST", r"/FlexFlows/FO[0-9a-f]{32}$"),
    "drop after a channel webhook removal": lambda p: p.drop("DELETE", WEBHOOK_REMOVAL),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_a_fault_after_a_write_converges_without_duplicates(
    fault: str, sandbox: Sandbox, proxy: FaultProxy, tmp_path: Path
) -> None:
    before = adopted_settings(sandbox)
    rule = FAULTS[fault](proxy)
    stack = stack_behind(proxy, sandbox, tmp_path, FLEXORCH_TWILIO_TIMEOUT="1")
    up = stack.up()
    assert proxy.fired(rule) == 1
    assert_converged(sandbox)
    stack.preview(expect_no_changes=True)
    destroy = stack.destroy()
    assert_restored(sandbox, before)
    no_traceback(up.stdout, up.stderr, destroy.stdout, destroy.stderr)


DESTROY_FAULTS: dict[str, Callable[[FaultProxy], Any]] = {
    "drop after a channel webhook was put back": lambda p: p.drop("POST", WEBHOOK_PUT_BACK),
    "garbled answer to a channel webhook put back": lambda p: p.garble("POST", WEBHOOK_PUT_BACK),
}


@pytest.mark.parametrize("fault", DESTROY_FAULTS)
def test_a_fault_while_destroy_puts_a_webhook_back_makes_one(
    fault: str, sandbox: Sandbox, proxy: FaultProxy, tmp_path: Path
) -> None:
    before = adopted_settings(sandbox)
    stack = stack_behind(proxy, sandbox, tmp_path)
    up = stack.up()
    assert_converged(sandbox)
    rule = DESTROY_FAULTS[fault](proxy)
    destroy = stack.destroy()
    assert proxy.fired(rule) == 1
    assert_restored(sandbox, before)
    no_traceback(up.stdout, up.stderr, destroy.stdout, destroy.stderr)


ADDRESS_CREATE = r"/Configuration/Addresses$"
CONVERSATIONS_FAULTS: dict[str, Callable[[FaultProxy], Any]] = {
    "drop after an address create": lambda p: p.drop("POST", ADDRESS_CREATE),
    "garbled answer to an address create": lambda p: p.garble("POST", ADDRESS_CREATE),
    "500 after the number's SmsUrl was emptied": lambda p: p.error("POST", NUMBER_UPDATE),
}


@pytest.mark.parametrize("fault", CONVERSATIONS_FAULTS)
def test_on_conversations_a_fault_after_a_write_converges_without_duplicates(
    fault: str, sandbox: Sandbox, proxy: FaultProxy, tmp_path: Path
) -> None:
    before = adopted_settings(sandbox)
    rule = CONVERSATIONS_FAULTS[fault](proxy)
    stack = stack_behind(proxy, sandbox, tmp_path, conversations_config())
    up = stack.up()
    assert proxy.fired(rule) == 1
    assert_converged_on_conversations(sandbox)
    stack.preview(expect_no_changes=True)
    destroy = stack.destroy()
    assert_restored_from_conversations(sandbox, before)
    no_traceback(up.stdout, up.stderr, destroy.stdout, destroy.stderr)


# --- the CLI killed right after an adoption write --------------------------------------------

WRITES = {
    "number": ("POST", NUMBER_UPDATE),
    "chat service": ("POST", r"/Services/IS[0-9a-f]{32}$"),
    "Flex Flow": ("POST", r"/FlexFlows/FO[0-9a-f]{32}$"),
    "Workflow create": ("POST", r"/Workflows$"),
    "TaskChannel create": ("POST", r"/TaskChannels$"),
    "channel webhook removal": ("DELETE", WEBHOOK_REMOVAL),
    "address create (conversations)": ("POST", ADDRESS_CREATE),
    "Conversations webhooks (conversations)": ("POST", r"/Configuration/Webhooks$"),
}


def descendants(pid: int) -> list[int]:
    """Every process below `pid`, from /proc."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def cli(stack: auto.Stack, *args: str) -> subprocess.Popen[str]:
    """The Pulumi CLI on this stack as a child process (so it can be killed)."""
    env = {**os.environ, **stack.workspace.env_vars}
    env["PULUMI_HOME"] = stack.workspace.pulumi_home or ""
    return subprocess.Popen(
        [str(TOOLS / "bin" / "pulumi"), *args, "--stack", stack.name, "--non-interactive"],
        cwd=stack.workspace.work_dir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def up_killed_after(stack: auto.Stack, proxy: FaultProxy, method: str, path: str) -> None:
    """`pulumi up` killed (SIGKILL) as Twilio answers the first such write, then cancelled."""
    running: list[subprocess.Popen[str]] = []

    def kill(_request: RequestInfo) -> str:
        # The whole tree at once, as a CI runner stops a job: the CLI, the language host, the
        # program and the provider host (plugins run in process groups of their own).
        for pid in [running[0].pid, *descendants(running[0].pid)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return "drop"

    rule = proxy.after(method, path, kill)
    running.append(cli(stack, "up", "--yes", "--skip-preview"))
    output, _ = running[0].communicate(timeout=120)
    assert proxy.fired(rule) == 1, output
    assert running[0].returncode == -signal.SIGKILL
    cli(stack, "cancel", "--yes").communicate(timeout=60)


@pytest.mark.parametrize("write", WRITES)
def test_killed_right_after_an_adoption_write_recovers_and_restores(
    write: str, sandbox: Sandbox, proxy: FaultProxy, tmp_path: Path
) -> None:
    before = adopted_settings(sandbox)
    on_conversations = write.endswith("(conversations)")
    config = conversations_config() if on_conversations else sandbox_config()
    stack = stack_behind(proxy, sandbox, tmp_path, config)
    up_killed_after(stack, proxy, *WRITES[write])
    up = stack.up()
    if on_conversations:
        assert_converged_on_conversations(sandbox)
    else:
        assert_converged(sandbox)
    stack.preview(expect_no_changes=True)
    destroy = stack.destroy()
    if on_conversations:
        assert_restored_from_conversations(sandbox, before)
    else:
        assert_restored(sandbox, before)
    no_traceback(up.stdout, up.stderr, destroy.stdout, destroy.stderr)


def test_killed_right_after_a_queue_create_the_queue_is_still_the_stacks(
    sandbox: Sandbox, proxy: FaultProxy, tmp_path: Path
) -> None:
    """The next run finds the queue by name; the snapshot found none, so destroy deletes it."""
    config = sandbox_config()
    config["flexorch:workflow"] = {
        **config["flexorch:workflow"],
        "fallbackQueue": {"friendlyName": "Overflow"},
    }
    stack = stack_behind(proxy, sandbox, tmp_path, config)
    up_killed_after(stack, proxy, "POST", r"/TaskQueues$")
    up = stack.up()
    [overflow] = [q for q in sandbox.fake.all(seed.QUEUES) if q["friendly_name"] == "Overflow"]
    assert f"found {overflow['sid']}, made by an earlier run; took it over" in up.stdout
    stack.destroy()
    assert [q for q in sandbox.fake.all(seed.QUEUES) if q["friendly_name"] == "Overflow"] == []
    no_traceback(up.stdout, up.stderr)
