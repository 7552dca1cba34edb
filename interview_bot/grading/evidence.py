"""Embedding evidence about an answer, as the numbers the offline grader's model reads.

Word-level alignment uses MiniLM's contextual token vectors (a BERTScore-style soft match):
how much of the reference's content the answer recalls, how much of the answer the
reference supports, and the same for each key point. Words the question already contains
are left out of recall, so repeating the question earns nothing. Everything for a batch
of answers comes from one model pass over the new texts; references are cached.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from interview_bot.grading.answer_text import FUNCTION_WORDS, function_word_ratio, sentences, words
from interview_bot.knowledge.embeddings import DIMENSIONS, Embedder, TokenVectors, encode_tokens

FEATURES = (
    "sentence_sim",
    "recall",
    "precision",
    "keypoint_recall",
    "keypoint_covered",
    "question_sim",
    "question_precision",
    "novelty",
    "lexical_recall",
    "log_length_ratio",
    "log_words",
    "function_words",
    "aligned_recall_50",
    "aligned_recall_60",
    "aligned_recall_70",
    "aligned_precision_50",
    "aligned_precision_60",
    "weakest_third_recall",
    "min_recall",
    "median_recall",
    "sentence_x_recall",
    "recall_squared",
    "sentence_squared",
    "keypoint_x_recall",
    "shortness",
    "precision_x_recall",
)
MAX_SENTENCES = 40
SHORT_REFERENCE = 60  # words: a reference this short is aligned against whole
COVERED = 0.55  # the grade card marks a key point covered from this coverage on (bundled model)
_FEATURE_COVERED = 0.62  # the stricter cut the calibration's "keypoint_covered" was fitted with


@dataclass(frozen=True)
class Evidence:
    """Features of one answer plus, per key point, its coverage and the answer sentence
    that covers it best (for the grade card).

    A key point's coverage is the larger of its word-level recall in the answer and the
    cosine between it and the closest answer sentence: paraphrases score on the latter.
    """

    values: dict[str, float]
    keypoint_recall: list[float]
    sentences: list[str]
    best_sentence: list[int]

    def vector(self) -> np.ndarray:
        return np.array([self.values[name] for name in FEATURES], dtype=np.float64)


def _content_mask(tokens: list[str]) -> np.ndarray:
    """Tokens that carry meaning: not special, punctuation or a function word."""
    mask = np.ones(len(tokens), dtype=bool)
    for i, token in enumerate(tokens):
        bare = token.removeprefix("##")
        if (
            token in ("[CLS]", "[SEP]")
            or not re.search(r"\w", bare)
            or (not token.startswith("##") and bare in FUNCTION_WORDS)
        ):
            mask[i] = False
    return mask


def _content(tv: TokenVectors, drop: set[str] | None = None) -> np.ndarray:
    mask = _content_mask(tv.tokens)
    if drop:
        kept = mask & np.array([t not in drop for t in tv.tokens], dtype=bool)
        mask = kept if kept.any() else mask
    return tv.vectors[mask]


def _soft_recall(target: np.ndarray, source: np.ndarray) -> float:
    """Mean over target vectors of their best cosine with any source vector."""
    if len(target) == 0 or len(source) == 0:
        return 0.0
    return float((target @ source.T).max(axis=1).mean())


def _stems(text: str) -> set[str]:
    return {w.rstrip("s")[:7] for w in words(text) if w not in FUNCTION_WORDS and len(w) > 2}


def extract(
    embedder: Embedder,
    items: list[tuple[str, list[str], list[str], str]],
) -> list[Evidence]:
    """Evidence for each (question, references, key points, answer content) in one batch.

    Word alignment runs against a single short reference as it is, and otherwise against
    the key points taken together, so a long or merged reference does not dilute recall;
    the sentence-level similarity takes the closest of the references and the key points.
    """
    texts: list[str] = []
    rows = []
    for question, references, points, answer in items:
        single = references[0] if len(references) == 1 else ""
        primary = (
            single
            if single and len(words(single)) <= SHORT_REFERENCE
            else (" ".join(points) or (references[0] if references else ""))
        )
        rows.append((question, [primary], [r for r in references if r] + [primary], points, answer))
        texts.extend([question, primary, *references, *points, answer])
    unique = list(dict.fromkeys(texts))
    lookup = dict(zip(unique, encode_tokens(embedder, unique), strict=True))
    split = {answer: sentences(answer)[:MAX_SENTENCES] for *_, answer in rows}
    # A one-sentence answer already has its vector from the token pass.
    sentence_vecs = {
        t: lookup[t].sentence for parts in split.values() for t in parts if t in lookup
    }
    sentence_texts = list(
        dict.fromkeys(t for parts in split.values() for t in parts if t not in sentence_vecs)
    )
    sentence_vecs.update(zip(sentence_texts, embedder.encode(sentence_texts), strict=True))
    out = []
    for question, references, sentence_refs, points, answer in rows:
        q, a = lookup[question], lookup[answer]
        q_tokens = set(q.tokens) - {"[CLS]", "[SEP]"}
        answer_vecs = _content(a)
        refs = [lookup[r] for r in references]
        ref_vecs = (
            np.concatenate([_content(r, q_tokens) for r in refs]) if refs else np.zeros((0, 384))
        )
        ref_all = np.concatenate([_content(r) for r in refs]) if refs else np.zeros((0, 384))
        parts = split[answer]
        part_vecs = np.array([sentence_vecs[t] for t in parts]).reshape(len(parts), DIMENSIONS)
        point_recall, best_sentence = [], []
        for p in points:
            cosines = part_vecs @ lookup[p].sentence if len(parts) else np.zeros(1)
            best_sentence.append(int(np.argmax(cosines)))
            point_recall.append(
                max(_soft_recall(_content(lookup[p], q_tokens), answer_vecs), float(cosines.max()))
            )
        best_ref = (
            (ref_vecs @ answer_vecs.T).max(axis=1)
            if len(ref_vecs) and len(answer_vecs)
            else np.zeros(1)
        )
        best_ans = (
            (ref_all @ answer_vecs.T).max(axis=0)
            if len(ref_all) and len(answer_vecs)
            else np.zeros(1)
        )
        sentence_sim = max(
            (float(a.sentence @ lookup[r].sentence) for r in sentence_refs if r), default=0.0
        )
        question_sim = float(a.sentence @ q.sentence)
        ref_words = sum(len(words(r)) for r in references) / max(len(references), 1)
        answer_words = len(words(answer))
        ref_stems = (
            set().union(*(_stems(r) for r in references)) - _stems(question)
            if references
            else set()
        )
        values = {
            "sentence_sim": sentence_sim,
            "recall": _soft_recall(ref_vecs, answer_vecs),
            "precision": _soft_recall(answer_vecs, ref_all),
            "keypoint_recall": float(np.mean(point_recall)) if point_recall else 0.0,
            "keypoint_covered": float(np.mean([r >= _FEATURE_COVERED for r in point_recall]))
            if point_recall
            else 0.0,
            "question_sim": question_sim,
            "question_precision": _soft_recall(answer_vecs, _content(q)),
            "novelty": sentence_sim - question_sim,
            "lexical_recall": len(ref_stems & _stems(answer)) / len(ref_stems)
            if ref_stems
            else 0.0,
            "log_length_ratio": math.log((answer_words + 1) / (ref_words + 1)),
            "log_words": math.log(answer_words + 1),
            "function_words": function_word_ratio(answer),
            "aligned_recall_50": float((best_ref >= 0.5).mean()),
            "aligned_recall_60": float((best_ref >= 0.6).mean()),
            "aligned_recall_70": float((best_ref >= 0.7).mean()),
            "aligned_precision_50": float((best_ans >= 0.5).mean()),
            "aligned_precision_60": float((best_ans >= 0.6).mean()),
            "weakest_third_recall": float(np.sort(best_ref)[: max(1, len(best_ref) // 3)].mean()),
            "min_recall": float(best_ref.min()),
            "median_recall": float(np.median(best_ref)),
        }
        values["sentence_x_recall"] = values["sentence_sim"] * values["recall"]
        values["recall_squared"] = values["recall"] ** 2
        values["sentence_squared"] = values["sentence_sim"] ** 2
        values["keypoint_x_recall"] = values["keypoint_recall"] * values["recall"]
        values["shortness"] = min(values["log_length_ratio"], 0.0)
        values["precision_x_recall"] = values["precision"] * values["recall"]
        if not len(answer_vecs):  # nothing to align: no evidence of anything
            values = dict.fromkeys(values, 0.0) | {
                "log_length_ratio": values["log_length_ratio"],
                "shortness": values["shortness"],
            }
        out.append(Evidence(values, point_recall, parts, best_sentence))
    return out
