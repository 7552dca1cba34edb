"""Pick the few statements of a question's reference answers an interviewer listens for.

A key point is one self-contained statement that reads as a sentence
(:mod:`interview_bot.knowledge.statements` finds them in each reference answer). A greedy
maximal-marginal-relevance pick ranks the statements by how close they are to the question
and to the answers as a whole and merges near-repeats; a table row is a point only when the
sentences cannot fill every place, and a list's items stay inside their statement, so a task
named in an answer ("Named Entity Recognition") is never a point of its own. Computed at
ingest and stored, most important first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from interview_bot.knowledge.embeddings import Encode
from interview_bot.knowledge.statements import candidates, table_rows

MAX_POINTS = 6
MIN_POINTS = 2  # a question whose answers hold two distinct statements gets both
REPEAT_SIMILARITY = 0.70  # two statements this close say the same thing: one is kept
_SAME_STATEMENT = 0.9  # closer than this, a statement is never a second point
LEAD_BONUS = 0.08  # the first statement of an answer (its short answer) ranks higher
ASIDE_PENALTY = 0.1  # a statement its answer marks as an aside ("(for completeness)") ranks lower
_ASIDE = re.compile(r"\((for completeness|optional|aside|bonus)\)", re.IGNORECASE)


def select_points(
    question: str,
    references: Sequence[str],
    encode: Encode,
    max_points: int = MAX_POINTS,
) -> list[str]:
    """The key points of a question from all its reference answers, most important first,
    near-repeats merged (the openings of merged answers restate one answer, so only the
    best is kept)."""
    pool: list[str] = []
    lead: set[int] = set()
    rows: set[str] = set()
    for reference in references:
        found = [c for c in candidates(reference) if c not in pool]
        if found:
            lead.add(len(pool))
        pool.extend(found)
        rows |= table_rows(reference)
    if len(pool) <= 1:
        return pool
    vectors = encode(pool)
    query = encode([question])[0]
    centroid = vectors.mean(axis=0)
    centroid /= np.linalg.norm(centroid) or 1.0
    relevance = 0.5 * (vectors @ query) + 0.5 * (vectors @ centroid)
    relevance += np.array([LEAD_BONUS if i in lead else 0.0 for i in range(len(pool))])
    relevance -= np.array([ASIDE_PENALTY if _ASIDE.search(p) else 0.0 for p in pool])
    allowed = np.ones(len(pool), dtype=bool)
    if len(lead) > 1:  # merged answers each open by saying the answer: keep the best opening
        best_lead = max(lead, key=lambda i: float(relevance[i]))
        allowed = np.array([i not in lead or i == best_lead for i in range(len(pool))])
    # When the sentences of the answers could fill every place, a table row takes none: it
    # sums up in cells ("Handles variable length: LayerNorm Yes, BatchNorm Poorly") what
    # the sentences say, or adds trivia ("Used in CNNs: LayerNorm Rare, BatchNorm Yes").
    # An answer that is mostly a table ("Compare GPT and BERT") keeps its rows.
    if len(pool) - len(rows & set(pool)) >= max_points:
        allowed &= np.array([p not in rows for p in pool])
    chosen = _pick(vectors, relevance, allowed, REPEAT_SIMILARITY, max_points)
    everything = np.ones(len(pool), dtype=bool)
    for repeat_at in (REPEAT_SIMILARITY, _SAME_STATEMENT):  # say more when the answers can
        if len(chosen) < MIN_POINTS:
            chosen = _pick(vectors, relevance, everything, repeat_at, MIN_POINTS)
    return [pool[i] for i in chosen]


def _pick(
    vectors: np.ndarray,
    relevance: np.ndarray,
    allowed: np.ndarray,
    repeat_at: float,
    max_points: int,
) -> list[int]:
    """Greedy maximal marginal relevance: the most relevant statement not too close to one
    already chosen, until ``max_points`` or none is left."""
    chosen: list[int] = []
    while len(chosen) < max_points:
        best, best_score = None, -np.inf
        for i in range(len(relevance)):
            if i in chosen or not allowed[i]:
                continue
            repeat = max((float(vectors[i] @ vectors[j]) for j in chosen), default=0.0)
            if repeat >= repeat_at:
                continue
            score = float(relevance[i]) - 0.3 * repeat
            if score > best_score:
                best, best_score = i, score
        if best is None:
            break
        chosen.append(best)
    return chosen
