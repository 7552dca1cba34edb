"""The offline grader's card: which key points the answer covered, rubric levels that agree
with the score, and feedback to learn from."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from interview_bot.grading.answer_text import ReadAnswer
from interview_bot.grading.evidence import Evidence
from interview_bot.grading.result import (
    CriterionScore,
    GradedExample,
    KeyPointResult,
    work_on_order,
)
from interview_bot.grading.rubric import Rubric

POINT_COVERED = 0.5  # the pair model's verdict on (key point, answer) from which it is covered
# A missed point measured this close under the cut is a near miss. On the training split,
# 83% of the points of complete answers that fall under the cut (0.81) are within 0.05 of
# it, against 36% of fluent-wrong answers' points: a near miss is often said in other words.
NEAR_MISS = 0.05


@dataclass(frozen=True)
class Measured:
    """Everything measured about one answer before the card is written."""

    read: ReadAnswer
    evidence: Evidence
    points: list[str]
    pair: float | None  # the pair model's verdict on the whole answer, 0..1
    point_pairs: list[float]  # its verdict per key point
    predicted: float  # calibrated, 0..SCALE
    example: tuple[GradedExample, float] | None  # the matching graded example, its cosine
    point_cut: float  # key-point coverage (embedding evidence) from which a point is covered
    topical: float | None  # an unsure answer's closeness to the reference (bundled model)


def key_point_results(m: Measured, fraction: float) -> list[KeyPointResult]:
    """Covered when the pair model (if the calibration uses one) finds the answer states the
    point, else when the embedding evidence does. An answer graded as saying nothing right
    (under a tenth of the scale) covers nothing, so the card never praises a wrong answer."""
    ev = m.evidence
    out = []
    for k, point in enumerate(m.points):
        # the pair model's verdict, or without one the embedding evidence alone
        coverage = m.point_pairs[k] if m.point_pairs else ev.keypoint_recall[k]
        cut = POINT_COVERED if m.point_pairs else m.point_cut
        credible = fraction >= 0.1 and bool(ev.sentences)
        covered = coverage >= cut and credible
        best = ev.best_sentence[k] if k < len(ev.best_sentence) else 0
        out.append(
            KeyPointResult(
                text=point,
                covered=covered,
                similarity=round(coverage, 3),
                evidence=ev.sentences[best] if covered and ev.sentences else None,
                near_miss=credible and not covered and coverage >= cut - NEAR_MISS,
            )
        )
    return out


def criteria(
    rubric: Rubric, m: Measured, points: list[KeyPointResult], fraction: float
) -> list[CriterionScore]:
    """Rubric levels that explain the score and never contradict it: each criterion is
    measured on its own, then kept within one level of the overall grade's level (all at
    the bottom when nothing was answered). A criterion the grader has no measure for (in
    an edited rubric) follows the overall score."""
    top = rubric.levels
    overall = 1 + (top - 1) * fraction
    v = m.evidence.values
    covered = sum(p.covered for p in points)
    prose = min(1.0, v["function_words"] / 0.3) * min(1.0, v["log_words"] / np.log(13))
    measured = {
        "correctness": (fraction, "how far the answer says what the reference says"),
        "completeness": (
            covered / len(points) if points else fraction,
            f"{covered} of {len(points)} key points covered",
        ),
        "clarity": (
            prose,
            "explained in sentences rather than keywords"
            if prose >= 0.5
            else "keywords or fragments rather than explained sentences",
        ),
    }
    out = []
    for criterion in rubric.criteria:
        share, why = measured.get(criterion.name, (fraction, "follows the overall score"))
        measured_level = 1 + (top - 1) * share
        level = 1.0 if fraction == 0 else float(np.clip(measured_level, overall - 1, overall + 1))
        if fraction == 0:  # every level at the bottom: no reason may read as praise
            kept = why if criterion.name == "completeness" else ""
            why = "; ".join(filter(None, [kept, "nothing in the answer earns credit"]))
        elif level < measured_level - 0.05:
            why += "; held within a level of the overall grade"
        elif level > measured_level + 0.05:
            why += "; raised to within a level of the overall grade"
        out.append(
            CriterionScore(
                name=criterion.name,
                score=round(float(np.clip(level, 1, top)), 1),
                max_score=top,
                weight=criterion.weight,
                rationale=why,
            )
        )
    return out


def feedback(fraction: float, points: list[KeyPointResult], notes: list[str]) -> str:
    covered = [p.text for p in points if p.covered]
    missed = [p.text for p in work_on_order(points)]
    if fraction >= 0.85:
        lead = "Strong answer."
    elif fraction >= 0.6 and not missed:
        lead = "Good answer: it makes every key point, but not as fully as the reference."
    elif fraction >= 0.6 and not covered:
        lead = "On the right track, but no key point is stated clearly."
    elif fraction >= 0.6:
        lead = "Good answer with gaps."
    elif fraction >= 0.3:
        lead = "Partly there."
    elif fraction > 0:
        lead = "This answer misses what the interviewer is listening for."
    else:
        lead = "Nothing here earns credit yet."
    parts = [lead, *notes]
    if covered:
        parts.append(f"You covered {len(covered)} of {len(points)} key points.")
    if missed and fraction < 0.85:
        more = len(missed) - 1
        extra = f" (and {more} more key point{'s' * (more > 1)})" if more else ""
        parts.append(f"Work on: {missed[0]}{extra}")
    return " ".join(parts)
