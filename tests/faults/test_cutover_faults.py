"""A Conversations cut-over (or its rollback) hit by a fault, against the real engine.

Each case moves a Programmable Chat stack onto Flex Conversations and, where it says so, back,
through a FaultProxy in front of a fresh sandbox account, with one fault on one number's write:
its answer lost after Twilio applied it (a 5xx or a dropped connection, past the retries), or
the CLI killed (SIGKILL) right after it. A failed write is read back before anything is undone,
so no number is ever left without an inbound path; a move stopped after its address write and
then reverted gives the address back on the next up. Each case asserts that every number has
exactly one inbound path at the handler, that a no-change preview makes no request, and that
destroy leaves the account as seeded (an adopted Studio address put back, a created one gone).
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from engine import adopted_settings, rewrite_flexorch_config, sandbox_config
from faults import test_faults
from faults.proxy import FaultProxy, RequestInfo, Rule
from faults.test_faults import (
    HANDLER,
    cli,
    conversations_config,
    descendants,
    no_traceback,
    stack_behind,
)

from flexorch.sandbox import seed
from flexorch.sandbox.server import Sandbox
from flexorch.twilio_client import MAX_ATTEMPTS

# The fault tests' fixtures: a fresh sandbox account, and a FaultProxy in front of it.
sandbox = test_faults.sandbox
proxy = test_faults.proxy

NUMBERS = (seed.FREE_NUMBER, seed.FLEX_FLOW_NUMBER)
ADDRESS_CREATE = r"/Configuration/Addresses$"
# Flex's own Studio address on one number, adopted by the move and put back by the rollback.
STUDIO = {"enabled": True, "type": "studio", "studio_flow_sid": seed.STUDIO_FLOW_SID,
          "studio_retry_count": 2, "conversation_service_sid": seed.CHAT_SERVICE_SID}  # fmt: skip


def number_write(sandbox: Sandbox, number: str = seed.FREE_NUMBER) -> str:
    sid = sandbox.fake.find(seed.NUMBERS, phone_number=number)["sid"]
    return rf"/IncomingPhoneNumbers/{sid}\.json$"


def address_write(sandbox: Sandbox, number: str = seed.FREE_NUMBER) -> str:
    return rf"/Configuration/Addresses/{sandbox.fake.find(seed.ADDRESSES, address=number)['sid']}$"


def add_studio_address(sandbox: Sandbox) -> None:
    sandbox.fake.add(seed.ADDRESSES, type="sms", address=seed.FREE_NUMBER,
                     friendly_name="Flex Studio address", auto_creation=dict(STUDIO))  # fmt: skip


def addresses_now(sandbox: Sandbox) -> dict[str, tuple[Any, ...]]:
    """Each address's owner and what it does (a put-back keeps fields it cannot empty)."""
    out = {}
    for address in sandbox.fake.all(seed.ADDRESSES):
        auto = address["auto_creation"]
        kind = (auto["type"], auto.get("webhook_url") if auto["type"] == "webhook" else None)
        what = (*kind, auto.get("studio_flow_sid"), auto.get("studio_retry_count"))
        out[address["address"]] = (address["sid"], address["friendly_name"], *what)
    return out


def assert_one_path(
    sandbox: Sandbox, on_conversations: bool, numbers: tuple[str, ...] = NUMBERS
) -> None:
    """Every number has exactly one inbound path at the handler: its address or its SmsUrl."""
    fake = sandbox.fake
    for number in numbers:
        sms_url = fake.find(seed.NUMBERS, phone_number=number)["sms_url"]
        found = [a for a in fake.all(seed.ADDRESSES) if a["address"] == number]
        auto = found[0]["auto_creation"] if found else {}
        at_handler = auto.get("type") == "webhook" and auto.get("webhook_url") == HANDLER
        assert (sms_url, at_handler) == (("", True) if on_conversations else (HANDLER, False)), (
            number,
            sms_url,
            found,
        )


def assert_as_seeded(sandbox: Sandbox, before: dict[str, Any]) -> None:
    after = adopted_settings(sandbox)
    for number, record in before["numbers"].items():
        now = after["numbers"][number]
        assert (now["sms_url"], now["sms_method"]) == (record["sms_url"], record["sms_method"])
    assert addresses_now(sandbox) == before["addresses"]
    for key in ("flows", "workflows", "channels", "channel_webhooks"):
        assert after[key] == before[key], key


def seeded(sandbox: Sandbox, adopted: bool) -> dict[str, Any]:
    if adopted:
        add_studio_address(sandbox)
    return {**adopted_settings(sandbox), "addresses": addresses_now(sandbox)}


class CutOver:
    """One stack behind the proxy, moved between the platforms by rewriting its config."""

    def __init__(
        self, proxy: FaultProxy, sandbox: Sandbox, tmp: Path, numbers: tuple[str, ...] = NUMBERS
    ) -> None:
        self.proxy, self.sandbox, self.numbers = proxy, sandbox, numbers
        self.stack = stack_behind(proxy, sandbox, tmp, sandbox_config())
        self.outputs: list[str] = []

    def configure(self, on_conversations: bool) -> None:
        path = Path(self.stack.workspace.work_dir) / f"Pulumi.{self.stack.name}.yaml"
        config = conversations_config() if on_conversations else sandbox_config()
        rewrite_flexorch_config(path, {**config, "flexorch:numbers": list(self.numbers)})

    def one_path(self, on_conversations: bool) -> None:
        assert_one_path(self.sandbox, on_conversations, self.numbers)

    def up(self, on_conversations: bool) -> None:
        self.configure(on_conversations)
        result = self.stack.up()
        self.outputs += [result.stdout, result.stderr]

    def failing_up(self, on_conversations: bool) -> None:
        self.configure(on_conversations)
        with pytest.raises(Exception) as failed:
            self.stack.up()
        self.outputs.append(str(failed.value))

    def killed_up(self, on_conversations: bool, method: str, path: str) -> None:
        """`up`, the CLI and its plugins killed at once right after `method path` was applied."""
        self.configure(on_conversations)
        running = []

        def kill(_request: RequestInfo) -> str:
            for pid in [running[0].pid, *descendants(running[0].pid)]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            return "drop"

        rule = self.proxy.after(method, path, kill)
        running.append(cli(self.stack, "up", "--yes", "--skip-preview"))
        output, _ = running[0].communicate(timeout=180)
        assert self.proxy.fired(rule) == 1, output
        assert running[0].returncode == -signal.SIGKILL
        cli(self.stack, "cancel", "--yes").communicate(timeout=60)

    def settled(self) -> None:
        """A no-change preview asks Twilio nothing."""
        mark = len(self.sandbox.requests)
        self.stack.preview(expect_no_changes=True)
        assert self.sandbox.since(mark) == []

    def destroy(self) -> None:
        result = self.stack.destroy()
        self.outputs += [result.stdout, result.stderr]
        no_traceback(*self.outputs)


def lost(proxy: FaultProxy, kind: str, method: str, path: str) -> Rule:
    """Every attempt of one write is applied and its answer lost: past the retries."""
    if kind == "5xx":
        return proxy.error(method, path, status=502, times=MAX_ATTEMPTS)
    return proxy.drop(method, path, times=MAX_ATTEMPTS)


# --- B: the second write's answer lost after Twilio applied it ------------------------------


@pytest.mark.parametrize("kind", ["5xx", "dropped"])
def test_a_cut_over_whose_sms_url_answer_is_lost_is_complete(
    kind: str, sandbox: Sandbox, proxy: FaultProxy, tmp_path: Path
) -> None:
    before = seeded(sandbox, adopted=False)
    run = CutOver(proxy, sandbox, tmp_path)
    run.up(on_conversations=False)
    rule = lost(proxy, kind, "POST", number_write(sandbox))
    run.up(on_conversations=True)  # read back: the SmsUrl was emptied, so the move is done
    assert proxy.fired(rule) == MAX_ATTEMPTS
    run.one_path(on_conversations=True)
    run.settled()
    run.destroy()
    assert_as_seeded(sandbox, before)


@pytest.mark.parametrize("adopted", [False, True], ids=["created", "adopted"])
@pytest.mark.parametrize("kind", ["5xx", "dropped"])
def test_a_rollback_whose_address_answer_is_lost_is_complete(
    kind: str, adopted: bool, sandbox: Sandbox, proxy: FaultProxy, tmp_path: Path
) -> None:
    before = seeded(sandbox, adopted)
    run = CutOver(proxy, sandbox, tmp_path)
    run.up(on_conversations=False)
    run.up(on_conversations=True)
    # A created address is deleted, an adopted one put back as Flex had it.
    rule = lost(proxy, kind, "POST" if adopted else "DELETE", address_write(sandbox))
    run.up(on_conversations=False)  # read back: the address went, so the move back is done
    assert proxy.fired(rule) == MAX_ATTEMPTS
    run.one_path(on_conversations=False)
    assert addresses_now(sandbox) == before["addresses"]  # the Studio address is Studio's again
    run.settled()
    run.destroy()
    assert_as_seeded(sandbox, before)


# --- C: a cut-over stopped after its address write, then reverted ---------------------------


def test_a_cut_over_killed_after_an_adopted_address_write_then_reverted_gives_it_back(
    sandbox: Sandbox, proxy: FaultProxy, tmp_path: Path
) -> None:
    before = seeded(sandbox, adopted=True)
    # One number, so that the kill is the only thing that stops its move.
    run = CutOver(proxy, sandbox, tmp_path, numbers=(seed.FREE_NUMBER,))
    run.up(on_conversations=False)
    run.killed_up(True, "POST", address_write(sandbox))
    run.up(on_conversations=False)  # the team reverts the config
    run.one_path(on_conversations=False)
    assert addresses_now(sandbox) == before["addresses"]  # Flex's Studio address, as it was
    run.settled()
    run.destroy()
    assert_as_seeded(sandbox, before)


def test_a_cut_over_killed_after_an_address_create_then_reverted_gives_it_back(
    sandbox: Sandbox, proxy: FaultProxy, tmp_path: Path
) -> None:
    before = seeded(sandbox, adopted=False)
    run = CutOver(proxy, sandbox, tmp_path)
    run.up(on_conversations=False)
    run.killed_up(True, "POST", ADDRESS_CREATE)
    run.up(on_conversations=False)  # the team reverts the config
    run.one_path(on_conversations=False)
    assert addresses_now(sandbox) == before["addresses"]  # none: the created ones deleted
    run.settled()
    run.destroy()
    assert_as_seeded(sandbox, before)


@pytest.mark.parametrize("kind", ["5xx", "dropped"])
def test_an_adopted_address_write_whose_answer_is_lost_is_given_back_at_once(
    kind: str, sandbox: Sandbox, proxy: FaultProxy, tmp_path: Path
) -> None:
    before = seeded(sandbox, adopted=True)
    run = CutOver(proxy, sandbox, tmp_path)
    run.up(on_conversations=False)
    rule = lost(proxy, kind, "POST", address_write(sandbox))
    run.failing_up(on_conversations=True)
    assert proxy.fired(rule) == MAX_ATTEMPTS
    # Read back: Twilio had moved Flex's Studio address to the handler; it is Studio's again.
    assert addresses_now(sandbox)[seed.FREE_NUMBER] == before["addresses"][seed.FREE_NUMBER]
    assert sandbox.fake.find(seed.NUMBERS, phone_number=seed.FREE_NUMBER)["sms_url"] == HANDLER
    run.up(on_conversations=False)  # reverted: nothing left to give back
    run.one_path(on_conversations=False)
    run.settled()
    run.destroy()
    assert_as_seeded(sandbox, before)


# --- faults on the give-back itself ---------------------------------------------------------


def give_back_answer_lost(run: CutOver) -> None:
    lost(run.proxy, "5xx", "POST", address_write(run.sandbox))
    run.failing_up(on_conversations=False)


GIVE_BACK_FAULTS: dict[str, Callable[[CutOver], None]] = {
    "killed after the address was given back": lambda run: run.killed_up(
        False, "POST", address_write(run.sandbox)
    ),
    "killed after the SmsUrl was set again": lambda run: run.killed_up(
        False, "POST", number_write(run.sandbox)
    ),
    "the give-back's answer lost": give_back_answer_lost,
}


@pytest.mark.parametrize("fault", GIVE_BACK_FAULTS)
def test_a_fault_while_a_stopped_cut_over_is_given_back_converges(
    fault: str, sandbox: Sandbox, proxy: FaultProxy, tmp_path: Path
) -> None:
    before = seeded(sandbox, adopted=True)
    run = CutOver(proxy, sandbox, tmp_path, numbers=(seed.FREE_NUMBER,))
    run.up(on_conversations=False)
    run.killed_up(True, "POST", address_write(sandbox))
    GIVE_BACK_FAULTS[fault](run)  # the revert's up, stopped while it gives the address back
    proxy.clear()
    run.up(on_conversations=False)
    run.one_path(on_conversations=False)
    assert addresses_now(sandbox) == before["addresses"]
    run.settled()
    run.destroy()
    assert_as_seeded(sandbox, before)
