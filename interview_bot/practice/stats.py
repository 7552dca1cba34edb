"""What the progress database says about you: per-topic means, scores over time, strongest and
weakest questions, and a session exported as Markdown or JSON."""

from __future__ import annotations

import json

from pydantic import BaseModel

from interview_bot.practice.progress import Attempt, ProgressStore
from interview_bot.practice.turns import ScoredQuestion, Summary, TopicScore

GENERAL = "General"


class TopicStat(BaseModel):
    topic: str
    attempts: int
    mean_fraction: float
    last_at: str


def topic_stats(
    store: ProgressStore, session_id: int | None = None, bank: str | None = None
) -> list[TopicStat]:
    """Mean score per topic over main answers and skips (a skip counts 0), weakest first."""
    groups: dict[str, list[float]] = {}
    last: dict[str, str] = {}
    for a in store.attempts(session_id, bank, kinds=("answer", "skip")):
        if a.fraction is not None:
            groups.setdefault(a.topic or GENERAL, []).append(a.fraction)
            last[a.topic or GENERAL] = a.created_at
    stats = [
        TopicStat(topic=t, attempts=len(f), mean_fraction=sum(f) / len(f), last_at=last[t])
        for t, f in groups.items()
    ]
    return sorted(stats, key=lambda s: (s.mean_fraction, s.topic))


def score_over_time(store: ProgressStore, bank: str | None = None) -> list[tuple[str, float, int]]:
    """(created_at, fraction, session_id) of every scored main answer, oldest first."""
    return [
        (a.created_at, a.fraction, a.session_id)
        for a in store.attempts(bank=bank, kinds=("answer",))
        if a.fraction is not None
    ]


def extremes(
    store: ProgressStore, session_id: int | None = None, bank: str | None = None, n: int = 3
) -> tuple[list[Attempt], list[Attempt]]:
    """(strongest, weakest) questions by their latest scored attempt: up to ``n`` each, the
    weakest from the lower half, so no question is in both."""
    latest: dict[str, Attempt] = {}
    for a in store.attempts(session_id, bank, kinds=("answer", "skip")):
        if a.fraction is not None:
            latest[a.question_id] = a
    ranked = sorted(latest.values(), key=lambda a: (a.fraction or 0.0, a.id))
    weakest = ranked[: min(n, len(ranked) // 2)]
    strongest = [a for a in reversed(ranked) if a not in weakest][:n]
    return strongest, weakest


def session_summary(store: ProgressStore, session_id: int) -> Summary:
    """Counts, mean score, per-topic means (by topic name) and strongest/weakest questions."""
    attempts = store.attempts(session_id, kinds=("answer", "skip"))
    scored = [a.fraction for a in attempts if a.fraction is not None]
    strongest, weakest = extremes(store, session_id)

    def listed(items: list[Attempt]) -> list[ScoredQuestion]:
        return [
            ScoredQuestion(question=a.question, topic=a.topic or GENERAL, fraction=a.fraction or 0)
            for a in items
        ]

    return Summary(
        session_id=session_id,
        answered=sum(a.kind == "answer" for a in attempts),
        skipped=sum(a.kind == "skip" for a in attempts),
        mean_fraction=sum(scored) / len(scored) if scored else None,
        topics=[
            TopicScore(topic=t.topic, attempts=t.attempts, mean_fraction=t.mean_fraction)
            for t in sorted(topic_stats(store, session_id), key=lambda t: t.topic)
        ],
        strongest=listed(strongest),
        weakest=listed(weakest),
    )


def export_json(store: ProgressStore, session_id: int) -> str:
    """A session, its attempts (with grades) and its topic means, as JSON."""
    data = {
        "session": store.session(session_id).model_dump(exclude={"state"}),
        "attempts": [a.model_dump(mode="json") for a in store.attempts(session_id)],
        "topics": [t.model_dump() for t in topic_stats(store, session_id)],
    }
    return json.dumps(data, indent=2, ensure_ascii=False)


def export_markdown(store: ProgressStore, session_id: int) -> str:
    """A session as a Markdown report: topic table, then each attempt with its feedback."""
    session = store.session(session_id)
    lines = [
        f"# Interview session {session.id}",
        "",
        f"- bank: {session.bank}",
        f"- started: {session.started_at}",
        f"- ended: {session.ended_at or 'not ended'}",
        "",
        "## Topics",
        "",
        "| topic | attempts | mean score |",
        "|---|---|---|",
    ]
    lines += [
        f"| {_cell(t.topic)} | {t.attempts} | {t.mean_fraction:.0%} |"
        for t in topic_stats(store, session_id)
    ]
    for i, a in enumerate(store.attempts(session_id), 1):
        scored = a.score is not None and a.max_score
        score = f"{a.score:g}/{a.max_score:g}" if scored else "not scored"
        lines += [
            "",
            f"## {i}. {_line(a.question)}",
            "",
            f"*{a.kind}, topic {a.topic or GENERAL}, score {score}, {a.created_at}*",
            "",
            "**Your answer:**",
            "",
            _quote(a.answer or "(skipped)"),
        ]
        if a.grade and a.grade.feedback:
            lines += ["", "**Feedback:**", "", _quote(a.grade.feedback)]
    return "\n".join(lines) + "\n"


def _line(text: str) -> str:
    return " ".join(text.split())


def _cell(text: str) -> str:
    return _line(text).replace("|", "\\|")


def _quote(text: str) -> str:
    return "\n".join("> " + line for line in text.splitlines()) or ">"
