"""Markdown for the web app: grade cards, questions, summaries. No Gradio here.

Everything that comes from people or files (answers, bank questions, references, feedback)
goes through :func:`escape_text`, which turns raw HTML into visible text while keeping
Markdown and code blocks; the Chatbot's own sanitizer is the second line of defence.
"""

from __future__ import annotations

import html
import re

from interview_bot.grade import Grade
from interview_bot.turns import Prompt, Summary, Turn

# fenced blocks (``` or ~~~) and inline code spans: Markdown shows their content literally
_CODE = re.compile(
    r"(^(?P<fence>```|~~~)[^\n]*\n.*?^(?P=fence)[ \t]*$|`[^`\n]+`)", re.MULTILINE | re.DOTALL
)
Message = dict[str, str]


def escape_text(text: str) -> str:
    """``text`` with ``< > &`` outside code made into entities, so HTML shows as text."""
    parts: list[str] = []
    last = 0
    for match in _CODE.finditer(text):
        parts.append(html.escape(text[last : match.start()], quote=False))
        parts.append(match.group(0))
        last = match.end()
    parts.append(html.escape(text[last:], quote=False))
    return "".join(parts)


def _inline(text: str) -> str:
    """One line of escaped text for a table cell or a list item."""
    return escape_text(" ".join(text.split())).replace("|", "\\|")


def percent(fraction: float | None) -> str:
    return "-" if fraction is None else f"{fraction:.0%}"


def grade_card(grade: Grade) -> str:
    """Score, criteria table, key points ✓/✗, feedback, and the reference in a <details>."""
    lines: list[str] = []
    if grade.graded:
        lines.append(
            f"### Score: {grade.score:g} / {grade.max_score:g} ({percent(grade.fraction)})"
        )
    else:
        lines.append("### Not scored")
    lines.append(f"*graded by {_inline(grade.grader)} in {grade.elapsed_ms:.0f} ms*")
    if grade.fallback_reason:
        lines += [
            "",
            f"> ⚠️ **The LLM grader failed, so the offline grader scored this "
            f"answer:** {_inline(grade.fallback_reason)}",
        ]
    if grade.graded and grade.criteria:
        lines += ["", "| criterion | score | weight | why |", "|---|---|---|---|"]
        lines += [
            f"| {_inline(c.name)} | {c.score:g}/{c.max_score:g} | {c.weight:g} | "
            f"{_inline(c.rationale)} |"
            for c in grade.criteria
        ]
    if grade.key_points:
        lines += ["", f"**Key points** ({len(grade.covered)}/{len(grade.key_points)} covered)", ""]
        lines += [
            f"- {'✓' if k.covered else '✗'} {_inline(k.text)}"
            + (" *(covered)*" if k.covered else " *(missed)*")
            for k in grade.key_points
        ]
    if grade.feedback:
        lines += ["", "**Feedback:** " + escape_text(grade.feedback)]
    if grade.reference:
        lines += ["", reference_block(grade.reference, "Reference answer")]
    return "\n".join(lines)


def reference_block(reference: str, title: str, open_: bool = False) -> str:
    attr = " open" if open_ else ""
    return (
        f"<details{attr}><summary>{html.escape(title)}</summary>\n\n"
        f"{escape_text(reference)}\n\n</details>"
    )


def prompt_text(prompt: Prompt) -> str:
    """The question as the interviewer asks it, with its number, topic and why it was chosen."""
    if prompt.followup:
        head = f"**Follow-up on question {prompt.number}** · {_inline(prompt.topic)}"
    else:
        level = f" · {prompt.difficulty}" if prompt.difficulty else ""
        head = f"**Question {prompt.number} of {prompt.total}** · {_inline(prompt.topic)}{level}"
    why = "" if prompt.followup else f"\n\n*Why this question: {_inline(prompt.reason)}*"
    return f"{head}\n\n{escape_text(prompt.text)}{why}"


def status_text(prompt: Prompt | None) -> str:
    if prompt is None:
        return "No interview running. Choose topics and press **Start**."
    topic = _inline(prompt.topic)
    if prompt.followup:
        return f"**Follow-up on question {prompt.number}** · {topic} · on a missed key point"
    return (
        f"**Question {prompt.number} of {prompt.total}** · {topic} · chosen because: "
        f"{_inline(prompt.reason)}"
    )


def summary_text(summary: Summary) -> str:
    lines = [
        f"### Interview summary (session {summary.session_id})",
        "",
        f"Answered {summary.answered}, skipped {summary.skipped}, mean score "
        f"{percent(summary.mean_fraction)}.",
    ]
    if summary.topics:
        lines += ["", "| topic | answers | mean score |", "|---|---|---|"]
        lines += [
            f"| {_inline(t.topic)} | {t.attempts} | {percent(t.mean_fraction)} |"
            for t in summary.topics
        ]
    for title, items in (("Strongest", summary.strongest), ("Weakest", summary.weakest)):
        if items:
            lines += ["", f"**{title}:**", ""]
            lines += [f"- {percent(q.fraction)} · {_inline(q.question)}" for q in items]
    return "\n".join(lines)


def user_message(text: str) -> Message:
    return {"role": "user", "content": escape_text(text) or "*(empty)*"}


def turn_messages(turn: Turn) -> list[Message]:
    """A turn as chat messages from the interviewer, in reading order."""
    parts: list[str] = []
    if turn.grade is not None:
        parts.append(grade_card(turn.grade))
    if turn.notice and turn.summary is None:
        parts.append(escape_text(turn.notice))
    if turn.reference:
        parts.append(reference_block(turn.reference, "Reference answer", open_=True))
    if turn.summary is not None:  # the full summary and its chart are shown below the chat
        mean = percent(turn.summary.mean_fraction)
        said = escape_text(turn.notice or "Interview over.")
        parts.append(f"**{said}** Mean score {mean}; the summary and chart are below.")
    if turn.prompt is not None:
        parts.append(prompt_text(turn.prompt))
    return [{"role": "assistant", "content": part} for part in parts]


def error_message(error: Exception) -> Message:
    return {"role": "assistant", "content": f"⚠️ **{escape_text(str(error))}**"}
