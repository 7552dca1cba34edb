"""What a door shows again when it reopens an interview: the stored exchanges, numbered as
the interview asked them, and the hints already revealed for the open question."""

from __future__ import annotations

from collections.abc import Sequence

from interview_bot.practice.progress import Attempt
from interview_bot.practice.turns import Exchange


def hint_text(points: Sequence[str], number: int) -> str:
    """Hint ``number`` (from 1) as it is shown: the key point of that rank."""
    return f"Hint {number}/{len(points)}: {points[number - 1]}"


def revealed_hints(points: Sequence[str], shown: int) -> list[str]:
    """The first ``shown`` hints, as they were shown."""
    return [hint_text(points, n) for n in range(1, min(shown, len(points)) + 1)]


def exchanges(attempts: Sequence[Attempt], total: int) -> list[Exchange]:
    """Stored attempts in order, numbered as the interview numbered its questions (a
    follow-up keeps the number of the question it follows)."""
    out: list[Exchange] = []
    number = 0
    for a in attempts:
        number += a.kind != "followup"
        out.append(
            Exchange(
                number=max(number, 1),
                total=max(total, number),
                question=a.question,
                topic=a.topic or "General",
                kind=a.kind,
                answer=a.answer,
                grade=a.grade,
                hints=a.hints,
            )
        )
    return out
