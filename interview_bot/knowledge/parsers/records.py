"""One record of a data-file bank (JSON, JSONL, CSV, YAML), checked field by field.

A record has ``question`` and ``answer`` (or ``short_answer`` / ``explanation``), and
optionally ``topic``, ``difficulty``, ``id``, ``examples`` (graded example answers: a
list of ``answer``, ``score``, optional ``max_score`` and ``why``) and ``same_as`` (other
questions of the bank that ask the same thing in other words: one text or a list). A record
with examples or ``same_as`` and no answer adds them to the bank's question of that text.
Every problem is reported at the record's line.
"""

from __future__ import annotations

import math
from typing import Any

from interview_bot.errors import BankError, BankErrors
from interview_bot.knowledge.parsers.base import RawQuestion

FIELDS = {
    "question",
    "answer",
    "short_answer",
    "explanation",
    "topic",
    "difficulty",
    "id",
    "examples",
    "same_as",
}
EXAMPLE_FIELDS = {"answer", "score", "max_score", "why"}


class Unusable:
    """A value a data file holds that no bank field can take: NaN, infinity, a huge integer.

    The JSON and YAML readers return it instead of failing, so the record it sits in can be
    named by line and field.
    """

    def __init__(self, what: str) -> None:
        self.what = what

    def __repr__(self) -> str:
        return self.what


def string_field(value: Any, field: str, path: str, line: int) -> str | None:
    """A text field's value as text (a number becomes its digits), None when absent."""
    if value is None:
        return None
    if isinstance(value, Unusable):
        raise BankError(path, line, f"{field!r} is {value.what}; a bank field holds text")
    if field == "question" and not isinstance(value, str):
        shown = repr(value) if isinstance(value, int | float | bool) else ""
        kind = "a number" if isinstance(value, int | float) and not isinstance(value, bool) else ""
        raise BankError(
            path,
            line,
            f"expected text for 'question', got {kind or type(value).__name__}"
            f"{f' ({shown[:40]})' if shown else ''}; put it in quotes if it is meant as text",
        )
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise BankError(path, line, f"expected a string for {field!r}, got {type(value).__name__}")
    return str(value)


def read_record(item: Any, path: str, line: int) -> RawQuestion:
    """One record, every field checked; a problem is a BankError at ``line``."""
    if not isinstance(item, dict):
        raise BankError(path, line, f"expected a record with 'question', got {type(item).__name__}")
    fields = {str(k).strip().lower(): v for k, v in item.items()}
    unknown = sorted(set(fields) - FIELDS)
    if unknown:
        raise BankError(
            path,
            line,
            f"unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(FIELDS))}",
        )
    question = string_field(fields.get("question"), "question", path, line)
    if not question or not question.strip():
        raise BankError(path, line, "question has no text")
    explanation = string_field(fields.get("explanation"), "explanation", path, line)
    answer = string_field(fields.get("answer"), "answer", path, line)
    return RawQuestion(
        line=line,
        question=question,
        short_answer=string_field(fields.get("short_answer"), "short_answer", path, line),
        explanation="\n\n".join(p for p in (answer, explanation) if p) or None,
        topic=string_field(fields.get("topic"), "topic", path, line),
        difficulty=string_field(fields.get("difficulty"), "difficulty", path, line),
        id=string_field(fields.get("id"), "id", path, line) or None,
        examples=_examples(fields.get("examples"), path, line),
        same_as=_same_as(fields.get("same_as"), path, line),
    )


def _same_as(value: Any, path: str, line: int) -> tuple[str, ...]:
    """The other wordings a record declares: one text or a list of texts (a blank CSV cell
    declares none)."""
    items = [value] if isinstance(value, str) else value
    if items is None or (isinstance(value, str) and not value.strip()):
        return ()
    if not isinstance(items, list):
        raise BankError(path, line, "same_as must be a question or a list of questions")
    out = []
    for n, item in enumerate(items, 1):
        text = string_field(item, f"same_as {n}", path, line)
        if not text or not text.strip():
            raise BankError(path, line, f"same_as {n}: the question is empty")
        out.append(text)
    return tuple(out)


def _examples(value: Any, path: str, line: int) -> tuple[dict[str, Any], ...]:
    """Graded example answers of a record, checked field by field."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise BankError(path, line, "examples must be a list of {answer, score, why}")
    out = []
    for n, item in enumerate(value, 1):
        if (
            not isinstance(item, dict)
            or set(item) - EXAMPLE_FIELDS
            or not {"answer", "score"} <= set(item)
        ):
            raise BankError(
                path, line, f"example {n}: expected answer and score (optional max_score, why)"
            )
        answer = string_field(item["answer"], f"example {n} answer", path, line)
        why = string_field(item.get("why"), f"example {n} why", path, line)
        score, top = item["score"], item.get("max_score", 5)
        if any(isinstance(v, bool) or not isinstance(v, int | float) for v in (score, top)):
            raise BankError(path, line, f"example {n}: score and max_score must be numbers")
        if not (math.isfinite(score) and math.isfinite(top) and 0 <= score <= top and top > 0):
            raise BankError(path, line, f"example {n}: score {score} is not within 0..{top}")
        if not answer or not answer.strip():
            raise BankError(path, line, f"example {n}: the answer is empty")
        out.append({"answer": answer, "score": float(score), "max_score": float(top), "why": why})
    return tuple(out)


class Collector:
    """Records of one file, with every bad one reported rather than only the first."""

    def __init__(self) -> None:
        self.records: list[RawQuestion] = []
        self.errors: list[BankError] = []

    def record(self, item: Any, path: str, line: int) -> None:
        try:
            self.records.append(read_record(item, path, line))
        except BankError as exc:
            self.errors.append(exc)

    def fail(self, error: BankError) -> None:
        self.errors.append(error)

    def result(self) -> list[RawQuestion]:
        if self.errors:
            raise self.errors[0] if len(self.errors) == 1 else BankErrors(self.errors)
        return self.records
