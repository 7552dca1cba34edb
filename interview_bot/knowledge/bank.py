"""Build a question bank from files: parse, merge duplicates, find references, key points.

This is pure computation over the files and the embedding model; the store persists what
it returns. Any file that cannot be parsed stops the build before anything is written.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from interview_bot.errors import BankError, BankErrors
from interview_bot.knowledge.dedupe import DEFAULT_THRESHOLD, duplicate_groups
from interview_bot.knowledge.embeddings import Embedder
from interview_bot.knowledge.keypoints import candidates, select_points
from interview_bot.knowledge.models import (
    CanonicalQuestion,
    FileStats,
    MergeDecision,
    MergeMember,
    Question,
    Reference,
)
from interview_bot.knowledge.parsers import DEFAULT_MAX_BYTES, ParsedFile, parse_bank_file

REFERENCE_THRESHOLD = 0.65  # a bare question borrows answers at least this close
TOPIC_THRESHOLD = 0.45  # a question without a topic takes its nearest neighbour's
GENERAL_TOPIC = "General"
_GENERIC_SECTION = re.compile(r"^(part|section|chapter)\b", re.IGNORECASE)

OnProgress = Callable[[str, int, int], None]


@dataclass
class Bank:
    """A built bank: its canonical questions and how they were made, ready to store."""

    name: str
    files: list[ParsedFile]
    questions: list[CanonicalQuestion]
    merges: list[MergeDecision] = field(default_factory=list)

    @property
    def gradable(self) -> list[CanonicalQuestion]:
        return [q for q in self.questions if not q.needs_reference]

    @property
    def needing_reference(self) -> list[CanonicalQuestion]:
        return [q for q in self.questions if q.needs_reference]

    def file_stats(self) -> list[FileStats]:
        return [
            FileStats(
                path=f.path,
                sha256=f.sha256,
                format=f.format,
                questions=len(f.questions),
                answered=f.answered,
            )
            for f in self.files
        ]


def bank_files(paths: Iterable[Path]) -> list[Path]:
    """The files named, with folders expanded to their visible files, sorted, no repeats."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file() and not any(part.startswith(".") for part in p.parts)
            )
        else:
            found.append(path)
    return list(dict.fromkeys(found))


def display_path(path: Path) -> str:
    """A path as people should read it in messages: relative to the working folder if inside."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return relative if not relative.startswith("..") else str(path)


def parse_files(paths: Iterable[Path], max_bytes: int = DEFAULT_MAX_BYTES) -> list[ParsedFile]:
    """Parse every file, reporting all problems of all files together."""
    files = bank_files(paths)
    if not files:
        raise BankError("(no files)", None, "no bank files given")
    parsed: list[ParsedFile] = []
    errors: list[BankError] = []
    for path in files:
        try:
            parsed.append(parse_bank_file(path, display_path(path), max_bytes))
        except BankErrors as exc:
            errors.extend(exc.errors)
        except BankError as exc:
            errors.append(exc)
    if errors:
        raise errors[0] if len(errors) == 1 else BankErrors(errors)
    return parsed


def _topic_of(members: list[Question]) -> str | None:
    for question in members:
        if question.topic and not _GENERIC_SECTION.match(question.topic):
            return question.topic
    return None


def _canonicalize(
    questions: list[Question], vectors: np.ndarray, threshold: float
) -> tuple[list[CanonicalQuestion], list[MergeDecision]]:
    canonical: list[CanonicalQuestion] = []
    merges: list[MergeDecision] = []
    for group in duplicate_groups(questions, vectors, threshold):
        rep = questions[group.representative]
        ordered = [group.representative] + [m for m in group.members if m != group.representative]
        members = [questions[m] for m in ordered]
        canonical.append(
            CanonicalQuestion(
                id=rep.id,
                question=rep.question,
                variants=[q.question for q in members[1:] if q.question != rep.question],
                topic=_topic_of(members),
                difficulty=next((q.difficulty for q in members if q.difficulty), None),
                references=[
                    Reference(
                        short_answer=q.short_answer,
                        explanation=q.explanation,
                        source=q.source,
                        question=q.question,
                    )
                    for q in members
                    if q.answered
                ],
                sources=[q.source for q in members],
            )
        )
        if len(members) > 1:
            merges.append(
                MergeDecision(
                    canonical_id=rep.id,
                    canonical_question=rep.question,
                    members=[
                        MergeMember(
                            id=questions[m].id,
                            question=questions[m].question,
                            source=questions[m].source,
                            similarity=round(group.similarity[m], 4),
                        )
                        for m in ordered
                    ],
                )
            )
    return canonical, merges


def _borrow_references(
    bank: list[CanonicalQuestion], encode: Callable[[list[str]], np.ndarray]
) -> None:
    """Give bare questions the answers of other questions that address them closely.

    A donor qualifies when its question, or one statement of its answer, is at least
    REFERENCE_THRESHOLD close to the bare question ("Why does GPT use causal masking?" finds
    "Uses causal (look-ahead) masking" in the encoder-vs-decoder answer).
    """
    bare = [q for q in bank if not q.references]
    chunks: list[tuple[CanonicalQuestion, Reference, str]] = [
        (q, ref, text)
        for q in bank
        if q.references
        for ref in q.references
        for text in [q.question, *candidates(ref.text)]
    ]
    if not chunks or not bare:
        return
    scores = encode([q.question for q in bare]) @ encode([c[2] for c in chunks]).T
    for row, question in zip(scores, bare, strict=True):
        donors: dict[str, tuple[Reference, float]] = {}
        for j in np.argsort(-row):
            if row[j] < REFERENCE_THRESHOLD or len(donors) == 2:
                break
            donor, ref, _ = chunks[int(j)]
            donors.setdefault(donor.id, (ref, float(row[j])))
        for ref, similarity in donors.values():
            question.references.append(
                ref.model_copy(update={"retrieved": True, "similarity": round(similarity, 4)})
            )


def _infer_topics(bank: list[CanonicalQuestion], vectors: np.ndarray) -> None:
    known = [i for i, q in enumerate(bank) if q.topic]
    for i, question in enumerate(bank):
        if question.topic:
            continue
        if known:
            sims = vectors[known] @ vectors[i]
            best = int(np.argmax(sims))
            if sims[best] >= TOPIC_THRESHOLD:
                question.topic = bank[known[best]].topic
                continue
        question.topic = GENERAL_TOPIC


def build_bank(
    paths: Iterable[Path],
    embedder: Embedder,
    name: str = "default",
    max_bytes: int = DEFAULT_MAX_BYTES,
    threshold: float = DEFAULT_THRESHOLD,
    progress: OnProgress | None = None,
) -> Bank:
    """Parse, merge, complete and annotate a bank; raises BankError(s) before any output."""
    step = progress or (lambda _stage, _done, _total: None)
    files = parse_files(paths, max_bytes)
    questions = [q for f in files for q in f.questions]
    step("parsed", len(questions), len(questions))
    vectors = embedder.encode([q.question for q in questions])
    canonical, merges = _canonicalize(questions, vectors, threshold)
    step("merged", len(canonical), len(canonical))
    _borrow_references(canonical, embedder.encode)
    canonical_vecs = embedder.encode([q.question for q in canonical])
    _infer_topics(canonical, canonical_vecs)
    # One batched pass over every candidate point; select_points then reads the cache.
    embedder.encode(
        list(dict.fromkeys(c for q in canonical for r in q.references for c in candidates(r.text)))
    )
    for done, question in enumerate(canonical, start=1):
        question.key_points = select_points(
            question.question, [r.text for r in question.references], embedder.encode
        )
        step("key points", done, len(canonical))
    return Bank(name=name, files=files, questions=canonical, merges=merges)
