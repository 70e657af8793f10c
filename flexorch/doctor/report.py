"""The doctor's verdicts: checks, sections, the report and its `--json` document.

The text for people is `flexorch.doctor.text`'s, loaded only when text is printed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from flexorch.errors import FlexorchError, TwilioUnreachable

Status = Literal["pass", "fail", "warn", "skipped"]
STATUS_ORDER: tuple[Status, ...] = ("pass", "fail", "warn", "skipped")
SCHEMA = "flexorch-doctor/1"
# How many examples a check lists in its evidence.
EXAMPLES = 5


@dataclass(frozen=True)
class Check:
    """One check's verdict."""

    id: str
    title: str
    status: Status
    detail: str
    evidence: dict[str, Any] = field(default_factory=dict)
    fix: str = ""

    def to_json(self) -> dict[str, Any]:
        """The check as it appears in `--json` output."""
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "evidence": self.evidence,
            "fix": self.fix or None,
        }


@dataclass(frozen=True)
class Label:
    """A check's id and title, bound once: each of its verdicts is made from it."""

    id: str
    title: str

    def check(
        self, status: Status, detail: str, evidence: dict[str, Any] | None = None, fix: str = ""
    ) -> Check:
        """This check's verdict."""
        return Check(self.id, self.title, status, detail, {} if evidence is None else evidence, fix)


@dataclass(frozen=True)
class Section:
    """A named group of checks: `config`, `message` or `hygiene`."""

    name: str
    checks: tuple[Check, ...]
    heading: str = ""


@dataclass(frozen=True)
class Report:
    """Everything one doctor run found."""

    stack: str
    source: str
    account_sid: str
    endpoint: str
    sections: tuple[Section, ...]
    message: dict[str, str] | None = None
    requests: int = 0
    seconds: float = 0.0

    @property
    def checks(self) -> list[Check]:
        """Every check, in order."""
        return [check for section in self.sections for check in section.checks]

    def check(self, check_id: str) -> Check:
        """The check with this id."""
        for check in self.checks:
            if check.id == check_id:
                return check
        raise KeyError(check_id)

    @property
    def exit_code(self) -> int:
        """1 when a check failed, else 0 (warnings and skipped checks do not fail)."""
        return 1 if any(c.status == "fail" for c in self.checks) else 0

    def counts(self) -> dict[str, int]:
        """How many checks have each status."""
        return {status: sum(c.status == status for c in self.checks) for status in STATUS_ORDER}

    def to_json(self) -> dict[str, Any]:
        """The stable machine-readable document printed by `--json`."""
        return {
            "schema": SCHEMA,
            "stack": self.stack,
            "source": self.source,
            "account_sid": self.account_sid,
            "endpoint": self.endpoint,
            "message": self.message,
            "exit_code": self.exit_code,
            "counts": self.counts(),
            "requests": self.requests,
            "sections": [
                {"name": s.name, "checks": [c.to_json() for c in s.checks]} for s in self.sections
            ],
            "error": None,
        }


# Drift the stack already corrects: a refresh sees the change, and the up undoes it.
REFRESH = "run `pulumi up --refresh` for this stack"


def refresh(what: str) -> str:
    """The fix a refreshing `pulumi up` of the stack makes: `what` it does, after "to"."""
    return f"{REFRESH} to {what}"


def sentence(parts: list[str]) -> str:
    """Fixes joined into one sentence, as a check's `fix` reads.

    Those a refreshing `pulumi up` makes (`refresh`) name the command once, where the first
    of them stands, then what it does for each: "Run `pulumi up --refresh` for this stack to
    disable the Flex Flow again and point the number's SMS webhook at the handler."
    """
    lead = f"{REFRESH} to "
    does = list(dict.fromkeys(p.removeprefix(lead) for p in parts if p.startswith(lead)))
    listed = " and ".join([", ".join(does[:-1]), does[-1]] if len(does) > 1 else does)
    first = next((i for i, p in enumerate(parts) if p.startswith(lead)), None)
    merged = [
        lead + listed if i == first else part
        for i, part in enumerate(parts)
        if i == first or not part.startswith(lead)
    ]
    text = " and ".join(p for p in merged if p)
    return text[:1].upper() + text[1:] + "." if text else ""


def error_document(
    error: FlexorchError,
    *,
    stack: str,
    source: str,
    endpoint: str,
    account_sid: str | None = None,
    requests: int = 0,
) -> dict[str, Any]:
    """The `--json` document of a run that stopped before any check (exit 2 or 3).

    The same schema as a report's, with no sections and `error` saying why: `usage` for bad
    arguments or config (exit 2), `twilio` for Twilio unreachable or credentials rejected (3).
    """
    return {
        "schema": SCHEMA,
        "stack": stack,
        "source": source,
        "account_sid": account_sid,
        "endpoint": endpoint,
        "message": None,
        "exit_code": error.exit_code,
        "counts": dict.fromkeys(STATUS_ORDER, 0),
        "requests": requests,
        "sections": [],
        "error": {
            "kind": "twilio" if isinstance(error, TwilioUnreachable) else "usage",
            "problems": list(error.problems),
        },
    }
