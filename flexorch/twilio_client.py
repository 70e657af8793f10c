"""The one way flexorch talks to Twilio: credentials, endpoint override, retries, clear errors.

Providers share one client per account and endpoint in their process (one connection pool:
a TCP and TLS handshake per request is most of a request's cost on real Twilio); nothing is
held on the provider objects, because those are pickled into Pulumi state.
"""

from __future__ import annotations

import email.utils
import json
import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from flexorch.errors import FlexorchError, TwilioUnreachable

BASE_URL_ENV = "FLEXORCH_TWILIO_BASE_URL"
TIMEOUT_ENV = "FLEXORCH_TWILIO_TIMEOUT"
MAX_ATTEMPTS = 5
MAX_DELAY = 30.0
POOL_SIZE = 32
_SID_SEGMENT = re.compile(r"[A-Z]{2}[0-9a-fA-F]{32}(\.json)?")


class TwilioApiError(FlexorchError):
    """Twilio refused a request; the text names the resource, the fields, code and message."""

    def __init__(self, problems: list[str] | str, status: int | None = None) -> None:
        """`status`: Twilio's HTTP status, when it answered."""
        super().__init__(problems)
        self.status = status


class CreateOutcomeUnknown(FlexorchError):
    """A create was sent but its answer was lost: Twilio may or may not have applied it.

    Repeating it blindly could make a second object; the caller looks it up by name instead.
    """


# The environment variable of each credential, as Twilio's own tools name them.
CREDENTIAL_ENV = {
    "accountSid": "TWILIO_ACCOUNT_SID",
    "authToken": "TWILIO_AUTH_TOKEN",
    "apiKey": "TWILIO_API_KEY",
    "apiSecret": "TWILIO_API_SECRET",
}


@dataclass(frozen=True)
class Credentials:
    """Who flexorch is to Twilio: an auth token, or an API key pair for the account."""

    account_sid: str
    username: str
    password: str = field(repr=False)

    @classmethod
    def find(cls, config: Callable[[str], Any] = lambda _key: None) -> Credentials:
        """Credentials from stack config (`twilio:*`), else the `TWILIO_*` environment.

        Raises:
            FlexorchError: when no complete set is found, saying where to put one.
        """

        def value(key: str) -> str:
            found = config(f"twilio:{key}") or os.environ.get(CREDENTIAL_ENV[key]) or ""
            return str(found).strip()

        account = value("accountSid")
        api_key, api_secret = value("apiKey"), value("apiSecret")
        token = value("authToken")
        if not account:
            raise FlexorchError(
                "twilio:accountSid: is not set; run `pulumi config set twilio:accountSid AC...` "
                "or set TWILIO_ACCOUNT_SID"
            )
        if api_key and api_secret:
            return cls(account, api_key, api_secret)
        if token:
            return cls(account, account, token)
        raise FlexorchError(
            "twilio:authToken: is not set; run `pulumi config set --secret twilio:authToken` or "
            "set TWILIO_AUTH_TOKEN (or TWILIO_API_KEY and TWILIO_API_SECRET)"
        )


def retry_delay(attempt: int, retry_after: str | None) -> float:
    """Seconds to wait before attempt `attempt + 1`: Retry-After if given, else backoff."""
    seconds: float | None = None
    if retry_after:
        try:
            seconds = float(retry_after)
        except ValueError:
            try:
                seconds = email.utils.parsedate_to_datetime(retry_after).timestamp() - time.time()
            except (TypeError, ValueError):
                seconds = None  # unreadable: fall back to backoff
    if seconds is not None:
        return min(MAX_DELAY, max(0.0, seconds))
    return min(MAX_DELAY, 0.5 * 2.0 ** (attempt - 1)) * random.uniform(0.8, 1.2)


def _is_create(method: str, url: str) -> bool:
    """A POST to a collection creates; repeating it after a 5xx could create twice."""
    last = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    return method.upper() == "POST" and not _SID_SEGMENT.fullmatch(last)


class RetryingHttpClient(TwilioHttpClient):
    """Twilio's HTTP client with bounded retries and an optional single base URL.

    429 ("not processed, try later") is retried for every request. 5xx, garbled answers and
    failed connections are retried for requests that are safe to repeat (reads, deletes,
    updates that set absolute values); after a create was sent they raise CreateOutcomeUnknown,
    because Twilio may have applied it. That includes 503: Twilio documents it as not
    processed, but a gateway or load balancer in between can answer 503 after forwarding.
    """

    def __init__(
        self,
        base_url: str | None = None,
        max_attempts: int = MAX_ATTEMPTS,
        sleep: Callable[[float], None] = time.sleep,
        timeout: float = 30.0,
        busy_is_unreachable: bool = False,
    ) -> None:
        """Route every product to `base_url` when given (sandbox, contract mock, a gateway).

        `busy_is_unreachable`: when 429/5xx outlast the retries, raise TwilioUnreachable instead
        of returning the answer (the doctor's exit 3: its checks could not run, none failed).
        """
        super().__init__(timeout=timeout)
        # One pool per process serves every operation the engine runs at once (the SDK's
        # default keeps 6 connections for https and none of its own for http).
        if self.session is not None:
            for prefix in ("https://", "http://"):
                self.session.mount(prefix, HTTPAdapter(pool_maxsize=POOL_SIZE))
        self.busy_is_unreachable = busy_is_unreachable
        self.base_url = base_url.rstrip("/") if base_url else None
        self.max_attempts = max_attempts
        self.sleep = sleep
        self.requests_made = 0

    def route(self, url: str) -> str:
        """The URL actually called: same path and query, on the override host if set."""
        if not self.base_url:
            return url
        parts = urlsplit(url)
        return self.base_url + parts.path + (f"?{parts.query}" if parts.query else "")

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        """Send, retrying within the bound; network failures become TwilioUnreachable.

        Under a base URL, the request keeps its product's host in `Host` (Flex and Conversations
        both have `/v1/Configuration`), so one server can tell the products apart.
        """
        if self.base_url:
            headers = {**(headers or {}), "Host": urlsplit(url).netloc}
        url = self.route(url)
        for attempt in range(1, self.max_attempts + 1):
            self.requests_made += 1
            try:
                response: Response = super().request(
                    method, url, params, data, headers, auth, timeout, allow_redirects
                )
            except requests.RequestException as exc:
                if _is_create(method, url) and _maybe_sent(exc):
                    raise CreateOutcomeUnknown(
                        f"{method} {urlsplit(url).path}: the connection failed after the "
                        f"request was sent ({type(exc).__name__})"
                    ) from None
                if attempt == self.max_attempts:
                    host = urlsplit(url).netloc
                    raise TwilioUnreachable(
                        f"Twilio is unreachable at {host} ({type(exc).__name__}); check the "
                        f"network or {BASE_URL_ENV}"
                    ) from None
                self.sleep(retry_delay(attempt, None))
                continue
            status = response.status_code
            if status == 422:
                return _contract_violation(response)
            # A cut-off or garbled answer to a request that is safe to repeat is asked again;
            # one to a create is left to the caller (it may have been applied).
            garbled = status < 300 and not _is_json(response.text)
            if (garbled or status >= 500) and _is_create(method, url):
                what = "was not JSON" if garbled else f"was HTTP {status}"
                raise CreateOutcomeUnknown(f"{method} {urlsplit(url).path}: the answer {what}")
            retryable = status == 429 or status >= 500 or garbled
            if retryable and attempt == self.max_attempts and self.busy_is_unreachable:
                raise TwilioUnreachable(
                    f"Twilio kept answering HTTP {status} at {urlsplit(url).netloc} "
                    f"({attempt} attempts); try again later"
                )
            if not retryable or attempt == self.max_attempts:
                return response
            self.sleep(retry_delay(attempt, _header(response, "Retry-After")))
        raise AssertionError("unreachable")  # pragma: no cover - the loop always returns


def _maybe_sent(exc: requests.RequestException) -> bool:
    """False only when the request cannot have reached Twilio (no connection was made)."""
    if isinstance(exc, requests.ConnectTimeout):
        return False
    if isinstance(exc, requests.ConnectionError):
        reason = exc.args[0] if exc.args else None
        reason = getattr(reason, "reason", reason)
        return not isinstance(reason, urllib3.exceptions.NewConnectionError)
    return True


def _is_json(text: str | None) -> bool:
    """An empty body (a 204 delete) or a JSON document."""
    if not text:
        return True
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _contract_violation(response: Response) -> Response:
    """Prism's problem details, reshaped as a Twilio error whose message names the field.

    Only a contract-checking server in front (the sandbox, the contract tests, a gateway running
    Twilio's specs) answers 422 with a `validation` list; anything else passes unchanged.
    """
    try:
        problem = json.loads(response.text)
        messages = [v["message"] for v in problem["validation"]]
    except (ValueError, KeyError, TypeError):
        return response
    body = {"code": None, "message": "; ".join(messages), "status": 422}
    return Response(422, json.dumps(body), headers=getattr(response, "headers", None))


def _header(response: Response, name: str) -> str | None:
    headers: Mapping[str, str] = getattr(response, "headers", None) or {}
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


_CLIENTS: dict[tuple[Credentials, str, str], Client] = {}
_CLIENTS_LOCK = threading.Lock()


def make_client(credentials: Credentials, http_client: RetryingHttpClient | None = None) -> Client:
    """The process's Twilio client for these credentials, honouring the endpoint settings.

    One per account, key and endpoint, so every operation of a provider process reuses its
    connections. `http_client` builds a one-off client instead (the doctor's own retry rules).
    """
    if http_client is not None:
        return _client(credentials, http_client)
    base_url = os.environ.get(BASE_URL_ENV) or ""
    timeout = os.environ.get(TIMEOUT_ENV) or ""
    key = (credentials, base_url, timeout)
    with _CLIENTS_LOCK:
        if key not in _CLIENTS:
            http = RetryingHttpClient(base_url or None, timeout=_seconds(timeout))
            _CLIENTS[key] = _client(credentials, http)
        return _CLIENTS[key]


def _client(credentials: Credentials, http: RetryingHttpClient) -> Client:
    return Client(
        credentials.username,
        credentials.password,
        account_sid=credentials.account_sid,
        http_client=http,
    )


def _seconds(value: str) -> float:
    """FLEXORCH_TWILIO_TIMEOUT: seconds to wait for each answer (default 30)."""
    if not value:
        return 30.0
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if seconds <= 0:
        raise FlexorchError(f"{TIMEOUT_ENV}: {value!r} is not a number of seconds above 0")
    return seconds


def as_rest_error(exc: TwilioException) -> TwilioRestException | None:
    """The SDK's error as a TwilioRestException, if it carries an HTTP status.

    Lists raise a bare `TwilioException("Unable to fetch page", response)` rather than a
    TwilioRestException, so a 401 or 404 on a list would otherwise not read as rejected
    credentials or a missing resource.
    """
    if isinstance(exc, TwilioRestException):
        return exc
    response = exc.args[1] if len(exc.args) > 1 else None
    status = getattr(response, "status_code", None)
    if not isinstance(status, int):
        return None
    try:
        body = json.loads(getattr(response, "text", "") or "{}")
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    message = str(body.get("message") or exc.args[0])
    return TwilioRestException(status, "", message, body.get("code"), "GET")


@contextmanager
def twilio_call(
    resource: str, action: str, fields: tuple[str, ...] = (), missing_ok: bool = False
) -> Iterator[None]:
    """Turn a Twilio refusal inside the block into one line naming what was being done.

    With `missing_ok`, a 404 is success (deleting what someone already deleted).
    """
    try:
        yield
    except json.JSONDecodeError:
        sent = f" ({', '.join(fields)})" if fields else ""
        raise TwilioApiError(
            f"{resource}: {action}{sent}: Twilio's answer was not JSON (cut off or garbled); "
            "run again"
        ) from None
    except TwilioException as raised:
        exc = as_rest_error(raised)
        if exc is None:
            detail = " ".join(str(a) for a in raised.args)[:300]
            raise TwilioApiError(f"{resource}: {action}: {detail}") from None
        if missing_ok and exc.status == 404:
            return
        sent = f" ({', '.join(fields)})" if fields else ""
        code = f"Twilio error {exc.code}" if exc.code else f"HTTP {exc.status}"
        message = " ".join(str(exc.msg).split())
        if exc.status == 401:
            raise TwilioUnreachable(
                f"{resource}: {action}: Twilio rejected the credentials ({code}: {message}); "
                "check twilio:accountSid and twilio:authToken (or the provider's flexorch:"
                "accountSid and flexorch:authToken, or TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, "
                "whichever this run uses)"
            ) from None
        raise TwilioApiError(
            f"{resource}: {action}{sent}: {code}: {message}", status=exc.status
        ) from None
