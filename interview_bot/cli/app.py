"""The Typer application and what every command shares: options, errors, output."""

from __future__ import annotations

import errno
import functools
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from interview_bot.errors import BankError, BankErrors, InterviewBotError

app = typer.Typer(
    name="interview-bot",
    help="Practice partner for ML/LLM interviews: question banks, grading, mock interviews.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Piped output (make eval, CI logs) gets full-width tables instead of 80 truncated columns.
console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])
# The machine, not the input and not a bug: said in one line like any other user error.
_ENVIRONMENT = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES}
_SURROGATE = re.compile("[\ud800-\udfff]")


def friendly_errors(func: F) -> F:
    """Turn errors meant for people into one clear line (each, for a list) and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except BankErrors as exc:
            for error in exc.errors:
                typer.echo(str(error), err=True)
            raise typer.Exit(2) from None
        except BankError as exc:  # already "file:line: message"
            typer.echo(str(exc), err=True)
            raise typer.Exit(2) from None
        except InterviewBotError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        except OSError as exc:
            if exc.errno not in _ENVIRONMENT:
                raise
            where = f": {exc.filename}" if exc.filename else ""
            typer.echo(f"error: {exc.strerror}{where}", err=True)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def print_json(data: Any) -> None:
    """JSON on standard output, always valid UTF-8 (a lone surrogate becomes U+FFFD)."""
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"
    sys.stdout.flush()
    sys.stdout.buffer.write(_SURROGATE.sub("\ufffd", text).encode("utf-8"))
    sys.stdout.buffer.flush()


class ProgressBar:
    """A rich progress bar fed by the core's ``(stage, done, total)`` callbacks."""

    def __init__(self, enabled: bool = True) -> None:
        self._progress = Progress(
            TextColumn("{task.description:<12}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
            disable=not enabled,
            transient=False,
        )
        self._tasks: dict[str, Any] = {}

    def __enter__(self) -> ProgressBar:
        self._progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.__exit__(None, None, None)

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage not in self._tasks:
            self._tasks[stage] = self._progress.add_task(stage, total=total)
        self._progress.update(self._tasks[stage], completed=done, total=total)


DataDirOption = typer.Option(
    None,
    "--data-dir",
    help="Folder for store and progress (env INTERVIEW_BOT_DATA_DIR).",
    show_default=False,
)
BankOption = typer.Option(None, "--bank", help="Question bank name (default: default).")
ChromaOption = typer.Option(None, "--chroma-url", help="Use a Chroma server at http://HOST:PORT.")
PathsArgument = typer.Argument(
    None, help="Bank files or folders (default: knowledge/).", show_default=False
)


def as_paths(paths: list[Path] | None) -> list[Path] | None:
    return list(paths) if paths else None
