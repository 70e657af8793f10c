"""One doctor run: the sections a run needs, read through one client, as one report.

The stack's platform picks the checks, looked up once (`flexorch.doctor.platforms`).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from flexorch.config import StackConfig
from flexorch.doctor.account import endpoint, requests_made
from flexorch.doctor.platforms import for_stack
from flexorch.doctor.report import Report, Section


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
    platform = for_stack(config)
    account = platform.account(client, config)
    sections: list[Section] = []
    judged: list[str] = []
    walked: dict[str, str] | None = None
    if message or sender:
        walk = platform.walk(account, message, sender)
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
    else:
        sections.append(Section("config", tuple(platform.config_checks(account)), "config"))
        judged = platform.judged_by_config(account)
    hygiene = platform.hygiene_checks(account, now, judged)
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
