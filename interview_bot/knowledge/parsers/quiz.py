"""The quiz shape: ``**Question:**`` lines, a bold one-line answer, then a blockquote explanation.

Section headers (``### **Spørsmål 2**``) separate questions and sometimes arrive glued to
the end of an answer line; they carry no content and are dropped.
"""

from __future__ import annotations

import re

from interview_bot.knowledge.parsers.base import RawQuestion

NAME = "markdown-quiz"
_QUESTION = re.compile(r"^\s*\*\*Question:?\*\*:?\s*(.*)$")
_HEADER = re.compile(r"#{1,6}\s*\**[^\n*]*?\d+\**\s*$")
_BOLD_LINE = re.compile(r"^\s*\*\*(.+?)\*\*\s*$")


def detect(text: str) -> bool:
    return any(_QUESTION.match(line) for line in text.split("\n"))


def _strip_quote(line: str) -> str:
    return re.sub(r"^\s*>\s?", "", line)


def parse(text: str, path: str) -> list[RawQuestion]:
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines) if _QUESTION.match(line)]
    out: list[RawQuestion] = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        match = _QUESTION.match(lines[start])
        assert match is not None
        body = [_HEADER.sub("", line).rstrip() for line in lines[start + 1 : end]]
        # A trailing section header ("### **Spørsmål 3**") belongs to the next question.
        while body and (not body[-1].strip() or _HEADER.fullmatch(body[-1].strip())):
            body.pop()
        short: str | None = None
        first = next((i for i, line in enumerate(body) if line.strip()), None)
        if first is not None and (bold := _BOLD_LINE.match(body[first])):
            short = bold.group(1)
            body = body[first + 1 :]
        explanation = "\n".join(_strip_quote(line) for line in body)
        out.append(
            RawQuestion(
                line=start + 1, question=match.group(1), short_answer=short, explanation=explanation
            )
        )
    return out
