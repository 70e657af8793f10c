"""FlexFlowSnapshot and FlexFlowGuard: no enabled Flex Flow still takes a managed number.

A Flex Flow whose contact identity is a managed number means Flex's own message handler would
still answer that number. `fail` stops preview and up listing each one; `disable` disables
exactly those and re-enables them on destroy. Every Flex Flow shares the Flex chat service, so
other enabled flows (web chat, say) are not conflicts: they keep Flex's orchestration.

On Programmable Chat the guard also covers the Studio/Flex webhooks Flex left on the ACTIVE
chat channels of those numbers (see channel_webhooks): `fail` lists them, `disable` removes them
and puts them back on destroy. On both platforms it covers the other objects that take a
number's messages (takers: Messaging Services, TwiML Apps), each with its own mode key.

The snapshot records the conflicting flows and webhooks before the guard changes any, so a crash
after a write can never lose what to put back. The guard's refresh lists them again: a flow
re-enabled or a webhook added in the Console is drift, which `up --refresh` undoes or refuses,
by mode. The refresh only reports what it finds: the modes that judge it are the program's
new ones (the engine also diffs a refresh against the inputs in state, the old modes), so a
preview refuses it in `preview_update` and an up in `update`. An update for a changed mode reads
again what that mode covers, refreshed or not, so the new mode applies to what is there now.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    UpdateResult,
)
from typing_extensions import override

from flexorch.errors import FlexorchError
from flexorch.lookups import account_numbers, at_once, flex_flows, list_flex_flows
from flexorch.resources import channel_webhooks
from flexorch.resources.base import SnapshotProvider, TwilioProvider, known, note, restoring
from flexorch.resources.resource import TwilioResource
from flexorch.resources.task_channel import no_room
from flexorch.resources.workspace import find_workspace
from flexorch.takers import TAKERS, Record, Taker
from flexorch.twilio_client import twilio_call
from flexorch.twilio_facts import TASK_CHANNEL_LIMIT, identities


@dataclass(frozen=True)
class Flow:
    """What the guard reports of a Flex Flow."""

    sid: str
    friendly_name: str
    contact_identity: str
    channel_type: str
    enabled: bool


def flow_of(record: Any) -> Flow:
    """A Flex Flow from the Twilio SDK's record."""
    return Flow(
        sid=record.sid,
        friendly_name=record.friendly_name or "",
        contact_identity=record.contact_identity or "",
        channel_type=record.channel_type or "",
        enabled=bool(record.enabled),
    )


def find_conflicts(flows: Iterable[Flow], numbers: Iterable[str]) -> tuple[list[Flow], list[Flow]]:
    """Split enabled flows into conflicts (on a managed number) and the others."""
    managed = {form for n in numbers for form in identities(n)}
    conflicts: list[Flow] = []
    others: list[Flow] = []
    for flow in flows:
        if not flow.enabled:
            continue
        (conflicts if flow.contact_identity in managed else others).append(flow)
    return conflicts, others


def conflict_report(conflicts: list[Flow]) -> str:
    """The user-facing text for `flexFlows: fail`."""
    lines = [
        f"{len(conflicts)} enabled Flex Flow(s) still take messages of managed numbers, so "
        "Flex's own handler would answer them instead of yours:"
    ]
    lines += [
        f'  {f.sid} "{f.friendly_name}" on {f.contact_identity} (channel type {f.channel_type})'
        for f in conflicts
    ]
    lines.append(
        "Fix: disable or delete these Flex Flows (Flex Console > Messaging, or "
        "`twilio api:flex:v1:flex-flows:update --sid FO... --enabled false`), or set "
        "flexorch:flexFlows: disable to let flexorch disable them and re-enable them on destroy."
    )
    return "\n".join(lines)


def guard_report(flows: list[dict[str, Any]], hooks: list[dict[str, Any]]) -> str:
    """What `fail` mode says of conflicting flows and channel webhooks; "" when there are none."""
    parts = [conflict_report([Flow(**f) for f in flows])] if flows else []
    if hooks:
        parts.append(channel_webhooks.report(hooks))
    return "\n".join(parts)


def resolved_numbers(client: Any, numbers: list[str]) -> list[str]:
    """E.164 forms of the managed numbers (PN SIDs looked up in the account's numbers)."""
    found = account_numbers(client)
    return [found[n].phone_number if n in found else n for n in numbers]


def scan(client: Any, numbers: list[str]) -> tuple[list[Flow], list[Flow], list[str]]:
    """Conflicts, other enabled flows and the E.164 numbers, from this process's first lists.

    The takers need only the numbers: their scans run beside the Flex Flows' list.
    """
    flows, resolved = at_once(
        lambda: flex_flows(client),
        lambda: takers_scanned(client, resolved_numbers(client, numbers)),
    )
    conflicts, others = find_conflicts([flow_of(r) for r in flows], resolved)
    return conflicts, others, resolved


def takers_scanned(client: Any, numbers: list[str]) -> list[str]:
    """`numbers`, once every taker has scanned for them (this process's first answers)."""
    at_once(*[functools.partial(taker.scan_once, client, numbers) for taker in TAKERS])
    return numbers


def concerning(records: Iterable[Record], managed: set[str]) -> list[Record]:
    """The taker records that concern a managed number."""
    return [r for r in records if managed & set(r["numbers"])]


def _by_sid(*records: Iterable[Record]) -> dict[str, Record]:
    """Records by SID, the first of each kept (the one recorded before anything changed)."""
    found: dict[str, Record] = {}
    for group in records:
        for record in group:
            found.setdefault(record["sid"], record)
    return found


class FlexFlowSnapshotProvider(SnapshotProvider):
    """Records the Flex Flows, channel webhooks and takers of managed numbers before the guard acts.

    `takers` names the kinds recorded: a state from before a kind existed differs, so its next
    `up` records them.
    """

    kind = "FlexFlowSnapshot"
    inputs = ("numbers", "chat_service_sid", "takers")

    @override
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Preview looks the numbers and takers up; channels are read when the snapshot is taken."""

        def look_up(props: dict[str, Any]) -> None:
            scan(self.client(), list(props["numbers"]))

        return self.looked_up(olds, news, look_up, "numbers")

    @override
    def look_up(self, props: dict[str, Any]) -> dict[str, Any]:
        client = self.client()
        conflicts, others, numbers = scan(client, list(props["numbers"]))
        hooks = channel_webhooks.scan_once(client, props.get("chat_service_sid"), numbers)
        return {
            "sid": "flex-flows",
            "resolved_numbers": numbers,
            "conflicts": [asdict(f) for f in conflicts],
            "others": [asdict(f) for f in others],
            "channel_webhooks": hooks,
            **{taker.key: taker.scan_once(client, numbers) for taker in TAKERS},
        }

    @override
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Numbers added or removed: keep what was recorded for the kept ones, add the new."""
        fresh = self.look_up(news)
        managed = {form for n in fresh["resolved_numbers"] for form in identities(n)}
        return UpdateResult(
            self.carry(
                olds,
                news,
                resolved_numbers=fresh["resolved_numbers"],
                conflicts=_kept(olds.get("conflicts"), fresh["conflicts"], managed),
                others=fresh["others"],
                channel_webhooks=_kept(
                    olds.get("channel_webhooks"), fresh["channel_webhooks"], managed
                ),
                **{
                    t.key: list(
                        _by_sid(concerning(olds.get(t.key) or [], managed), fresh[t.key]).values()
                    )
                    for t in TAKERS
                },
            )
        )


def _kept(
    recorded: list[dict[str, Any]] | None, fresh: list[dict[str, Any]], managed: set[str]
) -> list[dict[str, Any]]:
    """The records of still-managed numbers, then the fresh ones not recorded yet (by SID)."""
    kept = [r for r in recorded or [] if r["contact_identity"] in managed]
    seen = {r["sid"] for r in kept}
    return kept + [r for r in fresh if r["sid"] not in seen]


def _takers_kept(
    olds: dict[str, Any], snapshot: dict[str, Any], managed: set[str]
) -> tuple[dict[str, list[Record]], dict[str, list[Record]], dict[str, list[Record]]]:
    """By taker: all undone after the update, what is still to undo, what to put back.

    What is put back concerns no managed number any more. The record kept of one undone is the
    first made, before flexorch changed it: what destroy puts back.
    """
    undone: dict[str, list[Record]] = {}
    to_undo: dict[str, list[Record]] = {}
    released: dict[str, list[Record]] = {}
    for t in TAKERS:
        before = list((olds.get("undone") or {}).get(t.key) or [])
        drift = list((olds.get("taker_drift") or {}).get(t.key) or [])
        taking = [r for r in snapshot.get(t.key) or [] if t.takes(r)]
        wanted = _by_sid(concerning(before, managed), concerning([*taking, *drift], managed))
        found_again = _by_sid(drift)
        done = {r["sid"] for r in before} - set(found_again)
        undone[t.key] = list(wanted.values())
        # Judged as it is now (a service's other numbers may have changed since).
        to_undo[t.key] = [found_again.get(sid, r) for sid, r in wanted.items() if sid not in done]
        released[t.key] = [r for r in before if r["sid"] not in wanted]
    return undone, to_undo, released


class FlexFlowSnapshot(TwilioResource, module="flexorch", name="FlexFlowSnapshot"):
    """The Flex Flows and channel webhooks that took managed numbers before flexorch (read-only)."""

    resolved_numbers: pulumi.Output[list[str]]
    conflicts: pulumi.Output[list[dict[str, Any]]]
    others: pulumi.Output[list[dict[str, Any]]]
    channel_webhooks: pulumi.Output[list[dict[str, Any]]]
    messaging_services: pulumi.Output[list[dict[str, Any]]]
    twiml_apps: pulumi.Output[list[dict[str, Any]]]

    def __init__(
        self,
        name: str,
        *,
        numbers: list[str],
        chat_service_sid: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Record the flows on `numbers` (E.164 or PN SIDs).

        With `chat_service_sid` (Programmable Chat), also the Studio/Flex webhooks on their
        ACTIVE chat channels.
        """
        props = {
            "numbers": numbers,
            "chat_service_sid": chat_service_sid,
            "takers": [t.key for t in TAKERS],
            "sid": None,
            "resolved_numbers": None,
            "conflicts": None,
            "others": None,
            "channel_webhooks": None,
            **{t.key: None for t in TAKERS},
        }
        super().__init__(name, props, opts)

    def recorded(self) -> pulumi.Output[dict[str, Any]]:
        """What the guard needs of the snapshot, as one input."""
        return pulumi.Output.all(
            resolved_numbers=self.resolved_numbers,
            conflicts=self.conflicts,
            others=self.others,
            channel_webhooks=self.channel_webhooks,
            messaging_services=self.messaging_services,
            twiml_apps=self.twiml_apps,
        )


def taker_mode(props: dict[str, Any], taker: Taker) -> str:
    """A taker's mode: its config key's value, `fail` when the state predates the key."""
    return str(props.get(taker.key) or "fail")


def refused(
    props: dict[str, Any],
    flows: list[dict[str, Any]],
    hooks: list[dict[str, Any]],
    found: Mapping[str, list[Record]],
) -> str:
    """What stops preview and up: flows and webhooks in `fail` mode, takers (by key) by theirs."""
    reports = [t.report(found.get(t.key) or [], taker_mode(props, t)) for t in TAKERS]
    if props.get("mode") == "fail":
        reports.insert(0, guard_report(flows, hooks))
    return "\n".join(r for r in reports if r)


def each_taker(
    client: Any, by_key: Mapping[str, list[Record]], act: Callable[[Taker, Any, Record], str]
) -> None:
    """`act` on each record (by taker key), saying in up's output what it did."""
    for taker in TAKERS:
        for record in by_key.get(taker.key) or []:
            note(act(taker, client, record))


class FlexFlowGuardProvider(TwilioProvider):
    """Fails on, or undoes, the flows, channel webhooks and takers its snapshot or a refresh found.

    Flows are disabled and re-enabled on destroy; webhooks removed and put back on destroy;
    each taker undone in its `fix` mode and put back on destroy.
    """

    kind = "FlexFlowGuard"
    inputs = ("numbers", "mode", "chat_service_sid", *(t.key for t in TAKERS))
    # A state from before a taker's key existed was in its default mode: no change.
    comparisons: ClassVar[dict[str, Callable[[Any, Any], bool]]] = {
        t.key: lambda a, b: (a or "fail") == (b or "fail") for t in TAKERS
    }

    @override
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Fail preview early on what the modes refuse; an unchanged guard costs no API call.

        The guard also counts the workspace's room for the TaskChannels the stack adds: it runs
        after every read and before every write, at preview and at up alike.
        """
        changed = bool(self.changed(olds, news)) if olds else True
        # The channels only need counting when the stack adds some (a state from before the
        # key existed has its channels in place); they are no input: adding one writes nothing.
        before = olds.get("task_channels") if olds else []
        added = before is not None and bool(set(news.get("task_channels") or ()) - set(before))
        service, lookup = news.get("chat_service_sid"), news.get("workspace_lookup")
        if not (changed or added) or not known([news.get("numbers"), service, lookup]):
            return CheckResult(news, [])
        client = self.client()
        failures = []
        if added and lookup:
            sid = find_workspace(client, lookup.get("sid"), lookup.get("friendly_name")).sid
            limit = int(news.get("channel_limit") or TASK_CHANNEL_LIMIT)
            room = no_room(client, sid, list(news.get("task_channels") or []), limit)
            failures += [CheckFailure("task_channels", room)] if room else []
        if not changed:
            return CheckResult(news, failures)
        conflicts, _others, numbers = scan(client, list(news["numbers"]))
        # Channel webhooks are refused only in `fail` mode: no channel is read otherwise.
        fail = news.get("mode") == "fail"
        hooks = channel_webhooks.scan_once(client, service, numbers) if fail else []
        found = {t.key: t.scan_once(client, numbers) for t in TAKERS}
        report = refused(news, [asdict(f) for f in conflicts], hooks, found)
        failures += [CheckFailure("numbers", report)] if report else []
        return CheckResult(news, failures)

    @override
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Inputs as usual, plus drift: a flow, channel webhook or taker a refresh found back.

        Drift plans the update whatever the modes: a refresh also diffs what it found against
        the inputs in state, the modes the program may just have changed, so the drift is
        judged by the new inputs in `preview_update` and `update`, never here.
        """
        result = super().diff(_id, olds, news)
        if not any(_drift(olds)):
            return result
        return DiffResult(changes=True, replaces=result.replaces, delete_before_replace=True)

    @override
    def preview_update(self, olds: dict[str, Any], news: dict[str, Any]) -> None:
        """A mode that refuses the drift a refresh found stops the preview naming it.

        What the refresh did not find, the check judged: it reads again when a mode changes.
        """
        report = refused(news, *_drift(olds))
        if report:
            raise FlexorchError(report)

    def _enforce(
        self,
        props: dict[str, Any],
        flows: list[dict[str, Any]],
        hooks: list[dict[str, Any]],
        taken: dict[str, list[Record]],
    ) -> None:
        """Disable `flows`, remove `hooks` and undo the `taken` (by taker), or refuse them.

        Everything is judged before the first write: what a mode refuses changes nothing.
        """
        report = refused(props, flows, hooks, taken)
        if report:
            raise FlexorchError(report)
        client = self.client()
        each_taker(client, taken, _undo)
        for flow in flows:
            with twilio_call(
                f'Flex Flow {flow["sid"]} "{flow["friendly_name"]}"',
                "disable",
                ("Enabled",),
                missing_ok=True,
            ):
                client.flex_api.v1.flex_flow(flow["sid"]).update(enabled=False)
            note(
                f'disabled Flex Flow {flow["sid"]} "{flow["friendly_name"]}" on '
                f"{flow['contact_identity']}: it would take that number's messages; destroy "
                "enables it again"
            )
        if hooks:
            channel_webhooks.remove(client, hooks)

    def _results(
        self, snapshot: dict[str, Any], disabled: list[str], undone: dict[str, list[Record]]
    ) -> dict[str, Any]:
        return {
            "resolved_numbers": snapshot["resolved_numbers"],
            "disabled": disabled,
            "drift": [],
            "webhook_drift": [],
            "taker_drift": {},
            "undone": undone,
            "conflicts": snapshot["conflicts"],
            "others": snapshot["others"],
        }

    @override
    def create(self, props: dict[str, Any]) -> CreateResult:
        snapshot = props["snapshot"]
        flows = list(snapshot["conflicts"])
        hooks = list(snapshot.get("channel_webhooks") or [])
        taken = {t.key: [r for r in snapshot.get(t.key) or [] if t.takes(r)] for t in TAKERS}
        self._enforce(props, flows, hooks, taken)
        results = self._results(snapshot, [flow["sid"] for flow in flows], taken)
        return CreateResult("flex-flow-guard", self.outs(props, **results, removed_webhooks=hooks))

    @override
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Put back what numbers no longer managed had; disable or remove the new and the drift.

        A flow already disabled (a webhook already removed) is not written again unless a
        refresh found it back, or a changed mode's own read did (`_found_again`).
        """
        snapshot = news["snapshot"]
        managed = {form for n in snapshot["resolved_numbers"] for form in identities(n)}
        olds = {**olds, **self._found_again(olds, news, snapshot["resolved_numbers"])}

        def wanted(*records: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
            return {r["sid"]: r for rs in records for r in rs if r["contact_identity"] in managed}

        flow_drift = list(olds.get("drift") or [])
        flows = wanted(olds.get("conflicts") or [], snapshot["conflicts"], flow_drift)
        hook_drift = list(olds.get("webhook_drift") or [])
        removed = list(olds.get("removed_webhooks") or [])
        hooks = wanted(removed, snapshot.get("channel_webhooks") or [], hook_drift)

        self._reenable([sid for sid in olds.get("disabled") or [] if sid not in flows])
        released = [h for h in removed if h["sid"] not in hooks]
        if released:
            channel_webhooks.restore(self.client(), released)
        undone, to_undo, released_takers = _takers_kept(olds, snapshot, managed)

        disabled_before = set(olds.get("disabled") or [])
        again = {flow["sid"] for flow in flow_drift}
        removed_before = {h["sid"] for h in removed}
        found_again = {h["sid"] for h in hook_drift}
        self._enforce(
            news,
            [f for sid, f in flows.items() if sid not in disabled_before or sid in again],
            [h for sid, h in hooks.items() if sid not in removed_before or sid in found_again],
            to_undo,
        )
        each_taker(self.client(), released_takers, _restore)
        results = self._results(snapshot, list(flows), undone)
        results["conflicts"] = list(flows.values())
        return UpdateResult(
            self.carry(olds, news, **results, removed_webhooks=list(hooks.values()))
        )

    def _found_again(
        self, olds: dict[str, Any], news: dict[str, Any], numbers: list[str]
    ) -> dict[str, Any]:
        """What a mode that changed now covers, read again: drift for `update` to act on.

        The snapshot recorded the account when the numbers were last adopted, and a refresh
        may not have run since: a flow, webhook or taker a person added in the meantime, to
        which a new mode now applies, is only known by reading. The check read the same in
        this process (one answer per kind); a mode left as it was reads nothing.
        """
        changed = set(self.changed(olds, news)) & {"mode", *(t.key for t in TAKERS)}
        if not changed:
            return {}
        client = self.client()
        found: dict[str, Any] = {}
        if "mode" in changed:
            conflicts, _others, _numbers = scan(client, numbers)
            service = news.get("chat_service_sid")
            found["drift"] = _merged(olds.get("drift"), [asdict(f) for f in conflicts])
            found["webhook_drift"] = _merged(
                olds.get("webhook_drift"), channel_webhooks.scan_once(client, service, numbers)
            )
        taker_drift = dict(olds.get("taker_drift") or {})
        for t in TAKERS:
            if t.key in changed:
                taking = [r for r in t.scan_once(client, numbers) if t.takes(r)]
                taker_drift[t.key] = _merged(taker_drift.get(t.key), taking)
        if any(taker_drift.values()):
            found["taker_drift"] = {key: rs for key, rs in taker_drift.items() if rs}
        return found

    @override
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """List the flows and channel webhooks now: ones found back since up are drift."""
        client = self.client()
        numbers = props.get("resolved_numbers") or resolved_numbers(client, list(props["numbers"]))
        flows = list_flex_flows(client)
        conflicts, others = find_conflicts([flow_of(r) for r in flows], numbers)
        hooks = channel_webhooks.scan(client, props.get("chat_service_sid"), flows, numbers)
        taken = {
            t.key: [r for r in t.scan(client, numbers, first=False) if t.takes(r)] for t in TAKERS
        }
        outs = self.refreshed(
            props,
            resolved_numbers=numbers,
            others=[asdict(f) for f in others],
            drift=[asdict(f) for f in conflicts],
            webhook_drift=hooks,
            taker_drift={key: found for key, found in taken.items() if found},
        )
        return ReadResult(id_, outs)

    @override
    def delete(self, _id: str, props: dict[str, Any]) -> None:
        """Re-enable exactly the flows this guard disabled; put back the webhooks and takers."""
        self._reenable(props.get("disabled") or [])
        removed = props.get("removed_webhooks") or []
        if removed:
            channel_webhooks.restore(self.client(), removed)
        each_taker(self.client(), props.get("undone") or {}, _restore)

    def _reenable(self, sids: list[str]) -> None:
        client = self.client()
        for sid in sids:
            with twilio_call(f"Flex Flow {sid}", "re-enable", ("Enabled",), missing_ok=True):
                client.flex_api.v1.flex_flow(sid).update(enabled=True)
            note(f"enabled Flex Flow {sid} again, as it was before flexorch")


def _drift(
    props: dict[str, Any],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, list[Record]]]:
    """The flows, channel webhooks and takers (by key) a refresh found back, in state."""
    return (
        list(props.get("drift") or []),
        list(props.get("webhook_drift") or []),
        {key: found for key, found in (props.get("taker_drift") or {}).items() if found},
    )


def _merged(recorded: list[Record] | None, fresh: list[Record]) -> list[Record]:
    """`recorded`, then the `fresh` records of other SIDs."""
    return list(_by_sid(recorded or [], fresh).values())


def _undo(taker: Taker, client: Any, record: Record) -> str:
    return taker.undo(client, record)


def _restore(taker: Taker, client: Any, record: Record) -> str:
    return taker.restore(client, record)


class FlexFlowGuard(TwilioResource, module="flexorch", name="FlexFlowGuard"):
    """The guarantee that no Flex Flow, nor a Flex webhook on a chat channel, owns a number."""

    conflicts: pulumi.Output[list[dict[str, Any]]]
    disabled: pulumi.Output[list[str]]
    others: pulumi.Output[list[dict[str, Any]]]
    removed_webhooks: pulumi.Output[list[dict[str, Any]]]

    def __init__(
        self,
        name: str,
        *,
        numbers: list[str],
        mode: str,
        snapshot: pulumi.Input[dict[str, Any]],
        chat_service_sid: pulumi.Input[str] | None = None,
        takers: dict[str, str] | None = None,
        task_channels: list[str] | None = None,
        channel_limit: int | None = None,
        workspace_lookup: pulumi.Input[dict[str, Any]] | None = None,
        config_valid: pulumi.Input[bool] = True,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Guard the numbers (E.164 or PN SIDs) in `fail` or `disable` mode.

        `snapshot` is the FlexFlowSnapshot's record of the flows (and, with `chat_service_sid`,
        the channel webhooks) and takers to act on; `takers` is each taker's mode by key
        (`{"messaging_services": "defer"}`), `fail` when not given. `task_channels` (the
        config's unique names), `channel_limit` and `workspace_lookup` let its check count the
        workspace's room for them.
        """
        props = {
            "numbers": numbers,
            "mode": mode,
            "chat_service_sid": chat_service_sid,
            **{t.key: (takers or {}).get(t.key, "fail") for t in TAKERS},
            "task_channels": task_channels or [],
            "channel_limit": channel_limit,  # for checks only; never compared
            "workspace_lookup": workspace_lookup,  # for checks only; never compared
            "snapshot": snapshot,  # consumed at create and update; never compared
            "config_valid": config_valid,  # only orders the registration; never compared
            "resolved_numbers": None,
            "conflicts": None,
            "disabled": None,
            "others": None,
            "drift": None,
            "removed_webhooks": None,
            "webhook_drift": None,
            "undone": None,
            "taker_drift": None,
        }
        super().__init__(name, props, restoring(opts))
