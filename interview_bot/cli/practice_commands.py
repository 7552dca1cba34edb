"""Commands for mock interviews: ``serve`` (the web app) and ``practice`` (its terminal twin)."""

from __future__ import annotations

import threading
from pathlib import Path

import typer
from rich.markdown import Markdown
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from interview_bot.bot import InterviewBot
from interview_bot.cli.app import (
    BankOption,
    ChromaOption,
    DataDirOption,
    app,
    console,
    friendly_errors,
)
from interview_bot.grade import Grade
from interview_bot.intents import parse_command, parse_own_question
from interview_bot.progress import ProgressStore
from interview_bot.session import InterviewSession, warm_up
from interview_bot.settings import load_settings
from interview_bot.turns import Prompt, SessionConfig, Summary, Turn

LlmOption = typer.Option(
    None,
    "--llm",
    help="Grader: offline, openai:MODEL, ollama:MODEL, llamacpp:/path.gguf (default: offline).",
)
BaseUrlOption = typer.Option(None, "--base-url", help="Base URL of the LLM server.")
TopicOption = typer.Option(None, "--topic", help="Practise this topic (repeatable).")
LEVELS = ("basic", "intermediate", "advanced")
COMMAND_HELP = (
    "Answer, then finish with an empty line. Commands: hint, skip, show answer, "
    "repeat, end; or ask your own: 'ask me about RoPE', 'what is a KV cache?'. "
    "Ctrl+D pauses (resume with --resume)."
)


@app.command()
@friendly_errors
def serve(
    host: str = typer.Option(
        None, "--host", help="Address to listen on (default 127.0.0.1; anything else needs --auth)."
    ),
    port: int = typer.Option(None, "--port", help="Port (default 7860)."),
    bank: str = BankOption,
    llm: str = LlmOption,
    base_url: str = BaseUrlOption,
    auth: str = typer.Option(None, "--auth", help="USER:PASS required to open the app."),
    data_dir: Path = DataDirOption,
    chroma_url: str = ChromaOption,
) -> None:
    """Serve the mock-interview web app and print its URL."""
    from interview_bot.web import launch

    launch(
        load_settings(
            host=host,
            port=port,
            bank=bank,
            llm=llm,
            base_url=base_url,
            auth=auth,
            data_dir=data_dir,
            chroma_url=chroma_url,
        )
    )


def print_prompt(prompt: Prompt) -> None:
    if prompt.followup:
        title = f"Follow-up on question {prompt.number} · {prompt.topic}"
    else:
        level = f" · {prompt.difficulty}" if prompt.difficulty else ""
        title = f"Question {prompt.number} of {prompt.total} · {prompt.topic}{level}"
    body = Markdown(prompt.text)
    subtitle = None if prompt.followup else Text(f"why: {prompt.reason}")
    console.print(Panel(body, title=Text(title), subtitle=subtitle, border_style="cyan"))


def print_grade(grade: Grade) -> None:
    head = (
        f"Score {grade.score:g}/{grade.max_score:g} ({grade.fraction:.0%})"
        if grade.graded
        else "Not scored"
    )
    console.print(
        Text(f"{head}  · graded by {grade.grader} in {grade.elapsed_ms:.0f} ms", style="bold")
    )
    if grade.fallback_reason:
        console.print(
            Text(
                f"⚠ The LLM grader failed, the offline grader scored this: {grade.fallback_reason}",
                style="yellow",
            )
        )
    if grade.graded and grade.criteria:
        table = Table("criterion", "score", "weight", "why")
        for c in grade.criteria:
            table.add_row(c.name, f"{c.score:g}/{c.max_score:g}", f"{c.weight:g}", c.rationale)
        console.print(table)
    for point in grade.key_points:
        mark, style = ("✓", "green") if point.covered else ("✗", "red")
        console.print(Text(f"  {mark} ", style=style) + Text(point.text))
    if grade.feedback:
        console.print(Text(grade.feedback))
    if grade.reference:
        console.print(
            Panel(Markdown(grade.reference), title="Reference answer", border_style="dim")
        )


def print_summary(summary: Summary) -> None:
    mean = "-" if summary.mean_fraction is None else f"{summary.mean_fraction:.0%}"
    console.print(
        Text(f"Answered {summary.answered}, skipped {summary.skipped}, mean {mean}", style="bold")
    )
    table = Table("topic", "answers", "mean score")
    for t in summary.topics:
        table.add_row(t.topic, str(t.attempts), f"{t.mean_fraction:.0%}")
    console.print(table)
    for title, items in (("Strongest", summary.strongest), ("Weakest", summary.weakest)):
        for q in items:
            console.print(Text(f"{title}: {q.fraction:.0%} · {q.question}"))


def print_turn(turn: Turn) -> None:
    if turn.grade is not None:
        print_grade(turn.grade)
    if turn.notice:
        console.print(Text(turn.notice, style="italic"))
    if turn.reference:
        console.print(Panel(Markdown(turn.reference), title="Reference answer"))
    if turn.summary is not None:
        print_summary(turn.summary)
    if turn.prompt is not None:
        print_prompt(turn.prompt)


def read_answer() -> str | None:
    """Lines up to an empty line (a command or a question of your own needs none); None at the
    end of input."""
    lines: list[str] = []
    while True:
        try:
            line = input("> " if not lines else "  ")
        except EOFError:
            return "\n".join(lines) if lines else None
        if not line.strip():
            if lines:
                return "\n".join(lines)
            continue
        lines.append(line)
        if len(lines) == 1 and (parse_command(line) or parse_own_question(line)):
            return line


@app.command()
@friendly_errors
def practice(
    bank: str = BankOption,
    llm: str = LlmOption,
    base_url: str = BaseUrlOption,
    topic: list[str] = TopicOption,
    difficulty: str = typer.Option(None, "--difficulty", help="basic, intermediate or advanced."),
    length: int = typer.Option(5, "--length", min=1, max=200, help="Number of questions."),
    adaptive: bool = typer.Option(False, "--adaptive", help="Spaced repetition picks questions."),
    resume: bool = typer.Option(False, "--resume", help="Continue the last unfinished interview."),
    data_dir: Path = DataDirOption,
    chroma_url: str = ChromaOption,
) -> None:
    """A mock interview in the terminal: the same session, commands and grading as the web app."""
    if difficulty not in (None, *LEVELS):
        raise typer.BadParameter(f"choose one of {', '.join(LEVELS)}", param_hint="--difficulty")
    settings = load_settings(
        bank=bank, llm=llm, base_url=base_url, data_dir=data_dir, chroma_url=chroma_url
    )
    bot = InterviewBot(settings)
    bot.ensure_bank()
    threading.Thread(target=warm_up, args=(bot,), name="warm-up", daemon=True).start()
    progress = ProgressStore(settings.progress_path)
    session = InterviewSession.resume(bot, progress, settings.bank) if resume else None
    if session is not None:
        console.print(Text(f"Resuming interview {session.id}.", style="bold"))
        turn = session.opening()
    else:
        config = SessionConfig(
            bank=settings.bank,
            topics=list(topic or []),
            difficulty=difficulty,  # type: ignore[arg-type]
            length=length,
            adaptive=adaptive,
            llm=settings.llm,
            base_url=settings.base_url,
        )
        session, turn = InterviewSession.start(bot, progress, config)
    console.print(Text(COMMAND_HELP, style="dim"))
    print_turn(turn)
    while not session.ended:
        try:
            text = read_answer()
        except KeyboardInterrupt:
            text = None
        if text is None:
            console.print(
                Text(
                    f"Paused. Resume with: interview-bot practice --resume --bank {settings.bank}",
                    style="dim",
                )
            )
            return
        print_turn(session.handle(text))
