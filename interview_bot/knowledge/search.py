"""Hybrid question search: what a question asks and what its answer says, dense and lexical.

Three rankings of a bank's questions are fused by weighted reciprocal rank:

- ``asks``: dense similarity of the query to the question's wordings (question, variants);
- ``says``: dense similarity to what its answer says (key points, reference answers), so
  "what keeps the decoder from peeking at later words?" finds the masking question;
- ``words``: BM25 (``bm25s``, English stemming) over wordings, key points and references,
  which catches the rare exact term a sentence embedding blurs ("RoPE", "KV cache").

The dense rankings come from one unfiltered Chroma query over every stored text (a
metadata filter costs more than the search itself); the BM25 index is built in memory
once per collection, from the questions the store already keeps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import bm25s
import numpy as np
import Stemmer

from interview_bot.knowledge.models import CanonicalQuestion

ASKS = ("question", "variant")
SAYS = ("point", "reference")
# How much each ranking counts in the fusion, and the usual RRF damping constant. Fitted on
# the train split of evals/datasets/search_paraphrases.jsonl (`interview-bot eval-search`).
WEIGHTS = {"asks": 1.0, "says": 1.0, "words": 1.5}
RRF_K = 2  # small: a first place in one ranking outweighs thirds in the others
# A query this close to one of a question's own wordings is that question, whatever the
# other rankings say (a bank question typed or pasted as it is written).
SAME_WORDING = 0.9
DENSE_CANDIDATES = 60  # texts the Chroma query returns; questions outside them rank last
WORDING_REPEATS = 2  # BM25 counts a question's own wording twice, its answer once

_STEMMER = Stemmer.Stemmer("english")


@dataclass(frozen=True)
class Ranked:
    """One question's place in the fused ranking, and its closest dense similarity."""

    question_id: str
    score: float
    similarity: float


@dataclass
class LexicalIndex:
    """BM25 over one bank version, one document per question."""

    ids: list[str]
    retriever: Any = field(repr=False)

    @classmethod
    def build(cls, questions: Mapping[str, CanonicalQuestion]) -> LexicalIndex:
        ids = list(questions)
        documents = [_document(questions[qid]) for qid in ids]
        retriever = bm25s.BM25()
        if documents:
            tokens = bm25s.tokenize(documents, stemmer=_STEMMER, show_progress=False)
            retriever.index(tokens, show_progress=False)
        return cls(ids, retriever)

    def ranks(self, query: str, limit: int) -> dict[str, int]:
        """The ``limit`` best-matching questions by id, rank 0 first; no match, no rank."""
        if not self.ids:
            return {}
        tokens = bm25s.tokenize([query], stemmer=_STEMMER, return_ids=False, show_progress=False)[0]
        if not tokens:
            return {}
        scores = np.asarray(self.retriever.get_scores(tokens))
        top = np.argsort(-scores, kind="stable")[:limit]
        return {self.ids[i]: rank for rank, i in enumerate(top) if scores[i] > 0}


def _document(q: CanonicalQuestion) -> str:
    wording = " ".join([q.question, *q.variants])
    return "\n".join([*[wording] * WORDING_REPEATS, *q.key_points, q.reference_text])


def dense_best(found: Mapping[str, Any]) -> tuple[dict[str, float], dict[str, float]]:
    """Best similarity per question among its wordings, and among its answer's statements,
    from a Chroma query result (cosine distance)."""
    asks: dict[str, float] = {}
    says: dict[str, float] = {}
    for meta, distance in zip(found["metadatas"][0], found["distances"][0], strict=True):
        into = asks if meta.get("kind") in ASKS else says if meta.get("kind") in SAYS else None
        if into is None:
            continue
        qid = str(meta["qid"])
        into[qid] = max(into.get(qid, -1.0), 1.0 - float(distance))
    return asks, says


def _order(scores: Mapping[str, float]) -> dict[str, int]:
    ranked = sorted(scores.items(), key=lambda item: -item[1])
    return {qid: rank for rank, (qid, _) in enumerate(ranked)}


def fuse(
    asks: Mapping[str, float],
    says: Mapping[str, float],
    words: Mapping[str, int],
    weights: Mapping[str, float] = WEIGHTS,
    rrf_k: int = RRF_K,
) -> list[Ranked]:
    """Weighted reciprocal-rank fusion of the three rankings, best first.

    A hit's similarity is its best wording similarity (what ``MATCH_THRESHOLD`` was set
    on), or its best statement similarity when no wording came back from the store. Hits
    whose wording is the query's own (``SAME_WORDING``) come first.
    """
    rankings = {"asks": _order(asks), "says": _order(says), "words": words}
    fused: dict[str, float] = {}
    for name, ranking in rankings.items():
        weight = weights.get(name, 0.0)
        for qid, rank in ranking.items():
            fused[qid] = fused.get(qid, 0.0) + weight / (rrf_k + rank + 1)
    out = [
        Ranked(qid, score, round(asks.get(qid, says.get(qid, 0.0)), 4))
        for qid, score in fused.items()
    ]
    return sorted(
        out,
        key=lambda r: (-(asks.get(r.question_id, 0.0) >= SAME_WORDING), -r.score, r.question_id),
    )


def statements(q: CanonicalQuestion) -> Sequence[str]:
    """What a question's answer says, as stored for the ``says`` ranking: its key points."""
    return q.key_points
