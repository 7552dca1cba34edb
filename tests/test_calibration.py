"""The calibration's tree ensemble, walked for all trees at once, predicts what scikit-learn's
model it was exported from predicts."""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import GradientBoostingRegressor

from interview_bot.grading.calibration import Calibration
from interview_bot.grading.evidence import FEATURES


def test_the_exported_trees_predict_as_scikit_learn_does() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, len(FEATURES)))
    y = np.clip(2.5 + X[:, 0] - 0.5 * X[:, 1] * X[:, 2], 0.0, 5.0)
    model = GradientBoostingRegressor(n_estimators=40, max_depth=4, random_state=0).fit(X, y)
    trees = [
        {
            "feature": est.tree_.feature.tolist(),
            "threshold": est.tree_.threshold.tolist(),
            "left": est.tree_.children_left.tolist(),
            "right": est.tree_.children_right.tolist(),
            "value": est.tree_.value[:, 0, 0].tolist(),
        }
        for (est,) in model.estimators_
    ]
    zeros = [0.0] * len(FEATURES)
    calibration = Calibration.from_dict(
        {
            "version": "test",
            "features": list(FEATURES),
            "blend": 1.0,  # the trees alone
            "ridge": {
                "mean": zeros,
                "std": [1.0] * len(FEATURES),
                "weights": zeros,
                "intercept": 0.0,
            },
            "gbm": {
                "trees": trees,
                "learning_rate": model.learning_rate,
                "init": float(model.init_.constant_[0][0]),
            },
        }
    )
    fresh = rng.normal(size=(300, len(FEATURES)))
    expected = np.clip(model.predict(fresh), 0.0, 5.0)
    np.testing.assert_allclose(calibration.predict(fresh), expected, atol=1e-9)
    np.testing.assert_allclose(calibration.predict(fresh[:1]), expected[:1], atol=1e-9)
