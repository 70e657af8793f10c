"""FlexFlowGuard: makes sure no enabled Flex Flow still takes a managed number's messages.

A Flex Flow whose contact identity is a managed number means Flex's own message handler would
still answer that number. `fail` stops preview and up listing each one; `disable` disables
exactly those and re-enables them on destroy. Every Flex Flow shares the Flex chat service, so
other enabled flows (web chat, say) are not conflicts: they keep Flex's orchestration.
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
from flexorch.resources.base import TwilioProvider
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


class FlexFlowGuardProvider(TwilioProvider):
    """Lists Flex Flows; fails or disables the conflicting ones."""

    kind = "FlexFlowGuard"
    inputs = ("numbers", "mode")

    def _numbers(self, client: Any, numbers: list[str]) -> list[str]:
        """E.164 forms of the managed numbers (PN SIDs are looked up)."""
        resolved = []
        for number in numbers:
            if number.startswith("PN"):
                with twilio_call(f'FlexFlowGuard number "{number}"', "look up"):
                    number = client.incoming_phone_numbers(number).fetch().phone_number
            resolved.append(number)
        return resolved

    def _scan(self, client: Any, props: dict[str, Any]) -> tuple[list[Flow], list[Flow], list[str]]:
        numbers = self._numbers(client, list(props["numbers"]))
        with twilio_call("FlexFlowGuard", "list Flex Flows"):
            flows = [flow_of(r) for r in client.flex_api.v1.flex_flow.list()]
        conflicts, others = find_conflicts(flows, numbers)
        return conflicts, others, numbers

    @override
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Fail preview early in `fail` mode; an unchanged guard costs no API call."""
        unchanged = bool(olds) and not self.changed(olds, news)
        if news.get("mode") != "fail" or unchanged or not _known(news.get("numbers")):
            return CheckResult(news, [])
        conflicts, _others, _numbers = self._scan(self.client(), news)
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

    def _enforce(self, props: dict[str, Any], already: list[str]) -> dict[str, Any]:
        client = self.client()
        conflicts, others, numbers = self._scan(client, props)
        if conflicts and props["mode"] == "fail":
            raise FlexorchError(conflict_report(conflicts))
        disabled = list(already)
        for flow in conflicts:
            with twilio_call(
                f'Flex Flow {flow.sid} "{flow.friendly_name}"', "disable", ("Enabled",)
            ):
                client.flex_api.v1.flex_flow(flow.sid).update(enabled=False)
            if flow.sid not in disabled:  # re-disabled after drift: still recorded once
                disabled.append(flow.sid)
        return {
            "resolved_numbers": numbers,
            "disabled": disabled,
            "drift": [],
            "conflicts": [asdict(f) for f in conflicts],
            "others": [asdict(f) for f in others],
        }

    @override
    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult("flex-flow-guard", self.outs(props, **self._enforce(props, [])))

    @override
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Enforce on the new numbers; re-enable flows of numbers no longer managed."""
        configured, resolved = olds.get("numbers") or [], olds.get("resolved_numbers") or []
        kept = [e164 for n, e164 in zip(configured, resolved, strict=False) if n in news["numbers"]]
        still: list[str] = []
        released: list[str] = []
        disabled_flows = {c["sid"]: c for c in olds.get("conflicts") or []}
        for sid in olds.get("disabled") or []:
            flow = disabled_flows.get(sid)
            on_kept = flow is None or find_conflicts([Flow(**{**flow, "enabled": True})], kept)[0]
            (still if on_kept else released).append(sid)
        self._reenable(released)
        return UpdateResult(self.carry(olds, news, **self._enforce(news, still)))

    @override
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        conflicts, others, numbers = self._scan(self.client(), props)
        outs = self.outs(
            props,
            resolved_numbers=numbers,
            disabled=props.get("disabled") or [],
            conflicts=props.get("conflicts") or [],
            others=[asdict(f) for f in others],
            # Enabled flows that take a managed number: re-enabled in the Console since up.
            drift=[asdict(f) for f in conflicts],
        )
        return ReadResult(id_, outs)

    @override
    def delete(self, _id: str, props: dict[str, Any]) -> None:
        """Re-enable exactly the flows this guard disabled."""
        self._reenable(props.get("disabled") or [])

    def _reenable(self, sids: list[str]) -> None:
        if not sids:
            return
        client = self.client()
        for sid in sids:
            with twilio_call(f"Flex Flow {sid}", "re-enable", ("Enabled",)):
                client.flex_api.v1.flex_flow(sid).update(enabled=True)


def _known(value: Any) -> bool:
    """False while the engine still computes the value (a preview of a new stack)."""
    return isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)


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
        config_valid: pulumi.Input[bool] = True,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Guard the numbers (E.164 or PN SIDs) in `fail` or `disable` mode."""
        props = {
            "numbers": numbers,
            "mode": mode,
            "config_valid": config_valid,  # only orders the registration; never compared
            "resolved_numbers": None,
            "conflicts": None,
            "disabled": None,
            "others": None,
            "drift": None,
        }
        super().__init__(FlexFlowGuardProvider(), name, props, opts)
