"""FaultProxy against a tiny upstream that counts what reached it."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from faults.proxy import FaultProxy, RequestInfo

HOST = "taskrouter.twilio.com"
AUTH = ("ACtest", "secret")


class Upstream:
    """Answers JSON describing each request it got; POST 201, DELETE 204, else 200."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                seen = {
                    "method": self.command,
                    "path": parts.path,
                    "query": parts.query,
                    "body": body.decode(),
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "hosts": self.headers.get_all("Host"),
                }
                with upstream.lock:
                    upstream.requests.append(seen)
                    seen["count"] = len(upstream.requests)
                status = {"POST": 201, "DELETE": 204}.get(self.command, 200)
                self.send_response(status)
                self.send_header("X-Upstream", "yes")
                self.send_header("Keep-Alive", "timeout=5")
                if status == 204:
                    self.end_headers()
                    return
                payload = json.dumps(seen).encode()
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_DELETE = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def posts(self) -> int:
        with self.lock:
            return sum(1 for r in self.requests if r["method"] == "POST")

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    server = Upstream()
    yield server
    server.stop()


@pytest.fixture
def proxy(upstream: Upstream) -> Iterator[FaultProxy]:
    with FaultProxy(upstream.url) as running:
        yield running


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as client:
        client.auth = AUTH
        client.headers["Host"] = HOST
        yield client


def post(
    session: requests.Session, proxy: FaultProxy, path: str, timeout: float = 5
) -> requests.Response:
    return session.post(proxy.url + path, data={"FriendlyName": "x"}, timeout=timeout)


def test_url_is_loopback_on_a_free_port(proxy: FaultProxy) -> None:
    parts = urlsplit(proxy.url)
    assert parts.scheme == "http" and parts.hostname == "127.0.0.1"
    assert parts.port and parts.port > 0


def test_pass_through_keeps_host_path_query_body_and_auth(
    upstream: Upstream, proxy: FaultProxy, session: requests.Session
) -> None:
    response = session.post(
        proxy.url + "/v1/Workspaces/WS1/TaskChannels?PageSize=50&x=a%20b",
        data={"FriendlyName": "Chat", "UniqueName": "chat"},
        headers={"Connection": "keep-alive, X-Hop", "X-Hop": "1", "X-Keep": "2"},
        timeout=5,
    )
    assert response.status_code == 201
    assert response.headers["X-Upstream"] == "yes"
    assert "Keep-Alive" not in response.headers
    assert int(response.headers["Content-Length"]) == len(response.content)
    seen = response.json()
    assert seen["method"] == "POST"
    assert seen["path"] == "/v1/Workspaces/WS1/TaskChannels"
    assert seen["query"] == "PageSize=50&x=a%20b"
    assert seen["body"] == "FriendlyName=Chat&UniqueName=chat"
    headers = seen["headers"]
    assert seen["hosts"] == [HOST]
    assert headers["authorization"].startswith("Basic ")
    assert headers["x-keep"] == "2"
    assert "x-hop" not in headers and "connection" not in headers
    assert headers["accept-encoding"] == "identity"
    assert proxy.log == [
        {
            "method": "POST",
            "path": "/v1/Workspaces/WS1/TaskChannels",
            "query": "PageSize=50&x=a%20b",
            "status": 201,
            "fault": None,
        }
    ]


def test_keep_alive_serves_several_requests_on_one_connection(
    upstream: Upstream, proxy: FaultProxy
) -> None:
    port = urlsplit(proxy.url).port
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        for n in range(3):
            connection.request("POST", f"/v1/Things?n={n}", body=b"a=1", headers={"Host": HOST})
            response = connection.getresponse()
            assert response.status == 201
            assert json.loads(response.read())["query"] == f"n={n}"
            assert not response.will_close
        connection.request("DELETE", "/v1/Things/T1", headers={"Host": HOST})
        response = connection.getresponse()
        assert response.status == 204 and response.read() == b""
        connection.request("GET", "/v1/Things", headers={"Host": HOST})
        assert connection.getresponse().status == 200
    finally:
        connection.close()
    assert upstream.posts == 3 and len(upstream.requests) == 5


def test_drop_applies_the_write_then_closes_without_answer(
    upstream: Upstream, proxy: FaultProxy, session: requests.Session
) -> None:
    rule = proxy.drop("POST", r"/TaskChannels$")
    # Warm the pooled connection first: the dropped POST reuses it and must not be retried.
    assert session.get(proxy.url + "/v1/TaskChannels", timeout=5).status_code == 200
    with pytest.raises(requests.ConnectionError):
        post(session, proxy, "/v1/TaskChannels")
    assert upstream.posts == 1
    assert rule.fired == 1 and proxy.fired(rule) == 1
    assert post(session, proxy, "/v1/TaskChannels").status_code == 201
    assert upstream.posts == 2
    assert [(e["method"], e["status"], e["fault"]) for e in proxy.log] == [
        ("GET", 200, None),
        ("POST", None, "drop"),
        ("POST", 201, None),
    ]


def test_drop_is_remote_disconnected_for_http_client(upstream: Upstream, proxy: FaultProxy) -> None:
    proxy.drop(None, r"/Things")
    connection = http.client.HTTPConnection("127.0.0.1", urlsplit(proxy.url).port, timeout=5)
    try:
        connection.request("POST", "/v1/Things", body=b"a=1")
        with pytest.raises(http.client.RemoteDisconnected):
            connection.getresponse()
    finally:
        connection.close()
    assert upstream.posts == 1


def test_error_answers_a_twilio_error_after_applying(
    upstream: Upstream, proxy: FaultProxy, session: requests.Session
) -> None:
    proxy.error("POST", r"/Workflows$")
    response = post(session, proxy, "/v1/Workflows")
    assert response.status_code == 500
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {
        "code": 20500,
        "message": "Internal Server Error",
        "more_info": "https://www.twilio.com/docs/errors/20500",
        "status": 500,
    }
    assert upstream.posts == 1
    assert proxy.log[-1]["status"] == 500 and proxy.log[-1]["fault"] == "error"


def test_error_with_another_status_and_message(
    upstream: Upstream, proxy: FaultProxy, session: requests.Session
) -> None:
    proxy.error(None, r"/Workflows", status=503, message="busy")
    response = session.get(proxy.url + "/v1/Workflows", timeout=5)
    assert response.status_code == 503
    assert response.reason == "Service Unavailable"
    assert response.json() == {
        "code": 20503,
        "message": "busy",
        "more_info": "https://www.twilio.com/docs/errors/20503",
        "status": 503,
    }
    assert len(upstream.requests) == 1


def test_stall_times_the_client_out_after_applying(
    upstream: Upstream, proxy: FaultProxy, session: requests.Session
) -> None:
    proxy.stall("POST", r"/Workflows$", seconds=3)
    started = time.monotonic()
    with pytest.raises(requests.ReadTimeout):
        session.post(proxy.url + "/v1/Workflows", data={"a": "1"}, timeout=0.3)
    assert time.monotonic() - started < 2
    assert upstream.posts == 1
    assert proxy.log == [
        {"method": "POST", "path": "/v1/Workflows", "query": "", "status": None, "fault": "stall"}
    ]
    assert post(session, proxy, "/v1/Workflows").status_code == 201


def test_stall_then_closes_without_answering(
    upstream: Upstream, proxy: FaultProxy, session: requests.Session
) -> None:
    proxy.stall(None, r"/Workflows", seconds=0.3)
    started = time.monotonic()
    with pytest.raises(requests.ConnectionError) as caught:
        post(session, proxy, "/v1/Workflows")
    assert not isinstance(caught.value, requests.Timeout)
    assert time.monotonic() - started >= 0.3
    assert upstream.posts == 1


def test_stop_wakes_a_stalled_answer(upstream: Upstream, session: requests.Session) -> None:
    proxy = FaultProxy(upstream.url).start()
    proxy.stall(None, r"/Workflows", seconds=30)
    with pytest.raises(requests.ReadTimeout):
        post(session, proxy, "/v1/Workflows", timeout=0.2)
    started = time.monotonic()
    proxy.stop()
    assert time.monotonic() - started < 5
    proxy.stop()  # twice is fine


def test_garble_cuts_the_body_in_half(
    upstream: Upstream, proxy: FaultProxy, session: requests.Session
) -> None:
    proxy.garble("POST", r"/Workflows$")
    response = post(session, proxy, "/v1/Workflows")
    assert response.status_code == 201
    assert int(response.headers["Content-Length"]) == len(response.content)
    with pytest.raises(ValueError):
        json.loads(response.content)
    assert upstream.posts == 1
    whole = post(session, proxy, "/v1/Workflows").content
    assert json.loads(whole)["count"] == 2
    assert len(response.content) == len(whole) // 2
    assert [e["fault"] for e in proxy.log] == ["garble", None]


def test_nth_and_times(upstream: Upstream, proxy: FaultProxy, session: requests.Session) -> None:
    rule = proxy.error("POST", r"/Workflows$", nth=2, times=2)
    statuses = []
    for _ in range(4):
        statuses.append(post(session, proxy, "/v1/Workflows").status_code)
        # Not matching: another method, another path; they do not count toward nth.
        session.get(proxy.url + "/v1/Workflows", timeout=5)
        post(session, proxy, "/v1/Workflows/WW1")
    assert statuses == [201, 500, 500, 201]
    assert rule.fired == 2 and rule.seen == 4
    assert upstream.posts == 8
    faults = [(e["method"], e["path"], e["fault"]) for e in proxy.log if e["fault"]]
    assert faults == [("POST", "/v1/Workflows", "error")] * 2


def test_times_none_fires_on_every_match(
    upstream: Upstream, proxy: FaultProxy, session: requests.Session
) -> None:
    rule = proxy.error(None, r"/Workflows", status=502, times=None)
    assert [post(session, proxy, "/v1/Workflows").status_code for _ in range(3)] == [502] * 3
    assert rule.fired == 3


def test_first_rule_added_wins_and_the_other_waits(
    upstream: Upstream, proxy: FaultProxy, session: requests.Session
) -> None:
    first = proxy.error("POST", r"/Workflows$", status=500)
    second = proxy.error("POST", r"/Workflows$", status=503)
    codes = [post(session, proxy, "/v1/Workflows").status_code for _ in range(3)]
    assert codes == [500, 503, 201]
    assert (first.fired, second.fired) == (1, 1)


def test_clear_removes_all_rules(
    upstream: Upstream, proxy: FaultProxy, session: requests.Session
) -> None:
    proxy.drop(None, r".")
    proxy.error(None, r".")
    proxy.clear()
    assert post(session, proxy, "/v1/Workflows").status_code == 201
    assert proxy.log[0]["fault"] is None


def test_after_calls_back_once_the_write_is_applied(
    upstream: Upstream, proxy: FaultProxy, session: requests.Session
) -> None:
    calls: list[tuple[RequestInfo, int]] = []
    rule = proxy.after("POST", r"/Workflows$", lambda info: calls.append((info, upstream.posts)))
    response = session.post(proxy.url + "/v1/Workflows?a=1", data={"b": "2"}, timeout=5)
    assert response.status_code == 201 and response.json()["count"] == 1
    assert len(calls) == 1
    info, posts_then = calls[0]
    assert posts_then == 1  # upstream had the write before the callback ran
    assert (info.method, info.path, info.query, info.body) == (
        "POST",
        "/v1/Workflows",
        "a=1",
        b"b=2",
    )
    assert info.status == 201 and json.loads(info.response_body)["count"] == 1
    assert {k.lower(): v for k, v in info.headers.items()}["host"] == HOST
    assert rule.fired == 1
    post(session, proxy, "/v1/Workflows")
    assert len(calls) == 1
    assert [e["fault"] for e in proxy.log] == ["after", None]


def test_after_returning_drop_closes_without_answer(
    upstream: Upstream, proxy: FaultProxy, session: requests.Session
) -> None:
    proxy.after(None, r"/Workflows", lambda info: "drop")
    with pytest.raises(requests.ConnectionError):
        post(session, proxy, "/v1/Workflows")
    assert upstream.posts == 1
    assert proxy.log[-1]["status"] is None and proxy.log[-1]["fault"] == "after"


def test_after_callback_raising_drops_and_is_kept(
    upstream: Upstream, proxy: FaultProxy, session: requests.Session
) -> None:
    def boom(info: RequestInfo) -> None:
        raise RuntimeError("boom")

    proxy.after(None, r"/Workflows", boom)
    with pytest.raises(requests.ConnectionError):
        post(session, proxy, "/v1/Workflows")
    assert [str(e) for e in proxy.errors] == ["boom"]


def test_upstream_unreachable_is_502_and_the_rule_stays_owed(session: requests.Session) -> None:
    dead = Upstream()
    dead.stop()
    with FaultProxy(dead.url) as proxy:
        rule = proxy.drop(None, r".")
        response = post(session, proxy, "/v1/Workflows")
        assert response.status_code == 502
        assert rule.fired == 0
        assert proxy.log[0]["status"] == 502 and proxy.log[0]["fault"] is None


def test_rule_arguments_are_checked(proxy: FaultProxy) -> None:
    with pytest.raises(ValueError):
        proxy.drop(None, r".", nth=0)
    with pytest.raises(ValueError):
        proxy.error(None, r".", times=0)
    with pytest.raises(ValueError):
        FaultProxy("127.0.0.1:80")
