"""Merge the same question asked in several files into one canonical question.

Two questions are duplicates when their embeddings are close (cosine >= threshold). Groups
grow by complete linkage (every pair in a group must be close, so chains of "somewhat
similar" questions never snowball), and a group never holds two questions of one file: an
author who wrote two questions meant two questions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from interview_bot.models import Question

DEFAULT_THRESHOLD = 0.82


@dataclass(frozen=True)
class Group:
    members: list[int]
    representative: int
    similarity: dict[int, float]  # member -> cosine with the representative


def duplicate_groups(
    questions: list[Question], vectors: np.ndarray, threshold: float = DEFAULT_THRESHOLD
) -> list[Group]:
    """Partition question indices into groups of duplicates (singletons included)."""
    n = len(questions)
    sims = vectors @ vectors.T if n else np.zeros((0, 0))
    group_of = list(range(n))
    members: dict[int, list[int]] = {i: [i] for i in range(n)}
    pairs = [
        (sims[i, j], i, j) for i in range(n) for j in range(i + 1, n) if sims[i, j] >= threshold
    ]
    for _, i, j in sorted(pairs, reverse=True):
        a, b = group_of[i], group_of[j]
        if a == b:
            continue
        joined = members[a] + members[b]
        files = [questions[k].source.file for k in joined]
        if len(set(files)) < len(files):
            continue
        if min(sims[x, y] for x in members[a] for y in members[b]) < threshold:
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

        # The representative is the most central member; ties go to an answered, shorter one.
        def rank(k: int, indices: list[int] = indices) -> tuple[float, bool, int]:
            centrality = float(np.mean([sims[k, m] for m in indices]))
            return (round(centrality, 6), questions[k].answered, -len(questions[k].question))

        rep = max(indices, key=rank)
        groups.append(Group(indices, rep, {k: float(sims[rep, k]) for k in indices}))
    return sorted(groups, key=lambda g: min(g.members))
