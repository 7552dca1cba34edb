"""Merge the same question asked in several files into one canonical question.

Two questions are duplicates when their embeddings are close (cosine >= threshold). Groups
grow by complete linkage (every pair in a group must be close, so chains of "somewhat
similar" questions never snowball), and a group never holds two questions of one file: an
author who wrote two questions meant two questions.

The work is near-linear in the bank, whatever its shape: candidate pairs are each
question's NEIGHBOURS nearest neighbours above the threshold (found a block of rows at a
time, in numpy), and a group holds at most MAX_GROUP questions, so checking a merge costs
at most MAX_GROUP squared products. A bank of thousands of near-identical questions, one per
file, merges in seconds instead of hours.
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


NEIGHBOURS = 16  # nearest neighbours of each question considered for a merge
MAX_GROUP = 32  # questions merged into one canonical question at most


def _close_pairs(
    vectors: np.ndarray, threshold: float, block: int = 1024, neighbours: int = NEIGHBOURS
) -> list[tuple[float, int, int]]:
    """Pairs i < j with cosine >= threshold where j is among i's ``neighbours`` nearest
    (or i among j's), best first. Memory stays O(block x n)."""
    n = len(vectors)
    keep = min(neighbours, n - 1)
    if keep <= 0:
        return []
    firsts, seconds, values = [], [], []
    for start in range(0, n, block):
        sims = vectors[start : start + block] @ vectors.T
        rows = np.arange(len(sims))
        sims[rows, rows + start] = -np.inf  # never a pair with itself
        top = np.argpartition(-sims, keep - 1, axis=1)[:, :keep]
        near = sims[rows[:, None], top]
        hit = near >= threshold
        i = (rows[:, None] + start).repeat(keep, axis=1)[hit]
        j = top[hit]
        firsts.append(np.minimum(i, j))
        seconds.append(np.maximum(i, j))
        values.append(near[hit])
    first, second, value = np.concatenate(firsts), np.concatenate(seconds), np.concatenate(values)
    _, unique = np.unique(first.astype(np.int64) * n + second, return_index=True)
    order = unique[np.lexsort((-second[unique], -first[unique], -value[unique]))]
    return [(float(value[k]), int(first[k]), int(second[k])) for k in order]


def duplicate_groups(
    questions: list[Question], vectors: np.ndarray, threshold: float = DEFAULT_THRESHOLD
) -> list[Group]:
    """Partition question indices into groups of duplicates (singletons included)."""
    group_of = list(range(len(questions)))
    members: dict[int, list[int]] = {i: [i] for i in range(len(questions))}
    files: dict[int, set[str]] = {i: {q.source.file} for i, q in enumerate(questions)}
    for _, i, j in _close_pairs(vectors, threshold):
        a, b = group_of[i], group_of[j]
        if a == b or len(members[a]) + len(members[b]) > MAX_GROUP:
            continue
        if not files[a].isdisjoint(files[b]):
            continue
        if float((vectors[members[a]] @ vectors[members[b]].T).min()) < threshold:
            continue
        for k in members[b]:
            group_of[k] = a
        members[a] += members.pop(b)
        files[a] |= files.pop(b)
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
