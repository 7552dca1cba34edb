"""What the progress database says about you: per-topic means, scores over time, strongest and
weakest questions, and a session exported as Markdown or JSON.

Every figure is one owner's (see :mod:`interview_bot.practice.owners`). Skipped questions
are counted apart, never as a score of 0: a mean is over scored answers only.
"""

from __future__ import annotations

import json

from pydantic import BaseModel

from interview_bot.practice.progress import Attempt, ProgressStore
from interview_bot.practice.turns import ScoredQuestion, Summary, TopicScore
from interview_bot.practice.view import escape_html, plural

GENERAL = "General"
STRONG_FROM = 0.6  # share of the maximum: where a grade card says "Good answer"


class TopicStat(BaseModel):
    """One topic: ``attempts`` scored answers (their mean) and ``skipped`` questions apart."""

    topic: str
    attempts: int
    mean_fraction: float | None
    last_at: str
    skipped: int = 0
    hinted: int = 0


def topic_stats(
    store: ProgressStore,
    session_id: int | None = None,
    bank: str | None = None,
    owner: str | None = None,
) -> list[TopicStat]:
    """Mean score per topic over scored main answers, with skips and hinted answers counted
    apart; weakest first (topics with only skips last)."""
    groups: dict[str, list[float]] = {}
    skipped: dict[str, int] = {}
    hinted: dict[str, int] = {}
    last: dict[str, str] = {}
    for a in store.attempts(session_id, bank, kinds=("answer", "skip"), owner=owner):
        topic = a.topic or GENERAL
        if a.kind == "skip":
            skipped[topic] = skipped.get(topic, 0) + 1
        elif a.fraction is not None:
            groups.setdefault(topic, []).append(a.fraction)
            hinted[topic] = hinted.get(topic, 0) + (a.hints > 0)
        else:
            continue
        last[topic] = a.created_at
    stats = [
        TopicStat(
            topic=t,
            attempts=len(groups.get(t, [])),
            mean_fraction=sum(groups[t]) / len(groups[t]) if groups.get(t) else None,
            last_at=last[t],
            skipped=skipped.get(t, 0),
            hinted=hinted.get(t, 0),
        )
        for t in last
    ]
    return sorted(stats, key=lambda s: (s.mean_fraction is None, s.mean_fraction or 0, s.topic))


def score_over_time(
    store: ProgressStore, bank: str | None = None, owner: str | None = None
) -> list[tuple[str, float, int]]:
    """(created_at, fraction, session_id) of every scored main answer, oldest first."""
    return [
        (a.created_at, a.fraction, a.session_id)
        for a in store.attempts(bank=bank, kinds=("answer",), owner=owner)
        if a.fraction is not None
    ]


def extremes(
    store: ProgressStore,
    session_id: int | None = None,
    bank: str | None = None,
    n: int = 3,
    owner: str | None = None,
) -> tuple[list[Attempt], list[Attempt]]:
    """(strongest, weakest) questions by their latest scored answer: up to ``n`` each, the
    weakest from the lower half, so no question is in both, and a strongest one at least a
    good answer (STRONG_FROM): the best of a weak interview is not a strength. Skips are in
    neither."""
    latest: dict[str, Attempt] = {}
    for a in store.attempts(session_id, bank, kinds=("answer",), owner=owner):
        if a.fraction is not None:
            latest[a.question_id] = a
    ranked = sorted(latest.values(), key=lambda a: (a.fraction or 0.0, a.id))
    weakest = ranked[: min(n, len(ranked) // 2)]
    strongest = [
        a for a in reversed(ranked) if a not in weakest and (a.fraction or 0.0) >= STRONG_FROM
    ][:n]
    return strongest, weakest


def session_summary(store: ProgressStore, session_id: int) -> Summary:
    """Counts, mean score of the scored answers, per-topic means (by topic name) and
    strongest/weakest questions. Answers to follow-up questions are counted apart: they are
    graded as practice, not scored."""
    every = store.attempts(session_id)
    attempts = [a for a in every if a.kind in ("answer", "skip")]
    scored = [a.fraction for a in attempts if a.fraction is not None]
    strongest, weakest = extremes(store, session_id)

    def listed(items: list[Attempt]) -> list[ScoredQuestion]:
        return [
            ScoredQuestion(question=a.question, topic=a.topic or GENERAL, fraction=a.fraction or 0)
            for a in items
        ]

    return Summary(
        session_id=session_id,
        number=store.number(session_id),
        answered=sum(a.kind == "answer" for a in attempts),
        skipped=sum(a.kind == "skip" for a in attempts),
        scored=len(scored),
        hinted=sum(a.kind == "answer" and a.hints > 0 for a in attempts),
        followups=sum(a.kind == "followup" for a in every),
        mean_fraction=sum(scored) / len(scored) if scored else None,
        topics=[
            TopicScore(
                topic=t.topic,
                attempts=t.attempts,
                mean_fraction=t.mean_fraction,
                skipped=t.skipped,
            )
            for t in sorted(topic_stats(store, session_id), key=lambda t: t.topic)
        ],
        strongest=listed(strongest),
        weakest=listed(weakest),
    )


def export_json(store: ProgressStore, session_id: int) -> str:
    """A session, its attempts (with grades) and its topic means, as JSON."""
    data = {
        # row ids count everyone's interviews on the server: a person sees their own number
        "session": store.session(session_id).model_dump(exclude={"id", "state", "owner"})
        | {"number": store.number(session_id)},
        "attempts": [
            a.model_dump(mode="json", exclude={"id", "session_id"})
            for a in store.attempts(session_id)
        ],
        "topics": [t.model_dump() for t in topic_stats(store, session_id)],
    }
    return json.dumps(data, indent=2, ensure_ascii=False)


def export_markdown(store: ProgressStore, session_id: int) -> str:
    """A session as a Markdown report: topic table, then each attempt with its feedback. Text
    from people and bank files is escaped as on screen, so raw HTML shows as text."""
    session = store.session(session_id)
    lines = [
        f"# Interview {store.number(session_id)}",
        "",
        f"- bank: {_cell(session.bank)}",
        f"- started: {session.started_at}",
        f"- ended: {session.ended_at or 'not ended'}",
        "",
        "## Topics",
        "",
        "| topic | scored answers | skipped | mean score |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {_cell(t.topic)} | {t.attempts} | {t.skipped} | "
        f"{'-' if t.mean_fraction is None else format(t.mean_fraction, '.0%')} |"
        for t in topic_stats(store, session_id)
    ]
    for i, a in enumerate(store.attempts(session_id), 1):
        if a.kind == "skip":
            score = "skipped"
        elif a.score is not None and a.max_score:
            score = f"score {a.score:g}/{a.max_score:g}"
        else:
            score = "not scored"
        hints = f", after {plural(a.hints, 'hint')}" if a.hints else ""
        grader = f", graded by {_line(a.grader)}" if a.grader and a.kind != "skip" else ""
        lines += [
            "",
            f"## {i}. {_cell(a.question)}",
            "",
            f"*{a.kind}, topic {_cell(a.topic or GENERAL)}, {score}{hints}{grader}, "
            f"{a.created_at}*",
            "",
            "**Your answer:**",
            "",
            _quote(a.answer or "(skipped)"),
        ]
        if a.grade and a.grade.feedback:
            lines += ["", "**Feedback:**", "", _quote(a.grade.feedback)]
    return "\n".join(lines) + "\n"


def _line(text: str) -> str:
    return escape_html(" ".join(text.split()))


def _cell(text: str) -> str:
    return _line(text).replace("|", "\\|")


def _quote(text: str) -> str:
    return "\n".join("> " + line for line in escape_html(text).splitlines()) or ">"
