"""Errors meant for people: each says what went wrong and, where it can, what to do next.

The CLI turns an :class:`InterviewBotError` into exit code 2 and one line; the web app
shows it as a message. Anything else is a bug and is never swallowed.
"""

from __future__ import annotations

from pathlib import Path


class InterviewBotError(Exception):
    """Base class of every error that is the user's input or environment, not our bug."""


class LocatedError(InterviewBotError):
    """A problem in a file, located by file and line: ``file:line: message``."""

    def __init__(self, path: str | Path, line: int | None, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.message}"


class BankError(LocatedError):
    """A question bank file that cannot be used, located by file and line."""


class BankErrors(InterviewBotError):
    """Several bank problems found in one pass, reported together."""

    def __init__(self, errors: list[BankError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


class RubricError(InterviewBotError):
    """A rubric or prompt file in prompts/ that is missing or malformed."""


class StoreError(InterviewBotError):
    """The vector store is missing, unreachable or inconsistent."""


class LLMError(InterviewBotError):
    """An LLM backend could not be configured or reached."""


class ProgressError(InterviewBotError):
    """The progress database cannot be read or written."""
