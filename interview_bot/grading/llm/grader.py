"""Grade an answer with an LLM judge on the rubric, falling back to the offline grader visibly.

The LLM picks a level per rubric criterion in a reply constrained to the verdict schema by
its backend's mechanism (:mod:`~interview_bot.grading.llm.constrained`); the overall score
is computed from those levels by :meth:`Rubric.overall`, never read from model text. Every
piece of bank or candidate text, graded examples included, goes into the prompt
(:mod:`~interview_bot.grading.llm.prompt`) between tags carrying a random per-call nonce,
with look-alike tags inside it defused.

Injection guard: when the answer contains text addressed to the grader (the offline
grader's own reading, :func:`~interview_bot.grading.answer_text.read_answer`) and the LLM
scores it more than :data:`GUARD_MARGIN` of the scale above the offline grader, the grade
keeps the offline score and its feedback says why.

Second opinion: when the LLM and the offline grader differ by more than
:data:`SECOND_OPINION_MARGIN` of the scale, the grade carries the offline score as
``second_opinion`` so the card can show both.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.runnables import Runnable

from interview_bot.errors import LLMError
from interview_bot.grading.choice import redact
from interview_bot.grading.llm.cache import GradeCache, cache_key
from interview_bot.grading.llm.connection import check_connection
from interview_bot.grading.llm.constrained import constrain
from interview_bot.grading.llm.failures import Failure, InvalidReply, classify
from interview_bot.grading.llm.prompt import (
    MAX_EXAMPLES,
    NO_EXAMPLES,
    GradingPrompt,
    align,
    references_text,
)
from interview_bot.grading.llm.registry import (
    Mechanism,
    endpoint,
    make_chat_model,
    output_mechanism,
    parse_spec,
)
from interview_bot.grading.llm.untrusted import has_injection_markers, neutralise
from interview_bot.grading.llm.verdict import (
    LLMVerdict,
    cut_off,
    decoding_schema,
    summarise,
    verdict_model,
    why_unparsed,
)
from interview_bot.grading.result import (
    CriterionScore,
    Grade,
    Grader,
    GradingTarget,
    KeyPointResult,
    SecondOpinion,
)
from interview_bot.grading.rubric import Rubric, load_rubric
from interview_bot.settings import Settings

__all__ = [
    "GUARD_MARGIN",
    "NO_EXAMPLES",
    "SECOND_OPINION_MARGIN",
    "GradeCache",
    "LLMGrader",
    "LLMVerdict",
    "check_connection",
    "has_injection_markers",
    "neutralise",
    "verdict_model",
]

MAX_TOKENS = 1024
GUARD_MARGIN = 0.2
SECOND_OPINION_MARGIN = 0.3  # of the scale: 1.5 points out of 5


class _GaveUp(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class LLMGrader:
    """A :class:`Grader` that asks an LLM, with the offline grader as evidence and fallback."""

    def __init__(
        self,
        spec: str,
        settings: Settings,
        fallback: Grader,
        evidence: Callable[[GradingTarget, str], Grade] | None = None,
        rubric: Rubric | None = None,
        cache: GradeCache | None = None,
        *,
        chat_model: BaseChatModel | None = None,
        max_tokens: int = MAX_TOKENS,
        backoff_s: float = 0.5,
        output: Mechanism | None = None,
    ) -> None:
        parse_spec(spec)
        self.spec = spec
        self.name = f"llm:{spec}"
        self.settings = settings
        self.fallback = fallback
        self.evidence = evidence
        self.rubric = rubric or load_rubric(settings.prompts_dir)
        self.cache = cache
        self.max_tokens = max_tokens
        self.backoff_s = backoff_s
        self.where = endpoint(spec, settings)
        self.output: Mechanism = output or output_mechanism(spec, settings)
        self.prompt = GradingPrompt(self.rubric, settings.prompts_dir)
        self.verdict_model = verdict_model(self.rubric)
        self._chat_model = chat_model
        self._structured: dict[int, Runnable[Any, Any]] = {}  # by number of key points
        self._lock = threading.Lock()

    # -- prompt -------------------------------------------------------------------------
    def build_messages(
        self, target: GradingTarget, answer: str, offline: Grade | None = None, nonce: str = ""
    ) -> list[BaseMessage]:
        """System and user messages for one grading call, data fenced by a fresh nonce."""
        return self.prompt.messages(target, answer, offline, nonce)

    # -- grading ------------------------------------------------------------------------

    def cache_key(self, target: GradingTarget, answer: str) -> str:
        return cache_key(
            target.question,
            references_text(target),
            answer,
            self.spec,
            self.where,
            self.rubric.version,
            "\n".join(target.key_points),
            self.prompt.templates,
            json.dumps([e.model_dump() for e in target.examples[:MAX_EXAMPLES]]),
        )

    def grade(self, target: GradingTarget, answer: str) -> Grade:
        start = time.perf_counter()
        key = self.cache_key(target, answer)
        if self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None:
                return hit
        offline = (self.evidence or self.fallback.grade)(target, answer)
        if not target.key_points and offline.key_points:
            # The offline grader derived key points from the reference: grade against those.
            target = target.model_copy(update={"key_points": [k.text for k in offline.key_points]})
        messages = self.build_messages(target, answer, offline)
        try:
            verdict = self._ask(messages, target)
        except _GaveUp as gave_up:
            base = offline if self.evidence is None else self.fallback.grade(target, answer)
            return base.model_copy(
                update={
                    "fallback_reason": gave_up.reason,
                    "elapsed_ms": (time.perf_counter() - start) * 1000,
                }
            )
        grade = self._to_grade(target, answer, verdict, offline)
        grade.elapsed_ms = (time.perf_counter() - start) * 1000
        if self.cache is not None:
            self.cache.put(key, grade)
        return grade

    def _structured_model(self, key_points: int) -> Runnable[Any, Any]:
        """The chat model constrained to the verdict for a target with ``key_points``."""
        with self._lock:
            if key_points not in self._structured:
                if self._chat_model is None:
                    self._chat_model = make_chat_model(
                        self.spec, self.settings, max_tokens=self.max_tokens
                    )
                schema = decoding_schema(
                    self.rubric, key_points, bounded=self.output != "json_schema"
                )
                self._structured[key_points] = constrain(
                    self._chat_model, self.output, self.verdict_model, schema
                )
            return self._structured[key_points]

    def _ask(self, messages: list[BaseMessage], target: GradingTarget) -> LLMVerdict:
        attempts = max(self.settings.llm_retries, 0) + 1
        try:
            runnable = self._structured_model(len(target.key_points))
        except LLMError as exc:
            raise _GaveUp(redact(f"{exc}; graded offline", self.settings.api_key)) from exc
        failure: Failure | None = None
        for attempt in range(attempts):
            if attempt:
                time.sleep(min(self.backoff_s * 2 ** (attempt - 1), 4.0))
            try:
                return self._check(runnable.invoke(messages), target)
            except Exception as exc:
                failure = classify(exc)
                if failure is None:
                    raise
                if not failure.transient:
                    break
        assert failure is not None
        tries = f" after {attempt + 1} attempts" if attempt else ""
        reason = f"{failure.describe(self.spec, self.where)}{tries}; graded offline"
        raise _GaveUp(redact(reason, self.settings.api_key))

    def _check(self, output: Any, target: GradingTarget) -> LLMVerdict:
        if isinstance(output, dict):
            if output.get("parsing_error") is not None:
                problem = summarise(output["parsing_error"])
                raise InvalidReply(f"reply did not validate{cut_off(output.get('raw'))}: {problem}")
            parsed = output.get("parsed")
            if parsed is None:
                raise InvalidReply(why_unparsed(output.get("raw")))
            output = parsed
        if not isinstance(output, LLMVerdict):
            output = self.verdict_model.model_validate(output)
        numbers = set(getattr(output, "key_points_covered", [])) | set(
            getattr(output, "key_points_missed", [])
        )
        bad = sorted(n for n in numbers if not 1 <= n <= len(target.key_points))
        if bad:
            raise InvalidReply(
                f"key point {bad[0]} does not exist (there are {len(target.key_points)})"
            )
        return output

    def _to_grade(
        self, target: GradingTarget, answer: str, verdict: LLMVerdict, offline: Grade
    ) -> Grade:
        rubric = self.rubric
        levels = verdict.criterion_levels(rubric)
        rationales = verdict.criterion_rationales(rubric)
        criteria = [
            CriterionScore(
                name=c.name,
                score=levels[c.name],
                max_score=rubric.levels,
                weight=c.weight,
                rationale=rationales[c.name],
            )
            for c in rubric.criteria
        ]
        covered = set(getattr(verdict, "key_points_covered", []))
        key_points = []
        for i, (text, kp) in enumerate(
            zip(target.key_points, align(target.key_points, offline.key_points), strict=True), 1
        ):
            key_points.append(
                KeyPointResult(
                    text=text,
                    covered=i in covered,
                    similarity=kp.similarity if kp else None,
                    evidence=kp.evidence if kp else None,
                )
            )
        score = rubric.overall({k: float(v) for k, v in levels.items()})
        feedback = str(getattr(verdict, "feedback", "")).strip()
        offline_score = offline.fraction * rubric.max_score
        if (
            has_injection_markers(answer)
            and score - offline_score > GUARD_MARGIN * rubric.max_score
        ):
            feedback = (
                f"Note: the answer contains text addressed to the grader; the LLM's score "
                f"{score:.2f} was replaced by the offline score {offline_score:.2f}.\n\n{feedback}"
            )
            score = round(offline_score, 4)
        second = None
        if offline.graded and abs(score - offline_score) > SECOND_OPINION_MARGIN * rubric.max_score:
            second = SecondOpinion(
                grader=offline.grader, score=round(offline_score, 2), max_score=rubric.max_score
            )
        return Grade(
            question=target.question,
            answer=answer,
            score=score,
            max_score=rubric.max_score,
            criteria=criteria,
            key_points=key_points,
            feedback=feedback,
            reference=target.reference,
            reference_origin=target.reference_origin,
            reference_from=target.reference_from,
            question_id=target.question_id,
            model_answer=str(getattr(verdict, "model_answer", "")).strip() or None,
            grader=self.name,
            rubric_version=rubric.version,
            second_opinion=second,
        )
