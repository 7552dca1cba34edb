"""Grader specs to graders: ``offline`` or an LLM spec with the offline grader as fallback."""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections import OrderedDict
from collections.abc import Sequence

from pydantic import SecretStr

from interview_bot.embeddings import Embedder
from interview_bot.grade import Grade, Grader, GradingTarget
from interview_bot.llm.cache import GradeCache
from interview_bot.offline_grader import OfflineGrader
from interview_bot.settings import Settings

OFFLINE = "offline"
# LLM graders kept at once; with per-browser keys there is one per key, so the pool is bounded.
MAX_LLM_GRADERS = 64


class _Job:
    __slots__ = ("answer", "done", "error", "grade", "target")

    def __init__(self, target: GradingTarget, answer: str) -> None:
        self.target, self.answer = target, answer
        self.grade: Grade | None = None
        self.error: BaseException | None = None
        self.done = False


class BatchingOfflineGrader(OfflineGrader):
    """The offline grader, with concurrent :meth:`grade` calls grouped into one model pass.

    Many interviews in one server grade at once: instead of running the model once per
    answer in parallel threads (which only fight over the same cores), whichever caller gets
    the model next grades every answer waiting by then in one :meth:`grade_many` batch.
    An idle grader adds no delay; the grades equal those graded one at a time.
    """

    max_batch = 32

    def __init__(self, embedder: Embedder) -> None:
        super().__init__(embedder)
        self._waiting: list[_Job] = []
        self._waiting_lock = threading.Lock()
        self._model_turn = threading.RLock()

    def grade_many(self, pairs: Sequence[tuple[GradingTarget, str]]) -> list[Grade]:
        """A batch graded in its turn: never two model passes of this grader at once."""
        with self._model_turn:
            return super().grade_many(pairs)

    def grade(self, target: GradingTarget, answer: str) -> Grade:
        job = _Job(target, answer)
        with self._waiting_lock:
            self._waiting.append(job)
        while not job.done:
            with self._model_turn:
                if job.done:
                    break
                with self._waiting_lock:
                    batch = self._waiting[: self.max_batch]
                    del self._waiting[: self.max_batch]
                self._run(batch)
        if job.error is not None:
            raise job.error
        assert job.grade is not None
        return job.grade

    def _run(self, batch: list[_Job]) -> None:
        try:
            grades = self.grade_many([(j.target, j.answer) for j in batch])
            for job, grade in zip(batch, grades, strict=True):
                job.grade = grade
        except Exception:
            for job in batch:  # one answer that breaks the batch must not fail the others
                try:
                    job.grade = self.grade_many([(job.target, job.answer)])[0]
                except Exception as exc:
                    job.error = exc
        finally:
            for job in batch:
                if job.grade is None and job.error is None:
                    job.error = RuntimeError("grading was interrupted")
                job.done = True


class GraderPool:
    """One grader per (spec, base URL, API key), built on first use and shared (they are
    thread-safe). A browser's own key gets its own grader: the pool is keyed by a salted
    hash of the key, never the key itself, and no key ever passes through ``os.environ``."""

    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        self.settings = settings
        self.offline: OfflineGrader = BatchingOfflineGrader(embedder)
        self._graders: OrderedDict[tuple[str, str | None, str | None], Grader] = OrderedDict()
        self._lock = threading.Lock()
        self._salt = secrets.token_bytes(16)

    def key_id(self, api_key: SecretStr | None) -> str | None:
        """A salted fingerprint of ``api_key`` that tells keys apart without revealing them."""
        if api_key is None or not api_key.get_secret_value():
            return None
        digest = hashlib.blake2b(api_key.get_secret_value().encode(), key=self._salt)
        return digest.hexdigest()[:32]

    def get(
        self, spec: str | None = None, base_url: str | None = None, api_key: SecretStr | None = None
    ) -> Grader:
        spec = spec or self.settings.llm or OFFLINE
        if spec == OFFLINE:
            return self.offline
        base_url = base_url or self.settings.base_url
        key = (spec, base_url, self.key_id(api_key))
        api_key = api_key if key[2] is not None else None
        with self._lock:
            if key in self._graders:
                self._graders.move_to_end(key)
                return self._graders[key]
            from interview_bot.llm_grader import LLMGrader

            settings = self.settings.with_overrides(base_url=base_url, api_key=api_key)
            grader = LLMGrader(
                spec, settings, fallback=self.offline, cache=GradeCache.for_settings(settings)
            )
            self._graders[key] = grader
            while len(self._graders) > MAX_LLM_GRADERS:
                self._graders.popitem(last=False)
            return grader
