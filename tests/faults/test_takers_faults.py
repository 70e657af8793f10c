"""Faults on the guard's opt-in fixes, against the real engine: nothing lost, nothing doubled.

`messagingServices: defer` writes the Messaging Service, `twimlApps: detach` the number's
SmsApplicationSid, both before any number moves. Each case loses the answer to that write
(dropped, 500, garbled) or kills the CLI right after Twilio applied it, then runs `up` again:
the fix is in place once, and destroy puts back what the read-only snapshot recorded before the
write (a service that sent messages to its own URL, the app on the number), never the
stack's own value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from engine import sandbox_config
from faults.proxy import FaultProxy
from faults.test_faults import NUMBER_UPDATE, no_traceback, stack_behind, up_killed_after

from flexorch.sandbox import seed
from flexorch.sandbox.fake import FakeTwilio
from flexorch.sandbox.server import Sandbox

SERVICE_UPDATE = r"/v1/Services/MG[0-9a-f]{32}$"


def service(sandbox: Sandbox) -> dict[str, Any]:
    return sandbox.fake.find(seed.MESSAGING_SERVICES, sid=seed.A2P_SERVICE_SID)


def app(sandbox: Sandbox) -> Any:
    return sandbox.fake.find(seed.NUMBERS, phone_number=seed.FLEX_FLOW_NUMBER)[
        "sms_application_sid"
    ]


# case -> (account, config key and mode, the write, fixed?, put back?)
CASES: dict[
    str,
    tuple[
        Callable[[], FakeTwilio],
        str,
        str,
        str,
        Callable[[Sandbox], bool],
        Callable[[Sandbox], bool],
    ],
] = {  # fmt: skip
    "service defer": (
        seed.messaging_service_account,
        "flexorch:messagingServices",
        "defer",
        SERVICE_UPDATE,
        lambda s: service(s)["use_inbound_webhook_on_number"] is True,
        lambda s: service(s)["use_inbound_webhook_on_number"] is False,
    ),
    "app detach": (
        seed.twiml_app_account,
        "flexorch:twimlApps",
        "detach",
        # The guard detaches the app before any route writes a number: the first number write.
        NUMBER_UPDATE,
        lambda s: app(s) == "",
        lambda s: app(s) == seed.APP_SID,
    ),
}
FAULTS: dict[str, Callable[[FaultProxy, str], Any]] = {
    "drop": lambda p, path: p.drop("POST", path),
    "500": lambda p, path: p.error("POST", path, status=500),
    "garbled": lambda p, path: p.garble("POST", path),
}


@pytest.fixture(params=list(CASES))
def case(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def sandbox(case: str) -> Iterator[Sandbox]:
    with Sandbox(CASES[case][0]()) as running:
        yield running


@pytest.fixture
def proxy(sandbox: Sandbox) -> Iterator[FaultProxy]:
    with FaultProxy(sandbox.url) as running:
        yield running


def opted_in(case: str) -> dict[str, Any]:
    _, key, mode, *_ = CASES[case]
    return {**sandbox_config(), key: mode}


def settles(stack: Any, up: Any, put_back: Callable[[], bool]) -> None:
    """No change left to make, and destroy puts back what the snapshot recorded."""
    stack.preview(expect_no_changes=True)
    destroy = stack.destroy()
    assert put_back()
    no_traceback(up.stdout, up.stderr, destroy.stdout, destroy.stderr)


@pytest.mark.parametrize("fault", FAULTS)
def test_a_lost_answer_to_the_fix_converges_and_destroy_puts_it_back(
    case: str, fault: str, sandbox: Sandbox, proxy: FaultProxy, tmp_path: Path
) -> None:
    _, _, _, path, fixed, put_back = CASES[case]
    rule = FAULTS[fault](proxy, path)
    stack = stack_behind(proxy, sandbox, tmp_path, opted_in(case), FLEXORCH_TWILIO_TIMEOUT="1")
    up = stack.up()
    assert proxy.fired(rule) == 1
    assert fixed(sandbox)
    settles(stack, up, lambda: put_back(sandbox))


def test_killed_right_after_the_fix_recovers_and_destroy_puts_it_back(
    case: str, sandbox: Sandbox, proxy: FaultProxy, tmp_path: Path
) -> None:
    _, _, _, path, fixed, put_back = CASES[case]
    stack = stack_behind(proxy, sandbox, tmp_path, opted_in(case))
    up_killed_after(stack, proxy, "POST", path)
    assert fixed(sandbox)  # Twilio applied it; the state never heard
    up = stack.up()
    assert fixed(sandbox)
    settles(stack, up, lambda: put_back(sandbox))


def test_killed_right_after_the_timers_write_destroy_still_puts_the_accounts_back(
    tmp_path: Path,
) -> None:
    """The snapshot recorded the account's timers before the write: never the stack's own."""
    with Sandbox(seed.flex_account()) as sandbox, FaultProxy(sandbox.url) as proxy:
        config = {**sandbox_config(), "flexorch:platform": "conversations",
                  "flexorch:chatService": {"sid": seed.CHAT_SERVICE_SID},
                  "flexorch:conversationTimers": {"closed": "PT2H"}}  # fmt: skip
        stack = stack_behind(proxy, sandbox, tmp_path, config)
        up_killed_after(stack, proxy, "POST", r"/v1/Configuration$")
        configuration = sandbox.fake.singleton(seed.CONVERSATIONS_CONFIGURATION)
        assert configuration["default_closed_timer"] == "PT2H"
        settles(stack, stack.up(), lambda: configuration["default_closed_timer"] == "P1D")
