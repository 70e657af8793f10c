"""The peer's life against a fresh sandbox: each OpenTofu phase timed, its requests counted.

A life is `tofu init` (not timed: no request, the provider comes from the local mirror), then
plan from scratch, apply, a no-change plan, a no-change apply, plan -refresh=false, refresh and
destroy, each the wall time of one `tofu` process (what a CI job waits for). Destroy deletes
what apply imported (Terraform has no restore), so every life gets its own freshly seeded
sandbox; the life is lived `repeat` times and each phase's median reported, its requests (per
kind, reads and writes apart), most in flight and connections from the first life.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.accounting import tally
from bench.peer.document import Account, document
from bench.pulumi_ops import Measured
from bench.shapes import Shape, account, stack_config
from flexorch.sandbox import seed
from flexorch.sandbox.fake import FakeTwilio
from flexorch.sandbox.server import Sandbox, Traffic
from flexorch.twilio_client import BASE_URL_ENV

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("PEER_CACHE") or ROOT / ".cache" / "peer")
# twilio-go refuses a password of anything but letters and digits (client.validateCredentials),
# as Twilio's auth tokens are; the seeded sandbox token has hyphens, so the peer's account uses
# a token of the real form.
TOKEN = "5a" * 16

PLAN_SCRATCH = "plan from scratch"
APPLY = "apply"
PLAN_SAME = "no-change plan"
APPLY_SAME = "no-change apply"
PLAN_NO_REFRESH = "plan -refresh=false"
REFRESH = "refresh"
DESTROY = "destroy"
COMMANDS: dict[str, tuple[str, ...]] = {
    PLAN_SCRATCH: ("plan",),
    APPLY: ("apply", "-auto-approve"),
    PLAN_SAME: ("plan",),
    APPLY_SAME: ("apply", "-auto-approve"),
    PLAN_NO_REFRESH: ("plan", "-refresh=false"),
    REFRESH: ("apply", "-refresh-only", "-auto-approve"),
    DESTROY: ("destroy", "-auto-approve"),
}
PHASES = tuple(COMMANDS)


class PeerMissing(Exception):
    """The peer is not built: run bench/peer/build."""


@dataclass(frozen=True)
class Tools:
    """The built peer: the tofu binary, its CLI config (the provider's mirror) and versions."""

    tofu: Path
    cli_config: Path
    versions: list[str]

    @classmethod
    def find(cls, cache: Path = CACHE) -> Tools:
        """The peer in `cache`, or PeerMissing saying how to build it."""
        tofu, rc, versions = cache / "bin" / "tofu", cache / "tofurc", cache / "versions"
        if not (tofu.exists() and rc.exists() and versions.exists()):
            raise PeerMissing(f"{cache}: the peer is not built; run bench/peer/build")
        return cls(tofu, rc, versions.read_text().splitlines())


_COUNTS = re.compile(r"(\d+) (to (?:import|add|change|destroy)|imported|added|changed|destroyed)")


def changes_of(output: str) -> dict[str, int]:
    """What a tofu run says it planned or did, from its last summary line (empty: no changes).

    `Plan: 3 to import, 2 to add, 3 to change, 0 to destroy.` gives
    `{"import": 3, "add": 2, "change": 3}`; `Apply complete! Resources: 3 imported, ...`
    and `Destroy complete! Resources: 9 destroyed.` likewise (an apply prints its plan first).
    """
    words = {"imported": "import", "added": "add", "changed": "change", "destroyed": "destroy"}
    summaries = [
        line
        for line in output.splitlines()
        if line.startswith(("Plan:", "Apply complete!", "Destroy complete!"))
    ]
    counts = _COUNTS.findall(summaries[-1]) if summaries else []
    return {words.get(w, w.removeprefix("to ")): int(n) for n, w in counts if int(n)}


def peer_account(shape: Shape) -> tuple[FakeTwilio, Account]:
    """The shape's seeded account (as the stacks get it) and what the peer is told about it."""
    fake = account(shape)
    fake.auth_token = TOKEN
    chat = next(s for s in fake.all(seed.CHAT_SERVICES) if s["sid"] == seed.CHAT_SERVICE_SID)
    sids = {n["phone_number"]: n["sid"] for n in fake.all(seed.NUMBERS)}
    return fake, Account(seed.WORKSPACE_SID, seed.EVERYONE_SID, chat["friendly_name"], sids)


def _env(tools: Tools, sandbox: Sandbox, data: Path) -> dict[str, str]:
    """No registry, no checkpoint, every Twilio request to the sandbox."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(data),
        "TF_CLI_CONFIG_FILE": str(tools.cli_config),
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "CHECKPOINT_DISABLE": "1",
        BASE_URL_ENV: sandbox.url,
        "TWILIO_ACCOUNT_SID": seed.ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": TOKEN,
    }


def _tofu(tools: Tools, workdir: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(tools.tofu), *args, "-no-color"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise RuntimeError(f"tofu {' '.join(args)} failed ({done.returncode}):\n{tail}")
    return done.stdout


def live(
    tools: Tools, shape: Shape, latency_ms: float, log: Callable[[str], None]
) -> tuple[dict[str, tuple[float, dict[str, int], Traffic]], bool]:
    """One life on a fresh sandbox: phase -> (seconds, changes, the sandbox's traffic).

    And whether Prism checked every request against Twilio's specs.
    """
    fake, facts = peer_account(shape)
    config = stack_config(shape)
    results: dict[str, tuple[float, dict[str, int], Traffic]] = {}
    with tempfile.TemporaryDirectory(prefix=f"flexorch-peer-{shape.name}-") as tmp:
        workdir = Path(tmp) / "peer"
        workdir.mkdir()
        (workdir / "main.tf.json").write_text(json.dumps(document(config, facts), indent=2))
        with Sandbox(fake, workdir=Path(tmp) / "sandbox", latency_ms=latency_ms) as sandbox:
            env = _env(tools, sandbox, Path(tmp))
            _tofu(tools, workdir, env, "init", "-input=false")
            for phase, args in COMMANDS.items():
                mark = sandbox.mark()
                started = time.perf_counter()
                output = _tofu(tools, workdir, env, *args, "-input=false")
                seconds = time.perf_counter() - started
                results[phase] = (seconds, changes_of(output), sandbox.traffic(mark))
                traffic = results[phase][2]
                log(
                    f"  peer {shape.name} @{latency_ms:g} ms: {phase}: {seconds:.1f} s, "
                    f"{len(traffic.requests)} requests, at most {traffic.max_in_flight} in flight"
                )
    return results, sandbox.prism_missing is None


def run_peer(
    shape: Shape, repeat: int = 3, log: Callable[[str], None] = print, latency_ms: float = 0
) -> dict[str, Any]:
    """The peer's life `repeat` times for this shape: each phase's median and requests."""
    tools = Tools.find()
    started = time.perf_counter()
    lived = [live(tools, shape, latency_ms, log) for _ in range(repeat)]
    lives = [phases for phases, _ in lived]
    operations = {}
    for phase in PHASES:
        first = lives[0][phase]
        measured = Measured(
            phase,
            [life[phase][0] for life in lives],
            first[1],
            tally(first[2].requests),
            [len(life[phase][2].requests) for life in lives],
            first[2].max_in_flight,
            first[2].connections,
        )
        operations[phase] = measured.as_dict()
    return {
        "shape": {"name": shape.name, "numbers": shape.numbers, "channels": shape.channels},
        "platform": shape.platform,
        "latency_ms": latency_ms,
        "contract_checks": all(checked for _, checked in lived),
        "lives": repeat,
        "versions": tools.versions,
        "operations": operations,
        "seconds": round(time.perf_counter() - started, 1),
    }
