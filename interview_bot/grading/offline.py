"""The offline grader: embedding evidence from a model tuned to tell right from wrong, a
calibrated score, and a card that agrees with itself.

No network, no GPU. The score comes from :mod:`interview_bot.grading.calibration`, fitted on
graded interview answers, over the embedding evidence (:mod:`interview_bot.grading.evidence`)
measured with the tuned model (:mod:`interview_bot.grading.tuned`) and, when a calibration
names it, the pair model's verdict (:mod:`interview_bot.grading.pair`). A key point counts as
covered when that evidence finds the answer states it, at a cut fitted for the model that
measured it (``point_cut``), not when it shares its words. Rules
the data cannot teach a regression are explicit: a non-answer scores 0, a keyword list and
a restatement of the question are capped, and text addressed to the grader is set aside
before anything is measured, so it can neither raise nor lower the grade.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import numpy as np

from interview_bot.errors import InterviewBotError
from interview_bot.grading.answer_text import opens_unsure, read_answer
from interview_bot.grading.calibration import SCALE, Calibration, load_calibration
from interview_bot.grading.card import Measured, criteria, feedback, key_point_results
from interview_bot.grading.choice import OFFLINE, GraderChoice
from interview_bot.grading.evidence import COVERED, FEATURES, Evidence, extract
from interview_bot.grading.guards import apply_guards
from interview_bot.grading.pair import PairInput, PairModel, load_pair_model
from interview_bot.grading.plugins import GraderContext
from interview_bot.grading.result import (
    Grade,
    GradedExample,
    Grader,
    GradingTarget,
)
from interview_bot.grading.rubric import Rubric
from interview_bot.grading.tuned import ADAPTER_PATH, load_tuned_embedder
from interview_bot.knowledge.embeddings import Embedder
from interview_bot.knowledge.keypoints import select_points

EXAMPLE_MATCH = 0.8  # cosine from which an answer is taken to say what a graded example says
EXAMPLE_WEIGHT = 0.6  # share of the matching example's grade in the score at cosine 1
MISCONCEPTION_BELOW = 0.3  # an example graded under this share of the scale is a misconception
WELL_GRADED = 0.6  # an example graded at least this share of the scale is a right answer
# How much closer (tuned cosine) an answer must be to a misconception than to every right
# example: the smallest margin (steps of 0.01) that flags none of the answers graded 2.5 or
# more on the training split of evals/datasets/interview_bank.jsonl that are not examples.
MISCONCEPTION_MARGIN = 0.06


class OfflineGrader:
    """Grades with the bundled model: the pair model, the evidence and the calibration."""

    name = OFFLINE

    def __init__(
        self,
        embedder: Embedder,
        rubric: Rubric,
        calibration: Calibration | bool | None = True,
        pair: PairModel | None = None,
        evidence_embedder: Embedder | None = None,
    ) -> None:
        self.embedder = embedder
        # True: the shipped calibration; None: uncalibrated (used while fitting one).
        self.calibration: Calibration | None = (
            load_calibration() if calibration is True else (calibration or None)
        )
        self.rubric = rubric
        self._pair = pair
        self._evidence_embedder = evidence_embedder
        self._derived: dict[tuple[str, tuple[str, ...]], list[str]] = {}
        self._lock = threading.Lock()

    @property
    def pair(self) -> PairModel | None:
        """The pair model the calibration reads (loaded on first use), or None."""
        if self._pair is None and self.calibration is not None and self.calibration.uses_pair:
            self._pair = load_pair_model()
        return self._pair

    @property
    def evidence_embedder(self) -> Embedder:
        """The model the evidence is measured with: the tuned one when the calibration was
        fitted on its evidence (loaded on first use), else the bundled one."""
        if self._evidence_embedder is None:
            wanted = self.calibration.embedder if self.calibration else None
            if wanted is None:
                self._evidence_embedder = self.embedder
            else:
                tuned = load_tuned_embedder()
                if tuned.version != wanted:
                    raise InterviewBotError(
                        f"calibration.json was fitted on the model adapter {wanted}, but "
                        f"{ADAPTER_PATH.name} is {tuned.version}; rerun "
                        "`python evals/train_contrastive.py --write`"
                    )
                self._evidence_embedder = tuned
        return self._evidence_embedder

    # -- evidence ---------------------------------------------------------------------------
    def _points(self, target: GradingTarget) -> list[str]:
        """The target's key points; derived from its reference (once) when it has none."""
        if target.key_points:
            return list(target.key_points)
        refs = tuple(_references(target))
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

    def evidence(self, targets: Sequence[GradingTarget], answers: Sequence[str]) -> list[Evidence]:
        """Embedding evidence for each answer against its target, in one batched pass."""
        items = []
        for target, answer in zip(targets, answers, strict=True):
            content = read_answer(answer).content
            items.append((target.question, _references(target), self._points(target), content))
        return extract(self.evidence_embedder, items)

    def _measure(self, targets: Sequence[GradingTarget], answers: Sequence[str]) -> list[Measured]:
        reads = [read_answer(a) for a in answers]
        evidence = self.evidence(targets, answers)
        points = [self._points(t) for t in targets]
        verdicts: list[float | None] = [None] * len(targets)
        per_point: list[list[float]] = [[] for _ in targets]
        if self.pair is not None:
            rows: list[PairInput] = []
            owners: list[tuple[int, int | None]] = []
            for i, (target, read) in enumerate(zip(targets, reads, strict=True)):
                reference = "\n".join(_references(target))
                rows.append(PairInput(target.question, reference, read.content))
                owners.append((i, None))
                for j, point in enumerate(points[i]):
                    rows.append(PairInput(target.question, point, read.content))
                    owners.append((i, j))
            for (owner, point_no), score in zip(owners, self.pair.score(rows), strict=True):
                if point_no is None:
                    verdicts[owner] = float(score)
                else:
                    per_point[owner].append(float(score))
        predicted = np.zeros(len(targets))
        if self.calibration is not None and targets:
            X = np.array(
                [
                    self.calibration.row(e.values | {"pair_score": v or 0.0})
                    for e, v in zip(evidence, verdicts, strict=True)
                ]
            )
            predicted = self.calibration.predict(X)
        return [
            Measured(
                reads[i],
                evidence[i],
                points[i],
                verdicts[i],
                per_point[i],
                float(predicted[i]),
                self._nearest_example(targets[i], reads[i].content),
                self.calibration.point_cut if self.calibration else COVERED,
                self._topical(targets[i], points[i], reads[i].content),
            )
            for i in range(len(targets))
        ]

    def _topical(self, target: GradingTarget, points: list[str], content: str) -> float | None:
        """For an answer that opens unsure ("not sure, maybe ..."): its closeness to the
        reference as the bundled model measures it. The tuned model is trained to rank the
        answers to one question, so its cosines do not suit a fixed cut."""
        if not opens_unsure(content):
            return None
        references = [*_references(target), " ".join(points)]
        vectors = self.embedder.encode([content, *(r for r in references if r)])
        return float((vectors[1:] @ vectors[0]).max())

    def _nearest_example(
        self, target: GradingTarget, content: str
    ) -> tuple[GradedExample, float] | None:
        """The graded example this answer says the same as, if one is close enough.

        A misconception is matched with the tuned model, and only when the answer is
        MISCONCEPTION_MARGIN closer to it than to every right example. The bundled model
        sees "BERT is encoder-only" and "BERT is decoder-only" as nearly one sentence. Of the
        answers graded 2.5 or more to questions with examples (training-split answers that
        are not examples, and the seed-domain set), it called 9 of 193 a misconception, the
        tuned model with the margin none; of 10 wrong seed-domain answers it named 1, the
        tuned model 3. Other examples are matched with the bundled model.
        """
        if not target.examples or not content.strip():
            return None
        texts = [content, *(e.answer for e in target.examples)]
        shares = np.array([e.score / e.max_score for e in target.examples])
        low = shares < MISCONCEPTION_BELOW
        if low.any():
            tuned = self.evidence_embedder.encode(texts)
            cosines = tuned[1:] @ tuned[0]
            right = cosines[shares >= WELL_GRADED].max(initial=-1.0)
            best = int(np.argmax(np.where(low, cosines, -np.inf)))
            if cosines[best] >= EXAMPLE_MATCH and cosines[best] - right >= MISCONCEPTION_MARGIN:
                return target.examples[best], float(cosines[best])
        vectors = self.embedder.encode(texts)
        cosines = np.where(low, -np.inf, vectors[1:] @ vectors[0])
        best = int(np.argmax(cosines))
        if cosines[best] < EXAMPLE_MATCH:
            return None
        return target.examples[best], float(cosines[best])

    def features(self, rows: Sequence[tuple[str, str, str]]) -> np.ndarray:
        """Evidence features for (question, reference, answer) rows, in FEATURES order."""
        targets = [
            GradingTarget(question=q, reference=r, reference_origin="given") for q, r, _ in rows
        ]
        return np.array([e.vector() for e in self.evidence(targets, [a for *_, a in rows])])

    # -- grading ------------------------------------------------------------------------------
    def grade(self, target: GradingTarget, answer: str) -> Grade:
        return self.grade_many([(target, answer)])[0]

    def grade_many(self, pairs: Sequence[tuple[GradingTarget, str]]) -> list[Grade]:
        """Grade several answers with batched model passes (what evals use)."""
        started = time.perf_counter()
        todo = [(i, t, a) for i, (t, a) in enumerate(pairs) if _references(t)]
        measured = self._measure([t for _, t, _ in todo], [a for *_, a in todo]) if todo else []
        found = {i: m for (i, _, _), m in zip(todo, measured, strict=True)}
        grades = [
            self._card(target, answer, found[i]) if i in found else self._ungraded(target, answer)
            for i, (target, answer) in enumerate(pairs)
        ]
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

    def _score(self, target: GradingTarget, m: Measured) -> tuple[float, list[str]]:
        """The grade on 0..SCALE and the notes that explain it."""
        predicted = m.predicted
        notes: list[str] = []
        if m.example is not None:
            example, cosine = m.example
            share = EXAMPLE_WEIGHT * (cosine - EXAMPLE_MATCH) / (1 - EXAMPLE_MATCH)
            predicted = (1 - share) * predicted + share * example.score / example.max_score * SCALE
        predicted, guard_notes = apply_guards(
            predicted, target.question, m.read, m.evidence.values, m.topical
        )
        return float(np.clip(predicted, 0.0, SCALE)), notes + guard_notes

    def _card(self, target: GradingTarget, answer: str, m: Measured) -> Grade:
        predicted, notes = self._score(target, m)
        fraction = predicted / SCALE
        key_points = key_point_results(m, fraction)
        misconception = None
        if m.example is not None:
            example, _ = m.example
            if example.score / example.max_score < MISCONCEPTION_BELOW:
                misconception = example.why or example.answer
                notes.insert(0, f"A common misconception: {misconception}")
        max_score = self.rubric.max_score
        return Grade(
            question=target.question,
            answer=answer,
            score=round(fraction * max_score, 2),
            max_score=max_score,
            criteria=criteria(self.rubric, m, key_points, fraction),
            key_points=key_points,
            feedback=feedback(fraction, key_points, notes),
            reference="\n\n".join(_references(target)),
            reference_origin=target.reference_origin,
            reference_from=target.reference_from,
            question_id=target.question_id,
            grader=self.name,
            rubric_version=self._version(),
            misconception=misconception,
        )


def _references(target: GradingTarget) -> list[str]:
    refs = target.references or ([target.reference] if target.reference else [])
    return [r for r in dict.fromkeys(refs) if r and r.strip()]


class _OfflinePlugin:
    """The ``offline`` grader plugin: the pool's shared offline grader."""

    prefix = OFFLINE

    def make_grader(self, choice: GraderChoice, context: GraderContext) -> Grader:
        return context.offline


plugin = _OfflinePlugin()

__all__ = ["FEATURES", "OfflineGrader", "plugin"]
