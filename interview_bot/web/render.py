"""Markdown for the web app: grade cards, questions, summaries. No Gradio here.

Everything that comes from people or files (answers, bank questions, references, feedback)
goes through :func:`escape_text`, which turns raw HTML into visible text while keeping
Markdown and code blocks; the Chatbot's own sanitizer is the second line of defence.
"""

from __future__ import annotations

import html
import re

from interview_bot.grading.result import Grade
from interview_bot.practice.turns import Prompt, Summary, Turn
from interview_bot.practice.view import (
    card_view,
    percent,
    prompt_view,
    status_line,
    summary_view,
)

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


def grade_card(grade: Grade) -> str:
    """Score, criteria table, key points ✓/✗, feedback, and the reference in a <details>."""
    card = card_view(grade)
    lines = [f"### {card.headline}", f"*{_inline(card.byline)}*"]
    lines += [f"\n> ⚠️ **{_inline(w)}**" for w in card.warnings]
    if card.criteria:
        lines += ["", "| criterion | score | weight | why |", "|---|---|---|---|"]
        lines += [
            f"| {_inline(c.name)} | {c.score} | {c.weight} | {_inline(c.why)} |"
            for c in card.criteria
        ]
    if card.points:
        lines += ["", f"**{card.points_title}**", ""]
        lines += [
            f"- {'✓' if k.covered else '✗'} {_inline(k.text)}"
            + (" *(covered)*" if k.covered else " *(missed)*")
            for k in card.points
        ]
    if card.feedback:
        lines += ["", "**Feedback:** " + escape_text(card.feedback)]
    if card.model_answer:
        lines += ["", reference_block(card.model_answer, "The grader's model answer")]
    if card.reference:
        lines += ["", reference_block(card.reference, "Reference answer")]
    return "\n".join(lines)


def reference_block(reference: str, title: str, open_: bool = False) -> str:
    attr = " open" if open_ else ""
    return (
        f"<details{attr}><summary>{html.escape(title)}</summary>\n\n"
        f"{escape_text(reference)}\n\n</details>"
    )


def prompt_text(prompt: Prompt) -> str:
    """The question as the interviewer asks it, with its number, topic and why it was chosen."""
    view = prompt_view(prompt)
    why = f"\n\n*Why this question: {_inline(view.why)}*" if view.why else ""
    return f"**{_inline(view.title)}**\n\n{escape_text(view.text)}{why}"


def status_text(prompt: Prompt | None) -> str:
    return _inline(status_line(prompt))


def summary_text(summary: Summary) -> str:
    view = summary_view(summary)
    lines = [f"### {_inline(view.title)}", "", _inline(view.headline)]
    if view.topics:
        lines += ["", "| topic | answers | mean score |", "|---|---|---|"]
        lines += [f"| {_inline(t)} | {n} | {mean} |" for t, n, mean in view.topics]
    for title, items in (("Strongest", view.strongest), ("Weakest", view.weakest)):
        if items:
            lines += ["", f"**{title}:**", ""]
            lines += [f"- {_inline(item)}" for item in items]
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
