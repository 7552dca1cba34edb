"""The one object the web app, the CLI and evals share: settings, embedder, store, graders."""

from __future__ import annotations

import threading
from pathlib import Path

from interview_bot.errors import InterviewBotError, StoreError
from interview_bot.grading.choice import GraderChoice
from interview_bot.grading.pool import GraderPool
from interview_bot.grading.result import Grade, Grader, GradingTarget
from interview_bot.knowledge.bank import OnProgress, bank_files
from interview_bot.knowledge.borrowing import borrowed_from
from interview_bot.knowledge.embeddings import Embedder, get_embedder
from interview_bot.knowledge.ingest_lock import DEFAULT_WAIT
from interview_bot.knowledge.manifest import IngestReport, Manifest, outdated_copy_of
from interview_bot.knowledge.models import CanonicalQuestion, SearchHit
from interview_bot.knowledge.parsers import DEFAULT_MAX_BYTES
from interview_bot.knowledge.store import BankStore
from interview_bot.settings import Settings, load_settings

# A question typed by a user is graded against a bank question at least this close.
MATCH_THRESHOLD = 0.70
# What warm_up grades for every question: any text makes the grader cache the question's side.
WARM_UP_ANSWER = "Attention weighs values by the similarity of queries and keys."
WARM_UP_BATCH = 4


class InterviewBot:
    """Entry point of the Python API: ``InterviewBot().search("what is RoPE?")``."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or load_settings()
        self.embedder: Embedder = get_embedder(self.settings.data_dir)
        self.store = BankStore(self.settings, self.embedder)
        self.graders = GraderPool(self.settings, self.embedder)
        self._ensure_lock = threading.Lock()
        self._default_checked = False  # the default bank is compared with knowledge/ once

    def ingest(
        self,
        paths: list[Path] | None = None,
        bank: str | None = None,
        progress: OnProgress | None = None,
        force: bool = False,
        wait: float = DEFAULT_WAIT,
    ) -> IngestReport:
        """Ingest files (default: the knowledge folder) into a bank (default: the setting),
        waiting up to ``wait`` seconds for another ingest of the same data folder."""
        return self.store.ingest(
            paths or [self.settings.knowledge_dir],
            bank or self.settings.bank,
            progress=progress,
            force=force,
            wait=wait,
        )

    def ensure_bank(self, bank: str | None = None, progress: OnProgress | None = None) -> str:
        """Make sure ``bank`` exists; the default bank is built from knowledge/ when missing."""
        name = bank or self.settings.bank
        with self._ensure_lock:
            manifest = self.store.manifest(name)
            if manifest is not None:
                if name == "default" and not self._default_checked:
                    self._default_checked = True
                    if self._outdated_bundled(manifest):
                        self.ingest(bank=name, progress=progress)
                return name
            if name != "default":
                raise StoreError(
                    f"bank {name!r} is not ingested yet - run "
                    f"`interview-bot ingest --bank {name} FILES`"
                )
            self.ingest(bank=name, progress=progress)
        return name

    def _outdated_bundled(self, manifest: Manifest) -> bool:
        """Whether the default bank is the bundled one as an older version built it (an
        upgrade brings better key points only to a rebuilt bank; a bank of the person's own
        files is never rebuilt behind their back)."""
        max_bytes = self.settings.max_upload_bytes or DEFAULT_MAX_BYTES
        try:
            files = bank_files([self.settings.knowledge_dir], max_bytes)
            return outdated_copy_of(manifest, files, max_bytes)
        except InterviewBotError:  # no readable knowledge folder: keep what is there
            return False

    def search(self, query: str, k: int = 5, bank: str | None = None) -> list[SearchHit]:
        return self.store.search(query, k=k, bank=self.ensure_bank(bank))

    def _bank(self, bank: str | None) -> dict[str, CanonicalQuestion]:
        """A bank's questions by id. The store is asked first and the bank ensured (the
        default bank built) only when that fails: one store read per call instead of two,
        which matters when a server answers many interviews at once."""
        name = bank or self.settings.bank
        if name == "default" and not self._default_checked:
            self.ensure_bank(name)  # once per process: an upgrade rebuilds the bundled bank
        try:
            return self.store.questions(name)
        except StoreError:
            return self.store.questions(self.ensure_bank(name))

    def questions(self, bank: str | None = None) -> list[CanonicalQuestion]:
        """Every canonical question of a bank, those needing a reference included."""
        return list(self._bank(bank).values())

    def gradable(self, bank: str | None = None) -> list[CanonicalQuestion]:
        """The questions practice can ask: those with a reference answer."""
        return [q for q in self.questions(bank) if not q.needs_reference]

    def warm_up(self, bank: str | None = None) -> None:
        """Grade a placeholder answer to every practice question offline, in small batches:
        the model is loaded and each question's vectors and key points are computed before
        the first real answer, so a server's first users do not pay for them."""
        targets = [_bank_target(q, "bank", 1.0) for q in self.gradable(bank)]
        for start in range(0, len(targets), WARM_UP_BATCH):
            chunk = targets[start : start + WARM_UP_BATCH]
            self.graders.offline.grade_many([(t, WARM_UP_ANSWER) for t in chunk])

    def grader(self, choice: GraderChoice | str | None = None) -> Grader:
        """The grader a choice names (a :class:`GraderChoice` or a bare spec such as
        ``"ollama:llama3"``; default: the configured one)."""
        return self.graders.get(choice)

    def target(
        self,
        *,
        question_id: str | None = None,
        question: str | None = None,
        reference: str | None = None,
        bank: str | None = None,
    ) -> GradingTarget:
        """What to grade against: a bank question by id, a given reference, or retrieval."""
        if question_id is not None:
            found = self._bank(bank).get(question_id)
            if found is None:
                raise StoreError(
                    f"no question {question_id!r} in bank {bank or self.settings.bank!r}"
                )
            return _bank_target(found, "bank", 1.0)
        if not question or not question.strip():
            raise StoreError("give a question (or a question id) to grade against")
        if reference and reference.strip():
            return GradingTarget(question=question, reference=reference, reference_origin="given")
        hits = self.search(question, k=1, bank=bank)
        if hits and hits[0].similarity >= MATCH_THRESHOLD and not hits[0].question.needs_reference:
            target = _bank_target(hits[0].question, "retrieved", hits[0].similarity)
            return target.model_copy(update={"question": question})
        closest = hits[0] if hits else None
        return GradingTarget(
            question=question,
            reference_origin="none",
            similarity=closest.similarity if closest else None,
            question_id=closest.question.id if closest else None,
        )

    def grade(
        self,
        answer: str,
        *,
        question_id: str | None = None,
        question: str | None = None,
        reference: str | None = None,
        bank: str | None = None,
        grader: GraderChoice | str | None = None,
    ) -> Grade:
        """Grade one answer against a bank question (by id), a given reference, or the bank
        question closest to ``question``; the same call serves the app, the CLI and evals."""
        target = self.target(
            question_id=question_id, question=question, reference=reference, bank=bank
        )
        grade = self.grader(grader).grade(target, answer)
        if not grade.graded and target.question_id:
            near = self._bank(bank).get(target.question_id)
            if near is not None:
                grade = grade.model_copy(
                    update={
                        "feedback": f'{grade.feedback} Closest bank question: "{near.question}" '
                        f"(similarity {target.similarity:.2f}, below {MATCH_THRESHOLD})."
                    }
                )
        return grade


def _bank_target(question: CanonicalQuestion, origin: str, similarity: float) -> GradingTarget:
    return GradingTarget(
        question=question.question,
        reference=question.reference_text or None,
        references=[r.text for r in question.references],
        key_points=question.key_points,
        examples=question.examples,
        reference_origin=origin,  # type: ignore[arg-type]
        reference_from=borrowed_from(question),
        question_id=question.id,
        similarity=similarity,
    )
