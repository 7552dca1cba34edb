"""What a door shows of a grade, a question and a summary, worded once.

The CLI formats these views with rich and the web app as Markdown; neither words a score,
a count or a heading of its own, so the terminal and the browser always say the same.
"""

from __future__ import annotations

from dataclasses import dataclass

from interview_bot.grading.result import Grade
from interview_bot.practice.intents import COMMANDS
from interview_bot.practice.turns import Prompt, Summary


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``1 question``, ``2 questions`` (``many`` for irregular plurals)."""
    return f"{count} {noun if count == 1 else (many or noun + 's')}"


def percent(fraction: float | None) -> str:
    return "-" if fraction is None else f"{fraction:.0%}"


def command_words() -> str:
    """The command words as help text: ``hint, skip, show answer, repeat, end``."""
    return ", ".join(aliases[0] for aliases in COMMANDS.values())


@dataclass(frozen=True)
class CriterionRow:
    name: str
    score: str
    weight: str
    why: str


@dataclass(frozen=True)
class PointMark:
    covered: bool
    text: str


@dataclass(frozen=True)
class CardView:
    """A grade card: headline, who graded, warnings, criteria, key points, feedback."""

    headline: str
    byline: str
    warnings: list[str]
    criteria: list[CriterionRow]
    points_title: str
    points: list[PointMark]
    feedback: str
    model_answer: str | None
    reference: str | None


def card_view(grade: Grade) -> CardView:
    if grade.graded:
        headline = f"Score: {grade.score:g} / {grade.max_score:g} ({percent(grade.fraction)})"
    else:
        headline = "Not scored"
    warnings = []
    if grade.fallback_reason:
        warnings.append(
            f"The LLM grader failed, so the offline grader scored this answer: "
            f"{grade.fallback_reason}"
        )
    criteria = (
        [
            CriterionRow(c.name, f"{c.score:g}/{c.max_score:g}", f"{c.weight:g}", c.rationale)
            for c in grade.criteria
        ]
        if grade.graded
        else []
    )
    return CardView(
        headline=headline,
        byline=f"graded by {grade.grader} in {grade.elapsed_ms:.0f} ms",
        warnings=warnings,
        criteria=criteria,
        points_title=f"Key points ({len(grade.covered)}/{len(grade.key_points)} covered)",
        points=[PointMark(k.covered, k.text) for k in grade.key_points],
        feedback=grade.feedback,
        model_answer=grade.model_answer,
        reference=grade.reference,
    )


@dataclass(frozen=True)
class PromptView:
    title: str
    text: str
    why: str | None


def prompt_view(prompt: Prompt) -> PromptView:
    """The question as the interviewer asks it, with its number, topic and why it was chosen."""
    if prompt.followup:
        title = f"Follow-up on question {prompt.number} · {prompt.topic}"
    else:
        level = f" · {prompt.difficulty}" if prompt.difficulty else ""
        title = f"Question {prompt.number} of {prompt.total} · {prompt.topic}{level}"
    return PromptView(title, prompt.text, None if prompt.followup else prompt.reason)


def status_line(prompt: Prompt | None) -> str:
    if prompt is None:
        return "No interview running. Choose topics and press Start."
    view = prompt_view(prompt)
    if prompt.followup:
        return f"{view.title} · on a missed key point"
    return f"{view.title} · chosen because: {view.why}"


@dataclass(frozen=True)
class SummaryView:
    title: str
    headline: str
    topics: list[tuple[str, str, str]]  # topic, answers, mean score
    strongest: list[str]
    weakest: list[str]


def summary_view(summary: Summary) -> SummaryView:
    return SummaryView(
        title=f"Interview summary (session {summary.session_id})",
        headline=f"Answered {summary.answered}, skipped {summary.skipped}, "
        f"mean score {percent(summary.mean_fraction)}.",
        topics=[(t.topic, str(t.attempts), percent(t.mean_fraction)) for t in summary.topics],
        strongest=[f"{percent(q.fraction)} · {q.question}" for q in summary.strongest],
        weakest=[f"{percent(q.fraction)} · {q.question}" for q in summary.weakest],
    )
