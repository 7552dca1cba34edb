"""Markdown for the web app: grade cards, questions, summaries. No Gradio here.

Everything that comes from people or files (answers, bank questions, references, feedback)
goes through :func:`escape_text`, which turns raw HTML into visible text while keeping
Markdown and code blocks; the Chatbot's own sanitizer is the second line of defence.
Messages written for the terminal (``pass --llm offline``) are reworded for the browser by
:func:`for_web`.
"""

from __future__ import annotations

import html
import re

from interview_bot.grading.result import Grade
from interview_bot.practice.turns import Exchange, Prompt, Summary, Turn
from interview_bot.practice.view import (
    PointMark,
    card_view,
    escape_html,
    percent,
    prompt_view,
    shows_prompt,
    status_line,
    summary_view,
)

Message = dict[str, str]
escape_text = escape_html

# CLI advice in core messages, and what a web user does instead
_WEB_WORDS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), words)
    for pattern, words in (
        (r"fix --base-url / OPENAI_BASE_URL", "fix the Base URL in the Settings tab"),
        (r"pass --base-url", "set the Base URL in the Settings tab"),
        (r"pass --llm offline", "choose offline in the Settings tab"),
        (r"OPENAI_API_KEY is not set - export it", "No API key is set - paste one"),
        (r"An LLM grader \(--llm\)", "An LLM grader (Settings tab)"),
        (r"run `interview-bot ingest --bank (\S+) FILES`", r"upload its file in the Banks tab"),
        (r"re-ingest it with `interview-bot ingest --bank (\S+) FILES`", "upload it again"),
        (r"\(INTERVIEW_BOT_MAX_UPLOAD_BYTES\)", "(set by whoever runs this app)"),
        (r"--(?:llm|base-url|bank|auth|data-dir)\b", "the setting"),
    )
)


def for_web(text: str) -> str:
    """``text`` with advice meant for the terminal (flags, environment variables) reworded
    for someone in the browser."""
    for pattern, words in _WEB_WORDS:
        text = pattern.sub(words, text)
    return text


def _inline(text: str) -> str:
    """One line of escaped text for a table cell or a list item."""
    return escape_text(" ".join(text.split())).replace("|", "\\|")


def _point_status(point: PointMark) -> str:
    if point.covered:
        return "covered"
    return "not clear from your answer" if point.near_miss else "missed"


def grade_card(grade: Grade, hints: int = 0) -> str:
    """Score, criteria table, key points ✓/✗, feedback, and the reference in a <details>."""
    card = card_view(grade, hints)
    lines = [f"### {card.headline}", f"*{_inline(card.byline)}*"]
    lines += [f"\n> ⚠️ **{_inline(for_web(w))}**" for w in card.warnings]
    if card.second_opinion:
        lines.append(f"\n> ⚖️ {_inline(card.second_opinion)}")
    if card.criteria:
        lines += ["", "| criterion | score | weight | why |", "|---|---|---|---|"]
        lines += [
            f"| {_inline(c.name)} | {c.score} | {c.weight} | {_inline(c.why)} |"
            for c in card.criteria
        ]
    if card.points:
        lines += ["", f"**{card.points_title}**", ""]
        lines += [
            f"- {'✓' if k.covered else '✗'} {_inline(k.text)} *({_point_status(k)})*"
            for k in card.points
        ]
    if card.feedback:
        lines += ["", "**Feedback:** " + escape_text(for_web(card.feedback))]
    if card.model_answer:
        lines += ["", reference_block(card.model_answer, "The grader's model answer")]
    if card.reference:
        lines += ["", reference_block(card.reference, "Reference answer")]
    return "\n".join(lines)


_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)[ \t#]*$")


def _flatten_headings(markdown: str) -> str:
    """Headings ("##### Comparison") as bold lines; code blocks (a "# comment") untouched."""
    lines, in_code = [], False
    for line in markdown.split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            in_code = not in_code
        lines.append(line if in_code else _HEADING.sub(r"**\1**", line))
    return "\n".join(lines)


def reference_block(reference: str, title: str, open_: bool = False) -> str:
    """A reference in a collapsible block; its own headings become bold lines, so they do not
    render larger than the grade card around them."""
    attr = " open" if open_ else ""
    body = _flatten_headings(escape_text(reference))
    return f"<details{attr}><summary>{html.escape(title)}</summary>\n\n{body}\n\n</details>"


def prompt_text(prompt: Prompt) -> str:
    """The question as the interviewer asks it, with its number, topic and why it was chosen."""
    view = prompt_view(prompt)
    why = f"\n\n*Why this question: {_inline(view.why)}*" if view.why else ""
    return f"**{_inline(view.title)}**\n\n{escape_text(view.text)}{why}"


def status_text(prompt: Prompt | None, ended: int | None = None) -> str:
    return _inline(status_line(prompt, ended))


def summary_text(summary: Summary) -> str:
    view = summary_view(summary)
    lines = [f"### {_inline(view.title)}", "", _inline(view.headline)]
    if view.topics:
        lines += ["", "| topic | scored | skipped | mean score |", "|---|---|---|---|"]
        lines += [f"| {_inline(t)} | {n} | {s} | {mean} |" for t, n, s, mean in view.topics]
    for title, items in (("Strongest", view.strongest), ("Weakest", view.weakest)):
        if items:
            lines += ["", f"**{title}:**", ""]
            lines += [f"- {_inline(item)}" for item in items]
    return "\n".join(lines)


def user_message(text: str) -> Message:
    return {"role": "user", "content": escape_text(text) or "*(empty)*"}


def turn_messages(turn: Turn) -> list[Message]:
    """A turn as chat messages from the interviewer, in reading order. A hint does not post
    the question again: it is still on screen and in the status line."""
    parts: list[str] = []
    if turn.grade is not None:
        parts.append(grade_card(turn.grade, turn.hints))
    if turn.notice and turn.summary is None:
        parts.append(escape_text(for_web(turn.notice)))
    if turn.reference:
        parts.append(reference_block(turn.reference, "Reference answer", open_=True))
    if turn.summary is not None:  # the full summary and its chart are shown below the chat
        said = escape_text(turn.notice or "Interview over.")
        if turn.summary.scored:
            mean = f"Mean score {percent(turn.summary.mean_fraction)}"
        else:
            mean = "Nothing was scored"
        parts.append(f"**{said}** {mean}; the summary and chart are below.")
    if turn.prompt is not None and shows_prompt(turn):
        parts.append(prompt_text(turn.prompt))
    return [{"role": "assistant", "content": part} for part in parts]


def transcript_messages(exchanges: list[Exchange]) -> list[Message]:
    """Stored attempts as the chat showed them: question, answer, grade card."""
    messages: list[Message] = []
    for e in exchanges:
        if e.kind == "followup":
            title = f"Follow-up on question {e.number} · {e.topic}"
        else:
            title = f"Question {e.number} of {e.total} · {e.topic}"
        messages.append(
            {"role": "assistant", "content": f"**{_inline(title)}**\n\n{escape_text(e.question)}"}
        )
        if e.kind == "skip":
            messages.append({"role": "user", "content": "*(skipped)*"})
            continue
        messages.append(user_message(e.answer))
        if e.grade is not None:
            messages.append({"role": "assistant", "content": grade_card(e.grade, e.hints)})
    return messages


def hint_message(hint: str) -> Message:
    return {"role": "assistant", "content": escape_text(hint)}


def error_message(error: Exception) -> Message:
    return {"role": "assistant", "content": f"⚠️ **{escape_text(for_web(str(error)))}**"}
