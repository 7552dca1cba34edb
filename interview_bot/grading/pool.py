"""Grader choices to graders: the shared (batching) offline grader, or a plugin's grader."""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections import OrderedDict
from collections.abc import Sequence

from pydantic import SecretStr

from interview_bot.grading.choice import OFFLINE, GraderChoice
from interview_bot.grading.offline import OfflineGrader
from interview_bot.grading.plugins import GraderContext, plugin_for
from interview_bot.grading.result import Grade, Grader, GradingTarget
from interview_bot.grading.rubric import Rubric, load_rubric
from interview_bot.knowledge.embeddings import Embedder
from interview_bot.settings import Settings

# Graders kept at once; with per-person keys there is one per key, so the pool is bounded.
MAX_GRADERS = 64


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

    def __init__(self, embedder: Embedder, rubric: Rubric) -> None:
        super().__init__(embedder, rubric)
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
    """One grader per choice (spec, base URL, API key), built on first use by the spec's
    plugin and shared (graders are thread-safe). A person's own key gets its own grader: the
    pool is keyed by a salted hash of the key, never the key itself, and no key ever passes
    through ``os.environ``."""

    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        self.settings = settings
        rubric = load_rubric(settings.prompts_dir)
        self.offline: OfflineGrader = BatchingOfflineGrader(embedder, rubric)
        self.default = GraderChoice(spec=settings.llm or OFFLINE, base_url=settings.base_url)
        self._context = GraderContext(settings, self.offline)
        self._graders: OrderedDict[tuple[str, str | None, str | None], Grader] = OrderedDict()
        self._lock = threading.Lock()
        self._salt = secrets.token_bytes(16)

    def key_id(self, api_key: SecretStr | None) -> str | None:
        """A salted fingerprint of ``api_key`` that tells keys apart without revealing them."""
        if api_key is None or not api_key.get_secret_value():
            return None
        digest = hashlib.blake2b(api_key.get_secret_value().encode(), key=self._salt)
        return digest.hexdigest()[:32]

    def get(self, choice: GraderChoice | str | None = None) -> Grader:
        """The grader for ``choice`` (default: the configured one)."""
        choice = GraderChoice.of(choice) or self.default
        if choice.offline:
            return self.offline
        if choice.base_url is None and self.settings.base_url:
            choice = choice.model_copy(update={"base_url": self.settings.base_url})
        key = (choice.spec, choice.base_url, self.key_id(choice.api_key))
        with self._lock:
            if key in self._graders:
                self._graders.move_to_end(key)
                return self._graders[key]
            grader = plugin_for(choice.spec).make_grader(choice, self._context)
            self._graders[key] = grader
            while len(self._graders) > MAX_GRADERS:
                self._graders.popitem(last=False)
            return grader
