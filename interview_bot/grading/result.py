"""The one result both graders return."""

from __future__ import annotations

from typing import Literal, Protocol

from pydantic import BaseModel, Field

from interview_bot.knowledge.models import GradedExample

ReferenceOrigin = Literal["bank", "given", "retrieved", "none"]


class CriterionScore(BaseModel):
    """Score on one rubric criterion, on that criterion's own 1..N level scale."""

    name: str
    score: float
    max_score: float
    weight: float
    rationale: str = ""


class SecondOpinion(BaseModel):
    """Another grader's score for the same answer, kept when it differs by a wide margin."""

    grader: str
    score: float
    max_score: float


class KeyPointResult(BaseModel):
    """Whether one key point of the reference was covered, and the answer text that shows it."""

    text: str
    covered: bool
    similarity: float | None = None
    evidence: str | None = None
    # missed, but measured just under the cut: the answer may say it in other words
    near_miss: bool = False


def work_on_order(points: list[KeyPointResult]) -> list[KeyPointResult]:
    """The missed points, those clearly missed first (each group in its importance order):
    what "Work on" names and a follow-up asks about; a near miss may be said in other words."""
    return sorted((k for k in points if not k.covered), key=lambda k: k.near_miss)


class Grade(BaseModel):
    """A graded answer: the score on the rubric's scale and everything needed to learn from it."""

    question: str
    answer: str
    score: float
    max_score: float
    criteria: list[CriterionScore] = Field(default_factory=list)
    key_points: list[KeyPointResult] = Field(default_factory=list)
    feedback: str = ""
    reference: str | None = None
    reference_origin: ReferenceOrigin = "none"
    reference_from: list[str] = Field(default_factory=list)  # questions a borrowed one is from
    question_id: str | None = None
    model_answer: str | None = None
    grader: str = "offline"
    fallback_reason: str | None = None
    rubric_version: str = ""
    graded: bool = True
    elapsed_ms: float = 0.0
    second_opinion: SecondOpinion | None = None  # set when another grader disagrees
    # set when the answer says what a graded example of the bank marks as a misconception
    misconception: str | None = None

    @property
    def covered(self) -> list[KeyPointResult]:
        return [k for k in self.key_points if k.covered]

    @property
    def missed(self) -> list[KeyPointResult]:
        return [k for k in self.key_points if not k.covered]

    @property
    def to_work_on(self) -> list[KeyPointResult]:
        return work_on_order(self.key_points)

    @property
    def fraction(self) -> float:
        return self.score / self.max_score if self.max_score else 0.0


class GradingTarget(BaseModel):
    """What an answer is graded against: the question, its reference and the key points."""

    question: str
    reference: str | None = None
    references: list[str] = Field(default_factory=list)  # each answer of a merged question
    key_points: list[str] = Field(default_factory=list)
    reference_origin: ReferenceOrigin = "none"
    # a bare bank question's reference is borrowed: the questions whose answers it takes
    reference_from: list[str] = Field(default_factory=list)
    question_id: str | None = None
    similarity: float | None = None
    examples: list[GradedExample] = Field(default_factory=list)  # nearest first


class Grader(Protocol):
    """Anything that grades: the offline grader, an LLM grader, a test double."""

    name: str

    def grade(self, target: GradingTarget, answer: str) -> Grade: ...
