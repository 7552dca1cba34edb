"""A stand-in for InterviewBot with a queue of canned grades, for session and web-handler tests.

Search is a plain word-overlap similarity over the question texts, so tests can say exactly
which question a user's own question finds.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from interview_bot.grading.choice import GraderChoice
from interview_bot.grading.result import Grade, KeyPointResult
from interview_bot.knowledge.models import (
    CanonicalQuestion,
    Difficulty,
    Reference,
    SearchHit,
    SourceRef,
    normalize_question,
)
from interview_bot.settings import Settings


def question(
    qid: str,
    text: str,
    topic: str,
    answer: str | None = "The reference answer.",
    key_points: list[str] | None = None,
    difficulty: Difficulty | None = "basic",
) -> CanonicalQuestion:
    refs = (
        []
        if answer is None
        else [Reference(short_answer=answer, source=SourceRef(file="t.md", line=1), question=text)]
    )
    return CanonicalQuestion(
        id=qid,
        question=text,
        topic=topic,
        difficulty=difficulty,
        references=refs,
        key_points=key_points if key_points is not None else ["first point", "second point"],
    )


QUESTIONS = [
    question(
        "q-rope",
        "How does RoPE encode positions?",
        "Positions",
        key_points=["rotates queries and keys", "relative position in the dot product"],
    ),
    question(
        "q-pe",
        "Why is positional encoding needed?",
        "Positions",
        key_points=["attention is permutation invariant", "order information"],
    ),
    question(
        "q-mha",
        "Why use multiple attention heads?",
        "Attention",
        key_points=["different subspaces", "parallel heads"],
    ),
    question(
        "q-mask", "What is an attention mask?", "Attention", key_points=["blocks future tokens"]
    ),
    question(
        "q-ln",
        "What does layer normalization do?",
        "Normalization",
        key_points=["normalizes activations", "stabilizes training"],
    ),
    question("q-noref", "What is a transformer?", "General", answer=None),
]


def make_grade(
    fraction: float,
    covered: int = 1,
    missed: int = 1,
    graded: bool = True,
    feedback: str = "Canned feedback.",
) -> Grade:
    points = [KeyPointResult(text=f"covered point {i}", covered=True) for i in range(covered)]
    points += [KeyPointResult(text=f"missed point {i}", covered=False) for i in range(missed)]
    return Grade(
        question="",
        answer="",
        score=round(fraction * 10, 2),
        max_score=10,
        key_points=points,
        feedback=feedback,
        graded=graded,
        grader="offline",
    )


class FakeStore:
    def __init__(self, bot: FakeBot) -> None:
        self.bot = bot

    def banks(self) -> list[str]:
        return sorted(self.bot.banks)


class FakeBot:
    """Grades from a queue (default: 0.9 with one missed point), records every grade call."""

    def __init__(self, settings: Settings, questions: list[CanonicalQuestion] | None = None):
        self.settings = settings
        self.banks: dict[str, list[CanonicalQuestion]] = {"default": list(questions or QUESTIONS)}
        self.queue: list[Grade | Exception] = []
        self.calls: list[dict[str, Any]] = []
        self.store = FakeStore(self)

    def enqueue(self, *items: Grade | Exception) -> FakeBot:
        self.queue.extend(items)
        return self

    def warm_up(self, bank: str | None = None) -> None:
        """Nothing to warm: grades come from the queue (which warming must not consume)."""

    def ensure_bank(self, bank: str | None = None, progress: Any = None) -> str:
        return bank or "default"

    def questions(self, bank: str | None = None) -> list[CanonicalQuestion]:
        return list(self.banks[bank or "default"])

    def gradable(self, bank: str | None = None) -> list[CanonicalQuestion]:
        return [q for q in self.questions(bank) if q.references]

    def grade(
        self,
        answer: str,
        *,
        question_id: str | None = None,
        question: str | None = None,
        reference: str | None = None,
        bank: str | None = None,
        grader: GraderChoice | None = None,
    ) -> Grade:
        self.calls.append(
            {
                "answer": answer,
                "question_id": question_id,
                "question": question,
                "reference": reference,
                "bank": bank,
                "grader": grader,
            }
        )
        item = self.queue.pop(0) if self.queue else make_grade(0.9)
        if isinstance(item, Exception):
            raise item
        return item.model_copy(
            update={
                "answer": answer,
                "question_id": question_id,
                "question": question or question_id or "",
            }
        )

    def search(self, query: str, k: int = 5, bank: str | None = None) -> list[SearchHit]:
        words = set(normalize_question(query).split()) - {"what", "is", "a", "the", "me", "about"}
        hits = []
        for q in self.questions(bank):
            mine = set(normalize_question(q.question).split())
            hits.append(SearchHit(q, round(len(words & mine) / max(len(words), 1), 4)))
        return sorted(hits, key=lambda h: -h.similarity)[:k]

    def ingest(
        self, paths: list[Path], bank: str | None = None, progress: Any = None, force: bool = False
    ) -> Any:
        from interview_bot.knowledge.bank import parse_files

        parsed = parse_files(paths, self.settings.max_upload_bytes)
        found = [
            question(q.id, q.question, q.topic or "General", q.answer or None)
            for p in parsed
            for q in p.questions
        ]
        if progress:
            progress("parsed", 1, 1)
        self.banks[bank or "default"] = found
        return SimpleNamespace(bank=bank, questions=len(found))
