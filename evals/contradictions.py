"""Automatic contradictions: a correct answer with its claim turned false, graded 0.

Fluent-but-wrong answers are the grader's worst case: the vocabulary of a correct answer
around a false claim. The written training data has a few hundred of them; this module makes
more from every correct training answer (and from the reference) by exchanging every term that
reverses its meaning, "encoder" for "decoder" and back, "larger" for "smaller", "divide" for
"multiply", and, when no such term occurs, by negating its first claim. The answer keeps
every other word, so the only thing that tells it from the original is the claim itself,
which is what a grader must learn to read.

Only training rows are used; the test split is never perturbed. Measured, the grader's
model trained on these lost agreement on the test split and did not grade fluent-wrong
answers lower (README, "Evals"), so ``train_contrastive.py`` uses them only when asked.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import train_grader as tg

# Pairs whose exchange reverses a claim. Both directions are swapped at once, so "the
# encoder reads, the decoder writes" becomes "the decoder reads, the encoder writes".
OPPOSITES = [
    ("encoder", "decoder"),
    ("encoders", "decoders"),
    ("increase", "decrease"),
    ("increases", "decreases"),
    ("increasing", "decreasing"),
    ("increased", "decreased"),
    ("larger", "smaller"),
    ("large", "small"),
    ("higher", "lower"),
    ("high", "low"),
    ("more", "less"),
    ("before", "after"),
    ("earlier", "later"),
    ("past", "future"),
    ("previous", "next"),
    ("bidirectional", "unidirectional"),
    ("left", "right"),
    ("maximum", "minimum"),
    ("maximize", "minimize"),
    ("maximizes", "minimizes"),
    ("divide", "multiply"),
    ("divided", "multiplied"),
    ("dividing", "multiplying"),
    ("divides", "multiplies"),
    ("prevents", "causes"),
    ("prevent", "cause"),
    ("stable", "unstable"),
    ("faster", "slower"),
    ("overfitting", "underfitting"),
    ("bias", "variance"),
    ("training", "inference"),
    ("rows", "columns"),
    ("keys", "values"),
    ("key", "value"),
    ("positive", "negative"),
    ("parallel", "sequential"),
    ("supervised", "unsupervised"),
    ("fixed", "learned"),
    ("absolute", "relative"),
    ("local", "global"),
    ("long", "short"),
    ("vanishing", "exploding"),
    ("sparse", "dense"),
    ("always", "never"),
    ("can", "cannot"),
    ("same", "different"),
    ("independent", "dependent"),
    ("deeper", "shallower"),
    ("precision", "recall"),
]
_SWAP = {a: b for a, b in OPPOSITES} | {b: a for a, b in OPPOSITES}
_TERMS = "|".join(sorted(map(re.escape, _SWAP), key=len, reverse=True))
_WORD_AFTER_ARTICLE = re.compile(rf"(?:\b(an?)\s+)?\b({_TERMS})\b", re.I)
_NEGATABLE = re.compile(r"\b(is|are|does|do|can|will|helps|allows|makes)\b")
_NEGATED = {
    "is": "is not",
    "are": "are not",
    "does": "does not",
    "do": "do not",
    "can": "cannot",
    "will": "will not",
    "helps": "does not help",
    "allows": "does not allow",
    "makes": "does not make",
}
NEGATE_WORDS = 40  # a longer answer with one negated verb may still be mostly right
SOURCE_KINDS = ("complete", "concise_correct")


def _cased(word: str, like: str) -> str:
    if like.isupper() and len(like) > 1:
        return word.upper()
    return word.capitalize() if like[:1].isupper() else word


def _listed(text: str, a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` stand side by side ("keys and values", "encoder-decoder"),
    where exchanging them changes nothing."""
    between = r"[\s,/-]+(?:(?:and|or|nor|vs\.?|versus|the|a|an|its)\s+){0,2}"
    return any(re.search(rf"\b{x}\b{between}\b{y}\b", text, re.I) for x, y in ((a, b), (b, a)))


def contradict(text: str) -> str | None:
    """``text`` with every reversible term exchanged for its opposite (a short text with no
    such term: its first claim negated), or None when nothing in it can be reversed."""
    present = sorted({m.group(2).lower() for m in _WORD_AFTER_ARTICLE.finditer(text)})
    pairs = [
        p for p in sorted({tuple(sorted((w, _SWAP[w]))) for w in present}) if not _listed(text, *p)
    ]
    if pairs:
        chosen = {w for pair in pairs for w in pair}

        def swap(match: re.Match[str]) -> str:
            article, word = match.group(1), match.group(2)
            if word.lower() not in chosen:
                return match.group(0)
            new = _cased(_SWAP[word.lower()], word)
            if article is None:
                return new
            fitting = "an" if new[0].lower() in "aeiou" else "a"
            return f"{_cased(fitting, article)} {new}"

        changed = _WORD_AFTER_ARTICLE.sub(swap, text)
        return changed if changed != text else None
    match = _NEGATABLE.search(text)
    if match is None or len(text.split()) > NEGATE_WORDS:
        return None
    return text[: match.start()] + _NEGATED[match.group(1)] + text[match.end() :]


def contradictions(rows: Sequence[tg.Row], *, references: bool) -> list[tg.Row]:
    """For every training question of the interview sets: its correct answers (and, with
    ``references``, its reference) with the claim reversed, each graded 0 against it."""
    out: list[tg.Row] = []
    seen_reference: set[str] = set()
    for row in rows:
        if row.split != "train" or row.source == "mohler" or row.kind not in SOURCE_KINDS:
            continue
        sources = [row.pair.answer]
        if references and row.group not in seen_reference:
            seen_reference.add(row.group)
            sources.append(row.pair.reference)
        for text in sources:
            changed = contradict(text)
            if changed is None:
                continue
            pair = tg.PairInput(row.pair.question, row.pair.reference, changed)
            out.append(
                tg.Row(
                    pair,
                    row.target,
                    changed,
                    0.0,
                    1.0,
                    row.group,
                    row.split,
                    "contradiction",
                    row.source,
                )
            )
    return out
