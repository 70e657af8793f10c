"""The config section's frame and the checks every platform shares.

Each platform checks its managed numbers and its messaging service's webhooks its own way
(`flexorch.doctor.platforms`); the frame runs them in the same order on each, then the TaskRouter
checks, which are the same on every platform: the workspace, and the contact_uri Workflow, task
channels and workers in it. Also here: `guarded`, which turns a read Twilio refuses into that
check's failure, and the helpers the platforms' number checks share.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flexorch.doctor.account import Account, describe_flow
from flexorch.doctor.report import EXAMPLES, Check, Label, refresh
from flexorch.routing import describe_target, filter_expression, target_selector
from flexorch.takers import TAKERS
from flexorch.twilio_client import TwilioApiError
from flexorch.twilio_facts import (
    attributes_of,
    filter_events,
    identities,
    same_events,
    same_method,
    same_url,
)

A = TypeVar("A", bound=Account)

WORKSPACE = Label("workspace", "TaskRouter workspace")
WORKFLOW = Label("workflow", "contact_uri Workflow")
TASK_CHANNELS = Label("task-channels", "task channels")
EVENT_CALLBACK = Label("event-callback", "workspace event callback")


def workers_label(account: Account) -> Label:
    """The workers check, titled by what tasks name their agent by (`workflow.knownAgent`)."""
    return Label("workers", f"workers with a {account.agent_name.what}")


def guarded(label: Label, run: Callable[[], Check]) -> Check:
    """Run a check; a read Twilio refuses (not a 401) fails that check, not the run."""
    try:
        return run()
    except TwilioApiError as exc:
        return label.check(
            "fail",
            f"Twilio refused a read: {exc}",
            {"error": str(exc)},
            "Check that the credentials may read this product (an API key needs read access).",
        )


def number_label(ref: str) -> Label:
    """The config check of a managed number (an E.164 number or a PN SID)."""
    return Label(f"number:{ref}", f"number {ref}")


def missing_number(account: Account, ref: str, label: Label) -> Check:
    """The failure of a managed number the account does not have."""
    return label.check(
        "fail",
        f"{ref} is not a phone number of account {account.account_sid}",
        {"number": ref},
        "Check flexorch:numbers and the credentials: the number must belong to the "
        "account doctor reads.",
    )


def enabled_flows(account: Account, e164: str) -> list[Any]:
    """The enabled Flex Flows that still take a number's messages."""
    return [f for f in account.flex_flows() if f.enabled and f.contact_identity in identities(e164)]


def flows_problem(flows: list[Any], mode: str) -> tuple[str, str]:
    """What enabled Flex Flows on a number do, and the fix for the stack's `flexFlows` mode.

    With `disable` the stack disabled them once: enabled again since (in the Console) is drift,
    which only a refresh sees (a plain `pulumi up` of an unchanged stack asks Twilio nothing).
    """
    names = ", ".join(describe_flow(f) for f in flows)
    them = "it" if len(flows) == 1 else "them"
    flows_named = "the Flex Flow" if len(flows) == 1 else "the Flex Flows"
    fix = (
        refresh(f"disable {flows_named} again")
        if mode == "disable"
        else f"disable {them} (or set flexorch:flexFlows: disable)"
    )
    return f"enabled Flex Flow {names} still takes its messages", fix


def takers_problems(account: Account, e164: str) -> tuple[list[str], list[str], dict[str, Any]]:
    """What else takes a number's messages (flexorch.takers): problems, fixes, evidence.

    The fix follows the stack's mode for that kind: opted in, the stack undid it once, so one
    back since (in the Console) is drift that `pulumi up --refresh` undoes again.
    """
    problems: list[str] = []
    fixes: list[str] = []
    evidence: dict[str, Any] = account.takers_of(e164)
    for taker in TAKERS:
        mode = getattr(account.config, taker.key)
        for record in evidence.get(taker.key, []):
            problems.append(taker.problem(record, e164))
            fixes.append(
                refresh(taker.undone_again)
                if taker.undoes(mode, record)
                else taker.fix(record, e164)
            )
    return problems, fixes, evidence


@dataclass(frozen=True)
class ServiceWebhooks:
    """A platform's messaging service as the one check of its webhooks needs to know it."""

    label: Label
    service: str
    """How the service is named in the check's text: "chat service"."""
    named_where: str
    """Where the account names the service, for the fix of a wrong `chatService.sid`."""
    method: str
    """The key of the webhook method in the settings `read` returns (and in the evidence)."""
    filters: str
    """The key of the webhook filters."""
    retries: bool
    """Whether the service has pre/post webhook retry counts to judge."""
    read: Callable[[Any], tuple[str, dict[str, Any]] | None]
    """The service's SID and webhook settings read from the account; None when it is gone."""


RETRY_COUNTS = ("pre_webhook_retry_count", "post_webhook_retry_count")


def service_webhooks_check(account: Account, service: ServiceWebhooks) -> Check:
    """The messaging service sends the stack's events to the handler, as `up` set it."""
    chat, handler, label = account.config.chat_service, account.config.handler, service.label
    found_service = service.read(account)
    if found_service is None:
        return label.check(
            "fail",
            f"{service.service} {chat.sid} does not exist",
            {"sid": chat.sid},
            f"Set flexorch:chatService.sid to the Flex {service.service} of this account "
            f"({service.named_where}).",
        )
    sid, found = found_service
    url = handler.effective_chat_url
    found[service.filters] = sorted(found[service.filters])
    expected: dict[str, Any] = {
        service.method: handler.method,
        service.filters: sorted(chat.webhook_filters),
    }
    # Without pre (post) events the stack leaves that URL as it was: only the others are judged.
    if chat.pre_events:
        expected["pre_webhook_url"] = url
    if chat.post_events:
        expected["post_webhook_url"] = url
    same = {service.method: same_method, service.filters: same_events}
    wrong = [k for k, v in expected.items() if not same.get(k, same_url)(found[k], v)]
    evidence: dict[str, Any] = {"sid": sid}
    evidence.update({k: {"found": found[k], "expected": v} for k, v in expected.items()})
    retries = {k: found[k] for k in RETRY_COUNTS} if service.retries else {}
    judged = [k for k in retries if k.split("_")[0] + "_webhook_url" in expected]
    off = [k for k in judged if retries[k] != chat.retry_count]
    evidence.update({k: {"found": retries[k], "expected": chat.retry_count} for k in judged})
    fix = f"Run `pulumi up --refresh` for this stack to restore the {service.service}'s webhooks."
    if wrong:
        listed = ", ".join(f"{k} is {found[k] or 'empty'!r}" for k in wrong)
        return label.check(
            "fail",
            f"{sid} does not send its events to the handler as the stack says: {listed}",
            evidence,
            fix,
        )
    if off:
        listed = ", ".join(f"{k} is {retries[k]}" for k in off)
        return label.check(
            "warn",
            f"{sid} retries differently from the stack ({listed}, not {chat.retry_count})",
            evidence,
            fix,
        )
    events = ", ".join(chat.webhook_filters)
    return label.check("pass", f"{sid} sends {events} to {handler.method} {url}", evidence)


def config_section(
    account: A,
    number_check: Callable[[A, str, Label], Check],
    service: ServiceWebhooks,
) -> list[Check]:
    """The stack's settings, live: each managed number, the service's webhooks, TaskRouter."""
    checks = [_number(account, ref, number_check) for ref in account.config.numbers]
    checks.append(guarded(service.label, lambda: service_webhooks_check(account, service)))
    return checks + taskrouter_checks(account)


def _number(account: A, ref: str, number_check: Callable[[A, str, Label], Check]) -> Check:
    label = number_label(ref)
    return guarded(label, lambda: number_check(account, ref, label))


def taskrouter_checks(account: Account) -> list[Check]:
    """The workspace and its event callback (when set), and the Workflow, channels and workers."""
    checks: list[Check] = []
    workspace = guarded(WORKSPACE, lambda: _workspace(account))
    checks.append(workspace)
    dependents: list[tuple[Label, Callable[[], Check]]] = [
        (WORKFLOW, lambda: _workflow(account)),
        (TASK_CHANNELS, lambda: _task_channels(account)),
        (workers_label(account), lambda: _workers(account)),
    ]
    if account.config.workspace.event_callback is not None:
        dependents.insert(0, (EVENT_CALLBACK, lambda: _event_callback(account)))
    for label, run in dependents:
        if workspace.status == "fail":
            checks.append(label.check("skipped", "because the workspace check failed"))
        else:
            checks.append(guarded(label, run))
    return checks


def _workspace(account: Account) -> Check:
    ref = account.config.workspace
    found = account.workspaces()
    if len(found) == 1:
        ws = found[0]
        return WORKSPACE.check(
            "pass",
            f'{ws.sid} "{ws.friendly_name}"',
            {"sid": ws.sid, "friendly_name": ws.friendly_name},
        )
    if not found:
        return WORKSPACE.check(
            "fail",
            f"no TaskRouter workspace {ref.describe()}",
            {"looked_up": ref.describe()},
            "Set flexorch:workspace to the Flex workspace of this account "
            '(usually friendlyName: "Flex Task Assignment").',
        )
    sids = [w.sid for w in found]
    return WORKSPACE.check(
        "fail",
        f"{len(found)} workspaces are named {ref.describe()}",
        {"sids": sids},
        "Set flexorch:workspace.sid to the Flex workspace's SID.",
    )


def _event_callback(account: Account) -> Check:
    """TaskRouter sends the handler the events it needs: or an ended task leaves its chat open.

    No request: the workspace was read for its own check.
    """
    wanted = account.config.workspace.event_callback
    assert wanted is not None  # only run when the stack sets one
    ws = account.workspace()
    url = ws.event_callback_url or ""
    sent = filter_events(ws.events_filter)  # none: every event
    missing = sorted(set(wanted.events) - set(sent)) if sent else []
    evidence = {"url": url, "events": list(sent), "expected_url": wanted.url,
                "expected_events": list(wanted.events)}  # fmt: skip
    if same_url(url, wanted.url) and not missing:
        return EVENT_CALLBACK.check(
            "pass", f"{url} gets {', '.join(sent) if sent else 'every event'}", evidence
        )
    problems = []
    if not same_url(url, wanted.url):
        problems.append(f"the workspace sends its events to {url or 'no URL'}, not {wanted.url}")
    if missing:
        problems.append(f"its EventsFilter leaves out {', '.join(missing)}")
    return EVENT_CALLBACK.check(
        "fail",
        "; ".join(problems),
        evidence,
        "Run `pulumi up --refresh`: the stack sets the workspace's EventCallbackUrl and "
        "EventsFilter (someone changed them since, in the Console or through the API).",
    )


def _workflow(account: Account) -> Check:
    config = account.config
    name = config.workflow.friendly_name
    found = account.workflows()
    ws = account.workspace()
    if not found:
        return WORKFLOW.check(
            "fail",
            f'no Workflow named "{name}" in {ws.sid}',
            {"workspace": ws.sid, "friendly_name": name},
            "Run `pulumi up --refresh` for this stack: it creates the contact_uri Workflow.",
        )
    if len(found) > 1:
        return WORKFLOW.check(
            "fail",
            f'{len(found)} Workflows are named "{name}"',
            {"sids": [w.sid for w in found]},
            "Delete the Workflows this stack does not own (`pulumi stack export` names its one).",
        )
    workflow = found[0]
    document = attributes_of(workflow.configuration)
    filters = document.get("task_routing", {}).get("filters", [])
    # The contact_uri expression, or Known Agent Routing's key (workflow.knownAgent).
    selector = target_selector(config)
    target = describe_target(selector)
    matching = [
        f
        for f in filters
        if any(
            all(_norm(t.get(key)) == _norm(value) for key, value in selector.items())
            for t in f.get("targets", [])
        )
    ]
    targets = [describe_target(t) for f in filters for t in f.get("targets", [])]
    evidence: dict[str, Any] = {
        "sid": workflow.sid,
        "target": {"found": targets, "expected": target},
    }
    fix = "Run `pulumi up --refresh` for this stack to restore the Workflow's document."
    if not matching:
        return WORKFLOW.check(
            "fail",
            f"{workflow.sid} does not route on {target}, so tasks do not reach the agent they name",
            evidence,
            fix,
        )
    wanted = filter_expression(config)
    evidence["filter"] = {"found": matching[0].get("expression"), "expected": wanted}
    if _norm(matching[0].get("expression")) != _norm(wanted):
        return WORKFLOW.check(
            "warn",
            f"{workflow.sid}'s filter is {matching[0].get('expression')!r}, the "
            f"stack's is {wanted!r}",
            evidence,
            fix,
        )
    return WORKFLOW.check("pass", f'{workflow.sid} "{name}" routes on {target}', evidence)


def _task_channels(account: Account) -> Check:
    found = {c.unique_name: c.sid for c in account.task_channels()}
    wanted = [c.unique_name for c in account.config.task_channels]
    missing = [name for name in wanted if name not in found]
    evidence = {"found": {n: found[n] for n in wanted if n in found}, "missing": missing}
    if missing:
        return TASK_CHANNELS.check(
            "fail",
            f"TaskChannel {', '.join(missing)} does not exist in the workspace",
            evidence,
            "Run `pulumi up --refresh` for this stack to create the task channels.",
        )
    detail = ", ".join(f"{n} {found[n]}" for n in wanted) or "the stack declares none"
    return TASK_CHANNELS.check("pass", detail, evidence)


def _workers(account: Account) -> Check:
    """Tasks can name each worker: by her own contact_uri (or friendly name), or by her SID."""
    name, label = account.agent_name, workers_label(account)
    named = account.named_workers()
    evidence: dict[str, Any] = {
        "workers": len(account.workers()),
        name.plural: {u: [w.sid for w in ws] for u, ws in sorted(named.items())[:EXAMPLES]},
    }
    if not named:
        return label.check("warn", name.none, evidence, name.none_fix)
    duplicates = {u: ws for u, ws in named.items() if len(ws) > 1}
    if duplicates:
        uri, workers = sorted(duplicates.items())[0]
        evidence["duplicates"] = {u: [w.sid for w in ws] for u, ws in sorted(duplicates.items())}
        return label.check(
            "warn",
            f"{name.what} {uri} is on {len(workers)} workers "
            f"({', '.join(w.sid for w in workers)}), so its tasks may go to either",
            evidence,
            f"Give every worker its own {name.what} (delete the duplicate workers).",
        )
    listed = ", ".join(sorted(named)[:EXAMPLES])
    return label.check("pass", f"{len(named)} workers with a {name.what}: {listed}", evidence)


def _norm(expression: Any) -> str:
    return " ".join(str(expression or "").split())
