"""Each metric against figures worked out by hand, plus the degenerate cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from interview_bot.evaluation.metrics import (
    NO_GROUP,
    Metrics,
    mae,
    pearson,
    per_group,
    quadratic_weighted_kappa,
    rmse,
    spearman,
    summarize,
    to_grade_levels,
    within_1,
)


def test_pearson_by_hand() -> None:
    # p = [1, 2, 3], mean 2 -> deviations [-1, 0, 1]
    # h = [1, 3, 2], mean 2 -> deviations [-1, 1, 0]
    # sum of products = 1 + 0 + 0 = 1; sums of squares = 2 and 2
    # r = 1 / sqrt(2 * 2) = 0.5
    assert pearson([1, 2, 3], [1, 3, 2]) == pytest.approx(0.5)


def test_pearson_sees_only_linear_agreement() -> None:
    # p = [1, 2, 3, 4], mean 2.5 -> deviations [-1.5, -0.5, 0.5, 1.5], squares sum 5
    # h = [1, 4, 9, 16], mean 7.5 -> deviations [-6.5, -3.5, 1.5, 8.5], squares sum 129
    # products: 9.75 + 1.75 + 0.75 + 12.75 = 25
    # r = 25 / sqrt(5 * 129) = 25 / sqrt(645)
    assert pearson([1, 2, 3, 4], [1, 4, 9, 16]) == pytest.approx(25 / math.sqrt(645))
    # same order on both sides, so the rank correlation is exactly 1
    assert spearman([1, 2, 3, 4], [1, 4, 9, 16]) == pytest.approx(1.0)


def test_spearman_by_hand_with_ties() -> None:
    # ranks of p = [1, 2, 2, 3] are [1, 2.5, 2.5, 4] (the tie shares ranks 2 and 3)
    # ranks of h = [10, 20, 30, 40] are [1, 2, 3, 4]
    # both rank means are 2.5: deviations [-1.5, 0, 0, 1.5] and [-1.5, -0.5, 0.5, 1.5]
    # products 2.25 + 0 + 0 + 2.25 = 4.5; squares 4.5 and 5
    # rho = 4.5 / sqrt(4.5 * 5) = sqrt(0.9)
    assert spearman([1, 2, 2, 3], [10, 20, 30, 40]) == pytest.approx(math.sqrt(0.9))


def test_rmse_and_mae_by_hand() -> None:
    # differences p - h = [1-2, 2-2, 4-1] = [-1, 0, 3]
    # squares [1, 0, 9], mean 10/3 -> rmse sqrt(10/3)
    # absolute values [1, 0, 3], mean 4/3
    assert rmse([1, 2, 4], [2, 2, 1]) == pytest.approx(math.sqrt(10 / 3))
    assert mae([1, 2, 4], [2, 2, 1]) == pytest.approx(4 / 3)


def test_within_1_by_hand() -> None:
    # |p - h| = [1, 1.5, 1.0 (up to float noise), 0] -> within one point: yes, no, yes, yes
    assert within_1([0, 2.5, 4.1, 5], [1, 4, 3.1, 5]) == pytest.approx(3 / 4)


def test_grade_levels_round_halves_up_and_clip() -> None:
    assert to_grade_levels([0.4, 0.5, 1.5, 2.5, 4.49, -1, 7], 5).tolist() == [0, 1, 2, 3, 4, 0, 5]
    assert to_grade_levels([0.5, 2.5, 3], max_score=2).tolist() == [1, 2, 2]


def test_qwk_by_hand() -> None:
    # levels 0..2 (max_score 2), so weights w[i][j] = (i - j)^2 / 4:
    #   [[0, .25, 1], [.25, 0, .25], [1, .25, 0]]
    # p = [0, 1, 2, 2], h = [0, 2, 2, 1]; observed counts O (rows p, columns h):
    #   O[0][0] = O[1][2] = O[2][2] = O[2][1] = 1
    # row sums [1, 1, 2], column sums [1, 1, 2]; expected E = outer / 4:
    #   [[.25, .25, .5], [.25, .25, .5], [.5, .5, 1]]
    # sum w*O = .25 (O[1][2]) + .25 (O[2][1]) = 0.5
    # sum w*E = (.0625 + .5) + (.0625 + .125) + (.5 + .125) = 1.375
    # kappa = 1 - 0.5 / 1.375 = 7/11
    assert quadratic_weighted_kappa([0, 1, 2, 2], [0, 2, 2, 1], max_score=2) == pytest.approx(
        7 / 11
    )


def test_qwk_rounds_before_counting() -> None:
    # 0.4 -> 0, 0.6 -> 1, 2.5 -> 3 clipped to 2, 1.5 -> 2: the same levels as test_qwk_by_hand
    assert quadratic_weighted_kappa(
        [0.4, 0.6, 2.5, 1.5], [0, 2, 2, 1], max_score=2
    ) == pytest.approx(7 / 11)


def test_qwk_extremes() -> None:
    assert quadratic_weighted_kappa([0, 3, 5], [0, 3, 5]) == pytest.approx(1.0)
    # p = [0, 2], h = [2, 0] on 0..2: O[0][2] = O[2][0] = 1, weights 1 -> sum w*O = 2
    # margins [1, 0, 1] both ways, E = [[.5, 0, .5], [0, 0, 0], [.5, 0, .5]] -> sum w*E = 1
    # kappa = 1 - 2 / 1 = -1
    assert quadratic_weighted_kappa([0, 2], [2, 0], max_score=2) == pytest.approx(-1.0)


def test_constant_predictor() -> None:
    # a grader that always says 3 agrees only by chance: kappa 0, correlations undefined
    assert quadratic_weighted_kappa([3, 3, 3], [1, 3, 5]) == pytest.approx(0.0)
    assert math.isnan(pearson([3, 3, 3], [1, 3, 5]))
    assert math.isnan(spearman([3, 3, 3], [1, 3, 5]))
    # the errors are still defined: |diffs| [2, 0, 2]
    assert mae([3, 3, 3], [1, 3, 5]) == pytest.approx(4 / 3)


def test_degenerate_inputs_give_nan_not_errors() -> None:
    # both sides in one and the same level: kappa is 0/0
    assert math.isnan(quadratic_weighted_kappa([4, 4], [4, 4]))
    for metric in (pearson, spearman, quadratic_weighted_kappa):
        assert math.isnan(metric([2.0], [3.0]))
        assert math.isnan(metric([], []))
    for metric in (rmse, mae, within_1):
        assert math.isnan(metric([], []))
    assert rmse([2.0], [3.0]) == pytest.approx(1.0)


def test_bad_inputs_raise() -> None:
    with pytest.raises(ValueError, match="3 predicted grades but 2 human"):
        rmse([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="finite"):
        mae([1, float("nan")], [1, 2])
    with pytest.raises(ValueError, match="1-D"):
        pearson([[1, 2]], [[1, 2]])  # type: ignore[list-item]


def test_accepts_numpy_arrays() -> None:
    assert pearson(np.array([1, 2, 3]), np.array([1.0, 3.0, 2.0])) == pytest.approx(0.5)


def test_summarize_collects_every_figure() -> None:
    m = summarize([0, 1, 2, 2], [0, 2, 2, 1], max_score=2)
    assert isinstance(m, Metrics)
    assert m.n == 4
    # diffs [0, -1, 0, 1]: squares mean 2/4, abs mean 2/4, all within 1
    assert m.rmse == pytest.approx(math.sqrt(0.5))
    assert m.mae == pytest.approx(0.5)
    assert m.within_1 == pytest.approx(1.0)
    assert m.qwk == pytest.approx(7 / 11)
    # deviations from mean 1.25: p [-1.25, -.25, .75, .75], h [-1.25, .75, .75, -.25]
    # products 1.5625 - .1875 + .5625 - .1875 = 1.75; squares 2.75 both -> r = 1.75 / 2.75
    assert m.pearson == pytest.approx(7 / 11)
    assert -1.0 <= m.spearman <= 1.0


def test_summarize_empty_is_all_nan() -> None:
    m = summarize([], [])
    assert m.n == 0
    assert all(math.isnan(v) for k, v in m.model_dump().items() if k != "n")


def test_per_group() -> None:
    result = per_group([1, 2, 3, 5, 4], [1, 3, 2, 0, 4], ["a", "a", "a", None, "b"], max_score=5)
    assert list(result) == [NO_GROUP, "a", "b"]
    assert result["a"].n == 3
    assert result["a"].pearson == pytest.approx(0.5)  # as in test_pearson_by_hand
    assert result[NO_GROUP].n == 1
    assert result[NO_GROUP].rmse == pytest.approx(5.0)
    assert math.isnan(result["b"].pearson)
    with pytest.raises(ValueError, match="2 group keys for 3 grades"):
        per_group([1, 2, 3], [1, 2, 3], ["a", "b"])
