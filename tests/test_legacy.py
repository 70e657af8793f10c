"""Old states' pickled providers load in the provider host; `stack` is importable nowhere else.

The pickles are the `__provider` values of a state that release 0.1 (commit 4521f9f, the package
then named `stack`) wrote; tests/e2e/test_upgrade.py deploys one for real.
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

OLD_PICKLES = {  # class name -> base64 of the pickle, as in the state
    "ChatServiceWebhooksProvider": (
        "gASVRAAAAAAAAACMHXN0YWNrLnByb3ZpZGVycy5jaGF0X3dlYmhvb2tzlIwbQ2hhdFNlcnZpY2VXZWJo"
        "b29rc1Byb3ZpZGVylJOUKYGULg=="
    ),
    "FlexFlowGuardProvider": (
        "gASVQAAAAAAAAACMH3N0YWNrLnByb3ZpZGVycy5mbGV4X2Zsb3dfZ3VhcmSUjBVGbGV4Rmxvd0d1YXJk"
        "UHJvdmlkZXKUk5QpgZQu"
    ),
    "PhoneNumberRouteProvider": (
        "gASVQAAAAAAAAACMHHN0YWNrLnByb3ZpZGVycy5waG9uZV9udW1iZXKUjBhQaG9uZU51bWJlclJvdXRl"
        "UHJvdmlkZXKUk5QpgZQu"
    ),
    "TaskChannelProvider": (
        "gASVOwAAAAAAAACMHHN0YWNrLnByb3ZpZGVycy50YXNrX2NoYW5uZWyUjBNUYXNrQ2hhbm5lbFByb3Zp"
        "ZGVylJOUKYGULg=="
    ),
    "TaskQueueProvider": (
        "gASVMgAAAAAAAACMFXN0YWNrLnByb3ZpZGVycy5xdWV1ZZSMEVRhc2tRdWV1ZVByb3ZpZGVylJOUKYGULg=="
    ),
    "WorkflowProvider": (
        "gASVNAAAAAAAAACMGHN0YWNrLnByb3ZpZGVycy53b3JrZmxvd5SMEFdvcmtmbG93UHJvdmlkZXKUk5QpgZQu"
    ),
    "WorkspaceProvider": (
        "gASVNgAAAAAAAACMGXN0YWNrLnByb3ZpZGVycy53b3Jrc3BhY2WUjBFXb3Jrc3BhY2VQcm92aWRlcpSTlCmBlC4="
    ),
}

# What the dynamic provider host (`python -u -m pulumi.dynamic`) does with a state's provider,
# with `__main__` posing as that module (the finder serves `stack` only there).
HOST = """
import base64, importlib.util, json, sys
sys.modules["__main__"].__spec__ = importlib.util.find_spec("pulumi.dynamic.__main__")
import dill
out = {}
for name, text in json.loads(sys.argv[1]).items():
    provider = dill.loads(base64.b64decode(text))
    out[name] = [type(provider).__module__, type(provider).__qualname__, vars(provider)]
print(json.dumps(out))
"""


def run(code: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_the_pth_is_installed_beside_flexorch() -> None:
    purelib = Path(sysconfig.get_paths()["purelib"])
    assert (purelib / "flexorch-legacy.pth").read_text() == "import flexorch._legacy\n"
    assert not (purelib / "stack").exists()


def test_old_pickles_load_as_todays_classes_in_the_provider_host(tmp_path: Path) -> None:
    done = run(HOST, tmp_path, json.dumps(OLD_PICKLES))
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    for name, (module, qualname, state) in loaded.items():
        assert module.startswith("flexorch.resources."), module
        assert (qualname, state) == (name, {})


def test_stack_is_not_importable_outside_the_provider_host(tmp_path: Path) -> None:
    done = run("import stack", tmp_path)
    assert "ModuleNotFoundError: No module named 'stack'" in done.stderr


def test_a_users_own_stack_module_wins(tmp_path: Path) -> None:
    (tmp_path / "stack.py").write_text("WHO = 'mine'\n")
    done = run("import stack; print(stack.WHO)", tmp_path)
    assert done.stdout.strip() == "mine", done.stderr
