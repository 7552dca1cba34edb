"""Agreement between predicted and human grades: correlation, error and kappa figures.

All functions take two equally long sequences of grades (predicted first, human second)
and return a float. Where a figure is undefined they return ``nan`` instead of raising
or warning: correlations when ``n < 2`` or either side is constant, errors when ``n == 0``,
and quadratic weighted kappa when ``n < 2`` or both sides sit in one and the same grade.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel

Grades = Sequence[float] | npt.NDArray[np.floating] | npt.NDArray[np.integer]
FloatArray = npt.NDArray[np.float64]

NO_GROUP = "(no group)"
"""Key under which :func:`per_group` reports cases whose group is ``None``."""

WITHIN_TOLERANCE = 1e-9
"""Slack for float noise in :func:`within_1`, so that 4.1 vs 3.1 counts as within 1."""


class Metrics(BaseModel):
    """Agreement of a grader with human grades over ``n`` cases; ``nan`` where undefined."""

    n: int
    pearson: float
    spearman: float
    rmse: float
    mae: float
    qwk: float
    within_1: float


def _pair(predicted: Grades, human: Grades) -> tuple[FloatArray, FloatArray]:
    """Both inputs as 1-D float arrays of equal length, with only finite values."""
    p = np.asarray(predicted, dtype=np.float64)
    h = np.asarray(human, dtype=np.float64)
    if p.ndim != 1 or h.ndim != 1:
        raise ValueError(f"expected 1-D grades, got shapes {p.shape} and {h.shape}")
    if p.shape != h.shape:
        raise ValueError(f"{len(p)} predicted grades but {len(h)} human grades")
    if not (np.isfinite(p).all() and np.isfinite(h).all()):
        raise ValueError("grades must be finite numbers (found nan or inf)")
    return p, h


def _correlatable(p: FloatArray, h: FloatArray) -> bool:
    return len(p) >= 2 and bool(np.ptp(p) > 0) and bool(np.ptp(h) > 0)


def pearson(predicted: Grades, human: Grades) -> float:
    """Pearson's r; ``nan`` when ``n < 2`` or either side is constant."""
    p, h = _pair(predicted, human)
    if not _correlatable(p, h):
        return math.nan
    from scipy import stats  # here: importing scipy.stats costs ~0.4 s of every CLI start

    return float(stats.pearsonr(p, h).statistic)


def spearman(predicted: Grades, human: Grades) -> float:
    """Spearman's rank correlation (ties get average ranks); ``nan`` as for :func:`pearson`."""
    p, h = _pair(predicted, human)
    if not _correlatable(p, h):
        return math.nan
    from scipy import stats

    return float(stats.spearmanr(p, h).statistic)


def rmse(predicted: Grades, human: Grades) -> float:
    """Root mean squared error; ``nan`` when there are no grades."""
    p, h = _pair(predicted, human)
    if len(p) == 0:
        return math.nan
    return float(np.sqrt(np.mean((p - h) ** 2)))


def mae(predicted: Grades, human: Grades) -> float:
    """Mean absolute error; ``nan`` when there are no grades."""
    p, h = _pair(predicted, human)
    if len(p) == 0:
        return math.nan
    return float(np.mean(np.abs(p - h)))


def within_1(predicted: Grades, human: Grades) -> float:
    """Share of cases where the prediction is at most one point off; ``nan`` when empty."""
    p, h = _pair(predicted, human)
    if len(p) == 0:
        return math.nan
    return float(np.mean(np.abs(p - h) <= 1.0 + WITHIN_TOLERANCE))


def _top_level(max_score: float) -> int:
    """The highest integer grade level: ``max_score`` rounded, halves up."""
    return math.floor(max_score + 0.5)


def to_grade_levels(grades: Grades, max_score: float = 5.0) -> npt.NDArray[np.int64]:
    """Grades as integer levels ``0..round(max_score)``: halves round up, outliers are clipped.

    Halves round up (2.5 -> 3), not to even as ``numpy.rint`` would, because averaged
    human grades such as Mohler's are full of halves and rounding to even would bias them.
    """
    top = _top_level(max_score)
    levels = np.floor(np.asarray(grades, dtype=np.float64) + 0.5)
    return np.clip(levels, 0, top).astype(np.int64)


def quadratic_weighted_kappa(predicted: Grades, human: Grades, max_score: float = 5.0) -> float:
    """Cohen's kappa with quadratic weights on grades rounded to levels ``0..max_score``.

    1 is perfect agreement, 0 is what chance gives, below 0 is worse than chance; a constant
    predictor scores 0. ``nan`` when ``n < 2`` or when both sides put every case in the
    same single level (agreement is then trivial and kappa is 0/0).
    """
    p, h = _pair(predicted, human)
    if len(p) < 2:
        return math.nan
    k = _top_level(max_score) + 1
    if k < 2:
        return math.nan
    a = to_grade_levels(p, max_score)
    b = to_grade_levels(h, max_score)
    observed = np.zeros((k, k), dtype=np.float64)
    np.add.at(observed, (a, b), 1.0)
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / len(p)
    levels = np.arange(k, dtype=np.float64)
    weights = (levels[:, None] - levels[None, :]) ** 2 / (k - 1) ** 2
    chance = float((weights * expected).sum())
    if chance == 0.0:
        return math.nan
    return 1.0 - float((weights * observed).sum()) / chance


def summarize(predicted: Grades, human: Grades, max_score: float = 5.0) -> Metrics:
    """Every agreement figure of predicted against human grades in one record."""
    p, h = _pair(predicted, human)
    return Metrics(
        n=len(p),
        pearson=pearson(p, h),
        spearman=spearman(p, h),
        rmse=rmse(p, h),
        mae=mae(p, h),
        qwk=quadratic_weighted_kappa(p, h, max_score),
        within_1=within_1(p, h),
    )


def per_group(
    predicted: Grades,
    human: Grades,
    groups: Sequence[str | None],
    max_score: float = 5.0,
) -> dict[str, Metrics]:
    """:func:`summarize` for each group key, in sorted key order; ``None`` becomes NO_GROUP."""
    p, h = _pair(predicted, human)
    if len(groups) != len(p):
        raise ValueError(f"{len(groups)} group keys for {len(p)} grades")
    keys = np.array([NO_GROUP if g is None else g for g in groups], dtype=object)
    return {
        str(key): summarize(p[keys == key], h[keys == key], max_score)
        for key in sorted(set(keys.tolist()))
    }
