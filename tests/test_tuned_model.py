"""The grader's tuned model (made by evals/train_contrastive.py): the shipped adapter loads
offline and is what the offline grader measures evidence with; a broken or mismatched
adapter is a clear error; the training script makes a loadable one on a tiny subset."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from interview_bot.bot import InterviewBot
from interview_bot.errors import InterviewBotError
from interview_bot.grading.calibration import CALIBRATION_PATH, Calibration, load_calibration
from interview_bot.grading.offline import OfflineGrader
from interview_bot.grading.result import GradingTarget
from interview_bot.grading.tuned import ADAPTER_PATH, TunedEmbedder, load_tuned_embedder
from interview_bot.knowledge.embeddings import Embedder
from tests.conftest import run_training

REFERENCE = "BERT is an encoder-only model; GPT is a decoder-only model."
RIGHT = "BERT uses only the encoder stack, while GPT uses only the decoder stack."
SWAPPED = "BERT uses only the decoder stack, while GPT uses only the encoder stack."


def test_the_shipped_grader_measures_evidence_with_the_shipped_adapter(
    seeded_bot: InterviewBot,
) -> None:
    calibration = load_calibration()
    tuned = load_tuned_embedder()
    assert calibration.embedder == tuned.version
    assert seeded_bot.graders.offline.evidence_embedder is tuned
    assert ADAPTER_PATH.stat().st_size < 2_000_000  # small: low-rank factors only


def test_tuned_vectors_are_their_own(embedder: Embedder) -> None:
    tuned = load_tuned_embedder()
    plain_vecs, tuned_vecs = embedder.encode([RIGHT]), tuned.encode([RIGHT])
    assert tuned._key(RIGHT) != embedder._key(RIGHT)  # never served from the other's cache
    assert not np.allclose(plain_vecs, tuned_vecs, atol=1e-3)
    assert float(tuned_vecs[0] @ tuned_vecs[0]) == pytest.approx(1.0, abs=1e-4)


def test_the_tuned_model_tells_a_swap_from_the_reference_better(embedder: Embedder) -> None:
    """Trained on other questions, it moves a swapped-terms answer further from the
    reference, relative to the right one, than the bundled model does."""
    tuned = load_tuned_embedder()

    def margin(model: Embedder) -> float:
        ref, right, swapped = model.encode([REFERENCE, RIGHT, SWAPPED])
        return float(ref @ right - ref @ swapped)

    assert margin(tuned) > margin(embedder)


def test_a_broken_adapter_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "grader_adapter.npz"
    broken.write_bytes(b"not a zip")
    with pytest.raises(InterviewBotError, match="cannot load the offline grader's model adapter"):
        TunedEmbedder(broken)


def test_a_calibration_for_another_adapter_is_a_clear_error(
    seeded_bot: InterviewBot, tmp_path: Path
) -> None:
    data = json.loads(CALIBRATION_PATH.read_text())
    data["embedder"] = "tuned-minilm-some-other-run"
    shipped = seeded_bot.graders.offline
    grader = OfflineGrader(shipped.embedder, shipped.rubric, Calibration.from_dict(data))
    target = GradingTarget(question="What is BERT?", reference=REFERENCE)
    with pytest.raises(
        InterviewBotError, match="fitted on the model adapter tuned-minilm-some-other"
    ):
        grader.grade(target, RIGHT)


@pytest.mark.slow
def test_the_training_script_writes_a_loadable_adapter_and_calibration(
    seeded_bot: InterviewBot, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    run_training("train_contrastive.py", "--tiny", "--out", str(out))
    tuned = TunedEmbedder(out / ADAPTER_PATH.name)
    calibration = Calibration.from_dict(json.loads((out / "calibration.json").read_text()))
    assert calibration.embedder == tuned.version
    assert 0.4 <= calibration.point_cut <= 0.95  # fitted, not the bundled model's default
    shipped = seeded_bot.graders.offline
    grader = OfflineGrader(shipped.embedder, shipped.rubric, calibration, evidence_embedder=tuned)
    target = GradingTarget(question="Which models are encoder-only?", reference=REFERENCE)
    grade = grader.grade(target, RIGHT)
    assert grade.graded and 0 <= grade.score <= grade.max_score
