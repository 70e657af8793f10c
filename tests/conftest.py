"""Shared fixtures, and the test tiers: each test is marked with what it needs.

Tiers (`pytest -m pure` is the inner loop, about half a minute; CI runs every tier):
- `engine`: the real Pulumi CLI (tests/e2e, the engine fault suites);
- `prism`: Prism, the contract mock, a Node process (contract tests, tests against the sandbox
  with its checks on);
- `node`: Node tools on generated code (node --test, tsc, the Flex plugin builds, the specs
  rebuilt from node_modules);
- `wheel`: the wheel built and installed outside the repo;
- `pure`: none of these (Python only).
"""

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Make `tests.helpers` importable as `helpers` without installing the tests.
sys.path.insert(0, str(Path(__file__).resolve().parent))

TIERS = ("engine", "prism", "node", "wheel", "pure")
# Whole files by tier; the other tests by what they use (below).
FILE_TIERS = {
    "e2e": "engine",
    "faults/test_faults.py": "engine",
    "faults/test_cutover_faults.py": "engine",
    "faults/test_takers_faults.py": "engine",
    "faults/test_event_callback_faults.py": "engine",
    "test_contract.py": "prism",
    "test_sdk_nodejs.py": "node",
    "test_wheel.py": "wheel",
}
# Tests that start Node tools on generated code or on node_modules.
NODE_TESTS = (
    "test_adversarial_strings_parse_and_register_exactly",
    "test_generated_module_behaves_under_node_test",
    "test_generated_code_type_checks",
    "test_generated_flexui2_code_type_checks",
    "test_generated_plugin_builds_in_a_create_flex_plugin_project",
    "test_generated_flexui2_plugin_builds_in_a_create_flex_plugin_project",
    "test_shipped_specs_are_what_build_specs_makes_from_node_modules",
    "test_build_specs_check_reports_a_stale_file",
)
# Tests that start a sandbox with Prism in front, other than through a `sandbox` fixture.
PRISM_TESTS = (
    "TestAgainstTheSandbox",
    "test_the_command_prints_how_to_use_it_and_stops_on_sigterm",
    "test_the_sandbox_command_prints_which_checks_are_active",
    "test_through_prism_every_read_is_valid_and_counted",
    "test_prism_is_found_in_node_modules_above_the_current_folder",
)


def tier_of(item: pytest.Item) -> str:
    """The tier a collected test belongs to."""
    relative = Path(str(item.path)).relative_to(Path(__file__).resolve().parent).as_posix()
    for prefix, tier in FILE_TIERS.items():
        if relative == prefix or relative.startswith(prefix + "/"):
            return tier
    names = item.nodeid.split("::")
    if any(n.split("[")[0] in NODE_TESTS for n in names):
        return "node"
    if any(n.split("[")[0] in PRISM_TESTS for n in names):
        return "prism"
    if "sandbox" in getattr(item, "fixturenames", ()):
        return "prism"
    return "pure"


def pytest_configure(config: pytest.Config) -> None:
    for tier in TIERS:
        config.addinivalue_line("markers", f"{tier}: a test tier (see tests/conftest.py)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(tier_of(item))


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
