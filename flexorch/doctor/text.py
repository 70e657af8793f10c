"""Doctor's and migrate's reports for people: the verdict first, then what to fix, then the rest.

Rich draws them, and only this module imports it, which only the text output loads: `--json`
starts as fast as before. One layout in two modes: a terminal gets colour and Unicode marks; a
pipe or a file gets plain ASCII without control characters, for logs, `grep` and tickets. Both
wrap to the width (a pipe's is `COLUMNS`, else 80); a word longer than a line (a URL) is left
whole, so it can be copied.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from flexorch.doctor.report import Check, Report, Section, Status

STYLES: dict[Status, str] = {
    "pass": "green",
    "fail": "bold red",
    "warn": "yellow",
    "skipped": "dim",
}
# A problem's status shouts, so the eye finds it in plain text too.
WORDS: dict[Status, str] = {"pass": "pass", "fail": "FAIL", "warn": "WARN", "skipped": "skipped"}
TAG = max(map(len, WORDS.values())) + 2
"""The width of the status column; a check's lines are indented by it."""
WORD = re.compile(r"\s*\S+\s*")
# The walk's hint, where the config section stands in for it.
WALK_HINT = (
    "Walk one message with --message SM... or --from +E164 to check its path from SMS to agent."
)


@dataclass(frozen=True)
class Marks:
    """What a mode draws with: a terminal's Unicode, or ASCII for anything else."""

    arrow: str
    ellipsis: str
    steps: Mapping[Status, str]
    """How the walk's picture marks a step: `{name}` filled in."""
    table: box.Box


TERMINAL = Marks(
    arrow=" → ",
    ellipsis="…",
    steps={"pass": "✓ {name}", "fail": "✗ {name}", "warn": "! {name}", "skipped": "- {name}"},
    table=box.ROUNDED,
)
PLAIN = Marks(
    arrow=" -> ",
    ellipsis="...",
    # Unmarked is passed: the marks point at what is not, and the line stays short.
    steps={
        "pass": "{name}",
        "fail": "{name} (FAIL)",
        "warn": "{name} (WARN)",
        "skipped": "{name} (skipped)",
    },
    table=box.ASCII2,
)


def console(
    file: Any = None,
    *,
    terminal: bool | None = None,
    width: int | None = None,
    stderr: bool = False,
) -> Console:
    """A console on `file` (else stdout, or stderr), a terminal if it is one or `terminal` says.

    Markup, emoji codes and highlighting are off: Twilio's data (a message body, a friendly
    name) is printed as it is, never read as rich's markup.
    """
    return Console(
        file=file,
        stderr=stderr,
        force_terminal=terminal,
        color_system=None if terminal is False else "auto",
        width=width,
        markup=False,
        emoji=False,
        highlight=False,
    )


def printable(text: str) -> str:
    r"""`text` with control characters escaped (as `\x1b`): Twilio's data may hold them."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


class Page:
    """A report being written to a console, block by block, each block after a blank line."""

    def __init__(self, out: Console) -> None:
        """Write to `out`: a terminal's marks and colours if it is one, else plain ASCII."""
        self.out = out
        self.marks = TERMINAL if out.is_terminal else PLAIN
        self.started = False

    @property
    def width(self) -> int:
        """The line length everything wraps to."""
        return max(self.out.width, 40)

    def block(self) -> None:
        """Start a block: a blank line after the one before."""
        if self.started:
            self.out.print()
        self.started = True

    def line(self, text: Text | str, indent: int = 0, first: Text | str = "") -> None:
        """`text` wrapped to the width after `first`, each following line indented by `indent`."""
        head = Text(first) if isinstance(first, str) else first
        body = Text(printable(text)) if isinstance(text, str) else text
        for number, part in enumerate(body.divide(breaks(body.plain, self.width - indent))):
            part.rstrip()
            prefix = head if number == 0 else Text(" " * indent)
            self.out.print(Text.assemble(prefix.copy(), part), crop=False, soft_wrap=True)

    def tag(self, status: Status) -> Text:
        """A check's status in its column."""
        return Text(WORDS[status].ljust(TAG), style=STYLES[status])

    def verdict(self, report: Report, command: str, bad: str, good: str) -> None:
        """What is wrong (or that nothing is), how many of each, and where it was read."""
        failed = [c for c in report.checks if c.status == "fail"]
        warned = [c for c in report.checks if c.status == "warn"]
        verdict = Text(f"flexorch {command}: ")
        if failed:
            more = f" (and {plural(len(failed) - 1, 'more failure')})" if len(failed) > 1 else ""
            verdict.append(f"{bad}: ", style=STYLES["fail"])
            verdict.append(printable(failed[0].title) + more)
        elif warned:
            verdict.append(f"{good}, ", style=STYLES["pass"])
            titles = "; ".join(printable(c.title) for c in warned)
            verdict.append(f"{plural(len(warned), 'warning')}: {titles}", style=STYLES["warn"])
        else:
            verdict.append(f"{good}", style=STYLES["pass"])
        self.block()
        self.line(verdict, indent=2)
        counts = report.counts()
        self.line(
            Text(
                f"{counts['fail']} failed, {plural(counts['warn'], 'warning')}, "
                f"{counts['pass']} passed, {counts['skipped']} skipped; exit {report.exit_code}",
                style="dim",
            ),
            indent=2,
        )
        where = (
            f"stack {report.stack} ({report.source}), {report.requests} read-only requests in "
            f"{report.seconds:.1f} s",
            f"account {report.account_sid} at {report.endpoint}",
        )
        for line in where:
            self.line(Text(printable(line), style="dim"), indent=2)

    def walk(self, section: Section) -> None:
        """The walk's steps as one line of names, each marked with its status."""
        self.block()
        self.line(Text(printable(section.heading or section.name), style="bold"))
        arrow = Text(self.marks.arrow.lstrip())
        steps = [
            Text(
                self.marks.steps[c.status].format(name=printable(step_name(c))),
                style=STYLES[c.status],
            )
            for c in section.checks
        ]
        # Packed by hand, so a line breaks between steps and the next line starts with the arrow.
        current = Text("  ")
        for number, step in enumerate(steps):
            joined = step if number == 0 else Text.assemble(Text(self.marks.arrow), step)
            if number and current.cell_len + joined.cell_len > self.width:
                self.out.print(current, crop=False, soft_wrap=True)
                current = Text.assemble(Text("  "), arrow, step)
            else:
                current.append_text(joined)
        self.out.print(current, crop=False, soft_wrap=True)

    def problems(self, report: Report) -> None:
        """Each failed check, then each warning: what was found, its evidence and the fix."""
        for status in ("fail", "warn"):
            for check in report.checks:
                if check.status == status:
                    self.block()
                    self.check(check, evidence=True)

    def check(self, check: Check, evidence: bool) -> None:
        """A check in full: its title, detail and, as asked, evidence and fix."""
        self.line(Text(printable(check.title), style="bold"), TAG, self.tag(check.status))
        indent = " " * TAG
        self.line(check.detail, TAG, indent)
        if evidence and check.evidence:
            self.line(f"evidence: {show_evidence(check.evidence)}", TAG, indent)
        if check.fix and check.status in ("fail", "warn"):
            self.line(Text.assemble(Text("fix: ", style="bold"), printable(check.fix)), TAG, indent)

    def passing(self, report: Report, verbose: bool, leave_out: Iterable[str] = ()) -> None:
        """Per section, each check that passed or was skipped: one line, or in full if verbose."""
        left_out = set(leave_out)
        for section in report.sections:
            checks = [
                c
                for c in section.checks
                if c.status in ("pass", "skipped") and c.id not in left_out
            ]
            if not checks:
                continue
            self.block()
            self.line(Text(section.name, style="bold"))
            title = max(len(c.title) for c in checks)
            for check in checks:
                if verbose:
                    self.check(check, evidence=True)
                    continue
                head = Text.assemble(
                    self.tag(check.status), Text(printable(check.title).ljust(title + 2))
                )
                self.out.print(self.clip(head, printable(check.detail)), crop=False)

    def clip(self, head: Text, detail: str) -> Text:
        """`head` and `detail` on one line, the detail cut short at the width."""
        room = self.width - head.cell_len
        if len(detail) > room:
            ellipsis = self.marks.ellipsis
            detail = detail[: max(room - len(ellipsis), 0)].rstrip() + ellipsis
        return Text.assemble(head, Text(detail, style="dim"))

    def table(
        self, title: str, headers: Sequence[str], rows: Sequence[tuple[Status, Sequence[str]]]
    ) -> None:
        """Rows of cells under their headers, the first cell in its row's status colour.

        The columns shrink to fit the width; a cell's word longer than its column is broken
        across lines (a table has no room to leave it whole), never cut short.
        """
        if not rows:
            return
        self.block()
        self.line(Text(title, style="bold"))
        table = Table(box=self.marks.table, show_lines=True, header_style="bold")
        for header in headers:
            table.add_column(header, overflow="fold")
        for status, (first, *rest) in rows:
            table.add_row(
                Text(printable(first), style=STYLES[status]), *(Text(printable(c)) for c in rest)
            )
        self.out.print(table)

    def numbered(self, title: str, items: Sequence[str]) -> None:
        """A numbered list (items are `N. text`), each item's lines under its text."""
        self.block()
        self.line(Text(title, style="bold"))
        for item in items:
            number, _, text = item.partition(" ")
            self.line(text, 2 + len(number) + 1, Text(f"  {number} ", style="bold"))

    def hint(self, text: str) -> None:
        """A closing suggestion."""
        self.block()
        self.line(Text(text, style="dim"))


def breaks(text: str, width: int) -> list[int]:
    """Where `text` wraps to lines of `width` cells: at spaces, and never inside a word.

    A word longer than a line (a URL, a SID list) gets a line of its own, past the width, so it
    can still be copied whole.
    """
    offsets, used = [], 0
    for word in WORD.finditer(text):
        size = cell_len(word.group().rstrip())
        if used and used + size > width:
            offsets.append(word.start())
            used = 0
        used += cell_len(word.group())
    return offsets


def step_name(check: Check) -> str:
    """A walk step's name in the picture: its check id without the number (`7-agent`: agent)."""
    return check.id.split("-", 1)[-1]


def plural(count: int, noun: str) -> str:
    """`1 warning`, `2 warnings`."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def show_evidence(evidence: Mapping[str, Any]) -> str:
    """A check's evidence on one line: `key value; key value`, found vs expected where both."""

    def show(value: Any) -> str:
        if isinstance(value, Mapping) and set(value) == {"found", "expected"}:
            found, expected = show(value["found"]), show(value["expected"])
            return found if found == expected else f"{found} (expected {expected})"
        if isinstance(value, Mapping):
            return "{" + ", ".join(f"{k}: {show(v)}" for k, v in value.items()) + "}"
        if isinstance(value, list | tuple):
            return ", ".join(show(v) for v in value) if value else "none"
        return "none" if value is None or value == "" else str(value)

    return "; ".join(f"{key} {show(value)}" for key, value in evidence.items())


def write_report(out: Console, report: Report, verbose: bool = False) -> None:
    """Doctor's report: the verdict, the walk, the problems, then what passed."""
    page = Page(out)
    page.verdict(report, "doctor", "FAILED", "all passed")
    for section in report.sections:
        if section.name == "message":
            page.walk(section)
    page.problems(report)
    page.passing(report, verbose)
    if any(section.name == "config" for section in report.sections):
        page.hint(WALK_HINT)


def render(write: Callable[[Console], None], *, terminal: bool = False, width: int = 80) -> str:
    """What `write` prints, as a string: plain text, or a terminal's (with its control codes)."""
    buffer = io.StringIO()
    write(console(buffer, terminal=terminal, width=width))
    return buffer.getvalue()


def render_text(
    report: Report, *, terminal: bool = False, width: int = 80, verbose: bool = False
) -> str:
    """Doctor's report as text, plain unless `terminal`."""
    return render(lambda out: write_report(out, report, verbose), terminal=terminal, width=width)


@contextmanager
def progress(what: str, done: Callable[[], int]) -> Iterator[None]:
    """A spinner on stderr while the account is read, with the requests `done` so far.

    Only on a terminal: anything else (a log, a pipe) gets nothing.
    """
    err = console(stderr=True)
    if not err.is_terminal:
        yield
        return

    class Status:
        """Rendered at each refresh, so the count moves while the reads run."""

        def __rich__(self) -> Text:
            return Text(f"{printable(what)}: {plural(done(), 'read-only request')}", style="dim")

    with err.status(Status(), spinner="dots"):
        yield
