"""The numbered Markdown shape: ``**1. Question:** ...`` then ``**Answer:** ...``.

Level headings (``### **Basic Level Questions (1-10)**``) set the difficulty; text before
the first question (a topic list) is a preamble, not a question.
"""

from __future__ import annotations

import re

from interview_bot.knowledge.parsers.base import RawQuestion, difficulty_in

NAME = "markdown-numbered"
_QUESTION = re.compile(r"^\s*\*\*\s*(\d+)\.\s*Question:?\s*\*\*:?\s*(.*)$")
_ANSWER = re.compile(r"^\s*(?:\*\*)?Answer:?(?:\*\*)?:?\s*(.*)$")
_HEADING = re.compile(r"^\s*#{1,6}\s+(.*)$")


def detect(text: str) -> bool:
    return any(_QUESTION.match(line) for line in text.split("\n"))


def parse(text: str, path: str) -> list[RawQuestion]:
    out: list[RawQuestion] = []
    difficulty: str | None = None
    current: RawQuestion | None = None
    question_lines: list[str] = []
    answer_lines: list[str] | None = None

    def close() -> None:
        if current is not None:
            current.question = " ".join(question_lines)
            current.explanation = "\n".join(answer_lines) if answer_lines is not None else None
            out.append(current)

    for number, line in enumerate(text.split("\n"), start=1):
        if match := _QUESTION.match(line):
            close()
            current = RawQuestion(line=number, question="", difficulty=difficulty)
            question_lines, answer_lines = [match.group(2)], None
        elif heading := _HEADING.match(line):
            close()
            current, answer_lines = None, None
            difficulty = difficulty_in(heading.group(1).replace("*", "")) or difficulty
        elif current is None:
            continue
        elif answer_lines is None and (answer := _ANSWER.match(line)):
            answer_lines = [answer.group(1)]
        elif answer_lines is None:
            question_lines.append(line)
        else:
            answer_lines.append(line)
    close()
    return out
