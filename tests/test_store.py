"""The Chroma store: build then swap, no re-embedding, failure leaves the old store usable."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from interview_bot.bot import InterviewBot
from interview_bot.errors import BankError, StoreError
from interview_bot.settings import Settings
from tests.conftest import BUNDLED_QUESTIONS, JSON_QA, KNOWLEDGE, QUIZ


def _bot(settings: Settings) -> InterviewBot:
    return InterviewBot(settings)


def test_paraphrase_finds_positional_encoding_first(seeded_bot: InterviewBot) -> None:
    hits = seeded_bot.search("why do transformers need to know token order?", k=3)
    assert "positional encoding" in hits[0].question.question.lower()
    assert hits[0].similarity > hits[1].similarity


def test_questions_round_trip_through_the_store(seeded_bot: InterviewBot) -> None:
    questions = seeded_bot.store.questions()
    assert len(questions) == BUNDLED_QUESTIONS
    some = next(iter(questions.values()))
    assert seeded_bot.store.get(some.id) == some


def test_reingest_unchanged_embeds_nothing(settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "bank"
    shutil.copytree(KNOWLEDGE, folder)
    bot = _bot(settings)
    first = bot.ingest([folder])
    assert not first.unchanged and first.questions == BUNDLED_QUESTIONS
    calls, texts = bot.embedder.encode_calls, bot.embedder.encoded_texts
    again = bot.ingest([folder])
    assert again.unchanged and again.embedded_texts == 0
    assert (bot.embedder.encode_calls, bot.embedder.encoded_texts) == (calls, texts)


def test_changed_file_embeds_only_what_changed(settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "bank"
    folder.mkdir()
    shutil.copy(QUIZ, folder / "quiz.md")
    shutil.copy(JSON_QA, folder / "qa.json")
    bot = _bot(settings)
    bot.ingest([folder])
    quiz = (folder / "quiz.md").read_text(encoding="utf-8")
    (folder / "quiz.md").write_text(
        quiz.replace("**Cross-Entropy Loss.**", "**Cross-entropy loss over the vocabulary.**"),
        encoding="utf-8",
    )
    report = bot.ingest([folder])
    assert not report.unchanged
    # The edited answer and the key-point candidates it yields; nothing else is re-embedded.
    assert 0 < report.embedded_texts <= 4
    loss = next(q for q in bot.store.questions().values() if "loss function" in q.question)
    assert "over the vocabulary" in loss.reference_text


def test_bad_file_leaves_previous_store_untouched(settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "bank"
    folder.mkdir()
    shutil.copy(JSON_QA, folder / "qa.json")
    bot = _bot(settings)
    bot.ingest([folder])
    before = bot.store.manifest("default")
    (folder / "broken.json").write_text('{"What?": "a",\n "Why?" "b"}', encoding="utf-8")
    with pytest.raises(BankError, match=r"broken\.json:2: invalid JSON"):
        bot.ingest([folder])
    assert bot.store.manifest("default") == before
    assert len(bot.search("scaled dot-product attention formula", k=1)) == 1


def test_failure_while_writing_keeps_the_old_collection(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "bank"
    folder.mkdir()
    shutil.copy(JSON_QA, folder / "qa.json")
    bot = _bot(settings)
    bot.ingest([folder])
    before = bot.store.manifest("default")
    shutil.copy(QUIZ, folder / "quiz.md")

    def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("disk vanished mid-write")

    monkeypatch.setattr("langchain_chroma.Chroma.add_texts", explode)
    with pytest.raises(RuntimeError):
        bot.ingest([folder])
    monkeypatch.undo()
    assert bot.store.manifest("default") == before
    assert len(bot.store.questions()) == 14
    assert bot.search("why scale by sqrt d_k", k=1)[0].question.id in bot.store.questions()


def test_custom_bank_in_its_own_collection(seeded_bot: InterviewBot, tmp_path: Path) -> None:
    bank = tmp_path / "mine.csv"
    bank.write_text(
        "question,answer,topic\nWhat is RoPE?,Rotary position embeddings rotate "
        "queries and keys by position-dependent angles.,Positions\n",
        encoding="utf-8",
    )
    seeded_bot.ingest([bank], bank="mine")
    assert {"default", "mine"} <= set(seeded_bot.store.banks())
    assert len(seeded_bot.store.questions("mine")) == 1
    hit = seeded_bot.search("rotary embeddings", k=1, bank="mine")[0]
    assert hit.question.question == "What is RoPE?"
    assert len(seeded_bot.store.questions("default")) == BUNDLED_QUESTIONS


def test_unknown_bank_is_a_clear_error(seeded_bot: InterviewBot) -> None:
    with pytest.raises(StoreError, match="bank 'nope' is not ingested yet"):
        seeded_bot.search("anything", bank="nope")


def _built_by_an_older_version(monkeypatch: pytest.MonkeyPatch) -> None:
    from interview_bot.knowledge import manifest, store

    monkeypatch.setattr(manifest, "BUILD_VERSION", "old")
    monkeypatch.setattr(store, "BUILD_VERSION", "old")


def _bundled_bank_of_an_older_version(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> InterviewBot:
    """A new process's bot over the bundled bank as an older version built it."""
    _built_by_an_older_version(monkeypatch)
    InterviewBot(settings).ensure_bank()
    monkeypatch.undo()
    return InterviewBot(settings)


def test_the_bundled_bank_an_older_version_built_is_rebuilt_once(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from interview_bot.knowledge.manifest import BUILD_VERSION

    bot = _bundled_bank_of_an_older_version(settings, monkeypatch)
    old = bot.store.manifest("default")
    assert old is not None and old.build_version == "old"
    bot.ensure_bank()
    new = bot.store.manifest("default")
    assert new is not None and new.build_version == BUILD_VERSION
    assert new.collection != old.collection
    bot.ensure_bank()  # compared once: no second build
    assert bot.store.manifest("default") == new


def test_reading_the_bundled_bank_an_older_version_built_rebuilds_it(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What `bank keypoints` and practice read first: the questions, not a search."""
    from interview_bot.knowledge.manifest import BUILD_VERSION

    bot = _bundled_bank_of_an_older_version(settings, monkeypatch)
    assert len(bot.questions()) == BUNDLED_QUESTIONS
    new = bot.store.manifest("default")
    assert new is not None and new.build_version == BUILD_VERSION


def test_a_default_bank_of_ones_own_files_is_never_rebuilt_behind_ones_back(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _built_by_an_older_version(monkeypatch)
    InterviewBot(settings).ingest([QUIZ])  # one seed file only: not the bundled bank
    monkeypatch.undo()
    bot = InterviewBot(settings)
    before = bot.store.manifest("default")
    bot.ensure_bank()
    assert bot.store.manifest("default") == before
