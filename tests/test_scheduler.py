"""Spaced repetition: ratings, persisted cards, and the order questions come in."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fake_bot import QUESTIONS, make_grade, question
from fsrs import Card, Rating

from interview_bot.practice.progress import ProgressStore
from interview_bot.practice.scheduler import (
    Repetition,
    filter_questions,
    interleave,
    plan_fixed,
    rating_for,
    topic_of,
)

GRADABLE = [q for q in QUESTIONS if q.references]
NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> ProgressStore:
    return ProgressStore(tmp_path / "progress.db")


def review(
    store: ProgressStore, rep: Repetition, qid: str, fraction: float, when: datetime
) -> None:
    """Store an attempt and its reviewed card the way a session does."""
    sid = store.start_session(rep.bank, {})
    q = next(q for q in QUESTIONS if q.id == qid)
    store.record_attempt(
        sid,
        question_id=qid,
        question=q.question,
        topic=q.topic,
        answer="a",
        grade=make_grade(fraction),
        kind="answer",
        card=(rep.bank, rep.review(qid, fraction, now=when)),
    )


@pytest.mark.parametrize(
    ("fraction", "rating"),
    [
        (0.0, Rating.Again),
        (0.39, Rating.Again),
        (0.4, Rating.Hard),
        (0.59, Rating.Hard),
        (0.6, Rating.Good),
        (0.84, Rating.Good),
        (0.85, Rating.Easy),
        (1.0, Rating.Easy),
    ],
)
def test_rating_for(fraction: float, rating: Rating) -> None:
    assert rating_for(fraction) == rating


def test_review_persists_one_card_per_bank_and_question(store: ProgressStore) -> None:
    rep = Repetition(store, "default")
    review(store, rep, "q-rope", 0.9, NOW)
    cards = rep.cards()
    assert list(cards) == ["q-rope"]
    assert cards["q-rope"].due > NOW + timedelta(days=1)  # Easy: days away
    assert Repetition(store, "other").cards() == {}  # other banks have their own cards
    review(store, rep, "q-mha", 0.1, NOW)
    assert rep.cards()["q-mha"].due <= NOW + timedelta(minutes=10)  # Again: minutes away


def test_failed_card_is_asked_first_once_due(store: ProgressStore) -> None:
    rep = Repetition(store, "default")
    review(store, rep, "q-mha", 0.1, NOW)
    later = NOW + timedelta(hours=1)
    pick = rep.next_question(GRADABLE, now=later)
    assert pick is not None
    assert (pick.question.id, pick.reason) == ("q-mha", "due for review")
    # not due yet -> not chosen as "due"
    soon = rep.next_question(GRADABLE, now=NOW - timedelta(minutes=1))
    assert soon is not None and soon.reason != "due for review"


def test_weak_topic_comes_before_new_material(store: ProgressStore) -> None:
    rep = Repetition(store, "default")
    review(store, rep, "q-rope", 0.3, NOW)  # Positions is weak
    review(store, rep, "q-mha", 0.95, NOW)  # Attention is strong
    pick = rep.next_question(GRADABLE, asked={"q-rope"}, now=NOW)
    assert pick is not None
    assert pick.question.id == "q-pe"
    assert pick.reason.startswith("weak topic: Positions")


def test_new_questions_spread_over_topics(store: ProgressStore) -> None:
    rep = Repetition(store, "default")
    asked: list[str] = []
    topics: list[str] = []
    for _ in range(len(GRADABLE)):
        pick = rep.next_question(GRADABLE, asked=asked, last_topic=topics[-1] if topics else None)
        assert pick is not None and pick.reason == "new to you"
        asked.append(pick.question.id)
        topics.append(topic_of(pick.question))
    assert sorted(asked) == sorted(q.id for q in GRADABLE)
    assert all(a != b for a, b in itertools.pairwise(topics))
    assert rep.next_question(GRADABLE, asked=asked) is None


def test_same_topic_twice_only_when_unavoidable(store: ProgressStore) -> None:
    rep = Repetition(store, "default")
    only_positions = [q for q in GRADABLE if q.topic == "Positions"]
    first = rep.next_question(only_positions, last_topic="Positions")
    assert first is not None and first.question.topic == "Positions"


def test_topic_and_difficulty_filters(store: ProgressStore) -> None:
    rep = Repetition(store, "default")
    pick = rep.next_question(GRADABLE, topics=["Normalization"])
    assert pick is not None and pick.question.id == "q-ln"
    hard = [*GRADABLE, question("q-hard", "Hard one?", "Attention", difficulty="advanced")]
    assert [q.id for q in filter_questions(hard, difficulty="advanced")] == ["q-hard"]
    assert rep.next_question(GRADABLE, difficulty="advanced") is None


def test_plan_fixed_is_seeded_filtered_interleaved_and_cut_to_length() -> None:
    plan = plan_fixed(GRADABLE, length=4, seed=7)
    assert len(plan) == 4 == len(set(plan))
    assert plan == plan_fixed(GRADABLE, length=4, seed=7)
    assert plan_fixed(GRADABLE, topics=["Attention"], length=10, seed=1) in (
        ["q-mha", "q-mask"],
        ["q-mask", "q-mha"],
    )
    by_id = {q.id: q for q in GRADABLE}
    full = [by_id[i].topic for i in plan_fixed(GRADABLE, length=10, seed=3)]
    assert all(a != b for a, b in itertools.pairwise(full))


def test_interleave_keeps_every_question() -> None:
    ordered = interleave(GRADABLE)
    assert sorted(q.id for q in ordered) == sorted(q.id for q in GRADABLE)


def test_card_json_round_trip(store: ProgressStore) -> None:
    rep = Repetition(store, "default")
    raw = rep.review("q-ln", 0.5, now=NOW)
    card = Card.from_json(raw)
    assert card.last_review == NOW


def test_an_answer_after_hints_is_never_mastery(store: ProgressStore) -> None:
    assert rating_for(1.0, hints=1) == Rating.Hard
    assert rating_for(0.1, hints=3) == Rating.Again  # the cap never raises a rating
    rep = Repetition(store, "default")
    clean = Card.from_json(rep.review("q-rope", 1.0, now=NOW))
    hinted = Card.from_json(rep.review("q-pe", 1.0, now=NOW, hints=2))
    assert hinted.due < clean.due  # the hinted question comes back sooner


def test_cards_and_reasons_belong_to_one_owner(store: ProgressStore) -> None:
    alice = Repetition(store, "default", owner="alice")
    bob = Repetition(store, "default", owner="bob")
    sid = store.start_session("default", {}, owner="alice")
    store.record_attempt(
        sid,
        question_id="q-rope",
        question="Q?",
        topic="Positions",
        answer="a",
        grade=make_grade(0.2),
        kind="answer",
        card=("default", alice.review("q-rope", 0.2, now=NOW - timedelta(days=5))),
    )
    assert set(alice.cards()) == {"q-rope"} and bob.cards() == {}
    rope = next(q for q in QUESTIONS if q.id == "q-rope")
    pe = next(q for q in QUESTIONS if q.id == "q-pe")
    mha = next(q for q in QUESTIONS if q.id == "q-mha")
    assert alice.reason(rope, now=NOW) == "due for review"
    assert alice.reason(pe, now=NOW).startswith("weak topic: Positions (20%")
    assert alice.reason(mha, now=NOW) == "new to you"
    assert bob.reason(rope, now=NOW) == "new to you"  # alice's record is not bob's
