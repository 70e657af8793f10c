"""The client factory: credentials, endpoint override, bounded retries, one-line errors."""

from __future__ import annotations

from http.client import RemoteDisconnected

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from urllib3.exceptions import NewConnectionError, ProtocolError

from flexorch.errors import FlexorchError, TwilioUnreachable
from flexorch.twilio_client import (
    MAX_ATTEMPTS,
    CreateOutcomeUnknown,
    Credentials,
    RetryingHttpClient,
    TwilioApiError,
    make_client,
    retry_delay,
    twilio_call,
)

ACCOUNT = "AC" + "1" * 32


class Script:
    """Answers TwilioHttpClient.request from a list: a Response, or an exception to raise."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, answers: list) -> None:
        self.answers = list(answers)
        self.urls: list[str] = []
        self.headers: list[dict | None] = []
        monkeypatch.setattr(TwilioHttpClient, "request", self.request)

    def request(self, method, url, params=None, data=None, headers=None, *args, **kwargs):
        self.urls.append(url)
        self.headers.append(headers)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def client(sleeps: list[float], base_url: str | None = None) -> RetryingHttpClient:
    return RetryingHttpClient(base_url, sleep=sleeps.append)


URL = "https://taskrouter.twilio.com/v1/Workspaces/WS" + "0" * 32


def test_429_with_retry_after_then_503_then_success(monkeypatch: pytest.MonkeyPatch) -> None:
    script = Script(
        monkeypatch,
        [
            Response(429, "{}", headers={"Retry-After": "2"}),
            Response(503, "{}"),
            Response(200, "{}"),
        ],
    )
    sleeps: list[float] = []
    response = client(sleeps).request("GET", URL)
    assert response.status_code == 200
    assert len(script.urls) == 3
    assert sleeps[0] == 2.0  # Retry-After is honoured exactly
    assert 0.5 * 0.8 <= sleeps[1] <= 1.0 * 1.2  # then exponential backoff with jitter


def test_gives_up_after_the_bound_and_returns_the_last_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    script = Script(monkeypatch, [Response(503, "{}") for _ in range(MAX_ATTEMPTS + 2)])
    sleeps: list[float] = []
    response = client(sleeps).request("GET", URL)
    assert response.status_code == 503
    assert len(script.urls) == MAX_ATTEMPTS
    assert len(sleeps) == MAX_ATTEMPTS - 1


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_create_is_not_repeated_after_a_5xx(monkeypatch: pytest.MonkeyPatch, status: int) -> None:
    """503 too: a gateway between flexorch and Twilio can answer it after forwarding."""
    script = Script(monkeypatch, [Response(status, "{}"), Response(201, "{}")])
    with pytest.raises(CreateOutcomeUnknown) as lost:
        client([]).request("POST", URL + "/Workflows", data={"FriendlyName": "x"})
    assert str(lost.value) == (
        f"POST /v1/Workspaces/WS{'0' * 32}/Workflows: the answer was HTTP {status}"
    )
    assert len(script.urls) == 1


@pytest.mark.parametrize(
    "lost",
    [
        requests.ConnectionError(ProtocolError("Connection aborted.", RemoteDisconnected())),
        requests.ReadTimeout("read timed out"),
    ],
)
def test_a_create_whose_answer_is_lost_is_not_repeated(
    monkeypatch: pytest.MonkeyPatch, lost: Exception
) -> None:
    script = Script(monkeypatch, [lost, Response(201, "{}")])
    with pytest.raises(CreateOutcomeUnknown, match="after the request was sent"):
        client([]).request("POST", URL + "/TaskChannels", data={"UniqueName": "x"})
    assert len(script.urls) == 1


def test_a_create_that_never_connected_is_sent_again(monkeypatch: pytest.MonkeyPatch) -> None:
    refused = requests.ConnectionError(NewConnectionError(None, "Connection refused"))  # type: ignore[arg-type]
    script = Script(monkeypatch, [refused, requests.ConnectTimeout(), Response(201, "{}")])
    response = client([]).request("POST", URL + "/TaskChannels", data={"UniqueName": "x"})
    assert (response.status_code, len(script.urls)) == (201, 3)


def test_an_update_is_sent_again_after_a_dropped_connection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dropped = requests.ConnectionError(ProtocolError("Connection aborted.", RemoteDisconnected()))
    script = Script(monkeypatch, [dropped, Response(200, "{}")])
    response = client([]).request("POST", URL + "/Workflows/WW" + "0" * 32, data={"A": "b"})
    assert (response.status_code, len(script.urls)) == (200, 2)


def test_one_client_per_account_and_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLEXORCH_TWILIO_BASE_URL", "http://127.0.0.1:9")
    one = Credentials(ACCOUNT, ACCOUNT, "token")
    other = Credentials("AC" + "2" * 32, "AC" + "2" * 32, "token")
    assert make_client(one) is make_client(Credentials(ACCOUNT, ACCOUNT, "token"))
    assert make_client(one) is not make_client(other)
    monkeypatch.setenv("FLEXORCH_TWILIO_BASE_URL", "http://127.0.0.1:10")
    assert make_client(one).http_client.base_url == "http://127.0.0.1:10"


def test_a_bad_timeout_setting_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLEXORCH_TWILIO_TIMEOUT", "soon")
    with pytest.raises(FlexorchError, match="FLEXORCH_TWILIO_TIMEOUT: 'soon' is not a number"):
        make_client(Credentials(ACCOUNT, ACCOUNT, "token"))


def test_an_update_is_repeated_after_a_500(monkeypatch: pytest.MonkeyPatch) -> None:
    script = Script(monkeypatch, [Response(500, "{}"), Response(200, "{}")])
    response = client([]).request("POST", URL + "/Workflows/WW" + "0" * 32, data={"A": "b"})
    assert response.status_code == 200
    assert len(script.urls) == 2


def test_a_client_error_is_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    script = Script(monkeypatch, [Response(400, "{}"), Response(200, "{}")])
    assert client([]).request("GET", URL).status_code == 400
    assert len(script.urls) == 1


def test_network_failure_becomes_unreachable_after_the_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    Script(monkeypatch, [requests.ConnectionError("refused") for _ in range(MAX_ATTEMPTS)])
    with pytest.raises(TwilioUnreachable) as caught:
        client([], "http://127.0.0.1:9").request("GET", URL)
    assert caught.value.exit_code == 3
    assert str(caught.value) == (
        "Twilio is unreachable at 127.0.0.1:9 (ConnectionError); check the network or "
        "FLEXORCH_TWILIO_BASE_URL"
    )


def test_base_url_override_keeps_path_and_query(monkeypatch: pytest.MonkeyPatch) -> None:
    script = Script(monkeypatch, [Response(200, "{}")])
    client([], "http://127.0.0.1:4010/").request(
        "GET",
        "https://api.twilio.com/2010-04-01/Accounts/AC1/IncomingPhoneNumbers.json?PhoneNumber=x",
    )
    assert script.urls == [
        "http://127.0.0.1:4010/2010-04-01/Accounts/AC1/IncomingPhoneNumbers.json?PhoneNumber=x"
    ]
    assert script.headers[0]["Host"] == "api.twilio.com"


def test_under_a_base_url_each_product_keeps_its_host(monkeypatch: pytest.MonkeyPatch) -> None:
    from twilio.rest import Client

    script = Script(monkeypatch, [Response(200, "{}"), Response(200, "{}")])
    twilio = Client(ACCOUNT, "token", http_client=client([], "http://127.0.0.1:4010"))
    twilio.flex_api.v1.configuration().fetch()
    twilio.conversations.v1.configuration().fetch()
    assert script.urls == ["http://127.0.0.1:4010/v1/Configuration"] * 2
    assert [h["Host"] for h in script.headers] == [
        "flex-api.twilio.com",
        "conversations.twilio.com",
    ]


def test_without_a_base_url_no_host_is_forced(monkeypatch: pytest.MonkeyPatch) -> None:
    script = Script(monkeypatch, [Response(200, "{}")])
    client([]).request("GET", URL, headers={"Accept": "application/json"})
    assert script.headers == [{"Accept": "application/json"}]


def test_retry_delay_is_bounded_and_reads_http_dates() -> None:
    assert retry_delay(1, "3600") == 30.0
    assert retry_delay(1, "Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert retry_delay(10, None) <= 30.0 * 1.2
    assert 0.4 <= retry_delay(1, "soon") <= 0.6  # unreadable: backoff


def test_credentials_from_stack_config_win_over_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "2" * 32)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "env-token")
    config = {"twilio:accountSid": ACCOUNT, "twilio:authToken": "config-token"}
    creds = Credentials.find(config.get)
    assert (creds.account_sid, creds.username, creds.password) == (ACCOUNT, ACCOUNT, "config-token")
    assert "config-token" not in repr(creds)


def test_api_key_pair(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT)
    monkeypatch.setenv("TWILIO_API_KEY", "SK" + "3" * 32)
    monkeypatch.setenv("TWILIO_API_SECRET", "secret")
    creds = Credentials.find()
    assert (creds.username, creds.password) == ("SK" + "3" * 32, "secret")


def test_missing_credentials_say_where_to_put_them(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_KEY", "TWILIO_API_SECRET"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(FlexorchError, match="twilio:accountSid: is not set"):
        Credentials.find()
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT)
    with pytest.raises(FlexorchError, match=r"pulumi config set --secret twilio:authToken"):
        Credentials.find()


def test_twilio_refusal_becomes_one_line() -> None:
    with (
        pytest.raises(TwilioApiError) as caught,
        twilio_call('Workflow "w"', "create", ("Configuration",)),
    ):
        raise TwilioRestException(
            400, "/v1/x", "Unable to create record: Invalid\n JSON", 20001, "POST"
        )
    assert str(caught.value) == (
        'Workflow "w": create (Configuration): Twilio error 20001: '
        "Unable to create record: Invalid JSON"
    )


def test_rejected_credentials_are_unreachable_class() -> None:
    with (
        pytest.raises(TwilioUnreachable, match="Twilio rejected the credentials"),
        twilio_call("X", "read"),
    ):
        raise TwilioRestException(401, "/v1/x", "Authenticate", 20003, "GET")


def test_a_garbled_answer_to_a_read_is_asked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    script = Script(monkeypatch, [Response(200, '{"sid": "WS'), Response(200, '{"sid": "WS1"}')])
    response = client([]).request("GET", URL)
    assert (response.text, len(script.urls)) == ('{"sid": "WS1"}', 2)


def test_a_garbled_answer_to_a_create_is_not_repeated(monkeypatch: pytest.MonkeyPatch) -> None:
    collection = "https://taskrouter.twilio.com/v1/Workspaces/WS" + "0" * 32 + "/Workflows"
    script = Script(monkeypatch, [Response(201, "<html>proxy error")])
    with pytest.raises(CreateOutcomeUnknown, match="the answer was not JSON"):
        client([]).request("POST", collection)
    assert len(script.urls) == 1


def test_a_garbled_answer_that_persists_is_one_line_naming_the_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from twilio.rest import Client

    from flexorch.twilio_client import TwilioApiError, twilio_call

    Script(monkeypatch, [Response(200, "<html>") for _ in range(MAX_ATTEMPTS)])
    twilio = Client("AC" + "1" * 32, "token", http_client=client([]))
    with pytest.raises(TwilioApiError) as caught:
        with twilio_call('Workspace "WS1"', "read"):
            twilio.taskrouter.v1.workspaces("WS" + "0" * 32).fetch()
    assert str(caught.value) == (
        'Workspace "WS1": read: Twilio\'s answer was not JSON (cut off or garbled); run again'
    )
