"""What the practice layer needs of the bot: the doors and tests pass anything that has it."""

from __future__ import annotations

from typing import Protocol

from interview_bot.grading.choice import GraderChoice
from interview_bot.grading.result import Grade
from interview_bot.knowledge.models import CanonicalQuestion, SearchHit


class Bot(Protocol):
    """What a session needs of :class:`interview_bot.bot.InterviewBot`."""

    def gradable(self, bank: str | None = None) -> list[CanonicalQuestion]: ...

    def grade(
        self,
        answer: str,
        *,
        question_id: str | None = None,
        question: str | None = None,
        reference: str | None = None,
        bank: str | None = None,
        grader: GraderChoice | None = None,
    ) -> Grade: ...

    def search(self, query: str, k: int = 5, bank: str | None = None) -> list[SearchHit]: ...
