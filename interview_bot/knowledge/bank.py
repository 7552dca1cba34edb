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
from interview_bot.knowledge.borrowing import borrow_references
from interview_bot.knowledge.declared import join_declared
from interview_bot.knowledge.dedupe import DEFAULT_THRESHOLD, duplicate_groups
from interview_bot.knowledge.embeddings import Embedder, Encode
from interview_bot.knowledge.keypoints import select_points
from interview_bot.knowledge.limits import MAX_FILES, MAX_QUESTIONS, MAX_TOTAL_BYTES
from interview_bot.knowledge.models import (
    CanonicalQuestion,
    FileStats,
    MergeDecision,
    MergeMember,
    Question,
    Reference,
    normalize_question,
)
from interview_bot.knowledge.parsers import (
    DEFAULT_MAX_BYTES,
    ParsedFile,
    check_bank_file,
    parse_bank_file,
)
from interview_bot.knowledge.statements import candidates

TOPIC_THRESHOLD = 0.5  # a question without a topic takes the closest topic at least this close
TOPIC_WITH_NEIGHBOUR = 0.35  # or this close when its nearest filed question has that topic
NEIGHBOUR_THRESHOLD = 0.6  # how close that nearest filed question must be
NEAR_QUESTION = (
    0.75  # two questions this close ask nearly the same thing (not both in one interview)
)
_MAX_NEAR = 10  # near questions recorded per question
_BLOCK = 512  # rows of a similarity matrix computed at once (memory O(block x n))
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
                questions=sum(1 for q in f.questions if not q.adds_only),
                answered=f.answered,
                examples=sum(len(q.examples) for q in f.questions),
            )
            for f in self.files
        ]


def _visible_files(folder: Path, limit: int) -> list[Path]:
    """Regular, non-hidden files under ``folder`` (symlinked folders not followed); stops
    walking as soon as there are more than ``limit``."""
    found: list[Path] = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            path = Path(root) / name
            if name.startswith(".") or not path.is_file():  # pipes, devices, sockets: not banks
                continue
            found.append(path)
            if len(found) > limit:
                raise BankError(
                    display_path(folder),
                    None,
                    f"more than {limit:,} files; a bank takes at most that many - "
                    "ingest a smaller folder",
                )
    return found


def bank_files(paths: Iterable[Path], max_bytes: int = DEFAULT_MAX_BYTES) -> list[Path]:
    """The files named, with folders expanded to their visible files, sorted, no repeats.

    Every file is checked with ``stat`` before anything is read: a pipe, a device or a file
    over ``max_bytes`` is refused, and so is an ingest of more than MAX_FILES files or
    MAX_TOTAL_BYTES bytes.
    """
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(_visible_files(path, MAX_FILES - len(found))))
        else:
            found.append(path)
        if len(found) > MAX_FILES:
            raise BankError(
                display_path(path), None, f"more than {MAX_FILES:,} files in one ingest"
            )
    found = list(dict.fromkeys(found))
    errors: list[BankError] = []
    total = 0
    for path in found:
        try:
            total += check_bank_file(path, display_path(path), max_bytes)
        except BankError as exc:
            errors.append(exc)
    if errors:
        raise errors[0] if len(errors) == 1 else BankErrors(errors)
    if total > MAX_TOTAL_BYTES:
        raise BankError(
            "(bank)",
            None,
            f"{total:,} bytes in {len(found):,} files; the limit is {MAX_TOTAL_BYTES:,} per ingest",
        )
    return found


def display_path(path: Path) -> str:
    """A path as people should read it in messages: relative to the working folder if inside."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return relative if not relative.startswith("..") else str(path)


def parse_files(paths: Iterable[Path], max_bytes: int = DEFAULT_MAX_BYTES) -> list[ParsedFile]:
    """Parse every file, reporting all problems of all files together."""
    files = bank_files(paths, max_bytes)
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


def _infer_topics(bank: list[CanonicalQuestion], vectors: np.ndarray, encode: Encode) -> None:
    """A topic for each question its files did not file under one.

    Each topic is the centroid of its questions and its own name; a question takes the
    closest topic when at least TOPIC_THRESHOLD close, or at least TOPIC_WITH_NEIGHBOUR
    close when its nearest filed question (at least NEIGHBOUR_THRESHOLD close) agrees;
    otherwise it is General. One close neighbour alone is not enough: "What issues in RNNs
    are addressed by transformer models?" is nearest to a positional-encoding question.
    """
    known = [i for i, q in enumerate(bank) if q.topic]
    unknown = [i for i, q in enumerate(bank) if not q.topic]
    if not unknown:
        return
    names = sorted({str(bank[i].topic) for i in known})
    if not names:
        for i in unknown:
            bank[i].topic = GENERAL_TOPIC
        return
    index = {name: k for k, name in enumerate(names)}
    centroids = encode(names).astype(np.float64)
    for i in known:
        centroids[index[str(bank[i].topic)]] += vectors[i]
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    known_vecs = vectors[known]
    for start in range(0, len(unknown), _BLOCK):
        block = unknown[start : start + _BLOCK]
        to_topic = vectors[block] @ centroids.T
        to_known = vectors[block] @ known_vecs.T
        for row, i in enumerate(block):
            best = int(np.argmax(to_topic[row]))
            closeness = float(to_topic[row, best])
            neighbour = int(np.argmax(to_known[row]))
            agrees = (
                to_known[row, neighbour] >= NEIGHBOUR_THRESHOLD
                and bank[known[neighbour]].topic == names[best]
            )
            if closeness >= TOPIC_THRESHOLD or (closeness >= TOPIC_WITH_NEIGHBOUR and agrees):
                bank[i].topic = names[best]
            else:
                bank[i].topic = GENERAL_TOPIC


def _mark_near(bank: list[CanonicalQuestion], vectors: np.ndarray) -> None:
    """Record, for each question, the few others that ask nearly the same thing without
    being merged with it, so one interview asks only one of them."""
    count = min(_MAX_NEAR + 1, len(bank))
    for start in range(0, len(bank), _BLOCK):
        sims = vectors[start : start + _BLOCK] @ vectors.T
        top = np.argpartition(-sims, count - 1, axis=1)[:, :count]
        for row, candidates_ in enumerate(top):
            i = start + row
            close = sorted(
                (j for j in candidates_ if j != i and sims[row, j] >= NEAR_QUESTION),
                key=lambda j: -sims[row, j],
            )
            bank[i].near = [bank[int(j)].id for j in close]


def _attach_examples(
    canonical: list[CanonicalQuestion], questions: list[Question], attachments: list[Question]
) -> None:
    """Each question's own graded examples, plus those of records that carry examples and no
    answer, matched to a bank question by its exact (normalised) text."""
    by_text = {normalize_question(text): c for c in canonical for text in (c.question, *c.variants)}
    own = {q.source: q.examples for q in questions if q.examples}
    for c in canonical:
        for source in c.sources:
            c.examples.extend(own.get(source, []))
    errors = []
    for record in attachments:
        found = by_text.get(normalize_question(record.question))
        if found is None:
            errors.append(
                BankError(
                    record.source.file,
                    record.source.line,
                    f"examples for {record.question!r}, which no bank file asks (with an answer)",
                )
            )
        else:
            found.examples.extend(record.examples)
    if errors:
        raise errors[0] if len(errors) == 1 else BankErrors(errors)


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
    if len(questions) > MAX_QUESTIONS:
        over = questions[MAX_QUESTIONS].source
        raise BankError(
            over.file, over.line, f"more than {MAX_QUESTIONS:,} questions in one bank; split it"
        )
    step("parsed", len(questions), len(questions))
    attachments = [q for q in questions if q.adds_only]
    questions = [q for q in questions if not q.adds_only]
    vectors = embedder.encode([q.question for q in questions])
    canonical, merges = _canonicalize(questions, vectors, threshold)
    canonical, merges = join_declared(canonical, merges, questions + attachments, embedder.encode)
    _attach_examples(canonical, questions, attachments)
    step("merged", len(canonical), len(canonical))
    borrow_references(canonical, embedder.encode)
    canonical_vecs = embedder.encode([q.question for q in canonical])
    _infer_topics(canonical, canonical_vecs, embedder.encode)
    _mark_near(canonical, canonical_vecs)
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
