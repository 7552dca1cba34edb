"""The offline grader: embedding evidence, a calibrated score, and a card to learn from.

No network, no GPU. The score comes from :mod:`interview_bot.grading.calibration` (fitted on human
grades); the rubric criteria, covered and missed key points and the feedback explain it.
Guards that the data cannot teach a regression are explicit rules: a non-answer scores 0,
a keyword list without explanation and a restatement of the question are capped, and
sentences addressed to the grader are removed before anything is measured (and the attempt
to steer the grader costs the answer part of its score: it can only lose by it).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import numpy as np

from interview_bot.grading.answer_text import (
    ReadAnswer,
    asks_for_explanation,
    is_non_answer,
    looks_english,
    opens_unsure,
    read_answer,
    restates,
    words,
)
from interview_bot.grading.calibration import SCALE, Calibration, load_calibration
from interview_bot.grading.choice import OFFLINE, GraderChoice
from interview_bot.grading.evidence import COVERED, FEATURES, Evidence, extract
from interview_bot.grading.plugins import GraderContext
from interview_bot.grading.result import (
    CriterionScore,
    Grade,
    Grader,
    GradingTarget,
    KeyPointResult,
)
from interview_bot.grading.rubric import Rubric
from interview_bot.knowledge.embeddings import Embedder
from interview_bot.knowledge.keypoints import select_points

KEYWORD_CAP = 1.0  # out of 5: terms without explanation show recognition, not understanding
RESTATEMENT_CAP = 1.0  # out of 5: an answer that only repeats the question
UNSURE_SIMILARITY = 0.3  # "not sure, maybe ..." with nothing this close to the reference
# Talking to the grader instead of the interviewer is itself judged: it keeps this share.
GRADER_TALK_FACTOR = 0.6


def apply_guards(
    predicted: float, question: str, read: ReadAnswer, v: dict[str, float]
) -> tuple[float, list[str]]:
    """The explicit rules on top of the calibrated score, and the notes that explain them."""
    content = read.content
    notes: list[str] = []
    if is_non_answer(content) or (opens_unsure(content) and v["sentence_sim"] < UNSURE_SIMILARITY):
        predicted = 0.0
        notes.append("No answer to grade: say what you know, even partially.")
    elif (
        len(words(content)) >= 5
        and v["function_words"] < 0.1
        and looks_english(content)
        and asks_for_explanation(question)
    ):
        predicted = min(predicted, KEYWORD_CAP)
        notes.append(
            "This reads as a list of keywords. Explain how they connect: an "
            "interviewer grades the explanation, not the vocabulary."
        )
    elif restates(content, question):
        predicted = min(predicted, RESTATEMENT_CAP)
        notes.append("The answer restates the question; it does not answer it.")
    if read.addressed_grader:
        predicted *= GRADER_TALK_FACTOR
        notes.append(
            "Text addressed to the grader was ignored and counts against the "
            "answer; only your explanation earns points."
        )
    if read.truncated:
        notes.append("Only the first part of a very long answer was graded.")
    if content and not looks_english(content):
        notes.append(
            "The offline grader reads English best; an answer in another language "
            "may be underrated. An LLM grader (--llm) judges it more fairly."
        )
    return predicted, notes


class OfflineGrader:
    """Grades with the bundled embedding model and the shipped calibration."""

    name = "offline"

    def __init__(
        self,
        embedder: Embedder,
        rubric: Rubric,
        calibration: Calibration | bool | None = True,
    ) -> None:
        self.embedder = embedder
        # True: the shipped calibration; None: uncalibrated (used while fitting one).
        self.calibration: Calibration | None = (
            load_calibration() if calibration is True else (calibration or None)
        )
        self.rubric = rubric
        self._derived: dict[tuple[str, tuple[str, ...]], list[str]] = {}
        self._lock = threading.Lock()

    # -- evidence ---------------------------------------------------------------------------
    def _points(self, target: GradingTarget) -> list[str]:
        """The target's key points; derived from its reference (once) when it has none."""
        if target.key_points:
            return list(target.key_points)
        refs = tuple(target.references or ([target.reference] if target.reference else []))
        key = (target.question, refs)
        with self._lock:
            found = self._derived.get(key)
        if found is None:
            found = select_points(target.question, list(refs), self.embedder.encode)
            with self._lock:
                self._derived[key] = found
                while len(self._derived) > 2_000:
                    self._derived.pop(next(iter(self._derived)))
        return list(found)

    def features(self, rows: Sequence[tuple[str, str, str]]) -> np.ndarray:
        """Feature matrix for (question, reference, answer) rows, as the calibration fits it."""
        targets = [
            GradingTarget(question=q, reference=r, reference_origin="given") for q, r, _ in rows
        ]
        evidence = self._evidence(targets, [a for _, _, a in rows])
        return np.array([e.vector() for e in evidence])

    def _evidence(self, targets: Sequence[GradingTarget], answers: Sequence[str]) -> list[Evidence]:
        items = []
        for target, answer in zip(targets, answers, strict=True):
            refs = target.references or ([target.reference] if target.reference else [])
            content = read_answer(answer).content
            items.append((target.question, refs, self._points(target), content))
        return extract(self.embedder, items)

    # -- grading ------------------------------------------------------------------------------
    def grade(self, target: GradingTarget, answer: str) -> Grade:
        return self.grade_many([(target, answer)])[0]

    def grade_many(self, pairs: Sequence[tuple[GradingTarget, str]]) -> list[Grade]:
        """Grade several answers with one batched model pass (what evals use)."""
        started = time.perf_counter()
        todo = [(i, t, a) for i, (t, a) in enumerate(pairs) if t.reference or t.references]
        evidence = self._evidence([t for _, t, _ in todo], [a for _, _, a in todo]) if todo else []
        found = {i: e for (i, _, _), e in zip(todo, evidence, strict=True)}
        scores = {}
        if found and self.calibration is not None:
            predicted = self.calibration.predict(np.array([e.vector() for e in found.values()]))
            scores = dict(zip(found, predicted.tolist(), strict=True))
        grades = []
        for i, (target, answer) in enumerate(pairs):
            if i not in found:
                grades.append(self._ungraded(target, answer))
            else:
                grades.append(self._card(target, answer, found[i], scores.get(i, 0.0)))
        per_grade = (time.perf_counter() - started) * 1000 / max(len(pairs), 1)
        return [g.model_copy(update={"elapsed_ms": round(per_grade, 2)}) for g in grades]

    def _ungraded(self, target: GradingTarget, answer: str) -> Grade:
        return Grade(
            question=target.question,
            answer=answer,
            score=0.0,
            max_score=self.rubric.max_score,
            graded=False,
            grader=self.name,
            reference_origin="none",
            question_id=target.question_id,
            rubric_version=self._version(),
            feedback="Not graded: no reference answer close enough to this question "
            "was found in the bank, and grading against an unrelated answer "
            "would be misleading. Add a reference with --reference or to "
            "the bank.",
        )

    def _version(self) -> str:
        calibration = self.calibration.version if self.calibration else "uncalibrated"
        return f"{self.rubric.version}+{calibration}"

    def _card(self, target: GradingTarget, answer: str, ev: Evidence, predicted: float) -> Grade:
        read = read_answer(answer)
        v = ev.values
        points = self._points(target)
        predicted, notes = apply_guards(predicted, target.question, read, v)
        key_points = self._key_points(points, ev)
        criteria = self._criteria(v, key_points, read.addressed_grader, predicted)
        max_score = self.rubric.max_score
        score = round(predicted / SCALE * max_score, 2)
        refs = target.references or ([target.reference] if target.reference else [])
        return Grade(
            question=target.question,
            answer=answer,
            score=score,
            max_score=max_score,
            criteria=criteria,
            key_points=key_points,
            feedback=self._feedback(score / max_score, key_points, notes),
            reference="\n\n".join(refs),
            reference_origin=target.reference_origin,
            question_id=target.question_id,
            grader=self.name,
            rubric_version=self._version(),
        )

    @staticmethod
    def _key_points(points: list[str], ev: Evidence) -> list[KeyPointResult]:
        out = []
        for point, coverage, best in zip(points, ev.keypoint_recall, ev.best_sentence, strict=True):
            covered = coverage >= COVERED and bool(ev.sentences)
            out.append(
                KeyPointResult(
                    text=point,
                    covered=covered,
                    similarity=round(coverage, 3),
                    evidence=ev.sentences[best] if covered else None,
                )
            )
        return out

    def _criteria(
        self, v: dict[str, float], points: list[KeyPointResult], addressed: bool, predicted: float
    ) -> list[CriterionScore]:
        """Rubric levels that explain the score; a criterion we have no measure for (in an
        edited rubric) follows the overall score."""
        top = self.rubric.levels
        overall = predicted / SCALE
        covered = sum(p.covered for p in points)
        prose = min(1.0, v["function_words"] / 0.3) * min(1.0, v["log_words"] / np.log(13))
        measured = {
            "correctness": (
                min(1.0, overall + 0.1),
                "agreement with the reference, calibrated on human grades",
            ),
            "completeness": (
                covered / len(points) if points else v["recall"],
                f"{covered} of {len(points)} key points covered",
            ),
            "clarity": (
                prose - (1 / (top - 1) if addressed else 0.0),
                "explained in sentences rather than keywords"
                + ("; text aimed at the grader counts against it" if addressed else ""),
            ),
        }
        out = []
        for criterion in self.rubric.criteria:
            share, why = measured.get(criterion.name, (overall, "follows the overall score"))
            level = float(np.clip(1 + (top - 1) * share, 1, top))
            out.append(
                CriterionScore(
                    name=criterion.name,
                    score=round(level, 1),
                    max_score=top,
                    weight=criterion.weight,
                    rationale=why,
                )
            )
        return out

    @staticmethod
    def _feedback(fraction: float, points: list[KeyPointResult], notes: list[str]) -> str:
        covered = [p.text for p in points if p.covered]
        missed = [p.text for p in points if not p.covered]
        if fraction >= 0.85:
            lead = "Strong answer."
        elif fraction >= 0.6:
            lead = "Good answer with gaps."
        elif fraction >= 0.3:
            lead = "Partly there."
        else:
            lead = "This answer misses what the interviewer is listening for."
        parts = [lead, *notes]
        if covered:
            parts.append(f"You covered {len(covered)} of {len(points)} key points.")
        if missed:
            more = (
                f" (and {len(missed) - 1} more key point{'s' * (len(missed) > 2)})"
                if len(missed) > 1
                else ""
            )
            parts.append(f"Work on: {missed[0]}{more}")
        return " ".join(parts)


class _OfflinePlugin:
    """The ``offline`` grader plugin: the pool's shared offline grader."""

    prefix = OFFLINE

    def make_grader(self, choice: GraderChoice, context: GraderContext) -> Grader:
        return context.offline


plugin = _OfflinePlugin()

__all__ = ["FEATURES", "OfflineGrader", "plugin"]
