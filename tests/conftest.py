"""Shared fixtures: the real bundled embedding model, a real Chroma in a temporary folder."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

# Nothing a test does may touch the user's real data folder.
os.environ["INTERVIEW_BOT_DATA_DIR"] = tempfile.mkdtemp(prefix="interview-bot-tests-")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from interview_bot.bot import InterviewBot
from interview_bot.knowledge.bank import Bank, build_bank
from interview_bot.knowledge.embeddings import Embedder, get_embedder
from interview_bot.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent


def run_training(script: str, *args: str) -> str:
    """Run an evals/ training script offline, as a person would; its output, once it has
    succeeded and reported on the test split."""
    done = subprocess.run(
        [sys.executable, f"evals/{script}", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "test split (questions never fitted)" in done.stdout
    return done.stdout


KNOWLEDGE = ROOT / "knowledge"
QUIZ = KNOWLEDGE / "transformer-quiz-no.md"
OUTLINE = KNOWLEDGE / "commonly-asked-outline.md"
INTERNALS = KNOWLEDGE / "transformer-internals.md"
JSON_QA = KNOWLEDGE / "attention-qa.json"
NUMBERED = KNOWLEDGE / "part6-numbered.txt"
# canonical questions of the bundled bank: 94 parsed, merged by similarity, by the bare
# questions' answers and by knowledge/same-questions.yaml
BUNDLED_QUESTIONS = 60


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """An uncached embedder over the shared, once-loaded model."""
    return get_embedder(None)


@pytest.fixture(scope="session")
def seed_bank(embedder: Embedder) -> Bank:
    return build_bank([KNOWLEDGE], embedder)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path / "data")


@pytest.fixture(scope="session")
def seeded_bot(tmp_path_factory: pytest.TempPathFactory) -> InterviewBot:
    """A bot whose default bank is ingested from knowledge/, shared by read-only tests."""
    bot = InterviewBot(load_settings(data_dir=tmp_path_factory.mktemp("seeded")))
    bot.ingest()
    return bot
