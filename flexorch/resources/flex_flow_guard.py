"""FlexFlowSnapshot and FlexFlowGuard: no enabled Flex Flow still takes a managed number.

A Flex Flow whose contact identity is a managed number means Flex's own message handler would
still answer that number. `fail` stops preview and up listing each one; `disable` disables
exactly those and re-enables them on destroy. Every Flex Flow shares the Flex chat service, so
other enabled flows (web chat, say) are not conflicts: they keep Flex's orchestration.

On Programmable Chat the guard also covers the Studio/Flex webhooks Flex left on the ACTIVE
chat channels of those numbers (see channel_webhooks): `fail` lists them, `disable` removes them
and puts them back on destroy.

The snapshot records the conflicting flows and webhooks before the guard changes any, so a crash
after a write can never lose what to put back. The guard's refresh lists them again: a flow
re-enabled or a webhook added in the Console is drift, which `up --refresh` undoes or refuses,
by mode.
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
from flexorch.resources import channel_webhooks
from flexorch.resources.base import SnapshotProvider, TwilioProvider, known, note, restoring
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
    """Conflicts, other enabled flows and the E.164 numbers, from this process's first list."""
    resolved = resolved_numbers(client, numbers)
    conflicts, others = find_conflicts([flow_of(r) for r in flex_flows(client)], resolved)
    return conflicts, others, resolved


class FlexFlowSnapshotProvider(SnapshotProvider):
    """Records the Flex Flows and channel webhooks on managed numbers before the guard acts."""

    kind = "FlexFlowSnapshot"
    inputs = ("numbers", "chat_service_sid")

    @override
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Preview looks the numbers up; the channels are read when the snapshot is taken."""
        return self.looked_up(
            olds, news, lambda p: scan(self.client(), list(p["numbers"])), "numbers"
        )

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
            )
        )


def _kept(
    recorded: list[dict[str, Any]] | None, fresh: list[dict[str, Any]], managed: set[str]
) -> list[dict[str, Any]]:
    """The records of still-managed numbers, then the fresh ones not recorded yet (by SID)."""
    kept = [r for r in recorded or [] if r["contact_identity"] in managed]
    seen = {r["sid"] for r in kept}
    return kept + [r for r in fresh if r["sid"] not in seen]


class FlexFlowSnapshot(Resource, module="flexorch", name="FlexFlowSnapshot"):
    """The Flex Flows and channel webhooks that took managed numbers before flexorch (read-only)."""

    resolved_numbers: pulumi.Output[list[str]]
    conflicts: pulumi.Output[list[dict[str, Any]]]
    others: pulumi.Output[list[dict[str, Any]]]
    channel_webhooks: pulumi.Output[list[dict[str, Any]]]

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
            "sid": None,
            "resolved_numbers": None,
            "conflicts": None,
            "others": None,
            "channel_webhooks": None,
        }
        super().__init__(FlexFlowSnapshotProvider(), name, props, opts)

    def recorded(self) -> pulumi.Output[dict[str, Any]]:
        """What the guard needs of the snapshot, as one input."""
        return pulumi.Output.all(
            resolved_numbers=self.resolved_numbers,
            conflicts=self.conflicts,
            others=self.others,
            channel_webhooks=self.channel_webhooks,
        )


class FlexFlowGuardProvider(TwilioProvider):
    """Fails on, or undoes, the flows and channel webhooks its snapshot or a refresh found.

    Flows are disabled and re-enabled on destroy; webhooks removed and put back on destroy.
    """

    kind = "FlexFlowGuard"
    inputs = ("numbers", "mode", "chat_service_sid")

    @override
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Fail preview early in `fail` mode; an unchanged guard costs no API call."""
        unchanged = bool(olds) and not self.changed(olds, news)
        service = news.get("chat_service_sid")
        if news.get("mode") != "fail" or unchanged or not known([news.get("numbers"), service]):
            return CheckResult(news, [])
        client = self.client()
        conflicts, _others, numbers = scan(client, list(news["numbers"]))
        hooks = channel_webhooks.scan_once(client, service, numbers)
        report = guard_report([asdict(f) for f in conflicts], hooks)
        return CheckResult(news, [CheckFailure("numbers", report)] if report else [])

    @override
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Inputs as usual, plus drift: a flow or channel webhook a refresh found back.

        `fail` stops the preview naming them; `disable` plans the update that undoes them.
        """
        result = super().diff(_id, olds, news)
        flows = list(olds.get("drift") or [])
        hooks = list(olds.get("webhook_drift") or [])
        if not flows and not hooks:
            return result
        if news.get("mode") == "fail":
            raise FlexorchError(guard_report(flows, hooks))
        return DiffResult(changes=True, replaces=result.replaces, delete_before_replace=True)

    def _enforce(
        self, props: dict[str, Any], flows: list[dict[str, Any]], hooks: list[dict[str, Any]]
    ) -> None:
        """Disable `flows` and remove `hooks` (`disable` mode), or refuse them (`fail`)."""
        report = guard_report(flows, hooks)
        if report and props["mode"] == "fail":
            raise FlexorchError(report)
        client = self.client()
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

    def _results(self, snapshot: dict[str, Any], disabled: list[str]) -> dict[str, Any]:
        return {
            "resolved_numbers": snapshot["resolved_numbers"],
            "disabled": disabled,
            "drift": [],
            "webhook_drift": [],
            "conflicts": snapshot["conflicts"],
            "others": snapshot["others"],
        }

    @override
    def create(self, props: dict[str, Any]) -> CreateResult:
        snapshot = props["snapshot"]
        flows = list(snapshot["conflicts"])
        hooks = list(snapshot.get("channel_webhooks") or [])
        self._enforce(props, flows, hooks)
        results = self._results(snapshot, [flow["sid"] for flow in flows])
        return CreateResult("flex-flow-guard", self.outs(props, **results, removed_webhooks=hooks))

    @override
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Put back what numbers no longer managed had; disable or remove the new and the drift.

        A flow already disabled (a webhook already removed) is not written again unless a
        refresh found it back.
        """
        snapshot = news["snapshot"]
        managed = {form for n in snapshot["resolved_numbers"] for form in identities(n)}

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

        disabled_before = set(olds.get("disabled") or [])
        again = {flow["sid"] for flow in flow_drift}
        removed_before = {h["sid"] for h in removed}
        found_again = {h["sid"] for h in hook_drift}
        self._enforce(
            news,
            [f for sid, f in flows.items() if sid not in disabled_before or sid in again],
            [h for sid, h in hooks.items() if sid not in removed_before or sid in found_again],
        )
        results = self._results(snapshot, list(flows))
        results["conflicts"] = list(flows.values())
        return UpdateResult(
            self.carry(olds, news, **results, removed_webhooks=list(hooks.values()))
        )

    @override
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """List the flows and channel webhooks now: ones found back since up are drift."""
        client = self.client()
        numbers = props.get("resolved_numbers") or resolved_numbers(client, list(props["numbers"]))
        flows = list_flex_flows(client)
        conflicts, others = find_conflicts([flow_of(r) for r in flows], numbers)
        hooks = channel_webhooks.scan(client, props.get("chat_service_sid"), flows, numbers)
        outs = self.refreshed(
            props,
            resolved_numbers=numbers,
            others=[asdict(f) for f in others],
            drift=[asdict(f) for f in conflicts],
            webhook_drift=hooks,
        )
        return ReadResult(id_, outs)

    @override
    def delete(self, _id: str, props: dict[str, Any]) -> None:
        """Re-enable exactly the flows this guard disabled; put back the webhooks it removed."""
        self._reenable(props.get("disabled") or [])
        removed = props.get("removed_webhooks") or []
        if removed:
            channel_webhooks.restore(self.client(), removed)

    def _reenable(self, sids: list[str]) -> None:
        client = self.client()
        for sid in sids:
            with twilio_call(f"Flex Flow {sid}", "re-enable", ("Enabled",), missing_ok=True):
                client.flex_api.v1.flex_flow(sid).update(enabled=True)
            note(f"enabled Flex Flow {sid} again, as it was before flexorch")


class FlexFlowGuard(Resource, module="flexorch", name="FlexFlowGuard"):
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
        config_valid: pulumi.Input[bool] = True,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Guard the numbers (E.164 or PN SIDs) in `fail` or `disable` mode.

        `snapshot` is the FlexFlowSnapshot's record of the flows (and, with `chat_service_sid`,
        the channel webhooks) to act on.
        """
        props = {
            "numbers": numbers,
            "mode": mode,
            "chat_service_sid": chat_service_sid,
            "snapshot": snapshot,  # consumed at create and update; never compared
            "config_valid": config_valid,  # only orders the registration; never compared
            "resolved_numbers": None,
            "conflicts": None,
            "disabled": None,
            "others": None,
            "drift": None,
            "removed_webhooks": None,
            "webhook_drift": None,
        }
        super().__init__(FlexFlowGuardProvider(), name, props, restoring(opts))
