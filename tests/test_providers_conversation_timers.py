"""The account's default Conversations timers: recorded before, set, drift, put back on destroy.

Against the stateful fake in this process, which refuses timers below Twilio's minimums.
"""

from __future__ import annotations

from typing import Any

import pulumi.log
import pytest

from flexorch.errors import FlexorchError
from flexorch.resources.conversation_timers import (
    ConversationTimersProvider,
    ConversationTimersSnapshotProvider,
)
from flexorch.sandbox import seed
from flexorch.twilio_facts import same_duration


def configuration(fake: Any) -> dict[str, Any]:
    return fake.singleton(seed.CONVERSATIONS_CONFIGURATION)


def timers(http: Any, **wanted: str | None) -> dict[str, Any]:
    """The writer's props, with a snapshot taken now."""
    before = ConversationTimersSnapshotProvider().create({"timers": list(wanted)}).outs
    return {"inactive": None, "closed": None, **wanted, "snapshot": before["previous"]}


def writes(http: Any) -> list[tuple[str, str, dict[str, list[str]]]]:
    return [(m, p, f) for m, p, f in http.log if m != "GET"]


def test_set_then_destroy_puts_back_what_the_account_had(http, fake) -> None:
    configuration(fake).update(default_inactive_timer="PT30M", default_closed_timer="P2D")
    provider = ConversationTimersProvider()
    props = timers(http, inactive="PT1H", closed="P1D")
    created = provider.create(props)
    assert (configuration(fake)["default_inactive_timer"],
            configuration(fake)["default_closed_timer"]) == ("PT1H", "P1D")  # fmt: skip
    assert created.outs["previous"] == {"inactive": "PT30M", "closed": "P2D"}
    provider.delete(created.id, created.outs)
    provider.delete(created.id, created.outs)  # a destroy run again: the same values
    assert (configuration(fake)["default_inactive_timer"],
            configuration(fake)["default_closed_timer"]) == ("PT30M", "P2D")  # fmt: skip


def test_only_the_timers_named_are_written(http, fake) -> None:
    provider = ConversationTimersProvider()
    http.log.clear()
    provider.create(timers(http, closed="P1D"))
    path = "/v1/Configuration"
    assert writes(http) == [("POST", path, {"DefaultClosedTimer": ["P1D"]})]


def test_a_timer_the_account_had_none_of_stays_with_a_warning(http, fake, monkeypatch) -> None:
    said: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *_, **__: said.append(message))
    configuration(fake)["default_closed_timer"] = None
    provider = ConversationTimersProvider()
    created = provider.create(timers(http, closed="P1D"))
    http.log.clear()
    provider.delete(created.id, created.outs)
    assert writes(http) == []
    assert configuration(fake)["default_closed_timer"] == "P1D"
    assert len(said) == 1 and "had no default closed timer before flexorch" in said[0]


def test_a_console_change_is_drift_set_back_by_up(http, fake) -> None:
    provider = ConversationTimersProvider()
    props = timers(http, closed="P1D")
    created = provider.create(props)
    assert (
        provider.diff(created.id, provider.read(created.id, created.outs).outs, props).changes
        is False
    )
    configuration(fake)["default_closed_timer"] = "PT12H"  # a person, in the Console
    state = provider.read(created.id, created.outs).outs
    assert state["closed"] == "PT12H"
    assert provider.diff(created.id, state, props).changes
    provider.update(created.id, state, props)
    assert configuration(fake)["default_closed_timer"] == "P1D"


def test_a_timer_no_longer_managed_is_put_back(http, fake) -> None:
    configuration(fake).update(default_inactive_timer="PT30M")
    provider = ConversationTimersProvider()
    created = provider.create(timers(http, inactive="PT1H", closed="P1D"))
    kept = {**created.outs, "inactive": None}
    provider.update(created.id, created.outs, kept)
    assert configuration(fake)["default_inactive_timer"] == "PT30M"


def test_the_sandbox_refuses_a_timer_below_twilios_minimum(http, fake) -> None:
    with pytest.raises(FlexorchError, match="DefaultClosedTimer.*at least 600 seconds"):
        ConversationTimersProvider().create(timers(http, closed="PT5M"))
    assert configuration(fake)["default_closed_timer"] == "P1D"  # as seeded


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [("PT60M", "PT1H", True), ("P1D", "PT24H", True), ("P1D", "PT12H", False), ("", None, True),
     ("PT1H", "", False)],
)  # fmt: skip
def test_durations_compare_by_length(a: str, b: str | None, same: bool) -> None:
    assert same_duration(a, b) is same
