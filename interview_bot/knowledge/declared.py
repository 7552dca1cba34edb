"""Questions a bank file declares to be one (``same_as``), merged whatever their wordings.

The similarity merge (:mod:`interview_bot.knowledge.dedupe`) keeps twins apart when their
embeddings are not close enough or one file asks both; a declaration joins the canonical
questions that hold the named wordings.
"""

from __future__ import annotations

from interview_bot.errors import BankError, BankErrors
from interview_bot.knowledge.embeddings import Encode
from interview_bot.knowledge.models import (
    CanonicalQuestion,
    MergeDecision,
    MergeMember,
    Question,
    normalize_question,
)


def join_declared(
    canonical: list[CanonicalQuestion],
    merges: list[MergeDecision],
    records: list[Question],
    encode: Encode,
) -> tuple[list[CanonicalQuestion], list[MergeDecision]]:
    """Merge the questions a bank file declares to ask the same thing (``same_as``), however
    far apart their wordings: "Why LayerNorm instead of BatchNorm?" and "Why is layer
    normalization preferred over batch normalization in Transformers?" are only 0.54 close.
    The question a declaration names first keeps its id and topic."""
    links = [r for r in records if r.same_as]
    if not links:
        return canonical, merges
    where = {
        normalize_question(t): i for i, c in enumerate(canonical) for t in (c.question, *c.variants)
    }
    parent = list(range(len(canonical)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    errors = []
    for record in links:
        for text in (record.question, *record.same_as):
            if normalize_question(text) not in where:
                errors.append(
                    BankError(
                        record.source.file,
                        record.source.line,
                        f"same_as: no bank file asks {text!r} (with an answer)",
                    )
                )
        first = where.get(normalize_question(record.question))
        for text in record.same_as:
            other = where.get(normalize_question(text))
            if first is not None and other is not None and root(first) != root(other):
                parent[root(other)] = root(first)
    if errors:
        raise errors[0] if len(errors) == 1 else BankErrors(errors)
    groups: dict[int, list[int]] = {}
    for i in range(len(canonical)):
        groups.setdefault(root(i), []).append(i)
    decided = {m.canonical_id: m for m in merges}
    joined, decisions = [], []
    for head, members in groups.items():
        if len(members) == 1:
            joined.append(canonical[head])
            if canonical[head].id in decided:
                decisions.append(decided[canonical[head].id])
            continue
        parts = [canonical[head]] + [canonical[i] for i in members if i != head]
        joined.append(_joined(parts))
        decisions.append(_declared_decision(parts, decided, encode))
    return joined, decisions


def _joined(parts: list[CanonicalQuestion]) -> CanonicalQuestion:
    head = parts[0]
    wordings = [t for p in parts for t in (p.question, *p.variants)]
    return head.model_copy(
        update={
            "variants": [t for t in dict.fromkeys(wordings) if t != head.question],
            "topic": next((p.topic for p in parts if p.topic), None),
            "difficulty": next((p.difficulty for p in parts if p.difficulty), None),
            "references": [r for p in parts for r in p.references],
            "sources": [s for p in parts for s in p.sources],
            "examples": [e for p in parts for e in p.examples],
        }
    )


def _declared_decision(
    parts: list[CanonicalQuestion], decided: dict[str, MergeDecision], encode: Encode
) -> MergeDecision:
    """The merge record of a declared group: each part's members (merged by similarity or
    alone), with their similarity to the head question."""
    members: list[MergeMember] = []
    for n, part in enumerate(parts):
        earlier = decided.get(part.id)
        found = (
            earlier.members
            if earlier
            else [
                MergeMember(
                    id=part.id, question=part.question, source=part.sources[0], similarity=1.0
                )
            ]
        )
        members.extend(m.model_copy(update={"declared": n > 0}) for m in found)
    vectors = encode([parts[0].question, *(m.question for m in members)])
    similarity = vectors[1:] @ vectors[0]
    return MergeDecision(
        canonical_id=parts[0].id,
        canonical_question=parts[0].question,
        members=[
            m.model_copy(update={"similarity": round(float(s), 4)})
            for m, s in zip(members, similarity, strict=True)
        ],
    )
