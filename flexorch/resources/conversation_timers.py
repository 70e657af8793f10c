"""ConversationTimersSnapshot and ConversationTimers: the account's default Conversations timers.

Twilio's Flex Conversations best practices ask for close timers, so conversations do not pile up
(a participant identity is in at most 1,000). They are account-wide defaults (Conversations'
`/v1/Configuration`, https://www.twilio.com/docs/conversations/api/configuration-resource), so
flexorch sets them only when the stack says so (`flexorch:conversationTimers`), after the
snapshot recorded what the account had, and puts that back on destroy. Twilio documents no way
to unset a timer (an empty value is no duration): one the account had none of stays set on
destroy, and destroy says so.

The account's default Conversations service is checked by `flexorch doctor` and `migrate`, not
set here: Flex makes its own service the default when it provisions Conversations, and the
default is what every Conversations use of the account without a service gets, so changing it
is the account owner's decision.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, UpdateResult
from typing_extensions import override

from flexorch.resources.base import SnapshotProvider, TwilioProvider, restoring, warn
from flexorch.resources.resource import TwilioResource
from flexorch.twilio_client import twilio_call
from flexorch.twilio_facts import same_duration

TIMERS = ("inactive", "closed")
LABEL = "Conversations configuration"


def _fetch(client: Any) -> dict[str, Any]:
    """The account's timers now, by TIMERS name ("" for one it has none of)."""
    with twilio_call(LABEL, "read"):
        found = client.conversations.v1.configuration().fetch()
    return {
        "inactive": found.default_inactive_timer or "",
        "closed": found.default_closed_timer or "",
    }


def _write(client: Any, timers: dict[str, str], action: str) -> None:
    """Set the given timers (one absolute write, safe to repeat)."""
    if not timers:
        return
    fields = {f"default_{name}_timer": value for name, value in timers.items()}
    sent = tuple(f"Default{name.title()}Timer" for name in timers)
    with twilio_call(LABEL, action, sent):
        client.conversations.v1.configuration().update(**fields)


class ConversationTimersSnapshotProvider(SnapshotProvider):
    """Records the account's timers before the stack sets any."""

    kind = "ConversationTimersSnapshot"
    inputs = ("timers",)

    @override
    def label(self, props: dict[str, Any]) -> str:
        return LABEL

    @override
    def look_up(self, props: dict[str, Any]) -> dict[str, Any]:
        return {"sid": "conversations-configuration", "previous": _fetch(self.client())}

    @override
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Another timer managed: keep what was recorded before flexorch set the others."""
        return UpdateResult(self.carry(olds, news))


class ConversationTimersSnapshot(
    TwilioResource, module="flexorch", name="ConversationTimersSnapshot"
):
    """The account's default Conversations timers from before flexorch (read-only)."""

    previous: pulumi.Output[dict[str, str]]

    def __init__(
        self, name: str, *, timers: list[str], opts: pulumi.ResourceOptions | None = None
    ) -> None:
        """Record the account's timers; `timers` names those the stack sets."""
        props = {"timers": timers, "sid": None, "previous": None}
        super().__init__(name, props, opts)


class ConversationTimersProvider(TwilioProvider):
    """Sets the timers the stack names; puts the recorded ones back on destroy."""

    kind = "ConversationTimers"
    inputs = TIMERS
    comparisons = {name: same_duration for name in TIMERS}

    @override
    def label(self, props: dict[str, Any]) -> str:
        return LABEL

    @override
    def create(self, props: dict[str, Any]) -> CreateResult:
        _write(self.client(), _wanted(props), "set the default timers")
        outs = self.outs(props, previous=dict(props["snapshot"]))
        return CreateResult("conversations-configuration", outs)

    @override
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Set what changed (a refresh's drift included); put back a timer no longer managed."""
        previous = olds.get("previous") or {}
        dropped = [name for name in TIMERS if olds.get(name) and not news.get(name)]
        self._put_back(previous, dropped)
        _write(self.client(), _wanted(news), "set the default timers")
        return UpdateResult(self.carry(olds, news, previous=previous))

    @override
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """The managed timers as the account has them now: a Console change is drift."""
        live = _fetch(self.client())
        managed = {name: live[name] for name in TIMERS if props.get(name)}
        return ReadResult(id_, self.refreshed(props, **managed))

    @override
    def delete(self, _id: str, props: dict[str, Any]) -> None:
        self._put_back(props.get("previous") or {}, [n for n in TIMERS if props.get(n)])

    def _put_back(self, previous: dict[str, str], names: list[str]) -> None:
        """The recorded values of `names`; a timer the account had none of stays, said once."""
        restorable = {name: previous[name] for name in names if previous.get(name)}
        _write(self.client(), restorable, "put the default timers back")
        unset = [name for name in names if not previous.get(name)]
        if unset:
            warn(
                f"{LABEL}: the account had no default {' or '.join(unset)} timer before "
                "flexorch, and Twilio documents no way to unset one: it stays as the stack set it"
            )


def _wanted(props: dict[str, Any]) -> dict[str, str]:
    return {name: props[name] for name in TIMERS if props.get(name)}


class ConversationTimers(TwilioResource, module="flexorch", name="ConversationTimers"):
    """The account's default Conversations timers, as `flexorch:conversationTimers` sets them."""

    def __init__(
        self,
        name: str,
        *,
        inactive: str | None,
        closed: str | None,
        snapshot: pulumi.Input[dict[str, str]],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Set the timers given (ISO 8601 durations); `snapshot` is what the account had."""
        props = {
            "inactive": inactive,
            "closed": closed,
            "snapshot": snapshot,  # consumed at create; never compared
            "previous": None,
        }
        super().__init__(name, props, restoring(opts))
