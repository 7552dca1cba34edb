"""Which question comes next: FSRS spaced repetition, weak topics, then new questions.

Each (owner, bank, question) has one FSRS card, stored as JSON in the progress database
together with the attempt that reviewed it. A grade's fraction becomes an FSRS rating; an
answer given after a hint is rated at best Hard, so a hinted answer is never mastery.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from fsrs import Card, Rating
from fsrs import Scheduler as FSRS

from interview_bot.knowledge.models import CanonicalQuestion
from interview_bot.practice.owners import default_owner
from interview_bot.practice.progress import ProgressStore
from interview_bot.practice.stats import GENERAL, topic_stats
from interview_bot.practice.view import plural

# Below each fraction, the rating on its right; at or above the last one, Easy.
RATING_STEPS: tuple[tuple[float, Rating], ...] = (
    (0.4, Rating.Again),
    (0.6, Rating.Hard),
    (0.85, Rating.Good),
)
# A topic whose mean score is below this is practised before new material.
WEAK_BELOW = 0.7
# The best rating an answer given after hints can earn.
HINTED_AT_BEST = Rating.Hard


def rating_for(fraction: float, hints: int = 0) -> Rating:
    """The FSRS rating of a grade fraction (0..1); a skip is 0, so Again. After hints, at
    best Hard, whatever the score."""
    rating = next((r for limit, r in RATING_STEPS if fraction < limit), Rating.Easy)
    return min(rating, HINTED_AT_BEST) if hints else rating


def topic_of(question: CanonicalQuestion) -> str:
    return question.topic or GENERAL


@dataclass(frozen=True)
class Pick:
    """A chosen question and why it was chosen ("due", "weak topic: X", "new", ...)."""

    question: CanonicalQuestion
    reason: str


def filter_questions(
    questions: Sequence[CanonicalQuestion],
    topics: Collection[str] = (),
    difficulty: str | None = None,
) -> list[CanonicalQuestion]:
    """Questions of the chosen topics (all when none) and difficulty (any when None)."""
    return [
        q
        for q in questions
        if (not topics or topic_of(q) in topics)
        and (difficulty is None or q.difficulty == difficulty)
    ]


def _shuffle_key(seed: int, question_id: str) -> str:
    return hashlib.sha256(f"{seed}:{question_id}".encode()).hexdigest()


def interleave(questions: Sequence[CanonicalQuestion]) -> list[CanonicalQuestion]:
    """Reorder so that no topic comes twice in a row where another topic is left."""
    left = list(questions)
    ordered: list[CanonicalQuestion] = []
    while left:
        last = topic_of(ordered[-1]) if ordered else None
        counts: dict[str, int] = {}
        for q in left:
            counts[topic_of(q)] = counts.get(topic_of(q), 0) + 1
        # take from the topic with most left (ties: first seen) that is not the last one
        options = [t for t in counts if t != last] or list(counts)
        topic = max(options, key=lambda t: counts[t])
        index = next(i for i, q in enumerate(left) if topic_of(q) == topic)
        ordered.append(left.pop(index))
    return ordered


def plan_fixed(
    questions: Sequence[CanonicalQuestion],
    *,
    topics: Collection[str] = (),
    difficulty: str | None = None,
    length: int = 10,
    seed: int = 0,
) -> list[str]:
    """Question ids of a fixed-length interview: filtered, shuffled by ``seed``, interleaved,
    and never two that ask nearly the same thing while others are left."""
    pool = sorted(
        filter_questions(questions, topics, difficulty), key=lambda q: _shuffle_key(seed, q.id)
    )
    chosen: list[CanonicalQuestion] = []
    for q in pool:
        if len(chosen) < length and not repeats(q, chosen):
            chosen.append(q)
    chosen += [q for q in pool if q not in chosen][: length - len(chosen)]
    return [q.id for q in interleave(chosen)]


def repeats(question: CanonicalQuestion, others: Collection[CanonicalQuestion]) -> bool:
    """Whether ``question`` asks nearly what one of ``others`` asks (the bank records it)."""
    ids = {q.id for q in others}
    return any(n in ids for n in question.near) or any(question.id in q.near for q in others)


class Repetition:
    """One owner's FSRS cards of one bank, read from and (through attempts) written to the
    progress DB. ``owner`` None: the OS user's (see :mod:`interview_bot.practice.owners`)."""

    def __init__(
        self,
        progress: ProgressStore,
        bank: str,
        fsrs: FSRS | None = None,
        owner: str | None = None,
    ) -> None:
        self.progress = progress
        self.bank = bank
        self.owner = default_owner() if owner is None else owner
        self.fsrs = fsrs or FSRS(enable_fuzzing=False)

    def cards(self) -> dict[str, Card]:
        raw = self.progress.cards(self.bank, self.owner)
        return {qid: Card.from_json(text) for qid, text in raw.items()}

    def card(self, question_id: str) -> Card:
        raw = self.progress.cards(self.bank, self.owner).get(question_id)
        if raw is not None:
            return Card.from_json(raw)
        return Card(card_id=int(_shuffle_key(0, f"{self.bank}/{question_id}")[:12], 16))

    def review(
        self, question_id: str, fraction: float, now: datetime | None = None, hints: int = 0
    ) -> str:
        """The card JSON after a review with ``fraction`` (after ``hints`` hints); the caller
        stores it with the attempt."""
        card, _log = self.fsrs.review_card(
            self.card(question_id),
            rating_for(fraction, hints),
            review_datetime=now or datetime.now(UTC),
        )
        return card.to_json()

    def reason(self, question: CanonicalQuestion, now: datetime | None = None) -> str:
        """Why this question is worth asking now, from this owner's record: due for review,
        a weak topic, new, or practised before and not due yet."""
        now = now or datetime.now(UTC)
        card = self.cards().get(question.id)
        if card is not None and card.due <= now:
            return "due for review"
        stats = {s.topic: s for s in topic_stats(self.progress, bank=self.bank, owner=self.owner)}
        stat = stats.get(topic_of(question))
        if stat is not None and stat.mean_fraction is not None and stat.mean_fraction < WEAK_BELOW:
            return f"weak topic: {stat.topic} ({stat.mean_fraction:.0%} so far)"
        if card is None:
            return "new to you"
        days = max(0, round((card.due - now).total_seconds() / 86400))
        return f"practised before; not due for {plural(days, 'day')}" if days else "due today"

    def next_question(
        self,
        questions: Sequence[CanonicalQuestion],
        *,
        asked: Collection[str] = (),
        last_topic: str | None = None,
        topics: Collection[str] = (),
        difficulty: str | None = None,
        seed: int = 0,
        now: datetime | None = None,
    ) -> Pick | None:
        """Due cards first, then weak topics (lowest mean first), then new questions, then the
        reviewed ones due soonest; within that order, avoid a question that nearly repeats
        one already asked, then avoid repeating ``last_topic``."""
        now = now or datetime.now(UTC)
        pool = [q for q in filter_questions(questions, topics, difficulty) if q.id not in asked]
        if not pool:
            return None
        cards = self.cards()
        tiers: list[list[Pick]] = []
        due = sorted(
            (q for q in pool if q.id in cards and cards[q.id].due <= now),
            key=lambda q: cards[q.id].due,
        )
        tiers.append([Pick(q, "due for review") for q in due])
        stats = topic_stats(self.progress, bank=self.bank, owner=self.owner)
        weak = [s for s in stats if s.mean_fraction is not None and s.mean_fraction < WEAK_BELOW]
        tiers.append(
            [
                Pick(q, f"weak topic: {s.topic} ({s.mean_fraction or 0:.0%} so far)")
                for s in weak
                for q in sorted(
                    (q for q in pool if topic_of(q) == s.topic),
                    key=lambda q: (q.id in cards, _shuffle_key(seed, q.id)),
                )
            ]
        )
        practised = {s.topic: s.attempts for s in stats}
        fresh = sorted(
            (q for q in pool if q.id not in cards),
            key=lambda q: (practised.get(topic_of(q), 0), _shuffle_key(seed, q.id)),
        )
        tiers.append([Pick(q, "new to you") for q in fresh])
        ahead = sorted((q for q in pool if q.id in cards), key=lambda q: cards[q.id].due)
        tiers.append([Pick(q, "review ahead (nothing is due)") for q in ahead])
        done = [q for q in questions if q.id in asked]
        fresh_picks = [p for tier in tiers for p in tier if not repeats(p.question, done)]
        for pick in fresh_picks:
            if topic_of(pick.question) != last_topic:
                return pick
        return fresh_picks[0] if fresh_picks else next(p for tier in tiers for p in tier)
