"""Rich renderings of the shared views (:mod:`interview_bot.practice.view`) for the terminal."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.markdown import Markdown
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from interview_bot.grading.result import Grade
from interview_bot.practice.turns import Prompt, Summary, Turn
from interview_bot.practice.view import card_view, prompt_view, shows_prompt, summary_view


def grade_card(grade: Grade, reference: bool = True, hints: int = 0) -> RenderableType:
    """A grade as people read it in a terminal; the same parts as the web app's card."""
    card = card_view(grade, hints)
    parts: list[RenderableType] = [Text(f"{card.headline}  · {card.byline}", style="bold")]
    parts += [Text(f"⚠ {w}", style="yellow") for w in card.warnings]
    if card.second_opinion:
        parts.append(Text(f"⚖ {card.second_opinion}", style="magenta"))
    if card.criteria:
        table = Table("criterion", "score", "weight", "why")
        for c in card.criteria:
            table.add_row(c.name, c.score, c.weight, c.why)
        parts.append(table)
    if card.points:
        parts.append(Text(card.points_title, style="bold"))
        for point in card.points:
            mark, style = ("✓", "green") if point.covered else ("✗", "red")
            line = Text(f"  {mark} ", style=style) + Text(point.text)
            if point.near_miss:
                line += Text(" (not clear from your answer)", style="dim")
            parts.append(line)
    if card.feedback:
        parts.append(Text(card.feedback))
    if card.model_answer:
        parts.append(Panel(Markdown(card.model_answer), title="The grader's model answer"))
    if reference and card.reference:
        parts.append(Panel(Markdown(card.reference), title="Reference answer", border_style="dim"))
    return Group(*parts)


def prompt_panel(prompt: Prompt) -> RenderableType:
    view = prompt_view(prompt)
    subtitle = Text(f"why: {view.why}") if view.why else None
    return Panel(
        Markdown(view.text), title=Text(view.title), subtitle=subtitle, border_style="cyan"
    )


def summary_table(summary: Summary) -> RenderableType:
    view = summary_view(summary)
    table = Table("topic", "scored answers", "skipped", "mean score", title=view.title)
    for row in view.topics:
        table.add_row(*row)
    lines = [Text(f"Strongest: {item}") for item in view.strongest]
    lines += [Text(f"Weakest: {item}") for item in view.weakest]
    return Group(Text(view.headline, style="bold"), table, *lines)


def turn_parts(turn: Turn) -> list[RenderableType]:
    """A turn in reading order: grade, notice, reference, summary, next question."""
    parts: list[RenderableType] = []
    if turn.grade is not None:
        parts.append(grade_card(turn.grade, hints=turn.hints))
    if turn.notice:
        parts.append(Text(turn.notice, style="italic"))
    if turn.reference:
        parts.append(Panel(Markdown(turn.reference), title="Reference answer"))
    if turn.summary is not None:
        parts.append(summary_table(turn.summary))
    if turn.prompt is not None and shows_prompt(turn):
        parts.append(prompt_panel(turn.prompt))
    return parts
