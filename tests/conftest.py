import sys
from collections.abc import Callable, Iterator
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


@pytest.fixture
def pulumi_mocks() -> Iterator[Callable[..., Any]]:
    """Install Pulumi mocks for one test; the runtime settings are restored afterwards.

    `pulumi_mocks(mocks, preview=False)` installs `mocks` (a `pulumi.runtime.Mocks`) and returns
    it. Its monitor records what each resource depends on in `mocks.depends`, when it has one.
    """
    import pulumi
    from pulumi.runtime.mocks import MockMonitor

    class Monitor(MockMonitor):
        def RegisterResource(self, request: Any) -> Any:
            depends = getattr(self.mocks, "depends", None)
            if depends is not None:
                depends[request.name] = {urn.rsplit("::", 1)[-1] for urn in request.dependencies}
            return super().RegisterResource(request)

    saved = pulumi.runtime.settings.SETTINGS

    def install(mocks: Any, *, preview: bool = False, stack: str = "test") -> Any:
        pulumi.runtime.set_mocks(
            mocks, project="flexorch", stack=stack, preview=preview, monitor=Monitor(mocks)
        )
        return mocks

    yield install
    pulumi.runtime.settings.configure(saved)


@pytest.fixture
def mocks(pulumi_mocks: Callable[..., Any]) -> Any:
    """A `helpers.Recorder` installed as the Pulumi mocks of a deployment (not a preview)."""
    from helpers import Recorder

    return pulumi_mocks(Recorder())
