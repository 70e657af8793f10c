"""Doctor's and migrate's text: golden plain output, a terminal's, wrapping, escaping, the spinner.

The golden files live in tests/golden-text/; these tests only compare them. After an intended
change, regenerate them (and README's Doctor example) with `scripts/regenerate-golden-text`.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from helpers import (
    README_TEXT,
    ROOT,
    SANDBOX_SOURCE,
    TEXT_GOLDEN,
    CliResult,
    readme_block,
    run_cli,
    text_goldens,
)
from rich.cells import cell_len

from flexorch.doctor.report import Check, Report, Section
from flexorch.doctor.text import breaks, console, progress, render, render_text, write_report
from flexorch.sandbox.platforms.programmable_chat import scenarios

REGENERATE = "scripts/regenerate-golden-text"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def goldens() -> dict[str, str]:
    return text_goldens()


@pytest.mark.parametrize(
    "name",
    [
        "doctor-walk-step7-agent-not-member.txt",
        "doctor-config-all-pass.txt",
        "migrate-flex-account.txt",
    ],
)
def test_golden(name: str, goldens: dict[str, str]) -> None:
    path = TEXT_GOLDEN / name
    assert path.is_file(), f"no {path}; run {REGENERATE}"
    assert goldens[name] == path.read_text(encoding="utf-8"), f"{name} differs; run {REGENERATE}"


def test_the_golden_files_are_exactly_the_cases(goldens: dict[str, str]) -> None:
    assert sorted(p.name for p in TEXT_GOLDEN.iterdir()) == sorted(goldens)


def test_readme_shows_the_golden_walk() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    golden = (TEXT_GOLDEN / README_TEXT).read_text(encoding="utf-8")
    assert readme_block(golden) in readme, f"README's Doctor example differs; run {REGENERATE}"


def test_plain_text_is_ascii_without_control_characters_within_80_columns(
    goldens: dict[str, str],
) -> None:
    for name, text in goldens.items():
        assert text.isascii(), name
        assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f]", text), name
        for line in text.splitlines():
            assert len(line) <= 80 or " " not in line.strip(), (name, line)
            assert line == line.rstrip(), (name, line)


def walked() -> Any:
    from helpers import doctor_report

    from flexorch.loading import load_stack_file

    config = load_stack_file(ROOT / SANDBOX_SOURCE).config
    return doctor_report(scenarios.agent_not_member(), config, sender=scenarios.CUSTOMER)


@pytest.mark.parametrize("width", [80, 200])
def test_a_terminal_gets_colour_and_unicode_marks_wrapped_to_its_width(width: int) -> None:
    text = render_text(walked(), terminal=True, width=width)
    assert "\x1b[1;31mFAIL     \x1b[0m" in text
    plain = ANSI.sub("", text)
    assert "\x1b" not in plain
    assert "✓ received → ✓ number → - proxy → ✓ channel" in plain
    assert "✗ agent" in plain
    assert max(cell_len(line) for line in plain.splitlines()) <= width
    lines = plain.splitlines()
    assert lines[0] == "flexorch doctor: FAILED: 7. agent accepted and joined"
    # The wider the terminal, the fewer lines: the detail wraps to its width.
    assert len(lines) < len(render_text(walked(), width=60).splitlines())


def test_the_walk_breaks_between_steps_each_line_starting_with_the_arrow() -> None:
    lines = render_text(walked(), width=60).splitlines()
    at = lines.index("  received -> number -> proxy (skipped) -> channel")
    picture = lines[at : lines.index("", at)]
    assert len(picture) > 1
    assert all(line.startswith("  -> ") for line in picture[1:])
    assert all(len(line) <= 60 for line in picture)


def test_twilio_data_cannot_write_control_characters_to_the_terminal() -> None:
    check = Check("x", "a check", "fail", "body \x1b[2Jgone\x07", {"k": "\x1b]0;t\x07"}, "Fix.")
    report = Report("s", "f", "AC1", "https://x", (Section("config", (check,)),))
    for terminal in (False, True):
        text = ANSI.sub("", render_text(report, terminal=terminal))
        assert "\x07" not in text and "\x1b" not in text
        assert "body \\x1b[2Jgone\\x07" in text


def test_a_word_longer_than_the_line_stays_whole() -> None:
    url = "https://handler.example.com/" + "x" * 90
    text = f"the SmsUrl is {url} now"
    assert breaks(text, 40) == [text.index(url), text.index(" now") + 1]


def test_json_never_loads_rich() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, flexorch.cli, flexorch.doctor, flexorch.migrate; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'rich'))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout == "[]\n"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_spinner_counts_reads_on_a_terminals_stderr_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "stderr", Terminal())
    count = iter(range(100))
    with progress("reading account AC1", lambda: next(count)):
        pass
    spun = sys.stderr.getvalue()
    assert "reading account AC1: " in spun and " read-only request" in spun
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    with progress("reading account AC1", lambda: 0):
        pass
    assert sys.stderr.getvalue() == ""


def test_doctor_on_a_terminal_prints_colour_and_spins_on_stderr(
    capsys: pytest.CaptureFixture[str], use: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    use(scenarios.all_pass())
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # rich's word for "this is a terminal"
    monkeypatch.setattr(sys, "stderr", Terminal())
    result: CliResult = run_cli(capsys, "doctor", "--config", ROOT / SANDBOX_SOURCE)
    assert result.code == 0
    assert result.out.startswith("flexorch doctor: \x1b[32mall passed\x1b[0m\n")
    assert "read-only requests" in sys.stderr.getvalue()


def test_a_console_says_what_it_writes_to() -> None:
    plain, terminal = io.StringIO(), io.StringIO()
    write_report(console(plain, terminal=False, width=80), walked())
    write_report(console(terminal, terminal=True, width=80), walked())
    assert plain.getvalue() == render(lambda out: write_report(out, walked()))
    assert ANSI.sub("", terminal.getvalue()) != plain.getvalue()  # Unicode marks, not ASCII
