"""The sandbox: a local Twilio on one port, contract-checked and stateful, with a request log.

    client --> front (logs each request) --> Prism proxy (Twilio's specs) --> fake (state)

The front and the fake run in this process; Prism is a Node process. An invalid request is
answered 422 by Prism and never reaches the fake, but the front still logs it. Without Prism
(not installed, or no Node) the front forwards straight to the fake, whose own checks
(credentials, known paths and methods) still apply; `Sandbox.checks` says which are on.

The front is the server clients connect to, so it is where latency is added (`latency_ms`: every
answer that late, slept in the request's own thread so concurrent requests overlap as on a distant
server) and where traffic is measured: each request's span (from its headers read to its answer
ready) and the client connection it came on (one per `setup()` of the threading server's handler,
i.e. per accepted TCP connection). From those, `traffic(mark)` gives the most requests in flight
at once and the new connections in a window. Its own hop to Prism or the fake is not counted.
"""

from __future__ import annotations

import http.client
import json
import math
import tempfile
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flexorch.sandbox.fake import FakeTwilio, Request
from flexorch.sandbox.prism import Prism, PrismNotFound, free_port, prism_binary
from flexorch.sandbox.specs import mounted_path, write_merged

HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


def _form(body: bytes, content_type: str) -> dict[str, list[str]]:
    if "application/x-www-form-urlencoded" not in content_type:
        return {}
    return parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)


class _Quiet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """The sandbox keeps its own JSON log; no stderr line per request."""

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _fake_handler(fake: FakeTwilio) -> type[BaseHTTPRequestHandler]:
    class Handler(_Quiet):
        def _answer(self) -> None:
            parts = urlsplit(self.path)
            body = self._body()
            request = Request(
                self.command,
                parts.path,
                parse_qs(parts.query, keep_blank_values=True),
                _form(body, self.headers.get("Content-Type", "")),
                self.headers.get("Authorization"),
            )
            status, payload = fake.handle(request)
            self._send(status, b"" if payload is None else json.dumps(payload).encode())

        do_GET = do_POST = do_DELETE = _answer

    return Handler


@dataclass(frozen=True)
class Span:
    """When one request was served, and on which client connection (numbered from 1)."""

    started: float
    """`time.monotonic()` when its headers had been read."""
    finished: float
    """`time.monotonic()` when its answer was ready to send."""
    connection: int


@dataclass(frozen=True)
class Mark:
    """Where the sandbox's counters stood at one moment (see `Sandbox.mark`)."""

    requests: int
    connections: int


@dataclass(frozen=True)
class Traffic:
    """What clients did in a window: the requests, the most at once, the connections opened."""

    requests: list[dict[str, Any]]
    spans: list[Span]
    max_in_flight: int
    connections: int
    """Client connections accepted in the window."""

    @property
    def connections_used(self) -> int:
        """Distinct connections the window's requests came on (a kept-alive one included)."""
        return len({span.connection for span in self.spans})


def max_in_flight(spans: list[Span]) -> int:
    """The most spans open at one instant (one ending as another starts: not overlapping)."""
    events = sorted([(s.started, 1) for s in spans] + [(s.finished, -1) for s in spans])
    # At equal times the -1 sorts first, so touching spans do not count as overlapping.
    peak = current = 0
    for _, step in events:
        current += step
        peak = max(peak, current)
    return peak


def _front_handler(sandbox: Sandbox) -> type[BaseHTTPRequestHandler]:
    class Handler(_Quiet):
        connection_number = 0

        def setup(self) -> None:
            """One call per accepted client connection (keep-alive requests share it)."""
            super().setup()
            self.connection_number = sandbox._connected()

        def _forward(self) -> None:
            started = time.monotonic()
            body = self._body()
            if sandbox.latency_ms > 0:
                time.sleep(sandbox.latency_ms / 1000)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
            host = self.headers.get("Host", "")
            status, payload, content_type = _relay(
                sandbox.upstream_port, self.command, mounted_path(host, self.path), body, headers
            )
            sandbox.record(
                self.command,
                self.path,
                body,
                self.headers.get("Content-Type", ""),
                status,
                Span(started, time.monotonic(), self.connection_number),
                host=host,
            )
            self._send(status, payload, content_type)

        do_GET = do_POST = do_DELETE = _forward

    return Handler


def _relay(
    port: int, method: str, target: str, body: bytes, headers: dict[str, str]
) -> tuple[int, bytes, str]:
    """Send one request on to 127.0.0.1:`port`: (status, body, content type)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, target, body=body or None, headers=headers)
        response = connection.getresponse()
        return (
            response.status,
            response.read(),
            response.getheader("Content-Type", "application/json"),
        )
    finally:
        connection.close()


class HostRouter:
    """A front that only routes by Host (`mounted_path`) to a server on 127.0.0.1:`upstream`.

    What the sandbox's front does without its log; the contract tests put it before a Prism mock.
    """

    def __init__(self, upstream: int) -> None:
        """Route to `upstream` once started."""
        self.upstream = upstream
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: ThreadingHTTPServer | None = None

    def __enter__(self) -> HostRouter:
        """Start serving."""
        router = self

        class Handler(_Quiet):
            def _forward(self) -> None:
                body = self._body()
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
                target = mounted_path(self.headers.get("Host"), self.path)
                self._send(*_relay(router.upstream, self.command, target, body, headers))

            do_GET = do_POST = do_DELETE = _forward

        self._server = _Server(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop serving."""
        if self._server:
            self._server.shutdown()
            self._server.server_close()


class _Server(ThreadingHTTPServer):
    # The stdlib's backlog of 5 drops connections a burst of concurrent clients opens at once
    # (each then waits a SYN retry, a second or more): the sandbox must not be the bottleneck.
    request_queue_size = 128


class PortUnavailable(OSError):
    """The sandbox's port cannot be listened on (in use, or not ours to take)."""

    def __init__(self, port: int, cause: OSError) -> None:
        """`cause`: what binding `port` raised."""
        super().__init__(cause.errno, cause.strerror or str(cause))
        self.port = port


class Sandbox:
    """A running sandbox; use as a context manager or call start()/stop()."""

    def __init__(
        self,
        fake: FakeTwilio,
        port: int | None = None,
        log_path: Path | None = None,
        workdir: Path | None = None,
        contract: bool | None = None,
        latency_ms: float = 0,
    ) -> None:
        """Serve `fake` on `port` (a free one if not given), logging requests to `log_path`.

        `contract`: True requires Prism (PrismNotFound without it), False never starts it, None
        (the default) starts it when one is found and serves the fake alone otherwise.
        `latency_ms`: how late every answer is (a distant server); may be changed while running.
        """
        if not 0 <= latency_ms < math.inf:
            raise ValueError(f"latency_ms: {latency_ms}; use a finite number of ms, 0 or more")
        self.fake = fake
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._tmp = tempfile.TemporaryDirectory(prefix="flexorch-sandbox-") if not workdir else None
        self.workdir = workdir or Path(self._tmp.name)  # type: ignore[union-attr]
        self.log_path = log_path or self.workdir / "requests.jsonl"
        self.latency_ms = latency_ms
        self.requests: list[dict[str, Any]] = []
        self.spans: list[Span] = []
        """One per entry of `requests`, at the same index."""
        self._connections = 0
        self._lock = threading.Lock()
        self._servers: list[ThreadingHTTPServer] = []
        self.contract = contract
        self.prism: Prism | None = None
        self.prism_port = 0
        self.upstream_port = 0
        self.prism_missing: str | None = None
        """Why contract checks are off (None while they are on, or before start)."""

    def record(
        self,
        method: str,
        target: str,
        body: bytes,
        content_type: str,
        status: int,
        span: Span | None = None,
        host: str = "",
    ) -> None:
        """Log one request as a JSON line (never its credentials), and its span.

        `host` is the product the client meant (its Host header), e.g. conversations.twilio.com.
        """
        if span is None:
            now = time.monotonic()
            span = Span(now, now, 0)
        parts = urlsplit(target)
        entry = {
            "method": method,
            "host": host.split(":", 1)[0],
            "path": parts.path,
            "query": parse_qs(parts.query, keep_blank_values=True),
            "form": _form(body, content_type),
            "status": status,
        }
        with self._lock:
            self.requests.append(entry)
            self.spans.append(span)
            with self.log_path.open("a", encoding="utf-8") as log:
                log.write(json.dumps(entry) + "\n")

    def since(self, mark: int) -> list[dict[str, Any]]:
        """The requests logged after `len(sandbox.requests)` was `mark`."""
        with self._lock:
            return list(self.requests[mark:])

    def _connected(self) -> int:
        with self._lock:
            self._connections += 1
            return self._connections

    @property
    def connections(self) -> int:
        """Client connections the sandbox has accepted since it started."""
        with self._lock:
            return self._connections

    @property
    def max_in_flight(self) -> int:
        """The most requests it has been serving at once since it started."""
        with self._lock:
            return max_in_flight(self.spans)

    def mark(self) -> Mark:
        """The counters now, to measure a window with `traffic(mark)`."""
        with self._lock:
            return Mark(len(self.requests), self._connections)

    def traffic(self, mark: Mark) -> Traffic:
        """The requests logged, their peak concurrency and the connections accepted since `mark`.

        A request counts in the window it was logged in (logged as its answer is ready).
        """
        with self._lock:
            spans = list(self.spans[mark.requests :])
            return Traffic(
                requests=list(self.requests[mark.requests :]),
                spans=spans,
                max_in_flight=max_in_flight(spans),
                connections=self._connections - mark.connections,
            )

    def _serve(self, port: int, handler: type[BaseHTTPRequestHandler]) -> None:
        self._run(_Server(("127.0.0.1", port), handler))

    def _run(self, server: ThreadingHTTPServer) -> None:
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self._servers.append(server)

    def start(self) -> Sandbox:
        """Start the fake, Prism in front of it, and the logging front.

        Raises:
            PortUnavailable: when the front's port is taken (checked first, before Prism's
                few seconds of start-up).
        """
        try:
            front = _Server(("127.0.0.1", self.port), _front_handler(self))
        except OSError as exc:
            self.stop()
            raise PortUnavailable(self.port, exc) from exc
        try:
            self._start_behind()
        except BaseException:
            front.server_close()
            self.stop()
            raise
        self._run(front)
        return self

    def _start_behind(self) -> None:
        """The fake and Prism, which the front relays to."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log_path.write_text("")
        fake_port = free_port()
        self._serve(fake_port, _fake_handler(self.fake))
        self.upstream_port = fake_port
        if self.contract is False:
            self.prism_missing = "turned off"
        else:
            try:
                prism_binary()
            except PrismNotFound as missing:
                if self.contract:
                    raise
                self.prism_missing = str(missing)
        if self.prism_missing is None:
            spec = write_merged(self.workdir / "twilio-merged.json")
            self.prism = Prism(
                spec, self.workdir / "prism.log", upstream=f"http://127.0.0.1:{fake_port}"
            )
            self.prism.start()
            self.prism_port = self.upstream_port = self.prism.port

    @property
    def checks(self) -> str:
        """One line: which checks requests go through."""
        fake = "the fake's own checks (credentials, paths, methods): on"
        if self.prism_missing is None:
            return f"contract checks: on (Prism, Twilio's official OpenAPI specs); {fake}"
        return f"contract checks: off ({self.prism_missing}); {fake}"

    def stop(self) -> None:
        """Stop everything this sandbox started."""
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers.clear()
        if self.prism:
            self.prism.stop()
        if self._tmp:
            self._tmp.cleanup()

    def __enter__(self) -> Sandbox:
        """Start on entering the block."""
        return self.start()

    def __exit__(self, *exc: object) -> None:
        """Stop on leaving it."""
        self.stop()
