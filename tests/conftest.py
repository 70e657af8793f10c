import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

# Make `tests.helpers` importable as `helpers` without installing the tests.
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture
def use(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    """Make every Twilio client read from a fake in this process; returns the request log.

    `use(fake)`, or `use(fake, http)` with a transport that injects faults.
    """
    from helpers import use_fake

    def install(fake: Any, http: Any = None) -> Any:
        return use_fake(monkeypatch, fake, http)

    return install


@pytest.fixture
def fake() -> Any:
    """A fresh seeded Flex account (flexorch.sandbox.seed) for a test to change."""
    from flexorch.sandbox import seed

    return seed.flex_account()


@pytest.fixture
def http(monkeypatch: pytest.MonkeyPatch, fake: Any) -> Any:
    """Every Twilio client answered by `fake` in this process; the request log."""
    from helpers import use_fake

    return use_fake(monkeypatch, fake)
