"""Merge the same question asked in several files into one canonical question.

Two questions are duplicates when their embeddings are close (cosine >= threshold). Groups
grow by complete linkage (every pair in a group must be close, so chains of "somewhat
similar" questions never snowball), and a group never holds two questions of one file: an
author who wrote two questions meant two questions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from interview_bot.knowledge.models import Question

DEFAULT_THRESHOLD = 0.82


@dataclass(frozen=True)
class Group:
    members: list[int]
    representative: int
    similarity: dict[int, float]  # member -> cosine with the representative


def _close_pairs(
    vectors: np.ndarray, threshold: float, block: int = 1024
) -> list[tuple[float, int, int]]:
    """Every pair i < j with cosine >= threshold, computed a block of rows at a time (memory
    stays O(block x n) even for tens of thousands of questions)."""
    pairs: list[tuple[float, int, int]] = []
    for start in range(0, len(vectors), block):
        sims = vectors[start : start + block] @ vectors.T
        rows, cols = np.nonzero(sims >= threshold)
        keep = cols > rows + start
        pairs.extend(
            (float(sims[r, c]), int(r + start), int(c))
            for r, c in zip(rows[keep], cols[keep], strict=True)
        )
    return pairs


def duplicate_groups(
    questions: list[Question], vectors: np.ndarray, threshold: float = DEFAULT_THRESHOLD
) -> list[Group]:
    """Partition question indices into groups of duplicates (singletons included)."""
    group_of = list(range(len(questions)))
    members: dict[int, list[int]] = {i: [i] for i in range(len(questions))}
    for _, i, j in sorted(_close_pairs(vectors, threshold), reverse=True):
        a, b = group_of[i], group_of[j]
        if a == b:
            continue
        joined = members[a] + members[b]
        files = [questions[k].source.file for k in joined]
        if len(set(files)) < len(files):
            continue
        if float((vectors[members[a]] @ vectors[members[b]].T).min()) < threshold:
            continue
        for k in members[b]:
            group_of[k] = a
        members[a] = joined
        del members[b]
    groups = []
    for indices in members.values():
        indices = sorted(
            indices, key=lambda k: (questions[k].source.file, questions[k].source.line)
        )
        sims = vectors[indices] @ vectors[indices].T

        # The representative is the most central member; ties go to an answered, shorter one.
        def rank(
            pos: int, indices: list[int] = indices, sims: np.ndarray = sims
        ) -> tuple[float, bool, int]:
            k = indices[pos]
            return (
                round(float(sims[pos].mean()), 6),
                questions[k].answered,
                -len(questions[k].question),
            )

        best = max(range(len(indices)), key=rank)
        groups.append(
            Group(indices, indices[best], {k: float(sims[best, p]) for p, k in enumerate(indices)})
        )
    return sorted(groups, key=lambda g: min(g.members))
