"""The data of an interview session: how it was started, where it stands, and what it hands
its doors (the question on screen, a turn, a summary)."""

from __future__ import annotations

import random
from typing import Literal

from pydantic import BaseModel, Field

from interview_bot.grading.result import Grade
from interview_bot.knowledge.models import Difficulty

Action = Literal[
    "start",
    "resume",
    "answer",
    "followup",
    "hint",
    "skip",
    "show_answer",
    "repeat",
    "end",
    "ask",
    "question",
    "empty",
]


class SessionConfig(BaseModel):
    """How an interview was started; stored as the session's settings (never an API key)."""

    bank: str = "default"
    topics: list[str] = Field(default_factory=list)
    difficulty: Difficulty | None = None
    length: int = Field(default=10, ge=1, le=500)
    adaptive: bool = False
    llm: str | None = None
    base_url: str | None = None
    seed: int = Field(default_factory=lambda: random.randrange(1 << 30))
    plan: list[str] = Field(default_factory=list)


class SessionState(BaseModel):
    current: str | None = None
    reason: str = ""
    followup: str | None = None  # the missed key point the follow-up asks about
    hints: int = 0
    last_topic: str | None = None


class Prompt(BaseModel):
    """The question on screen."""

    question_id: str
    text: str
    topic: str
    difficulty: str | None
    number: int
    total: int
    reason: str
    followup: bool = False


class ScoredQuestion(BaseModel):
    question: str
    topic: str
    fraction: float


class TopicScore(BaseModel):
    """A topic of one interview: scored answers and their mean, skipped questions apart."""

    topic: str
    attempts: int
    mean_fraction: float | None
    skipped: int = 0


class Summary(BaseModel):
    """An interview in figures: ``mean_fraction`` is over the ``scored`` answers only."""

    session_id: int
    number: int = 0  # the interview's number among its owner's (ProgressStore.number)
    answered: int
    skipped: int
    scored: int = 0
    hinted: int = 0
    followups: int = 0  # answers to follow-up questions: graded, but not in the figures
    mean_fraction: float | None
    topics: list[TopicScore]
    strongest: list[ScoredQuestion]
    weakest: list[ScoredQuestion]


class Exchange(BaseModel):
    """One stored attempt as a door replays it after a reload: the question as asked, the
    answer, its grade card and the hints shown before it."""

    number: int
    total: int  # questions in the interview, as its prompts said ("Question 2 of 5")
    question: str
    topic: str
    kind: Literal["answer", "followup", "skip"]
    answer: str
    grade: Grade | None = None
    hints: int = 0


class Turn(BaseModel):
    """What one user action produced, in display order: notice, grade, reference, prompt,
    summary. ``notice`` and ``reference`` may hold bank Markdown; doors escape raw HTML.
    ``hints`` is how many hints were shown before the graded answer."""

    action: Action
    notice: str | None = None
    grade: Grade | None = None
    hints: int = 0
    reference: str | None = None
    prompt: Prompt | None = None
    summary: Summary | None = None
