"""One doctor run: the sections a run needs, read through one client, as one report.

The stack's platform picks the checks: Programmable Chat (Flex UI 1.x) or Flex Conversations.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from flexorch.config import StackConfig
from flexorch.doctor.account import Account, endpoint, requests_made
from flexorch.doctor.checks import config_checks
from flexorch.doctor.conversations import ConversationsWalk
from flexorch.doctor.conversations_account import ConversationsAccount
from flexorch.doctor.conversations_checks import config_checks as conversations_config
from flexorch.doctor.conversations_hygiene import hygiene_checks as conversations_hygiene
from flexorch.doctor.hygiene import hygiene_checks
from flexorch.doctor.report import Check, Report, Section
from flexorch.doctor.steps import Steps
from flexorch.doctor.walk import Walk
from flexorch.twilio_facts import CONVERSATIONS


def run_doctor(
    config: StackConfig,
    client: Any,
    *,
    stack: str = "",
    source: str = "",
    message: str | None = None,
    sender: str | None = None,
    now: datetime | None = None,
) -> Report:
    """Check the account `client` reads against `config`; walk a message when one is named.

    Raises:
        TwilioUnreachable: when Twilio cannot be reached or rejects the credentials.
    """
    started = time.monotonic()
    now = now or datetime.now(UTC)
    conversations = (
        ConversationsAccount(client, config) if config.platform == CONVERSATIONS else None
    )
    account = conversations or Account(client, config)
    sections: list[Section] = []
    judged: list[str] = []
    walked: dict[str, str] | None = None
    if message or sender:
        walk: Steps = (
            ConversationsWalk(conversations, message, sender)
            if conversations is not None
            else Walk(account, message, sender)
        )
        checks = walk.run()
        if walk.message is not None:
            walked = {"sid": walk.message.sid, "from": walk.message.from_, "to": walk.message.to}
        judged = walk.judged()
        heading = (
            f"message {walked['sid']} from {walked['from']} to {walked['to']}"
            if walked
            else f"message {message or 'from ' + str(sender)}"
        )
        sections.append(Section("message", tuple(checks), heading))
    elif conversations is not None:
        sections.append(Section("config", tuple(conversations_config(conversations)), "config"))
        # The config section judged every managed number's address.
        judged = list(conversations.managed_numbers())
    else:
        sections.append(Section("config", tuple(config_checks(account)), "config"))
    hygiene: list[Check] = (
        conversations_hygiene(conversations, now, judged)
        if conversations is not None
        else hygiene_checks(account, now, judged)
    )
    sections.append(Section("hygiene", tuple(hygiene), "hygiene"))
    return Report(
        stack=stack,
        source=source,
        account_sid=account.account_sid,
        endpoint=endpoint(),
        sections=tuple(sections),
        message=walked,
        requests=requests_made(client),
        seconds=time.monotonic() - started,
    )
