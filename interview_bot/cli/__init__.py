"""The ``interview-bot`` command: thin doors onto :class:`interview_bot.bot.InterviewBot`."""

from __future__ import annotations

from interview_bot.cli import (  # noqa: F401  (importing registers the commands)
    bank_commands,
    grade_commands,
    practice_commands,
    search_commands,
    settings_commands,
)
from interview_bot.cli.app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
