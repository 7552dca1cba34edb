"""The pair model: the shipped adapter loads offline onto the bundled model, and the training
script reproduces one end to end on a tiny subset."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from interview_bot.grading.calibration import Calibration
from interview_bot.grading.pair import ADAPTER_PATH, PairInput, PairModel, load_pair_model
from tests.conftest import ROOT

QUESTION = "Why is the dot product in attention scaled by sqrt(d_k)?"
REFERENCE = (
    "The dot products of queries and keys grow with the dimension d_k (their variance is d_k), "
    "which pushes the softmax into saturation where gradients vanish; dividing by sqrt(d_k) "
    "keeps the scores' variance near 1 and the softmax in a useful range."
)


def test_the_shipped_adapter_loads_offline_and_scores_in_range() -> None:
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
    model = load_pair_model()
    rows = [
        PairInput(QUESTION, REFERENCE, "Scores grow with d_k and saturate the softmax."),
        PairInput(QUESTION, REFERENCE, ""),
        PairInput(QUESTION, REFERENCE, "word " * 400),  # cut to fit, never an error
    ]
    scores = model.score(rows)
    assert scores.shape == (3,) and np.all((scores >= 0) & (scores <= 1))
    assert model.version.startswith("pair-blend-")
    assert model.score(rows[:1])[0] == pytest.approx(scores[0], abs=1e-5)  # batch = single


def test_a_broken_adapter_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "pair_adapter.npz"
    broken.write_bytes(b"not a zip")
    with pytest.raises(Exception, match="cannot load the pair model's adapter"):
        PairModel(broken)


@pytest.mark.slow
def test_the_training_script_writes_a_loadable_adapter_and_calibration(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "evals/train_grader.py", "--tiny", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "test split (questions never fitted)" in done.stdout
    model = PairModel(out / ADAPTER_PATH.name)
    (score,) = model.score([PairInput(QUESTION, REFERENCE, "It keeps the softmax unsaturated.")])
    assert 0 <= score <= 1
    calibration = Calibration.from_dict(json.loads((out / "calibration.json").read_text()))
    assert calibration.uses_pair
