"""What every parser shares: a raw block of text becomes a validated, repaired Question."""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from interview_bot.errors import BankError
from interview_bot.knowledge.limits import MAX_ANSWER_CHARS, MAX_QUESTION_CHARS
from interview_bot.knowledge.models import (
    GradedExample,
    Question,
    SourceRef,
    content_id,
    normalize_question,
)
from interview_bot.knowledge.repair import repair_text
from interview_bot.knowledge.statements import introduces_only

_DIFFICULTIES = {
    "basic": "basic",
    "easy": "basic",
    "beginner": "basic",
    "intermediate": "intermediate",
    "medium": "intermediate",
    "advanced": "advanced",
    "hard": "advanced",
    "expert": "advanced",
}


@dataclass
class RawQuestion:
    """A question as cut out of a file, before repair and validation."""

    line: int
    question: str
    short_answer: str | None = None
    explanation: str | None = None
    topic: str | None = None
    difficulty: str | None = None
    id: str | None = None
    examples: tuple[dict[str, Any], ...] = ()  # graded example answers, as the file has them
    same_as: tuple[str, ...] = ()  # other wordings of this question, declared by the author


def parse_difficulty(value: str | None, path: str, line: int) -> str | None:
    """Map Basic/Intermediate/Advanced (and common synonyms) to our three levels."""
    if value is None or not str(value).strip():
        return None
    key = str(value).strip().lower().split()[0]
    if key not in _DIFFICULTIES:
        raise BankError(
            path, line, f"unknown difficulty {value!r}; use basic, intermediate or advanced"
        )
    return _DIFFICULTIES[key]


def difficulty_in(text: str) -> str | None:
    """The difficulty a section heading names ("Basic Level Questions (1-10)"), if any."""
    match = re.match(r"\W*(basic|intermediate|advanced|easy|medium|hard)\b", text, re.IGNORECASE)
    return _DIFFICULTIES[match.group(1).lower()] if match else None


def _drop_dangling_intro(lines: list[str]) -> list[str]:
    """``lines`` without trailing lines that introduce nothing (a seed that stops short at
    "- Why large scores are bad (softmax saturation)"), as long as something stays. A line
    inside an open code block is code."""
    kept = list(lines)
    fences = sum(line.lstrip().startswith(("```", "~~~")) for line in lines)
    while fences % 2 == 0 and kept and (not kept[-1].strip() or introduces_only(kept[-1])):
        kept.pop()
    return kept if any(re.search(r"\w", line) for line in kept) else lines


def clean_block(text: str | None, katex: bool = False) -> str | None:
    """Repaired, dedented answer text with runs of blank lines collapsed and a last line that
    introduces nothing dropped; None when empty."""
    if text is None:
        return None
    text = repair_text(text, katex)
    lines = _drop_dangling_intro([line.rstrip() for line in text.split("\n")])
    text = textwrap.dedent("\n".join(lines)).strip("\n")
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text if re.search(r"\w", text) else None


def clean_inline(text: str, katex: bool = False) -> str:
    """A question or heading as one line of plain text: repaired, no emphasis markers."""
    text = repair_text(text, katex)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<!\w)[*_](\S.*?\S|\S)[*_](?!\w)", r"\1", text)
    text = text.replace("**", "")
    return " ".join(text.split()).strip()


def build_question(raw: RawQuestion, path: str, fmt: str, katex: bool = False) -> Question:
    """Repair and validate one raw question; a problem becomes a BankError at its line.

    ``katex`` says the file is KaTeX output, so flattened subscripts are repaired throughout.
    """
    if len(raw.question) > MAX_QUESTION_CHARS:
        raise BankError(
            path,
            raw.line,
            f"question is {len(raw.question):,} characters; the limit is {MAX_QUESTION_CHARS:,} "
            "(is an answer missing its 'A:' or heading?)",
        )
    answer = len(raw.short_answer or "") + len(raw.explanation or "")
    if answer > MAX_ANSWER_CHARS:
        raise BankError(
            path,
            raw.line,
            f"answer is {answer:,} characters; the limit is {MAX_ANSWER_CHARS:,} - "
            "shorten it or split the question",
        )
    question = clean_inline(raw.question, katex)
    if not re.search(r"\w", question):
        raise BankError(path, raw.line, "question has no text")
    try:
        return Question(
            id=raw.id or content_id(normalize_question(question)),
            question=question,
            short_answer=clean_block(raw.short_answer, katex),
            explanation=clean_block(raw.explanation, katex),
            topic=clean_inline(raw.topic) if raw.topic else None,
            difficulty=parse_difficulty(raw.difficulty, path, raw.line),  # type: ignore[arg-type]
            source=SourceRef(file=path, line=raw.line),
            format=fmt,
            examples=[GradedExample.model_validate(e) for e in raw.examples],
            same_as=[clean_inline(text, katex) for text in raw.same_as],
        )
    except ValidationError as exc:
        problem = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise BankError(path, raw.line, problem) from None
