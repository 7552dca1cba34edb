"""The simplest Markdown/text bank: ``Q: question`` then ``A: answer`` (which may run on)."""

from __future__ import annotations

import re

from interview_bot.knowledge.parsers.base import RawQuestion

NAME = "qa-lines"
_Q = re.compile(r"^\s*(?:\*\*)?Q(?:uestion)?\s*(?:\*\*)?\s*[:.]\s*(?:\*\*)?\s*(.*)$")
_A = re.compile(r"^\s*(?:\*\*)?A(?:nswer)?\s*(?:\*\*)?\s*[:.]\s*(?:\*\*)?\s*(.*)$")


def detect(text: str) -> bool:
    lines = text.split("\n")
    return any(_Q.match(line) for line in lines) and any(_A.match(line) for line in lines)


def parse(text: str, path: str) -> list[RawQuestion]:
    out: list[RawQuestion] = []
    current: RawQuestion | None = None
    answer: list[str] | None = None

    def close() -> None:
        if current is not None:
            current.explanation = "\n".join(answer) if answer is not None else None
            out.append(current)

    for number, line in enumerate(text.split("\n"), start=1):
        if match := _Q.match(line):
            close()
            current, answer = RawQuestion(line=number, question=match.group(1)), None
        elif current is not None and answer is None and (found := _A.match(line)):
            answer = [found.group(1)]
        elif current is not None and answer is not None:
            answer.append(line)
        elif current is not None and line.strip():
            current.question += " " + line.strip()
    close()
    return out
