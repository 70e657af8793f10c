"""Stoplight Prism, the contract checker: found, started, waited for and stopped from Python.

`mock` answers from the spec's examples (stateless; the contract tests use it); `proxy` checks
each request and forwards valid ones to the stateful fake (the sandbox).

Prism is a Node program and not part of the wheel. It is looked for, in order: $FLEXORCH_PRISM,
`node_modules/.bin/prism` in the current folder or one above it (a checkout after `npm ci`, or a
project of the user's with `@stoplight/prism-cli` installed), then `prism` on PATH.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import IO

from flexorch.errors import FlexorchError

PRISM_ENV = "FLEXORCH_PRISM"
INSTALL_HINT = f"install @stoplight/prism-cli (npm), put prism on PATH or set {PRISM_ENV}"


class PrismNotFound(FlexorchError):
    """No usable Prism: none found, or found but Node (which runs it) is not on PATH."""


def _needs_node(path: Path) -> bool:
    """Whether `path` is a script run by Node (`#!/usr/bin/env node`), as npm installs Prism."""
    try:
        with path.open("rb") as file:
            first = file.readline(200)
    except OSError:
        return False
    return first.startswith(b"#!") and b"node" in first


def _usable(path: Path, found_by: str) -> Path:
    if _needs_node(path) and shutil.which("node") is None:
        raise PrismNotFound(f"Prism found ({found_by}: {path}) but node is not on PATH")
    return path


def prism_binary(cwd: Path | None = None) -> Path:
    """The Prism executable to run (see the module docstring for where it is looked for).

    Raises:
        PrismNotFound: with one line saying why, for the sandbox's start-up message.
    """
    if os.environ.get(PRISM_ENV):
        path = Path(os.environ[PRISM_ENV]).expanduser()
        if not path.is_file():
            raise PrismNotFound(f"{PRISM_ENV}={path}: no such file")
        return _usable(path, PRISM_ENV)
    start = (cwd or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        path = folder / "node_modules" / ".bin" / "prism"
        if path.is_file():
            return _usable(path, "node_modules")
    on_path = shutil.which("prism")
    if on_path:
        return _usable(Path(on_path), "PATH")
    raise PrismNotFound(f"Prism not found: {INSTALL_HINT}")


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
        """The Prism command line.

        Raises:
            PrismNotFound: when there is no usable Prism.
        """
        base = [str(prism_binary())]
        where = ["-h", "127.0.0.1", "-p", str(self.port)]
        if self.upstream:
            # --errors: an invalid request is answered 422 and never forwarded.
            return [*base, "proxy", *where, "--errors", str(self.spec), self.upstream]
        return [*base, "mock", *where, str(self.spec)]

    def start(self, timeout: float = 120.0) -> Prism:
        """Start Prism and wait until it accepts connections."""
        command = self.command()  # PrismNotFound before anything is started
        self._log_file = self.log.open("wb")
        self.process = subprocess.Popen(command, stdout=self._log_file, stderr=subprocess.STDOUT)
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
