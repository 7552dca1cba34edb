"""The pair model (trained by evals/train_grader.py --pair; not shipped, since it did not beat
the features on the test split): an adapter loads offline onto the bundled model, and the
training script makes one end to end on a tiny subset."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from interview_bot.grading.calibration import Calibration
from interview_bot.grading.pair import ADAPTER_PATH, PairInput, PairModel
from tests.conftest import run_training

QUESTION = "Why is the dot product in attention scaled by sqrt(d_k)?"
REFERENCE = (
    "The dot products of queries and keys grow with the dimension d_k (their variance is d_k), "
    "which pushes the softmax into saturation where gradients vanish; dividing by sqrt(d_k) "
    "keeps the scores' variance near 1 and the softmax in a useful range."
)


def test_a_broken_adapter_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "pair_adapter.npz"
    broken.write_bytes(b"not a zip")
    with pytest.raises(Exception, match="cannot load the pair model's adapter"):
        PairModel(broken)


@pytest.mark.slow
def test_the_training_script_writes_a_loadable_adapter_and_calibration(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_training("train_grader.py", "--tiny", "--pair", "--out", str(out))
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
    model = PairModel(out / ADAPTER_PATH.name)
    rows = [
        PairInput(QUESTION, REFERENCE, "It keeps the softmax unsaturated."),
        PairInput(QUESTION, REFERENCE, ""),
        PairInput(QUESTION, REFERENCE, "word " * 400),  # cut to fit, never an error
    ]
    scores = model.score(rows)
    assert scores.shape == (3,) and np.all((scores >= 0) & (scores <= 1))
    assert model.score(rows[:1])[0] == pytest.approx(scores[0], abs=1e-5)  # batch = single
    calibration = Calibration.from_dict(json.loads((out / "calibration.json").read_text()))
    assert calibration.uses_pair
