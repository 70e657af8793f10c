"""Stoplight Prism, the contract checker: started, waited for and stopped from Python.

`mock` answers from the spec's examples (stateless; the contract tests use it); `proxy` checks
each request and forwards valid ones to the stateful fake (the sandbox).
"""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import IO

from flexorch.errors import FlexorchError

ROOT = Path(__file__).resolve().parents[2]


def prism_binary() -> Path:
    """The project's pinned Prism (npm `@stoplight/prism-cli`)."""
    path = ROOT / "node_modules" / ".bin" / "prism"
    if not path.exists():
        raise FlexorchError(f"{path}: Prism is not installed; run scripts/setup (npm ci)")
    return path


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Prism:
    """One Prism process on a loopback port, as a context manager."""

    def __init__(
        self,
        spec: Path,
        log: Path,
        upstream: str | None = None,
        port: int | None = None,
    ) -> None:
        """Mock `spec`, or proxy to `upstream` checking every request against it."""
        self.spec, self.log, self.upstream = spec, log, upstream
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None

    def command(self) -> list[str]:
        """The Prism command line."""
        base = [str(prism_binary())]
        where = ["-h", "127.0.0.1", "-p", str(self.port)]
        if self.upstream:
            # --errors: an invalid request is answered 422 and never forwarded.
            return [*base, "proxy", *where, "--errors", str(self.spec), self.upstream]
        return [*base, "mock", *where, str(self.spec)]

    def start(self, timeout: float = 120.0) -> Prism:
        """Start Prism and wait until it accepts connections."""
        self._log_file = self.log.open("wb")
        self.process = subprocess.Popen(
            self.command(), stdout=self._log_file, stderr=subprocess.STDOUT, cwd=ROOT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        tail = self.log.read_text(errors="replace")[-2000:]
        raise FlexorchError(f"Prism did not start on port {self.port}; its log ends:\n{tail}")

    def stop(self) -> None:
        """Stop Prism (and wait for it)."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log_file:
            self._log_file.close()

    def __enter__(self) -> Prism:
        """Start on entering the block."""
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop on leaving it."""
        self.stop()
