"""An embedded store deleted or corrupted under the bot: rebuilt from knowledge/, said in words."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import pytest

from interview_bot.bot import InterviewBot
from interview_bot.errors import StoreError
from interview_bot.settings import Settings
from tests.conftest import BUNDLED_QUESTIONS

QUERY = "why do transformers need to know token order?"


@pytest.fixture
def bot(settings: Settings) -> InterviewBot:
    bot = InterviewBot(settings)
    bot.ingest()
    return bot


def _rebuilt(bot: InterviewBot) -> None:
    hits = bot.search(QUERY, k=3)
    assert "positional encoding" in hits[0].question.question.lower()
    assert len(bot.questions()) == BUNDLED_QUESTIONS
    assert bot.store.notice is not None
    assert "Bank 'default' was rebuilt from knowledge/" in bot.store.notice
    assert (bot.settings.store_dir / "chroma.sqlite3").is_file()


def test_deleted_store_is_rebuilt_from_knowledge(
    bot: InterviewBot, caplog: pytest.LogCaptureFixture
) -> None:
    shutil.rmtree(bot.settings.store_dir)
    with caplog.at_level(logging.WARNING, logger="interview_bot.knowledge.store"):
        _rebuilt(bot)
    assert f"The Chroma store at {bot.settings.store_dir} was deleted" in (bot.store.notice or "")
    assert "rebuilt from knowledge/" in caplog.text
    bot.store._questions.clear()  # read back from the new store, not from memory
    assert len(bot.store.questions()) == BUNDLED_QUESTIONS


def test_garbage_database_is_moved_aside_and_rebuilt(bot: InterviewBot) -> None:
    database = bot.settings.store_dir / "chroma.sqlite3"
    garbage = os.urandom(64 * 1024)
    database.write_bytes(garbage)
    _rebuilt(bot)
    notice = bot.store.notice or ""
    assert "could not be read" in notice
    aside = [p for p in bot.settings.data_dir.iterdir() if p.name.startswith("store.corrupt-")]
    assert len(aside) == 1 and (aside[0] / "chroma.sqlite3").read_bytes() == garbage
    assert str(aside[0]) in notice


def test_garbage_database_at_start(settings: Settings) -> None:
    """A store that is already garbage when the process starts (no client has opened it)."""
    settings.store_dir.mkdir(parents=True)
    (settings.store_dir / "chroma.sqlite3").write_bytes(b"not a database\n" * 4096)
    bot = InterviewBot(settings)
    _rebuilt(bot)


def test_truncated_database_is_rebuilt(bot: InterviewBot) -> None:
    database = bot.settings.store_dir / "chroma.sqlite3"
    database.write_bytes(database.read_bytes()[:40_000])
    _rebuilt(bot)


def test_custom_bank_must_be_reingested(bot: InterviewBot, tmp_path: Path) -> None:
    mine = tmp_path / "mine.csv"
    mine.write_text(
        "question,answer\nWhat is RoPE?,Rotary position embeddings rotate queries and keys.\n",
        encoding="utf-8",
    )
    bot.ingest([mine], bank="mine")
    shutil.rmtree(bot.settings.store_dir)
    with pytest.raises(StoreError) as caught:
        bot.search("rotary embeddings", bank="mine")
    message = str(caught.value)
    assert "was deleted" in message and "bank 'mine' cannot be rebuilt from knowledge/" in message
    assert "re-ingest it with `interview-bot ingest --bank mine FILES`" in message
    _rebuilt(bot)  # the default bank still comes back by itself
    bot.ingest([mine], bank="mine")
    assert bot.search("rotary embeddings", k=1, bank="mine")[0].question.question == "What is RoPE?"
