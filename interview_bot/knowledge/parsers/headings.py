"""The Markdown headings shape: a heading that asks a question, its answer underneath.

Works for flat banks (``## What is RoPE?`` + paragraph) and for nested outlines where
higher headings name the topic (``## 2. Self-Attention``) and the difficulty
(``### Basic questions``). Everything below a question heading up to the next heading of
the same or a higher level is its answer: nested bullets, formulas, tables and deeper
sub-headings included. Link lists (a table of contents) are never questions. An answer
that opens with a "Short answer" bullet keeps that part apart from the explanation.
"""

from __future__ import annotations

import re

from interview_bot.errors import BankError
from interview_bot.knowledge.limits import MAX_HEADINGS
from interview_bot.knowledge.parsers.base import RawQuestion, difficulty_in

NAME = "markdown-headings"
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_ASKING = re.compile(
    r"^(what|why|how|when|where|which|who|whom|whose|is|are|does|do|did|can|could|should|"
    r"would|will|explain|describe|compare|define|name|list|give)\b",
    re.IGNORECASE,
)
_SHORT = re.compile(
    r"^(\s*)[-*+]\s*(?:\*\*)?\s*(short answer|definition|tl;?dr)[^\n]*$", re.IGNORECASE
)
_FENCE = re.compile(r"^\s*(```|~~~)")


def is_question(heading: str) -> bool:
    text = heading.replace("*", "").strip()
    return text.endswith("?") or bool(_ASKING.match(text))


def detect(text: str) -> bool:
    return any((m := _HEADING.match(line)) and is_question(m.group(2)) for line in text.split("\n"))


def _split_short(body: list[str]) -> tuple[str | None, str]:
    """Separate a leading "Short answer" bullet (with its nested lines) from the rest."""
    first = next((i for i, line in enumerate(body) if line.strip()), None)
    if first is None or not (match := _SHORT.match(body[first])):
        return None, "\n".join(body)
    indent = len(match.group(1))
    end = first + 1
    while end < len(body) and (
        not body[end].strip() or len(body[end]) - len(body[end].lstrip()) > indent
    ):
        end += 1
    short = "\n".join(body[first + 1 : end])
    return short, "\n".join(body[end:])


def _topic(heading: str) -> str:
    return re.sub(r"^\s*\d+[.)]\s*", "", heading.replace("*", "")).strip()


def parse(text: str, path: str) -> list[RawQuestion]:
    out: list[RawQuestion] = []
    topic: str | None = None
    difficulty: str | None = None
    current: RawQuestion | None = None
    level = 0
    body: list[str] = []
    in_fence = False
    headings = 0

    def close() -> None:
        if current is not None:
            current.short_answer, current.explanation = _split_short(body)
            out.append(current)

    for number, line in enumerate(text.split("\n"), start=1):
        if _FENCE.match(line):
            in_fence = not in_fence
        heading = None if in_fence else _HEADING.match(line)
        if heading is None:
            if current is not None:
                body.append(line)
            continue
        headings += 1
        if headings > MAX_HEADINGS:
            raise BankError(
                path, number, f"more than {MAX_HEADINGS:,} headings in one file; split it"
            )
        depth, title = len(heading.group(1)), heading.group(2)
        if current is not None and depth > level and not is_question(title):
            body.append(line)  # a sub-heading inside the answer ("Quick comparison table")
            continue
        close()
        current, body = None, []
        if is_question(title):
            current, level = (
                RawQuestion(line=number, question=title, topic=topic, difficulty=difficulty),
                depth,
            )
        elif (found := difficulty_in(title.replace("*", ""))) is not None:
            difficulty = found
        else:
            topic, difficulty = _topic(title), None
    close()
    return out
