"""Bare questions borrow references: the statements of other answers that address them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from interview_bot.knowledge.embeddings import Encode
from interview_bot.knowledge.models import CanonicalQuestion, Reference
from interview_bot.knowledge.statements import statement_parts

REFERENCE_THRESHOLD = 0.65  # a bare question borrows answers at least this close
_STATEMENT_BAND = 0.1  # statements of a donor this close to its best match are borrowed with it
_SECOND_DONOR = 0.1  # a second donor is borrowed from only when about as close as the first
_DONOR_CANDIDATES = 64  # closest chunks looked at first when a bare question borrows
_BLOCK = 512  # bare questions scored at once (memory O(block x chunks))


def borrowed_from(question: CanonicalQuestion) -> list[str]:
    """The questions a bare question's borrowed reference comes from (none when it has an
    answer of its own)."""
    if not question.references or not all(r.retrieved for r in question.references):
        return []
    return list(dict.fromkeys(r.question for r in question.references))


@dataclass(frozen=True)
class _Chunk:
    """A text a bare question may match: another question, or one statement of its answer."""

    donor: CanonicalQuestion
    ref: Reference
    text: str  # what is matched: the question, a statement, or one line of a list statement
    statement: str | None  # the statement it belongs to; None for the donor's question


def borrow_references(bank: list[CanonicalQuestion], encode: Encode) -> None:
    """Give bare questions the statements of other answers that address them.

    A chunk is another question, a statement of its answer, or one line of a list
    statement; a donor qualifies when one of its chunks is at least REFERENCE_THRESHOLD
    close to the bare question. When the donor's question itself is the match, the two ask
    the same thing and its whole answer is borrowed; when a statement is, only the donor's
    statements about as close as that one are ("Why does GPT use causal masking?" takes the
    decoder's "uses causal (look-ahead) masking", not the rest of the encoder-vs-decoder
    outline). Each borrowed reference names the question it comes from.
    """
    bare = [q for q in bank if not q.references]
    chunks = [
        _Chunk(q, ref, text, statement)
        for q in bank
        if q.references
        for ref in q.references
        for text, statement in [
            (q.question, None),
            *(
                (line, s)
                for s, lines in statement_parts(ref.text).items()
                for line in dict.fromkeys([s, *lines])
            ),
        ]
    ]
    if not chunks or not bare:
        return
    bare_vecs = encode([q.question for q in bare])
    chunk_vecs = encode([c.text for c in chunks])
    first = min(_DONOR_CANDIDATES, len(chunks))
    for start in range(0, len(bare), _BLOCK):
        scores = bare_vecs[start : start + _BLOCK] @ chunk_vecs.T
        for row, question in zip(scores, bare[start : start + _BLOCK], strict=True):
            top = np.argpartition(-row, first - 1)[:first]
            question.references.extend(_borrowed({int(j): float(row[j]) for j in top}, chunks))


def _borrowed(closeness: dict[int, float], chunks: list[_Chunk]) -> list[Reference]:
    """The references a bare question takes from its (at most two) closest donors, given
    the closeness of its closest chunks."""
    ranked = sorted(closeness, key=lambda j: -closeness[j])
    # One line of a list ("Residual connections + LayerNorm") names a topic more than it
    # answers: it picks a donor only when no question or whole statement is close enough.
    whole = [j for j in ranked if chunks[j].statement in (None, chunks[j].text)]
    if whole and closeness[whole[0]] >= REFERENCE_THRESHOLD:
        ranked = whole + [j for j in ranked if j not in set(whole)]
    donors: dict[str, list[int]] = {}
    for j in ranked:
        if closeness[j] < REFERENCE_THRESHOLD:
            break
        donor, chunk = chunks[j].donor.id, chunks[j]
        if donor not in donors and donors:
            # a second donor must be about as close, by its question or a whole statement
            if closeness[j] < closeness[ranked[0]] - _SECOND_DONOR:
                break
            if chunk.statement not in (None, chunk.text):
                continue
        if donor in donors or len(donors) < 2:
            donors.setdefault(donor, []).append(j)
    out = []
    for best, *_ in donors.values():
        chunk, similarity = chunks[best], round(closeness[best], 4)
        update: dict[str, object] = {"retrieved": True, "similarity": similarity}
        if chunk.statement is not None:
            statements = [
                chunks[j].statement
                for j in ranked
                if chunks[j].donor.id == chunk.donor.id
                and chunks[j].statement is not None
                and closeness[j] >= closeness[best] - _STATEMENT_BAND
            ]
            update |= {
                "short_answer": "\n".join(f"- {s}" for s in dict.fromkeys(statements)),
                "explanation": None,
                "question": chunk.donor.question,
            }
        out.append(chunk.ref.model_copy(update=update))
    return out
