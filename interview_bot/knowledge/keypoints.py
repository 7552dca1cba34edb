"""Break reference answers into the few atomic points an interviewer listens for.

Candidates are the sentences and bullets of every reference of a question (tables become
one point per row); headings, link lists and fragments of fewer than four words are not
points. From those, a greedy maximal-marginal-relevance pick keeps the points closest to
the question and to the answers as a whole while skipping near-repeats, so merged
references that say the same thing yield it once. Computed at ingest and stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

MAX_POINTS = 6
REPEAT_SIMILARITY = 0.70
_MIN_WORDS = 4

_BULLET = re.compile(r"^\s*(?:[-*+•>]|\d+[.)])\s*")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"'])")
_BOLD_ONLY = re.compile(r"^\s*(\*\*|__)[^*_]+\1\s*:?\s*$")
# Sub-headings inside answers ("Why self-attention is powerful") introduce points, they are
# not points themselves.
_HEADING_LIKE = re.compile(r"^(why|how|what|when|which|where)\b", re.IGNORECASE)


def _plain(text: str) -> str:
    text = _EMPHASIS.sub("", text)
    text = re.sub(r"\$\$?([^$]*)\$\$?", r"\1", text)
    text = re.sub(r"\\\(|\\\)", "", text)
    return " ".join(text.split()).strip(" -:")


def _table_points(rows: list[list[str]]) -> list[str]:
    """``| Feature | A | B |`` tables (Markdown or tab-separated) as one sentence per row."""
    header, *body = rows
    points = []
    for row in body:
        if len(row) != len(header) or not row[0]:
            continue
        cells = ", ".join(f"{h} {c}".strip() for h, c in zip(header[1:], row[1:], strict=True))
        points.append(f"{row[0]}: {cells}")
    return points


def candidates(text: str) -> list[str]:
    """Sentence- and bullet-sized statements of one reference answer, in order."""
    out: list[str] = []
    table: list[list[str]] = []
    for raw in [*text.split("\n"), ""]:
        cells = None
        if raw.strip().startswith("|") and raw.count("|") >= 3:
            cells = [_plain(c) for c in raw.strip().strip("|").split("|")]
        elif raw.count("\t") >= 1 and len(raw.split("\t")) >= 3:
            cells = [_plain(c) for c in raw.split("\t")]
        if cells is not None:
            if not all(re.fullmatch(r":?-{2,}:?", c) for c in cells if c):
                table.append(cells)
            continue
        if table:
            out.extend(_table_points(table) if len(table) > 1 else [])
            table = []
        unbulleted = _BULLET.sub("", raw)
        line = _plain(unbulleted)
        if (
            not line
            or line.endswith(":")
            or line.startswith("#")
            or _BOLD_ONLY.match(unbulleted)
            or (_HEADING_LIKE.match(line) and not line.endswith((".", "?")))
        ):
            continue
        for sentence in _SENTENCE_END.split(line):
            sentence = sentence.strip()
            if len(re.findall(r"\w+", sentence)) >= _MIN_WORDS:
                out.append(sentence)
    return out


def select_points(
    question: str,
    references: Sequence[str],
    encode: Callable[[list[str]], np.ndarray],
    max_points: int = MAX_POINTS,
) -> list[str]:
    """The key points of a question, from all its reference answers, de-duplicated."""
    pool: list[str] = []
    for reference in references:
        pool.extend(c for c in candidates(reference) if c not in pool)
    if len(pool) <= 1:
        return pool
    vectors = encode(pool)
    query = encode([question])[0]
    centroid = vectors.mean(axis=0)
    centroid /= np.linalg.norm(centroid) or 1.0
    relevance = 0.5 * (vectors @ query) + 0.5 * (vectors @ centroid)
    chosen: list[int] = []
    while len(chosen) < max_points:
        best, best_score = None, -np.inf
        for i in range(len(pool)):
            if i in chosen:
                continue
            repeat = max((float(vectors[i] @ vectors[j]) for j in chosen), default=0.0)
            if repeat >= REPEAT_SIMILARITY:
                continue
            score = float(relevance[i]) - 0.3 * repeat
            if score > best_score:
                best, best_score = i, score
        if best is None:
            break
        chosen.append(best)
    return [pool[i] for i in sorted(chosen)]
