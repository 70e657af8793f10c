"""`pulumi import` of a Workflow or a TaskChannel by the SID the Twilio Console shows.

On import the engine calls `read` with the id the user typed and no inputs or state
(pkg/resource/deploy/step.go, `ImportStep.Apply`, pulumi 3.274.1), so the workspace the object
lives in is not known. Flex has one TaskRouter workspace, but an account may hold more: each is
asked in turn for the SID, and `WS.../WW...` (or `WS.../TC...`) names the one to ask.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from twilio.rest import Client

from flexorch.errors import FlexorchError
from flexorch.lookups import PAGE_SIZE
from flexorch.twilio_client import twilio_call

_WORKSPACE = re.compile(r"WS[0-9a-fA-F]{32}")


def import_id(id_: str, what: str, prefix: str) -> tuple[str, str]:
    """The workspace ("" when not given) and the SID of `id_`, `WW...` or `WS.../WW...`.

    Raises:
        FlexorchError: when `id_` is neither, saying what to give instead.
    """
    workspace, _, sid = id_.strip().rpartition("/")
    if re.fullmatch(prefix + r"[0-9a-fA-F]{32}", sid) and (
        not workspace or _WORKSPACE.fullmatch(workspace)
    ):
        return workspace, sid
    raise FlexorchError(
        f'{what} "{id_}": is not a {what} SID; import it by the SID the Twilio Console shows '
        f"({prefix} followed by 32 hex digits), or as WS.../{prefix}... to name its workspace"
    )


def find_imported(
    client: Client, id_: str, what: str, prefix: str, collection: Callable[[Any], Any]
) -> tuple[str, Any]:
    """The workspace holding the object `id_`, and the object as Twilio has it.

    `collection(workspace)` is the workspace's list resource of that kind (`.workflows`).

    Raises:
        FlexorchError: when no workspace of the account holds it, naming the SID and the account.
    """
    workspace, sid = import_id(id_, what, prefix)
    if workspace:
        candidates = [workspace]
    else:
        with twilio_call(f"{what} {sid}", "list the account's TaskRouter workspaces"):
            candidates = [w.sid for w in client.taskrouter.v1.workspaces.list(page_size=PAGE_SIZE)]
    for candidate in candidates:
        found = None
        with twilio_call(f"{what} {sid}", "read", missing_ok=True):  # 404: not this workspace
            found = collection(client.taskrouter.v1.workspaces(candidate))(sid).fetch()
        if found is not None:
            return candidate, found
    where = f"workspace {workspace}" if workspace else _workspaces(candidates)
    raise FlexorchError(
        f"{what} {sid}: not found in {where} of account {client.account_sid}; check the SID "
        "in the Twilio Console (TaskRouter > Workspaces) and that the provider's credentials "
        "(flexorch:accountSid, or TWILIO_ACCOUNT_SID) are that account's"
    )


def _workspaces(sids: list[str]) -> str:
    if not sids:
        return "any TaskRouter workspace (the account has none)"
    return f"any TaskRouter workspace ({', '.join(sids)})"
