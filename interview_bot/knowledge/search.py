"""Hybrid question search: what a question asks and what its answer says, dense and lexical.

Three measures of how well a bank question matches a query are added with weights:

- ``asks``: dense similarity of the query to the question's wordings (question, variants);
- ``says``: dense similarity to what its answer says (key points, reference answers), so
  "what keeps the decoder from peeking at later words?" finds the masking question;
- ``words``: BM25 (``bm25s``, English stemming) over wordings, key points and references,
  which catches the rare exact term a sentence embedding blurs ("RoPE", "KV cache").

The scores are added, not their ranks: on the train split of the paraphrase set, a
weighted sum of the two cosines and the query's BM25 scores (divided by its best) found the
right question first for 0.714 of queries, against 0.643 for reciprocal-rank fusion, which
forgets how far ahead a first place is. The dense scores come from one unfiltered Chroma
query over every stored text (a metadata filter costs more than the search itself); the
BM25 index is built in memory once per collection, from the questions the store already
keeps.
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
# How much each measure counts: the best recall@1 of a grid (steps of 0.1) on the train
# split of evals/datasets/search_paraphrases.jsonl (`interview-bot eval-search`).
WEIGHTS = {"asks": 1.0, "says": 0.4, "words": 0.4}
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

    def scores(self, query: str, limit: int) -> dict[str, float]:
        """The ``limit`` best-matching questions by id, best first, each with its BM25 score
        divided by the best one (1.0 first); a question sharing no term is left out."""
        if not self.ids:
            return {}
        tokens = bm25s.tokenize([query], stemmer=_STEMMER, return_ids=False, show_progress=False)[0]
        if not tokens:
            return {}
        scores = np.asarray(self.retriever.get_scores(tokens))
        top = np.argsort(-scores, kind="stable")[:limit]
        best = float(scores[top[0]])
        return {self.ids[i]: float(scores[i]) / best for i in top if scores[i] > 0}


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


def fuse(
    asks: Mapping[str, float],
    says: Mapping[str, float],
    words: Mapping[str, float],
    weights: Mapping[str, float] = WEIGHTS,
) -> list[Ranked]:
    """The questions any measure found, best first by the weighted sum of their scores.

    A question the store did not return for a dense measure scores the lowest that measure
    returned (it is at most that close). A hit's similarity is its best wording similarity
    (what ``MATCH_THRESHOLD`` was set on), or its best statement similarity when no wording
    came back from the store. Hits whose wording is the query's own (``SAME_WORDING``)
    come first.
    """
    floor_asks = min(asks.values(), default=0.0)
    floor_says = min(says.values(), default=0.0)
    out = [
        Ranked(
            qid,
            weights.get("asks", 0.0) * asks.get(qid, floor_asks)
            + weights.get("says", 0.0) * says.get(qid, floor_says)
            + weights.get("words", 0.0) * words.get(qid, 0.0),
            round(asks.get(qid, says.get(qid, 0.0)), 4),
        )
        for qid in {**asks, **says, **words}
    ]
    return sorted(
        out,
        key=lambda r: (-(asks.get(r.question_id, 0.0) >= SAME_WORDING), -r.score, r.question_id),
    )


def statements(q: CanonicalQuestion) -> Sequence[str]:
    """What a question's answer says, as stored for the ``says`` ranking: its key points."""
    return q.key_points
