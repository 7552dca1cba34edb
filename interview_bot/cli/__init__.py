"""The ``interview-bot`` command: thin doors onto :class:`interview_bot.bot.InterviewBot`."""

from __future__ import annotations

from interview_bot.cli import bank_commands, grade_commands  # noqa: F401  (register commands)
from interview_bot.cli.app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
