"""The records of a question bank: what a parser yields and what the store holds."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Difficulty = Literal["basic", "intermediate", "advanced"]


def normalize_question(text: str) -> str:
    """Lowercased, punctuation-free form of a question, used for ids and exact-duplicate checks."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(text.split())


def content_id(*parts: str, prefix: str = "q") -> str:
    """Stable id from content: the same question text always gets the same id."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return f"{prefix}-{digest[:12]}"


class SourceRef(BaseModel):
    """Where a record came from: a bank file and the 1-based line its question starts on."""

    model_config = ConfigDict(frozen=True)

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


class GradedExample(BaseModel):
    """A graded answer to a question: evidence for graders and, graded low with a ``why``,
    a known misconception the grade card can name."""

    model_config = ConfigDict(frozen=True)

    answer: str = Field(min_length=1)
    score: float = Field(ge=0)
    max_score: float = Field(default=5, gt=0)
    why: str | None = None

    @model_validator(mode="after")
    def _score_in_range(self) -> GradedExample:
        if self.score > self.max_score:
            raise ValueError(f"score {self.score:g} is above max_score {self.max_score:g}")
        return self


class Question(BaseModel):
    """One question as parsed from one file, before cross-file merging."""

    model_config = ConfigDict(frozen=True)

    id: str
    question: str = Field(min_length=3)
    short_answer: str | None = None
    explanation: str | None = None
    topic: str | None = None
    difficulty: Difficulty | None = None
    source: SourceRef
    format: str
    examples: list[GradedExample] = Field(default_factory=list)
    # questions of the bank that ask the same thing in other words, as the author declared:
    # merged with this one however far apart their wordings are
    same_as: list[str] = Field(default_factory=list)

    @field_validator("question")
    @classmethod
    def _question_has_words(cls, value: str) -> str:
        if not re.search(r"\w", value):
            raise ValueError("question has no text")
        return value

    @property
    def answered(self) -> bool:
        return bool(self.short_answer or self.explanation)

    @property
    def adds_only(self) -> bool:
        """A record that asks nothing itself: it only adds graded examples to, or declares
        other wordings of, a question the bank asks elsewhere."""
        return not self.answered and bool(self.examples or self.same_as)

    @property
    def answer(self) -> str:
        """Short answer and explanation as one text (short answer first)."""
        return "\n\n".join(p for p in (self.short_answer, self.explanation) if p)


class Reference(BaseModel):
    """One reference answer of a canonical question, with its provenance."""

    model_config = ConfigDict(frozen=True)

    short_answer: str | None = None
    explanation: str | None = None
    source: SourceRef
    question: str
    retrieved: bool = False
    similarity: float | None = None

    @property
    def text(self) -> str:
        return "\n\n".join(p for p in (self.short_answer, self.explanation) if p)


class CanonicalQuestion(BaseModel):
    """A question after merging duplicates across files: every answer and source kept."""

    id: str
    question: str
    variants: list[str] = Field(default_factory=list)
    topic: str | None = None
    difficulty: Difficulty | None = None
    references: list[Reference] = Field(default_factory=list)
    sources: list[SourceRef] = Field(default_factory=list)
    key_points: list[str] = Field(default_factory=list)
    examples: list[GradedExample] = Field(default_factory=list)
    # ids of other questions that ask nearly the same thing: one interview asks one of them
    near: list[str] = Field(default_factory=list)

    @property
    def needs_reference(self) -> bool:
        return not self.references

    @property
    def reference_text(self) -> str:
        """All reference answers, own answers first, separated by blank lines."""
        return "\n\n".join(r.text for r in self.references)


class MergeMember(BaseModel):
    id: str
    question: str
    source: SourceRef
    similarity: float
    declared: bool = False  # merged because a bank file says so (same_as), not by similarity


class MergeDecision(BaseModel):
    """Questions from several places judged to be the same question, with their similarity."""

    canonical_id: str
    canonical_question: str
    members: list[MergeMember]


class FileStats(BaseModel):
    """What one bank file contributed."""

    path: str
    sha256: str
    format: str
    questions: int  # questions the file asks; records that only add to others are not counted
    answered: int
    examples: int = 0  # graded example answers


@dataclass(frozen=True)
class SearchHit:
    """A bank question found by search, with its similarity to the query (0..1)."""

    question: CanonicalQuestion
    similarity: float
