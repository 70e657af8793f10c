"""A loopback reverse proxy that injects network faults between a client and the sandbox.

The faults that matter for Twilio happen *after* Twilio applied a write: the connection drops,
the answer times out, comes back garbled or as a 5xx, or the caller dies, while the resource was
already created. A client must then not repeat a create blindly (it would make a duplicate); it
has to look first. So every fault here forwards the request upstream first, and only then
mangles what the client gets.

    with FaultProxy(sandbox.url) as proxy:
        proxy.drop("POST", r"/TaskChannels$")
        ...  # point FLEXORCH_TWILIO_BASE_URL at proxy.url

Rules match a method (None: any) and a regex searched in the path (query excluded). A rule fires
on its `nth` matching request and the next ones until it has fired `times` times (None: no
limit); then it lets traffic through. At most one rule fires per request, the earliest added
first. Forwarded requests ask upstream for an uncompressed answer (`Accept-Encoding: identity`),
so that a garbled body is cut JSON, not cut gzip.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal
from urllib.parse import urlsplit

Kind = Literal["drop", "error", "stall", "garble", "after"]

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)
"""Headers that describe one connection, never forwarded (nor Content-Length: recomputed)."""

UPSTREAM_TIMEOUT = 60.0


@dataclass(frozen=True)
class RequestInfo:
    """One forwarded request and upstream's answer, as given to an `after` callback."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    status: int
    response_body: bytes


@dataclass
class Rule:
    """One fault: where it applies, when it fires, how often it has (`fired`)."""

    kind: Kind
    method: str | None
    path: re.Pattern[str]
    nth: int = 1
    times: int | None = 1
    status: int = 500
    code: int | None = None
    message: str | None = None
    seconds: float = 0.0
    callback: Callable[[RequestInfo], object] | None = None
    seen: int = 0
    """Matching requests so far (whether this rule fired on them or not)."""
    fired: int = 0

    def matches(self, method: str, path: str) -> bool:
        """Whether a request is one this rule is about."""
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path.search(path) is not None

    @property
    def due(self) -> bool:
        """Whether the next matching request (counted already) gets this fault."""
        spent = self.times is not None and self.fired >= self.times
        return self.seen >= self.nth and not spent

    def error_body(self) -> bytes:
        """A Twilio-style error document for `error` rules."""
        code = self.code if self.code is not None else 20000 + self.status
        try:
            phrase = HTTPStatus(self.status).phrase
        except ValueError:
            phrase = "Error"
        body = {
            "code": code,
            "message": self.message if self.message is not None else phrase,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": self.status,
        }
        return json.dumps(body).encode()


@dataclass
class _Upstream:
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes


class FaultProxy:
    """A fault-injecting HTTP/1.1 reverse proxy on 127.0.0.1, in front of `upstream`."""

    def __init__(self, upstream: str) -> None:
        """Proxy to `upstream`, a base URL such as the sandbox's `http://127.0.0.1:<port>`."""
        parts = urlsplit(upstream)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"upstream must be an http(s) URL, not {upstream!r}")
        self.upstream = upstream
        self._scheme = parts.scheme
        self._host = parts.hostname
        self._port = parts.port or (443 if parts.scheme == "https" else 80)
        self._prefix = parts.path.rstrip("/")
        self._lock = threading.Lock()
        self._rules: list[Rule] = []
        self._log: list[dict[str, Any]] = []
        self._connections: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""
        self.errors: list[BaseException] = []
        """Exceptions raised by `after` callbacks (their request was dropped)."""

    # -- life cycle --------------------------------------------------------------------------

    def start(self) -> FaultProxy:
        """Listen on a free loopback port; `url` says which."""
        if self._server is not None:
            return self
        self._stopping.clear()
        server = _Server(("127.0.0.1", 0), _handler(self))
        self._server = server
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.05,), name="fault-proxy", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening, wake stalled answers and close every client connection."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FaultProxy:
        """Start on entering the block."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop on leaving it."""
        self.stop()

    # -- rules -------------------------------------------------------------------------------

    def _add(self, rule: Rule) -> Rule:
        if rule.nth < 1 or (rule.times is not None and rule.times < 1):
            raise ValueError("nth and times count from 1")
        with self._lock:
            self._rules.append(rule)
        return rule

    def drop(self, method: str | None, path: str, nth: int = 1, times: int | None = 1) -> Rule:
        """Forward, then close the client's connection without answering."""
        return self._add(Rule("drop", method, re.compile(path), nth, times))

    def error(
        self,
        method: str | None,
        path: str,
        status: int = 500,
        nth: int = 1,
        times: int | None = 1,
        *,
        code: int | None = None,
        message: str | None = None,
    ) -> Rule:
        """Forward, then answer `status` with a Twilio error body (code 20000 + status)."""
        rule = Rule("error", method, re.compile(path), nth, times, status, code, message)
        return self._add(rule)

    def stall(
        self,
        method: str | None,
        path: str,
        seconds: float,
        nth: int = 1,
        times: int | None = 1,
    ) -> Rule:
        """Forward, then hold the answer `seconds` and close without answering."""
        return self._add(Rule("stall", method, re.compile(path), nth, times, seconds=seconds))

    def garble(self, method: str | None, path: str, nth: int = 1, times: int | None = 1) -> Rule:
        """Forward, then answer upstream's status with the first half of its body."""
        return self._add(Rule("garble", method, re.compile(path), nth, times))

    def after(
        self,
        method: str | None,
        path: str,
        callback: Callable[[RequestInfo], object],
        nth: int = 1,
        times: int | None = 1,
    ) -> Rule:
        """Forward, call `callback(info)`, then answer; a callback returning "drop" drops."""
        return self._add(Rule("after", method, re.compile(path), nth, times, callback=callback))

    def clear(self) -> None:
        """Remove every rule (the log stays)."""
        with self._lock:
            self._rules.clear()

    def fired(self, rule: Rule) -> int:
        """How many requests `rule` has fired on."""
        with self._lock:
            return rule.fired

    @property
    def log(self) -> list[dict[str, Any]]:
        """A copy of the log: {method, path, query, status, fault} per request, in order.

        `status` is what the client got (None: dropped or stalled); `fault` the rule kind.
        """
        with self._lock:
            return [dict(entry) for entry in self._log]

    # -- used by the handler -----------------------------------------------------------------

    def _choose(self, method: str, path: str) -> Rule | None:
        """Count the request for every matching rule; the first one due fires."""
        chosen = None
        with self._lock:
            for rule in self._rules:
                if not rule.matches(method, path):
                    continue
                rule.seen += 1
                if chosen is None and rule.due:
                    rule.fired += 1
                    chosen = rule
        return chosen

    def _unfire(self, rule: Rule) -> None:
        with self._lock:
            rule.fired -= 1

    def _record(
        self, method: str, path: str, query: str, status: int | None, fault: str | None
    ) -> None:
        entry = {"method": method, "path": path, "query": query, "status": status, "fault": fault}
        with self._lock:
            self._log.append(entry)

    def _track(self, connection: socket.socket, open_: bool) -> None:
        with self._lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def _forward(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes
    ) -> _Upstream:
        """Send one request upstream, keeping its target and headers (Host included)."""
        cls = http.client.HTTPSConnection if self._scheme == "https" else http.client.HTTPConnection
        connection = cls(self._host, self._port, timeout=UPSTREAM_TIMEOUT)
        try:
            connection.putrequest(
                method, self._prefix + target, skip_host=True, skip_accept_encoding=True
            )
            for name, value in headers:
                connection.putheader(name, value)
            connection.putheader("Accept-Encoding", "identity")
            if body or method.upper() in ("POST", "PUT", "PATCH"):
                connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body or None)
            response = connection.getresponse()
            payload = response.read()
            return _Upstream(response.status, response.reason, response.getheaders(), payload)
        finally:
            connection.close()


def _hop_by_hop(headers: list[tuple[str, str]]) -> set[str]:
    """The hop-by-hop header names, including those a Connection header lists."""
    names = set(HOP_BY_HOP)
    for name, value in headers:
        if name.lower() == "connection":
            names.update(token.strip().lower() for token in value.split(",") if token.strip())
    return names


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore clients that went away (timed out, killed); report anything else."""
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


def _handler(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out as two writes

        def setup(self) -> None:
            super().setup()
            proxy._track(self.connection, True)

        def finish(self) -> None:
            proxy._track(self.connection, False)
            try:
                super().finish()
            except OSError:
                pass

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
            """The proxy keeps its own log; no stderr line per request."""

        def _read_body(self) -> bytes:
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                chunks: list[bytes] = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _answer(
            self, status: int, reason: str | None, headers: list[tuple[str, str]], body: bytes
        ) -> None:
            self.send_response_only(status, reason)
            skip = _hop_by_hop(headers) | {"content-length"}
            for name, value in headers:
                if name.lower() not in skip:
                    self.send_header(name, value)
            if self.command == "HEAD":
                length = next((v for k, v in headers if k.lower() == "content-length"), "0")
                self.send_header("Content-Length", length)
                body = b""
            elif status in (204, 304) or status < 200:
                body = b""
            else:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body:
                self.wfile.write(body)

        def _close(self) -> None:
            """Leave without a byte of answer; the server then closes the socket."""
            self.close_connection = True

        def _handle(self) -> None:
            method = self.command
            parts = urlsplit(self.path)
            path, query = parts.path, parts.query
            body = self._read_body()
            raw = list(self.headers.items())
            skip = _hop_by_hop(raw) | {"content-length", "accept-encoding"}
            headers = [(k, v) for k, v in raw if k.lower() not in skip]
            rule = proxy._choose(method, path)
            try:
                upstream = proxy._forward(method, self.path, headers, body)
            except (OSError, http.client.HTTPException) as exc:
                if rule is not None:
                    proxy._unfire(rule)
                message = f"fault proxy: upstream unreachable ({type(exc).__name__})"
                document = {"code": None, "message": message, "status": 502}
                proxy._record(method, path, query, 502, None)
                self._answer(
                    502,
                    None,
                    [("Content-Type", "application/json")],
                    json.dumps(document).encode(),
                )
                return
            fault = rule.kind if rule else None
            if rule is None:
                proxy._record(method, path, query, upstream.status, None)
                self._answer(upstream.status, upstream.reason, upstream.headers, upstream.body)
            elif rule.kind == "drop":
                proxy._record(method, path, query, None, fault)
                self._close()
            elif rule.kind == "stall":
                proxy._record(method, path, query, None, fault)
                proxy._stopping.wait(rule.seconds)
                self._close()
            elif rule.kind == "error":
                proxy._record(method, path, query, rule.status, fault)
                headers = [("Content-Type", "application/json")]
                self._answer(rule.status, None, headers, rule.error_body())
            elif rule.kind == "garble":
                proxy._record(method, path, query, upstream.status, fault)
                cut = upstream.body[: len(upstream.body) // 2]
                self._answer(upstream.status, upstream.reason, upstream.headers, cut)
            else:
                info = RequestInfo(
                    method, path, query, dict(raw), body, upstream.status, upstream.body
                )
                assert rule.callback is not None
                try:
                    verdict = rule.callback(info)
                except Exception as exc:  # reported through proxy.errors
                    with proxy._lock:
                        proxy.errors.append(exc)
                    verdict = "drop"
                if verdict == "drop":
                    proxy._record(method, path, query, None, fault)
                    self._close()
                    return
                proxy._record(method, path, query, upstream.status, fault)
                self._answer(upstream.status, upstream.reason, upstream.headers, upstream.body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

    return Handler
