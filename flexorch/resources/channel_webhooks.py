"""The Studio/Flex webhooks left on managed numbers' chat channels: found, removed, put back.

Flex gives each chat channel a Flex Flow creates a channel-scoped webhook to the flow's Studio
flow (or to Flex's own URL). It outlives the switch to a custom handler: a customer whose channel
is still ACTIVE has their next message handed to Studio again. The guide's first rule names chat
channels too, so the FlexFlowSnapshot records these webhooks before anything changes and the guard
refuses them (`fail`) or removes them and creates them again on destroy (`disable`).

A channel is a managed number's when its Flex Channel record names a Flex Flow, enabled or not,
whose contact identity is a managed number: one list of Flex channels instead of a read per
number. Reads: none when no Flex Flow names a managed number; otherwise one list of the chat
service's channels, one of the Flex channels when some are ACTIVE, and one webhook list per ACTIVE
channel of a managed number.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from twilio.rest import Client

from flexorch.lookups import PAGE_SIZE, each, flex_flows, once
from flexorch.resources.base import create_resolved, form_fields, note, warn
from flexorch.twilio_client import twilio_call
from flexorch.twilio_facts import attributes_of, channel_status, flex_handoff, identities

# The Configuration.* fields a channel webhook is created with, as the API names them.
CONFIGURATION_FIELDS = ("url", "method", "filters", "triggers", "flow_sid", "retry_count")


@dataclass(frozen=True)
class ChannelWebhook:
    """A webhook on a managed number's chat channel that hands its messages to Studio or Flex."""

    service: str
    channel: str
    sid: str
    type: str
    configuration: dict[str, Any]
    flex_flow: str
    contact_identity: str
    to: str


def managed_flows(flows: Iterable[Any], numbers: Iterable[str]) -> dict[str, str]:
    """Flex Flow SID -> contact identity, for every flow (enabled or not) on a managed number."""
    forms = {form for number in numbers for form in identities(number)}
    return {f.sid: f.contact_identity for f in flows if f.contact_identity in forms}


def scan(
    client: Client, service_sid: str | None, flows: Iterable[Any], numbers: list[str]
) -> list[dict[str, Any]]:
    """The Studio/Flex webhooks on ACTIVE chat channels that Flex Flows of `numbers` created.

    None without a chat service to read (a stack on Conversations).
    """
    owners = managed_flows(flows, numbers) if service_sid else {}
    if not service_sid or not owners:
        return []
    service = client.chat.v2.services(service_sid)
    with twilio_call(f"Chat service {service_sid}", "list its channels"):
        active = {
            c.sid
            for c in service.channels.list(page_size=PAGE_SIZE)
            if channel_status(c) == "ACTIVE"
        }
    if not active:
        return []
    with twilio_call("Flex channels", "list them"):
        flex_channels = client.flex_api.v1.channel.list(page_size=PAGE_SIZE)
    mine = [
        (c.sid, c.flex_flow_sid)
        for c in flex_channels
        if c.sid in active and c.flex_flow_sid in owners
    ]

    def handoffs(channel: tuple[str, str]) -> list[dict[str, Any]]:
        channel_sid, flow = channel
        return [
            asdict(
                ChannelWebhook(
                    service=service_sid,
                    channel=channel_sid,
                    sid=webhook.sid,
                    type=webhook.type,
                    configuration=settings_of(webhook.configuration),
                    flex_flow=flow,
                    contact_identity=owners[flow],
                    to=to,
                )
            )
            for webhook in channel_webhooks(client, service_sid, channel_sid) or []
            if (to := flex_handoff(webhook.type, webhook.configuration)) is not None
        ]

    return [hook for hooks in each(handoffs, mine) for hook in hooks]


def scan_once(client: Client, service_sid: str | None, numbers: list[str]) -> list[dict[str, Any]]:
    """`scan` of the Flex Flows as first listed, once per provider process.

    The guard's check and the snapshot ask the same.
    """
    key = ("channel-webhooks", service_sid, tuple(sorted(numbers)))
    return once(client, key, lambda: scan(client, service_sid, flex_flows(client), numbers))


def channel_webhooks(client: Client, service_sid: str, channel_sid: str) -> list[Any] | None:
    """A chat channel's own webhooks now; None when the channel no longer exists."""
    webhooks = client.chat.v2.services(service_sid).channels(channel_sid).webhooks
    found: list[Any] | None = None
    with twilio_call(f"Chat channel {channel_sid}", "list its webhooks", missing_ok=True):
        found = list(webhooks.list(page_size=PAGE_SIZE))
    return found


def settings_of(configuration: Any) -> dict[str, Any]:
    """The parts of a webhook's configuration it is created with, empty ones left out."""
    settings = attributes_of(configuration)
    return {k: settings[k] for k in CONFIGURATION_FIELDS if settings.get(k) not in (None, [], "")}


def remove(client: Client, hooks: list[dict[str, Any]]) -> None:
    """Delete each webhook; one someone already deleted is fine."""
    for hook in hooks:
        channel = client.chat.v2.services(hook["service"]).channels(hook["channel"])
        with twilio_call(
            f"Chat channel {hook['channel']} webhook {hook['sid']}", "remove", missing_ok=True
        ):
            channel.webhooks(hook["sid"]).delete()
        note(
            f"removed {hook['type']} webhook {hook['sid']} from chat channel {hook['channel']} "
            f"of {hook['contact_identity']}: the customer's next message would "
            "go to Flex; destroy puts it back"
        )


def restore(client: Client, hooks: list[dict[str, Any]]) -> None:
    """Create each removed webhook again, unless its channel has one to the same place.

    A channel's webhooks are read first, so a destroy stopped halfway and run again puts none
    back twice, nor two records to the same place (one removed, one found again by a refresh);
    a channel deleted since is skipped, saying so.
    """
    by_channel: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for hook in hooks:
        by_channel.setdefault((hook["service"], hook["channel"]), []).append(hook)

    def put_back(channel: tuple[tuple[str, str], list[dict[str, Any]]]) -> None:
        (service_sid, channel_sid), wanted = channel
        present = channel_webhooks(client, service_sid, channel_sid)
        if present is None:
            warn(
                f"Chat channel {channel_sid} no longer exists: its {len(wanted)} Studio/Flex "
                "webhook(s) were not put back"
            )
            return
        for hook in wanted:
            if not any(same_webhook(hook, w) for w in present):
                present.append(_create(client, hook))

    each(put_back, list(by_channel.items()))


def same_webhook(hook: dict[str, Any], webhook: Any) -> bool:
    """Whether a channel's webhook hands messages where the recorded one did."""
    return webhook.type == hook["type"] and flex_handoff(webhook.type, webhook.configuration) == (
        flex_handoff(hook["type"], hook["configuration"])
    )


def _create(client: Client, hook: dict[str, Any]) -> Any:
    # Pulumi's state keeps numbers as floats; Twilio refuses a retry count of 0.0.
    settings = {k: int(v) if isinstance(v, float) else v for k, v in hook["configuration"].items()}
    used = {key: settings[key] for key in CONFIGURATION_FIELDS if key in settings}
    arguments = {f"configuration_{key}": value for key, value in used.items()}
    webhooks = client.chat.v2.services(hook["service"]).channels(hook["channel"]).webhooks
    label = f"Chat channel {hook['channel']} webhook ({hook['type']}, to {hook['to']})"

    def create() -> Any:
        sent = ("Type", *(f"Configuration.{field}" for field in form_fields(used)))
        with twilio_call(label, "put back", sent):
            return webhooks.create(type=hook["type"], **arguments)

    def find() -> Any:
        present = channel_webhooks(client, hook["service"], hook["channel"]) or []
        return next((w for w in present if same_webhook(hook, w)), None)

    return create_resolved(label, create, find)


def report(hooks: list[dict[str, Any]]) -> str:
    """The user-facing text for `flexFlows: fail`."""
    lines = [
        f"{len(hooks)} webhook(s) on ACTIVE chat channels of managed numbers still hand messages "
        "to Studio or Flex, so a returning customer's SMS goes there again:"
    ]
    lines += [
        f"  {h['channel']} (Flex Flow {h['flex_flow']} on {h['contact_identity']}) has "
        f"{h['sid']} ({h['type']}, to {h['to']})"
        for h in hooks
    ]
    first = hooks[0]
    lines.append(
        "Fix: delete them (e.g. `twilio api:chat:v2:services:channels:webhooks:remove "
        f"--service-sid {first['service']} --channel-sid {first['channel']} "
        f"--sid {first['sid']}`), "
        "or set flexorch:flexFlows: disable to let flexorch remove them and put them back on "
        "destroy."
    )
    return "\n".join(lines)
