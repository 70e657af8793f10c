"""The config section: the stack's settings checked live, and the checks the walk shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flexorch.doctor.account import Account, describe_flow
from flexorch.doctor.report import EXAMPLES, Check, sentence
from flexorch.routing import filter_expression, target_expression
from flexorch.twilio_client import TwilioApiError
from flexorch.twilio_facts import (
    PROXY_MESSAGE_WEBHOOK,
    attributes_of,
    chat_service_settings,
    flex_handoff,
    identities,
    same_events,
    same_method,
    same_url,
    twilio_hosted,
)


def guarded(check_id: str, title: str, run: Callable[[], Check]) -> Check:
    """Run a check; a read Twilio refuses (not a 401) fails that check, not the run."""
    try:
        return run()
    except TwilioApiError as exc:
        return Check(
            check_id,
            title,
            "fail",
            f"Twilio refused a read: {exc}",
            {"error": str(exc)},
            "Check that the credentials may read this product (an API key needs read access).",
        )


def flex_webhooks(account: Account, channel: Any) -> list[dict[str, Any]]:
    """A channel's webhooks that still hand its messages to Studio or Flex (see flex_handoff)."""
    found = []
    for webhook in account.channel_webhooks(channel.sid):
        target = flex_handoff(webhook.type, webhook.configuration)
        if target is not None:
            found.append(
                {"channel": channel.sid, "webhook": webhook.sid, "type": webhook.type, "to": target}
            )
    return found


def remove_webhooks(account: Account, webhooks: list[dict[str, Any]]) -> str:
    """The fix for `flex_webhooks`: the Twilio CLI line that deletes each of them."""
    service = account.config.chat_service.sid
    commands = "; ".join(
        "twilio api:chat:v2:services:channels:webhooks:remove "
        f"--service-sid {service} --channel-sid {w['channel']} --sid {w['webhook']}"
        for w in webhooks
    )
    return f"Delete {'it' if len(webhooks) == 1 else 'them'}: `{commands}`."


def missing_number(account: Account, ref: str, check_id: str, title: str) -> Check:
    """The failure of a managed number the account does not have."""
    return Check(
        check_id,
        title,
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
    fix = (
        f"run `pulumi up --refresh` for this stack: it disables {them} again"
        if mode == "disable"
        else f"disable {them} (or set flexorch:flexFlows: disable)"
    )
    return f"enabled Flex Flow {names} still takes its messages", fix


def number_check(account: Account, ref: str, check_id: str, title: str) -> Check:
    """A number exists, no enabled Flex Flow takes it, and its SMS webhook is the handler."""
    config = account.config
    record = account.number(ref)
    if record is None:
        return missing_number(account, ref, check_id, title)
    e164 = record.phone_number
    expected_url, expected_method = config.handler.effective_sms_url, config.handler.method
    url, method = record.sms_url or "", record.sms_method or ""
    flows = enabled_flows(account, e164)
    evidence: dict[str, Any] = {
        "sid": record.sid,
        "number": e164,
        "sms_url": {"found": url, "expected": expected_url},
        "sms_method": {"found": method, "expected": expected_method},
        "enabled_flex_flows": [describe_flow(f) for f in flows],
    }
    problems: list[str] = []
    fixes: list[str] = []
    if flows:
        problem, fix = flows_problem(flows, config.flex_flows)
        problems.append(problem)
        fixes.append(fix)
    webhook_wrong = True
    if PROXY_MESSAGE_WEBHOOK.search(url):
        problems.append(
            "SmsUrl is Twilio's Proxy message webhook, so Flex's own handling still owns the number"
        )
    elif twilio_hosted(url):
        problems.append(
            "SmsUrl is a Twilio-hosted webhook, so Flex's own handling still owns the number"
        )
    elif not same_url(url, expected_url):
        problems.append(f"SmsUrl is {url or 'empty'}, not the handler {expected_url}")
    elif not same_method(method, expected_method):
        problems.append(f"SmsMethod is {method}, not {expected_method}")
    else:
        webhook_wrong = False
    if webhook_wrong:
        fixes.append(
            "run `pulumi up --refresh` for this stack to point the number's SMS webhook at the "
            "handler"
        )
    if problems:
        return Check(check_id, title, "fail", "; ".join(problems), evidence, sentence(fixes))
    detail = f"{e164} ({record.sid}) sends SMS to {method} {url}; no enabled Flex Flow takes it"
    return Check(check_id, title, "pass", detail, evidence)


def config_checks(account: Account) -> list[Check]:
    """The stack's settings, live: numbers, chat service, workspace, Workflow, channels, workers."""
    config = account.config
    checks = [_number(account, ref) for ref in config.numbers]
    checks.append(guarded("chat-service", "chat service webhooks", lambda: _chat_service(account)))
    return checks + taskrouter_checks(account)


def taskrouter_checks(account: Account) -> list[Check]:
    """The workspace, and the contact_uri Workflow, task channels and workers in it."""
    checks: list[Check] = []
    workspace = guarded("workspace", "TaskRouter workspace", lambda: _workspace(account))
    checks.append(workspace)
    dependents: list[tuple[str, str, Callable[[], Check]]] = [
        ("workflow", "contact_uri Workflow", lambda: _workflow(account)),
        ("task-channels", "task channels", lambda: _task_channels(account)),
        ("workers", "workers with a contact_uri", lambda: _workers(account)),
    ]
    for check_id, title, run in dependents:
        if workspace.status == "fail":
            checks.append(Check(check_id, title, "skipped", "because the workspace check failed"))
        else:
            checks.append(guarded(check_id, title, run))
    return checks


def _number(account: Account, ref: str) -> Check:
    check_id, title = f"number:{ref}", f"number {ref}"
    return guarded(check_id, title, lambda: number_check(account, ref, check_id, title))


def _chat_service(account: Account) -> Check:
    chat = account.config.chat_service
    handler = account.config.handler
    title = "chat service webhooks"
    service = account.chat_service()
    if service is None:
        return Check(
            "chat-service",
            title,
            "fail",
            f"chat service {chat.sid} does not exist",
            {"sid": chat.sid},
            "Set flexorch:chatService.sid to the Flex chat service of this account "
            "(Flex's configuration names it as chat_service_instance_sid).",
        )
    url = handler.effective_chat_url
    found = chat_service_settings(service)
    found["webhook_filters"] = sorted(found["webhook_filters"])
    expected: dict[str, Any] = {
        "webhook_method": handler.method,
        "webhook_filters": sorted(chat.webhook_filters),
    }
    # Without pre (post) events the stack leaves that URL as it was: only the others are judged.
    if chat.pre_events:
        expected["pre_webhook_url"] = url
    if chat.post_events:
        expected["post_webhook_url"] = url
    same = {"webhook_method": same_method, "webhook_filters": same_events}
    wrong = [k for k, v in expected.items() if not same.get(k, same_url)(found[k], v)]
    evidence: dict[str, Any] = {"sid": service.sid}
    evidence.update({k: {"found": found[k], "expected": v} for k, v in expected.items()})
    retries = {k: found[k] for k in ("pre_webhook_retry_count", "post_webhook_retry_count")}
    judged = [k for k in retries if k.split("_")[0] + "_webhook_url" in expected]
    off = [k for k in judged if retries[k] != chat.retry_count]
    evidence.update({k: {"found": retries[k], "expected": chat.retry_count} for k in judged})
    fix = "Run `pulumi up --refresh` for this stack to restore the chat service's webhooks."
    if wrong:
        listed = ", ".join(f"{k} is {found[k] or 'empty'!r}" for k in wrong)
        return Check(
            "chat-service",
            title,
            "fail",
            f"{service.sid} does not send its events to the handler as the stack says: {listed}",
            evidence,
            fix,
        )
    if off:
        listed = ", ".join(f"{k} is {retries[k]}" for k in off)
        return Check(
            "chat-service",
            title,
            "warn",
            f"{service.sid} retries differently from the stack ({listed}, not {chat.retry_count})",
            evidence,
            fix,
        )
    events = ", ".join(chat.webhook_filters)
    return Check(
        "chat-service",
        title,
        "pass",
        f"{service.sid} sends {events} to {handler.method} {url}",
        evidence,
    )


def _workspace(account: Account) -> Check:
    ref = account.config.workspace
    found = account.workspaces()
    title = "TaskRouter workspace"
    if len(found) == 1:
        ws = found[0]
        return Check(
            "workspace",
            title,
            "pass",
            f'{ws.sid} "{ws.friendly_name}"',
            {"sid": ws.sid, "friendly_name": ws.friendly_name},
        )
    if not found:
        return Check(
            "workspace",
            title,
            "fail",
            f"no TaskRouter workspace {ref.describe()}",
            {"looked_up": ref.describe()},
            "Set flexorch:workspace to the Flex workspace of this account "
            '(usually friendlyName: "Flex Task Assignment").',
        )
    sids = [w.sid for w in found]
    return Check(
        "workspace",
        title,
        "fail",
        f"{len(found)} workspaces are named {ref.describe()}",
        {"sids": sids},
        "Set flexorch:workspace.sid to the Flex workspace's SID.",
    )


def _workflow(account: Account) -> Check:
    config = account.config
    title = "contact_uri Workflow"
    name = config.workflow.friendly_name
    found = account.workflows()
    ws = account.workspace()
    if not found:
        return Check(
            "workflow",
            title,
            "fail",
            f'no Workflow named "{name}" in {ws.sid}',
            {"workspace": ws.sid, "friendly_name": name},
            "Run `pulumi up --refresh` for this stack: it creates the contact_uri Workflow.",
        )
    if len(found) > 1:
        return Check(
            "workflow",
            title,
            "fail",
            f'{len(found)} Workflows are named "{name}"',
            {"sids": [w.sid for w in found]},
            "Delete the Workflows this stack does not own (`pulumi stack export` names its one).",
        )
    workflow = found[0]
    document = attributes_of(workflow.configuration)
    filters = document.get("task_routing", {}).get("filters", [])
    target = target_expression(config)
    matching = [
        f
        for f in filters
        if any(_norm(t.get("expression")) == _norm(target) for t in f.get("targets", []))
    ]
    targets = [t.get("expression") for f in filters for t in f.get("targets", [])]
    evidence: dict[str, Any] = {
        "sid": workflow.sid,
        "target": {"found": targets, "expected": target},
    }
    fix = "Run `pulumi up --refresh` for this stack to restore the Workflow's document."
    if not matching:
        return Check(
            "workflow",
            title,
            "fail",
            f"{workflow.sid} does not route on {target}, so tasks do not reach the agent they name",
            evidence,
            fix,
        )
    wanted = filter_expression(config)
    evidence["filter"] = {"found": matching[0].get("expression"), "expected": wanted}
    if _norm(matching[0].get("expression")) != _norm(wanted):
        return Check(
            "workflow",
            title,
            "warn",
            f"{workflow.sid}'s filter is {matching[0].get('expression')!r}, the "
            f"stack's is {wanted!r}",
            evidence,
            fix,
        )
    return Check("workflow", title, "pass", f'{workflow.sid} "{name}" routes on {target}', evidence)


def _task_channels(account: Account) -> Check:
    title = "task channels"
    found = {c.unique_name: c.sid for c in account.task_channels()}
    wanted = [c.unique_name for c in account.config.task_channels]
    missing = [name for name in wanted if name not in found]
    evidence = {"found": {n: found[n] for n in wanted if n in found}, "missing": missing}
    if missing:
        return Check(
            "task-channels",
            title,
            "fail",
            f"TaskChannel {', '.join(missing)} does not exist in the workspace",
            evidence,
            "Run `pulumi up --refresh` for this stack to create the task channels.",
        )
    detail = ", ".join(f"{n} {found[n]}" for n in wanted) or "the stack declares none"
    return Check("task-channels", title, "pass", detail, evidence)


def _workers(account: Account) -> Check:
    title = "workers with a contact_uri"
    uris = account.contact_uris()
    evidence: dict[str, Any] = {
        "workers": len(account.workers()),
        "contact_uris": {u: [w.sid for w in ws] for u, ws in sorted(uris.items())[:EXAMPLES]},
    }
    if not uris:
        return Check(
            "workers",
            title,
            "warn",
            "no worker has a contact_uri attribute, so no task can name its agent",
            evidence,
            "Have each agent log in to Flex once (Flex sets contact_uri on the worker) "
            "or add contact_uri to the workers' attributes.",
        )
    duplicates = {u: ws for u, ws in uris.items() if len(ws) > 1}
    if duplicates:
        uri, workers = sorted(duplicates.items())[0]
        evidence["duplicates"] = {u: [w.sid for w in ws] for u, ws in sorted(duplicates.items())}
        return Check(
            "workers",
            title,
            "warn",
            f"contact_uri {uri} is on {len(workers)} workers "
            f"({', '.join(w.sid for w in workers)}), so its tasks may go to either",
            evidence,
            "Give every worker its own contact_uri (delete the duplicate workers).",
        )
    listed = ", ".join(sorted(uris)[:EXAMPLES])
    return Check(
        "workers", title, "pass", f"{len(uris)} workers with a contact_uri: {listed}", evidence
    )


def _norm(expression: Any) -> str:
    return " ".join(str(expression or "").split())
