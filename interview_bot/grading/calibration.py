"""The offline grader's fitted mapping from evidence to a score, loaded from a small JSON.

The model is a blend of a ridge regression and a small gradient-boosted tree ensemble, both
over :data:`interview_bot.grading.evidence.FEATURES`, predicting a 0-5 grade (rescaled to
other scales). ``evals/fit_calibration.py`` fits it on the Mohler et al. (2011) answers and
writes ``calibration.json``; its version travels with every offline grade.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from interview_bot.errors import InterviewBotError
from interview_bot.grading.evidence import FEATURES

CALIBRATION_PATH = Path(__file__).with_name("calibration.json")
SCALE = 5.0  # the fitted model predicts on 0..SCALE


@dataclass(frozen=True)
class Tree:
    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray

    def predict(self, X: np.ndarray) -> np.ndarray:
        node = np.zeros(len(X), dtype=np.int64)
        while True:
            leaf = self.left[node] < 0
            if leaf.all():
                return self.value[node]
            rows = np.flatnonzero(~leaf)
            go_left = X[rows, self.feature[node[rows]]] <= self.threshold[node[rows]]
            node[rows] = np.where(go_left, self.left[node[rows]], self.right[node[rows]])


@dataclass(frozen=True)
class Calibration:
    version: str
    mean: np.ndarray
    std: np.ndarray
    weights: np.ndarray
    intercept: float
    trees: list[Tree]
    learning_rate: float
    init: float
    blend: float  # share of the tree ensemble in the prediction

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predicted grades on 0..SCALE for rows of features in FEATURES order."""
        linear = self.intercept + ((X - self.mean) / self.std) @ self.weights
        boosted = self.init + self.learning_rate * sum(
            (t.predict(X) for t in self.trees), np.zeros(len(X))
        )
        return np.clip((1 - self.blend) * linear + self.blend * boosted, 0.0, SCALE)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Calibration:
        if data.get("features") != list(FEATURES):
            raise InterviewBotError(
                "calibration.json was fitted on other features; "
                "rerun `python evals/fit_calibration.py`"
            )
        ridge, gbm = data["ridge"], data["gbm"]
        trees = [
            Tree(*(np.asarray(t[k]) for k in ("feature", "threshold", "left", "right", "value")))
            for t in gbm["trees"]
        ]
        return cls(
            version=data["version"],
            mean=np.asarray(ridge["mean"]),
            std=np.asarray(ridge["std"]),
            weights=np.asarray(ridge["weights"]),
            intercept=float(ridge["intercept"]),
            trees=trees,
            learning_rate=float(gbm["learning_rate"]),
            init=float(gbm["init"]),
            blend=float(data["blend"]),
        )


@lru_cache(maxsize=4)
def load_calibration(path: Path = CALIBRATION_PATH) -> Calibration:
    try:
        return Calibration.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError) as exc:
        raise InterviewBotError(
            f"{path}: cannot load the offline grader's calibration ({exc}); "
            "rerun `python evals/fit_calibration.py`"
        ) from None
