"""The one user-facing error type: the CLI prints its lines as they are and exits 2."""

from __future__ import annotations


class FlexorchError(Exception):
    """A problem the user can fix; each line reads `flexorch:<key path>: <problem>; <fix>`."""

    exit_code = 2

    def __init__(self, problems: list[str] | str) -> None:  # noqa: D107 - the class says it
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class TwilioUnreachable(FlexorchError):
    """Twilio could not be reached or rejected the credentials (doctor's exit 3)."""

    exit_code = 3
