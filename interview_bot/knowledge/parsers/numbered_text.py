"""The numbered plain-text shape: ``1. Question`` lines at the margin, answers below.

Numbering may restart (a new part of the document); a line such as ``Part 6:`` names the
section of the questions that follow it.
"""

from __future__ import annotations

import re

from interview_bot.knowledge.parsers.base import RawQuestion

NAME = "text-numbered"
_QUESTION = re.compile(r"^(\d{1,9})[.)]\s+(\S.*)$")  # a longer number is no question number
_SECTION = re.compile(r"^\s*((?:part|section|chapter)\s+\w+)\s*:?\s*$", re.IGNORECASE)


def detect(text: str) -> bool:
    return sum(bool(_QUESTION.match(line)) for line in text.split("\n")) >= 1


def parse(text: str, path: str) -> list[RawQuestion]:
    out: list[RawQuestion] = []
    section: str | None = None
    last_number = 0
    current: RawQuestion | None = None
    body: list[str] = []

    def close() -> None:
        if current is not None:
            current.explanation = "\n".join(body)
            out.append(current)

    for number, line in enumerate(text.split("\n"), start=1):
        if match := _QUESTION.match(line):
            close()
            index = int(match.group(1))
            if index <= last_number:
                section = None  # numbering restarted without a new heading: a new, unnamed part
            last_number = index
            current, body = RawQuestion(line=number, question=match.group(2), topic=section), []
        elif heading := _SECTION.match(line):
            close()
            current, body = None, []
            section, last_number = heading.group(1), 0
        elif current is not None:
            body.append(line)
    close()
    return out
