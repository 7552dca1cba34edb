"""What a door shows of a grade, a question and a summary, worded once.

The CLI formats these views with rich and the web app as Markdown; neither words a score,
a count or a heading of its own, so the terminal and the browser always say the same.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from interview_bot.grading.result import Grade
from interview_bot.practice.intents import COMMANDS
from interview_bot.practice.turns import Prompt, Summary, Turn

# fenced blocks (``` or ~~~) and inline code spans: Markdown shows their content literally
_CODE = re.compile(
    r"(^(?P<fence>```|~~~)[^\n]*\n.*?^(?P=fence)[ \t]*$|`[^`\n]+`)", re.MULTILINE | re.DOTALL
)
# The rule the card, the export and the scheduler apply to an answer given after hints.
HINT_RULE = "it does not count as mastery: the question comes back sooner"


def escape_html(text: str) -> str:
    """``text`` with ``< > &`` outside code made into entities, so HTML shows as text while
    Markdown and code blocks keep working (the screen and the exports both use this)."""
    parts: list[str] = []
    last = 0
    for match in _CODE.finditer(text):
        parts.append(html.escape(text[last : match.start()], quote=False))
        parts.append(match.group(0))
        last = match.end()
    parts.append(html.escape(text[last:], quote=False))
    return "".join(parts)


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


NEAR_MISS_SHOWN = 0.5  # share of the scale from which a near miss is marked as unclear


@dataclass(frozen=True)
class PointMark:
    covered: bool
    text: str
    near_miss: bool = False  # missed, but close: perhaps said in other words


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
    second_opinion: str | None = None  # another grader's score, when the two disagree


def grader_name(grade: Grade) -> str:
    """The grader that actually graded, as people read it."""
    return "the offline grader" if grade.grader == "offline" else grade.grader


def card_view(grade: Grade, hints: int = 0) -> CardView:
    """A grade card; ``hints`` shown before the answer mark it (and keep it from mastery)."""
    if grade.graded:
        headline = f"Score: {grade.score:g} / {grade.max_score:g} ({percent(grade.fraction)})"
        if hints:
            headline += f" · after {plural(hints, 'hint')}"
    else:
        headline = "Not scored"
    warnings = []
    if grade.fallback_reason:
        warnings.append(
            f"The LLM grader failed, so the offline grader scored this answer: "
            f"{grade.fallback_reason}"
        )
    if hints and grade.graded:
        warnings.append(f"Answered after {plural(hints, 'hint')}, so {HINT_RULE}.")
    if grade.reference_from:
        donors = "; ".join(f"“{q}”" for q in grade.reference_from)
        warnings.append(
            "The bank has no answer of its own to this question: it is graded against "
            f"passages borrowed from {donors}."
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
        byline=f"graded by {grader_name(grade)} in {grade.elapsed_ms:.0f} ms",
        warnings=warnings,
        criteria=criteria,
        points_title=f"Key points ({len(grade.covered)} of {len(grade.key_points)} covered)",
        # "not clear" only on a good answer: never a hint that a wrong answer nearly had it
        points=[
            PointMark(k.covered, k.text, k.near_miss and grade.fraction >= NEAR_MISS_SHOWN)
            for k in grade.key_points
        ],
        feedback=grade.feedback,
        model_answer=grade.model_answer,
        reference=grade.reference,
        second_opinion=second_opinion_line(grade),
    )


def second_opinion_line(grade: Grade) -> str | None:
    """Both scores, when the LLM and the offline grader disagree by more than the margin."""
    other = grade.second_opinion
    if other is None:
        return None
    name = "the offline grader" if other.grader == "offline" else other.grader
    return (
        f"Second opinion: {name} gives {other.score:g} / {other.max_score:g} against "
        f"{grader_name(grade)}'s {grade.score:g} / {grade.max_score:g}; the graders disagree, "
        "so check the answer against the reference yourself."
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


def shows_prompt(turn: Turn) -> bool:
    """Whether a door shows the turn's question again: not after a hint or an empty message
    (the question is already on screen; the status line still names it)."""
    return turn.prompt is not None and turn.action not in ("hint", "empty")


def status_line(prompt: Prompt | None, ended: int | None = None) -> str:
    """The one-line state of the interview; ``ended`` is the id of an interview that just
    ended, so the line agrees with the chat's last words."""
    if prompt is None:
        if ended is not None:
            return f"Interview {ended} is over: its summary is below. Press Start for a new one."
        return "No interview running. Choose topics and press Start."
    view = prompt_view(prompt)
    if prompt.followup:
        return f"{view.title} · on a missed key point"
    return f"{view.title} · chosen because: {view.why}"


@dataclass(frozen=True)
class SummaryView:
    title: str
    headline: str
    topics: list[tuple[str, str, str, str]]  # topic, scored answers, skipped, mean score
    strongest: list[str]
    weakest: list[str]


def summary_view(summary: Summary) -> SummaryView:
    if summary.scored:
        over = plural(summary.scored, "scored answer")
        mean = f"mean score {percent(summary.mean_fraction)} over {over}"
    else:
        mean = "no scored answers"
    hinted = f", {summary.hinted} of them after hints" if summary.hinted else ""
    followups = (
        f" {plural(summary.followups, 'follow-up answer')} graded as practice, not in these "
        "figures."
        if summary.followups
        else ""
    )
    return SummaryView(
        title=f"Interview summary (interview {summary.number or summary.session_id})",
        headline=f"{plural(summary.answered, 'question')} answered, {summary.skipped} skipped "
        f"(skips are not scores); {mean}{hinted}.{followups}",
        topics=[
            (t.topic, str(t.attempts), str(t.skipped), percent(t.mean_fraction))
            for t in summary.topics
        ],
        strongest=[f"{percent(q.fraction)} · {q.question}" for q in summary.strongest],
        weakest=[f"{percent(q.fraction)} · {q.question}" for q in summary.weakest],
    )
