"""Handlers of the Banks tab: check an uploaded bank file, ingest it as its own bank, switch.

An upload is size-checked before a byte of it is parsed, validated with the same parser the
CLI uses (problems shown as ``file:line: message``), copied under DATA_DIR/uploads/TAG/NAME
and only then ingested into its own collection.

Banks have owners. An upload becomes the uploader's private bank ``NAME@TAG`` (TAG is a
hash of the owner, :func:`private_bank`): nobody else sees it, and no upload can replace a
shared bank (``default``, or any bank the CLI ingested), whatever its name.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from interview_bot.errors import BankError, BankErrors, InterviewBotError
from interview_bot.knowledge.bank import parse_files
from interview_bot.practice.owners import owner_tag
from interview_bot.practice.view import plural
from interview_bot.settings import Settings
from interview_bot.web.render import escape_text, for_web
from interview_bot.web.state import UserState

BANK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
OWNED = "@"  # private banks are NAME@TAG; shared banks have no @
RESERVED = {"default"}
Progress = Callable[..., Any]
FORMATS = """**Accepted files** (at most {limit:,} bytes each; the shape is read from the content):

- Markdown: `## Question?` headings with the answer below; `Q:` / `A:` lines;
  `**1. Question:**` / `**Answer:**`; `**Question:**` quizzes
- Plain text: `Q:` / `A:` lines, or numbered questions with their answers
- JSON (a list of `question` / `answer` records, or a question-to-answer object), JSONL
- CSV with a `question,answer` header (`topic`, `difficulty` optional)
- YAML, a list of `question` / `answer` records

Your banks are yours: nobody else sees them, and the shared `default` bank cannot be
replaced from here."""


def private_bank(owner: str, name: str) -> str:
    """The stored name of ``owner``'s bank ``name``."""
    return f"{name}{OWNED}{owner_tag(owner)}"


def bank_label(bank: str) -> str:
    """What a person sees of a stored bank name: ``mine (yours)`` or ``default``."""
    name, owned, _tag = bank.partition(OWNED)
    return f"{name} (yours)" if owned else bank


class Ingesting(Protocol):
    settings: Settings
    store: Any

    def ingest(
        self, paths: list[Path], bank: str | None = None, progress: Any = None, force: bool = False
    ) -> Any: ...


def _located(error: BankError) -> str:
    """``name:line: message`` with the upload's temporary folder left out."""
    where = Path(error.path).name + (f":{error.line}" if error.line is not None else "")
    return f"{where}: {error.message}"


def problems_text(exc: BankError | BankErrors) -> str:
    """The problems of a bank file, one ``file:line: message`` per line, HTML shown as text."""
    errors = exc.errors if isinstance(exc, BankErrors) else [exc]
    lines = "\n".join(f"- {escape_text(_located(e))}" for e in errors)
    return f"**This file cannot be used as a bank ({plural(len(errors), 'problem')}):**\n\n{lines}"


def _size_problem(path: Path, limit: int) -> str | None:
    size = path.stat().st_size
    if size > limit:
        return (
            f"**{escape_text(path.name)} is {size:,} bytes; the upload limit is {limit:,}** "
            "- split it into smaller files and upload each as its own bank."
        )
    return None


def default_name(upload: str | None) -> str:
    """A bank name suggested by the uploaded file's name."""
    if not upload:
        return ""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", Path(upload).stem).strip("-_")[:40]
    return stem or "uploaded"


class BankHandlers:
    def __init__(self, bot: Ingesting, settings: Settings) -> None:
        self.bot, self.settings = bot, settings

    def banks(self, user: UserState | None = None) -> list[tuple[str, str]]:
        """(label, stored name) of the banks ``user`` may use: the shared ones and their own."""
        mine = OWNED + owner_tag(user.who) if user is not None else None
        return [
            (bank_label(b), b)
            for b in self.bot.store.banks()
            if OWNED not in b or (mine is not None and b.endswith(mine))
        ]

    def check(self, upload: str | None) -> str:
        """Validate an upload without ingesting it: "ok" with counts, or its problems."""
        if not upload:
            return ""
        path = Path(upload)
        problem = _size_problem(path, self.settings.max_upload_bytes)
        if problem:
            return problem
        try:
            (parsed,) = parse_files([path], self.settings.max_upload_bytes)
        except (BankError, BankErrors) as exc:
            return problems_text(exc)
        return (
            f"✓ {escape_text(path.name)}: {plural(len(parsed.questions), 'question')}, "
            f"{parsed.answered} with answers ({parsed.format}). Name the bank and press "
            "**Ingest**."
        )

    def ingest(
        self, upload: str | None, name: str, user: UserState, progress: Progress | None = None
    ) -> tuple[str, Any, UserState]:
        """Check, copy and ingest an upload into bank ``name``, then switch this browser to it.
        Returns (message, bank dropdown update, user state)."""
        import gradio as gr

        keep = gr.update()
        if not upload:
            return "Choose a bank file first.", keep, user
        name = name.strip() or default_name(upload)
        if not BANK_NAME.match(name):
            return (
                f"**Bank name {escape_text(name)!s} is not usable:** use 1-40 letters, "
                "digits, - or _.",
                keep,
                user,
            )
        if name in RESERVED:
            return (
                f"**{name} is the bundled bank everyone shares;** it cannot be replaced from "
                "the web app. Choose another name for your bank.",
                keep,
                user,
            )
        path = Path(upload)
        problem = _size_problem(path, self.settings.max_upload_bytes)
        if problem:
            return problem, keep, user
        try:
            parse_files([path], self.settings.max_upload_bytes)
        except (BankError, BankErrors) as exc:
            return problems_text(exc), keep, user
        bank = private_bank(user.who, name)
        folder = self.settings.data_dir / "uploads" / owner_tag(user.who) / name
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        target = folder / path.name
        shutil.copyfile(path, target)

        def report(stage: str, done: int, total: int) -> None:
            if progress is not None:
                progress((done, total), desc=stage)

        try:
            result = self.bot.ingest([target], bank=bank, progress=report)
        except (BankError, BankErrors) as exc:
            return problems_text(exc), keep, user
        except InterviewBotError as exc:
            return f"⚠️ **{escape_text(for_web(str(exc)))}**", keep, user
        count = getattr(result, "questions", None)
        counted = plural(count, "question") if isinstance(count, int) else "its questions"
        message = (
            f"✓ Ingested **{escape_text(path.name)}** into your bank **{name}** "
            f"({counted}). Interviews now use this bank.{_paused(user)}"
        )
        user = user.model_copy(update={"bank": bank, "session_id": None})
        return message, gr.update(choices=self.banks(user), value=bank), user

    def switch(self, bank: str | None, user: UserState) -> tuple[str, UserState]:
        if not bank or bank not in {b for _, b in self.banks(user)}:
            return "Choose one of the banks in the list.", user
        message = f"Interviews now use bank **{escape_text(bank_label(bank))}**.{_paused(user)}"
        return message, user.model_copy(update={"bank": bank, "session_id": None})


def _paused(user: UserState) -> str:
    """What a bank switch does to the interview open in this browser: it is kept."""
    if user.session_id is None:
        return ""
    return (
        " The interview you had open is kept: if it was unfinished, **Resume** on the "
        "Interview tab goes on with it; **Start** begins one on this bank."
    )
