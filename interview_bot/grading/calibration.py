"""The offline grader's fitted mapping from evidence to a score, loaded from a small JSON.

The model is a blend of a ridge regression and a small gradient-boosted tree ensemble over
named evidence values (:data:`interview_bot.grading.evidence.FEATURES` and the pair model's
``pair_score``), predicting a 0-5 grade (rescaled to other scales). ``evals/train_contrastive.py``
fits it on graded interview answers and Mohler et al. (2011) over the evidence of the tuned
model (:mod:`interview_bot.grading.tuned`, named by ``embedder``) and writes
``calibration.json``; its version travels with every offline grade.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from interview_bot.errors import InterviewBotError
from interview_bot.grading.evidence import COVERED, FEATURES

CALIBRATION_PATH = Path(__file__).with_name("calibration.json")
SCALE = 5.0  # the fitted model predicts on 0..SCALE


@dataclass(frozen=True)
class Tree:
    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray


@dataclass(frozen=True)
class Forest:
    """Every tree of an ensemble in one set of arrays, walked one level at a time for all trees
    and rows together: a few array operations per level instead of a few per tree."""

    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray  # child indices into these arrays; -1 at a leaf
    right: np.ndarray
    value: np.ndarray
    roots: np.ndarray

    @classmethod
    def of(cls, trees: list[Tree]) -> Forest:
        sizes = [len(t.left) for t in trees]
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)

        def children(name: str) -> np.ndarray:
            parts = [
                np.where(getattr(t, name) < 0, -1, getattr(t, name) + offset)
                for t, offset in zip(trees, offsets, strict=True)
            ]
            return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)

        def joined(name: str) -> np.ndarray:
            return np.concatenate([getattr(t, name) for t in trees]) if trees else np.zeros(0)

        feature = joined("feature").astype(np.int64)
        return cls(
            np.maximum(feature, 0),  # a leaf's -2 would index a column; leaves never compare
            joined("threshold"),
            children("left"),
            children("right"),
            joined("value"),
            offsets,
        )

    def total(self, X: np.ndarray) -> np.ndarray:
        """The sum of every tree's prediction, per row of ``X``."""
        if not len(self.roots):
            return np.zeros(len(X))
        node = np.tile(self.roots, (len(X), 1))
        rows = np.arange(len(X))[:, None]
        while True:
            inner = self.left[node] >= 0
            if not inner.any():
                return self.value[node].sum(axis=1)
            go_left = X[rows, self.feature[node]] <= self.threshold[node]
            step = np.where(go_left, self.left[node], self.right[node])
            node = np.where(inner, step, node)


KNOWN = (*FEATURES, "pair_score")


@dataclass(frozen=True)
class Calibration:
    version: str
    features: tuple[str, ...]
    mean: np.ndarray
    std: np.ndarray
    weights: np.ndarray
    intercept: float
    trees: list[Tree]
    learning_rate: float
    init: float
    blend: float  # share of the tree ensemble in the prediction
    embedder: str | None = None  # version of the tuned model the evidence came from, if any
    point_cut: float = COVERED  # key-point coverage from which the card marks a point covered

    def row(self, values: dict[str, float]) -> np.ndarray:
        """One row of :meth:`predict`'s input from named values."""
        return np.array([values[name] for name in self.features], dtype=np.float64)

    @property
    def uses_pair(self) -> bool:
        return "pair_score" in self.features

    def parts(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The ridge model's and the trees' grades (unclipped) for rows of :attr:`features`."""
        linear = self.intercept + ((X - self.mean) / self.std) @ self.weights
        boosted = self.init + self.learning_rate * self.forest.total(X)
        return linear, boosted

    @cached_property
    def forest(self) -> Forest:
        return Forest.of(self.trees)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predicted grades on 0..SCALE for rows of values in :attr:`features` order."""
        linear, boosted = self.parts(X)
        return np.clip((1 - self.blend) * linear + self.blend * boosted, 0.0, SCALE)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Calibration:
        unknown = [f for f in data.get("features", []) if f not in KNOWN]
        if unknown or not data.get("features"):
            raise InterviewBotError(
                f"calibration.json was fitted on features this version lacks ({unknown}); "
                "rerun `python evals/train_grader.py --write`"
            )
        ridge, gbm = data["ridge"], data["gbm"]
        trees = [
            Tree(*(np.asarray(t[k]) for k in ("feature", "threshold", "left", "right", "value")))
            for t in gbm["trees"]
        ]
        return cls(
            version=data["version"],
            features=tuple(data["features"]),
            mean=np.asarray(ridge["mean"]),
            std=np.asarray(ridge["std"]),
            weights=np.asarray(ridge["weights"]),
            intercept=float(ridge["intercept"]),
            trees=trees,
            learning_rate=float(gbm["learning_rate"]),
            init=float(gbm["init"]),
            blend=float(data["blend"]),
            embedder=data.get("embedder"),
            point_cut=float(data.get("point_cut", COVERED)),
        )


@lru_cache(maxsize=4)
def load_calibration(path: Path = CALIBRATION_PATH) -> Calibration:
    try:
        return Calibration.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError) as exc:
        raise InterviewBotError(
            f"{path}: cannot load the offline grader's calibration ({exc}); "
            "rerun `python evals/train_grader.py --write`"
        ) from None
