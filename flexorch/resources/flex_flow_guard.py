"""FlexFlowSnapshot and FlexFlowGuard: no enabled Flex Flow still takes a managed number.

A Flex Flow whose contact identity is a managed number means Flex's own message handler would
still answer that number. `fail` stops preview and up listing each one; `disable` disables
exactly those and re-enables them on destroy. Every Flex Flow shares the Flex chat service, so
other enabled flows (web chat, say) are not conflicts: they keep Flex's orchestration.

The snapshot records the conflicting flows before the guard disables any, so a crash after a
disable can never lose which flows to re-enable. The guard's refresh lists the flows again: one
re-enabled in the Console is drift, which `up --refresh` disables again or refuses, by mode.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    UpdateResult,
)
from typing_extensions import override

from flexorch.errors import FlexorchError
from flexorch.resources.base import SnapshotProvider, TwilioProvider, known
from flexorch.resources.lookups import account_numbers, flex_flows, list_flex_flows
from flexorch.twilio_client import twilio_call
from flexorch.twilio_facts import identities


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


def resolved_numbers(client: Any, numbers: list[str]) -> list[str]:
    """E.164 forms of the managed numbers (PN SIDs looked up in the account's numbers)."""
    found = account_numbers(client)
    return [found[n].phone_number if n in found else n for n in numbers]


def scan(client: Any, numbers: list[str]) -> tuple[list[Flow], list[Flow], list[str]]:
    """Conflicts, other enabled flows and the E.164 numbers, from this process's first list."""
    resolved = resolved_numbers(client, numbers)
    conflicts, others = find_conflicts([flow_of(r) for r in flex_flows(client)], resolved)
    return conflicts, others, resolved


class FlexFlowSnapshotProvider(SnapshotProvider):
    """Records the enabled Flex Flows on managed numbers, before the guard changes any."""

    kind = "FlexFlowSnapshot"
    inputs = ("numbers",)

    @override
    def look_up(self, props: dict[str, Any]) -> dict[str, Any]:
        conflicts, others, numbers = scan(self.client(), list(props["numbers"]))
        return {
            "sid": "flex-flows",
            "resolved_numbers": numbers,
            "conflicts": [asdict(f) for f in conflicts],
            "others": [asdict(f) for f in others],
        }

    @override
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Numbers added or removed: keep what was recorded for the kept ones, add the new."""
        fresh = self.look_up(news)
        managed = {form for n in fresh["resolved_numbers"] for form in identities(n)}
        kept = [c for c in olds.get("conflicts") or [] if c["contact_identity"] in managed]
        known = {c["sid"] for c in kept}
        conflicts = kept + [c for c in fresh["conflicts"] if c["sid"] not in known]
        return UpdateResult(
            self.carry(
                olds,
                news,
                resolved_numbers=fresh["resolved_numbers"],
                conflicts=conflicts,
                others=fresh["others"],
            )
        )


class FlexFlowSnapshot(Resource, module="flexorch", name="FlexFlowSnapshot"):
    """The Flex Flows that took managed numbers before flexorch (read-only)."""

    resolved_numbers: pulumi.Output[list[str]]
    conflicts: pulumi.Output[list[dict[str, Any]]]
    others: pulumi.Output[list[dict[str, Any]]]

    def __init__(
        self, name: str, *, numbers: list[str], opts: pulumi.ResourceOptions | None = None
    ) -> None:
        """Record the flows on `numbers` (E.164 or PN SIDs)."""
        props = {
            "numbers": numbers,
            "sid": None,
            "resolved_numbers": None,
            "conflicts": None,
            "others": None,
        }
        super().__init__(FlexFlowSnapshotProvider(), name, props, opts)

    def recorded(self) -> pulumi.Output[dict[str, Any]]:
        """What the guard needs of the snapshot, as one input."""
        return pulumi.Output.all(
            resolved_numbers=self.resolved_numbers, conflicts=self.conflicts, others=self.others
        )


class FlexFlowGuardProvider(TwilioProvider):
    """Fails on, or disables, the flows its snapshot recorded and any a refresh found again."""

    kind = "FlexFlowGuard"
    inputs = ("numbers", "mode")

    @override
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Fail preview early in `fail` mode; an unchanged guard costs no API call."""
        unchanged = bool(olds) and not self.changed(olds, news)
        if news.get("mode") != "fail" or unchanged or not known(news.get("numbers")):
            return CheckResult(news, [])
        conflicts, _others, _numbers = scan(self.client(), list(news["numbers"]))
        failures = [CheckFailure("numbers", conflict_report(conflicts))] if conflicts else []
        return CheckResult(news, failures)

    @override
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Inputs as usual, plus drift: a conflicting flow that a refresh found enabled again.

        `fail` stops the preview naming the flows; `disable` plans the update that disables
        them again.
        """
        result = super().diff(_id, olds, news)
        drift = [Flow(**flow) for flow in olds.get("drift") or []]
        if not drift:
            return result
        if news.get("mode") == "fail":
            raise FlexorchError(conflict_report(drift))
        return DiffResult(changes=True, replaces=result.replaces, delete_before_replace=True)

    def _enforce(self, props: dict[str, Any], flows: list[dict[str, Any]]) -> list[str]:
        """Disable `flows` (`disable` mode) or refuse them (`fail`); their SIDs."""
        if flows and props["mode"] == "fail":
            raise FlexorchError(conflict_report([Flow(**f) for f in flows]))
        client = self.client()
        for flow in flows:
            with twilio_call(
                f'Flex Flow {flow["sid"]} "{flow["friendly_name"]}"',
                "disable",
                ("Enabled",),
                missing_ok=True,
            ):
                client.flex_api.v1.flex_flow(flow["sid"]).update(enabled=False)
        return [flow["sid"] for flow in flows]

    def _results(self, snapshot: dict[str, Any], disabled: list[str]) -> dict[str, Any]:
        return {
            "resolved_numbers": snapshot["resolved_numbers"],
            "disabled": disabled,
            "drift": [],
            "conflicts": snapshot["conflicts"],
            "others": snapshot["others"],
        }

    @override
    def create(self, props: dict[str, Any]) -> CreateResult:
        snapshot = props["snapshot"]
        disabled = self._enforce(props, list(snapshot["conflicts"]))
        outs = self.outs(props, **self._results(snapshot, disabled))
        return CreateResult("flex-flow-guard", outs)

    @override
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Re-enable flows of numbers no longer managed; disable new conflicts and drift.

        A flow already disabled is not written again unless a refresh found it enabled.
        """
        snapshot = news["snapshot"]
        managed = {form for n in snapshot["resolved_numbers"] for form in identities(n)}
        drift = list(olds.get("drift") or [])
        before = set(olds.get("disabled") or [])
        wanted: dict[str, dict[str, Any]] = {}
        for flow in [*(olds.get("conflicts") or []), *snapshot["conflicts"], *drift]:
            if flow["contact_identity"] in managed:
                wanted[flow["sid"]] = flow
        self._reenable([sid for sid in olds.get("disabled") or [] if sid not in wanted])
        again = {flow["sid"] for flow in drift}
        self._enforce(news, [f for sid, f in wanted.items() if sid not in before or sid in again])
        results = self._results(snapshot, list(wanted))
        results["conflicts"] = list(wanted.values())
        return UpdateResult(self.carry(olds, news, **results))

    @override
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """List the flows now: conflicting ones enabled again since up are drift."""
        client = self.client()
        numbers = props.get("resolved_numbers") or resolved_numbers(client, list(props["numbers"]))
        flows = [flow_of(r) for r in list_flex_flows(client)]
        conflicts, others = find_conflicts(flows, numbers)
        outs = self.outs(
            props,
            resolved_numbers=numbers,
            disabled=props.get("disabled") or [],
            conflicts=props.get("conflicts") or [],
            others=[asdict(f) for f in others],
            drift=[asdict(f) for f in conflicts],
        )
        return ReadResult(id_, outs)

    @override
    def delete(self, _id: str, props: dict[str, Any]) -> None:
        """Re-enable exactly the flows this guard disabled."""
        self._reenable(props.get("disabled") or [])

    def _reenable(self, sids: list[str]) -> None:
        client = self.client()
        for sid in sids:
            with twilio_call(f"Flex Flow {sid}", "re-enable", ("Enabled",), missing_ok=True):
                client.flex_api.v1.flex_flow(sid).update(enabled=True)


class FlexFlowGuard(Resource, module="flexorch", name="FlexFlowGuard"):
    """The guarantee that no Flex Flow still owns a managed number."""

    conflicts: pulumi.Output[list[dict[str, Any]]]
    disabled: pulumi.Output[list[str]]
    others: pulumi.Output[list[dict[str, Any]]]

    def __init__(
        self,
        name: str,
        *,
        numbers: list[str],
        mode: str,
        snapshot: pulumi.Input[dict[str, Any]],
        config_valid: pulumi.Input[bool] = True,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Guard the numbers (E.164 or PN SIDs) in `fail` or `disable` mode.

        `snapshot` is the FlexFlowSnapshot's record of the flows to act on.
        """
        props = {
            "numbers": numbers,
            "mode": mode,
            "snapshot": snapshot,  # consumed at create and update; never compared
            "config_valid": config_valid,  # only orders the registration; never compared
            "resolved_numbers": None,
            "conflicts": None,
            "disabled": None,
            "others": None,
            "drift": None,
        }
        super().__init__(FlexFlowGuardProvider(), name, props, opts)
