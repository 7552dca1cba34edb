"""Commands for mock interviews: ``serve`` (the web app) and ``practice`` (its terminal twin)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import get_args

import typer
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
from interview_bot.cli.render import turn_parts
from interview_bot.grading.choice import GraderChoice
from interview_bot.knowledge.models import Difficulty
from interview_bot.practice.intents import parse_command, parse_own_question
from interview_bot.practice.owners import check_user_name, default_owner
from interview_bot.practice.progress import ProgressStore
from interview_bot.practice.session import InterviewSession
from interview_bot.practice.turns import SessionConfig, Turn
from interview_bot.practice.view import command_words
from interview_bot.settings import load_settings

LlmOption = typer.Option(
    None,
    "--llm",
    help="Grader: offline, openai:MODEL, ollama:MODEL, llamacpp:/path.gguf (default: offline).",
)
BaseUrlOption = typer.Option(None, "--base-url", help="Base URL of the LLM server.")
TopicOption = typer.Option(None, "--topic", help="Practise this topic (repeatable).")
LEVELS: tuple[str, ...] = get_args(Difficulty)
COMMAND_HELP = (
    f"Answer, then finish with an empty line. Commands: {command_words()}; "
    "or ask your own: 'ask me about RoPE', 'what is a KV cache?'. "
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
    auth: list[str] = typer.Option(
        None,
        "--auth",
        help="USER:PASS that may open the app; repeat for each person (each has their own "
        "interviews and progress).",
    ),
    users_file: Path = typer.Option(
        None, "--users-file", help="File of USER:HASH lines made by `interview-bot add-user`."
    ),
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
            auth=",".join(auth) if auth else None,
            users_file=users_file,
            data_dir=data_dir,
            chroma_url=chroma_url,
        )
    )


@app.command("add-user")
@friendly_errors
def add_user(
    users_file: Path = typer.Argument(..., help="The users file (created if missing)."),
    user: str = typer.Argument(..., help="User name: no spaces, ':' or ','."),
    password: str = typer.Option(
        ..., "--password", prompt=True, hide_input=True, confirmation_prompt=True
    ),
) -> None:
    """Add a web-app user (or change their password) in a users file, as a scrypt hash."""
    from interview_bot.web.users import add_user as write_user

    new = write_user(users_file, user, password)
    console.print(
        f"{'Added' if new else 'Changed the password of'} {user} in {users_file}. "
        f"Serve with: interview-bot serve --users-file {users_file}",
        highlight=False,
    )


def print_turn(turn: Turn) -> None:
    for part in turn_parts(turn):
        console.print(part)


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
    user: str = typer.Option(
        None,
        "--user",
        help="Whose interviews and progress these are (default: your OS user name; a web "
        "user's login name reaches theirs).",
    ),
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
    threading.Thread(target=bot.warm_up, name="warm-up", daemon=True).start()
    progress = ProgressStore(settings.progress_path)
    owner = check_user_name(user, "--user") if user else default_owner()
    # Flags given now win over the grader an interview was started with.
    grader = GraderChoice(spec=settings.llm, base_url=settings.base_url) if llm else None
    session = (
        InterviewSession.resume(bot, progress, settings.bank, grader, owner=owner)
        if resume
        else None
    )
    if session is not None:
        number = progress.number(session.id)
        console.print(Text(f"Resuming interview {number}.", style="bold"))
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
        session, turn = InterviewSession.start(bot, progress, config, grader, owner=owner)
    console.print(Text(COMMAND_HELP, style="dim"))
    print_turn(turn)
    for hint in session.shown_hints():
        console.print(Text(hint))
    while not session.ended:
        try:
            text = read_answer()
        except KeyboardInterrupt:
            text = None
        if text is None:
            console.print(
                Text(
                    f"Paused. Resume with: interview-bot practice --resume --bank {settings.bank}"
                    + (f" --user {user}" if user else ""),
                    style="dim",
                )
            )
            return
        print_turn(session.handle(text))
