"""The interview session: flow, typed commands, follow-ups, own questions, crash safety."""

from __future__ import annotations

import pytest
from fake_bot import FakeBot, make_grade

from interview_bot.grading.choice import GraderChoice
from interview_bot.practice.intents import (
    MAX_MESSAGE_CHARS,
    parse_command,
    parse_own_question,
    subject_of,
)
from interview_bot.practice.progress import ProgressStore
from interview_bot.practice.session import InterviewSession, SessionError
from interview_bot.practice.turns import SessionConfig
from interview_bot.settings import Settings

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def bot(settings: Settings) -> FakeBot:
    return FakeBot(settings)


@pytest.fixture
def store(settings: Settings) -> ProgressStore:
    return ProgressStore(settings.progress_path)


def start(bot: FakeBot, store: ProgressStore, **config: object) -> InterviewSession:
    session, turn = InterviewSession.start(bot, store, SessionConfig(seed=1, **config))  # type: ignore[arg-type]
    assert turn.action == "start" and turn.prompt is not None
    return session


def test_fixed_interview_runs_to_a_summary(bot: FakeBot, store: ProgressStore) -> None:
    session = start(bot, store, length=3)
    assert len(session.config.plan) == 3
    first = session.prompt
    assert first is not None and (first.number, first.total) == (1, 3)
    assert first.reason == "new to you"  # the real reason, from this owner's record
    seen = [first.question_id]
    for i in range(3):
        bot.enqueue(make_grade(0.9, missed=0))
        turn = session.handle(f"my answer {i}")
        assert turn.grade is not None and turn.grade.score == 9.0
        if i < 2:
            assert turn.prompt is not None and turn.prompt.number == i + 2
            seen.append(turn.prompt.question_id)
    assert turn.summary is not None and turn.prompt is None
    assert turn.notice == "That was the last question."
    assert seen == session.config.plan
    assert turn.summary.answered == 3 and turn.summary.mean_fraction == pytest.approx(0.9)
    assert session.ended and store.session(session.id).ended_at is not None
    assert [c["question_id"] for c in bot.calls] == seen
    with pytest.raises(SessionError, match="has ended"):
        session.handle("one more")


def test_partial_answer_gets_one_follow_up_on_a_missed_point(
    bot: FakeBot, store: ProgressStore
) -> None:
    session = start(bot, store, length=2)
    qid = session.prompt.question_id  # type: ignore[union-attr]
    bot.enqueue(make_grade(0.6, covered=1, missed=2))
    turn = session.handle("half an answer")
    assert turn.grade is not None and turn.prompt is not None and turn.prompt.followup
    assert turn.prompt.text == "You didn't mention missed point 0. Can you explain that part?"
    assert turn.prompt.question_id == qid
    bot.enqueue(make_grade(0.8))
    after = session.handle("the missing part")
    assert bot.calls[-1]["reference"] == "missed point 0"
    assert bot.calls[-1]["question"] == turn.prompt.text
    assert after.action == "followup" and after.prompt is not None
    assert after.prompt.question_id != qid and not after.prompt.followup
    kinds = [(a.kind, a.question_id) for a in store.attempts(session.id)]
    assert kinds == [("answer", qid), ("followup", qid)]


def test_no_follow_up_for_good_or_poor_answers(bot: FakeBot, store: ProgressStore) -> None:
    session = start(bot, store, length=3)
    bot.enqueue(make_grade(0.9, missed=1), make_grade(0.2, missed=2))
    assert not session.handle("good").prompt.followup  # type: ignore[union-attr]
    assert not session.handle("poor").prompt.followup  # type: ignore[union-attr]


def test_skipping_a_follow_up_records_nothing_more(bot: FakeBot, store: ProgressStore) -> None:
    session = start(bot, store, length=2)
    bot.enqueue(make_grade(0.5))
    session.handle("partial")
    turn = session.handle("skip")
    assert turn.prompt is not None and not turn.prompt.followup
    assert [a.kind for a in store.attempts(session.id)] == ["answer"]


def test_hints_reveal_one_key_point_at_a_time(bot: FakeBot, store: ProgressStore) -> None:
    session = start(bot, store, length=1, topics=["Positions"])
    question = session.questions[session.prompt.question_id]  # type: ignore[union-attr]
    first = session.handle("hint")
    assert first.notice == f"Hint 1/2: {question.key_points[0]}"
    again = InterviewSession(bot, store, session.id)  # the count survives a restart
    assert again.handle("Hint!").notice == f"Hint 2/2: {question.key_points[1]}"
    last = again.handle("hint").notice or ""
    assert last.startswith("No more hints")
    assert question.reference_text not in last
    assert store.attempts(session.id) == []


def test_skip_show_answer_and_repeat(bot: FakeBot, store: ProgressStore) -> None:
    session = start(bot, store, length=3)
    first = session.prompt
    assert session.handle("repeat").prompt == first
    skipped = session.handle("skip")
    assert skipped.prompt is not None and skipped.prompt.question_id != first.question_id  # type: ignore[union-attr]
    shown_q = session.questions[skipped.prompt.question_id]
    shown = session.handle("show answer")
    assert shown.reference == shown_q.reference_text
    assert [a.kind for a in store.attempts(session.id)] == ["skip", "skip"]
    assert bot.calls == []  # nothing was graded
    cards = session.repetition.cards()
    assert set(cards) == {first.question_id, shown_q.id}  # type: ignore[union-attr]


def test_end_gives_per_topic_means_and_extremes(bot: FakeBot, store: ProgressStore) -> None:
    session = start(bot, store, length=4)
    bot.enqueue(make_grade(0.95, missed=0), make_grade(0.3, missed=2))
    session.handle("great")
    session.handle("weak")
    turn = session.handle("end")
    summary = turn.summary
    assert summary is not None and turn.action == "end"
    assert summary.answered == 2 and summary.skipped == 0
    assert {t.topic for t in summary.topics} == {
        session.questions[q].topic for q in session.config.plan[:2]
    }
    assert summary.strongest[0].fraction == pytest.approx(0.95)
    assert summary.weakest[0].fraction == pytest.approx(0.3)


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("hint", "hint"),
        ("Skip.", "skip"),
        ("show answer", "show_answer"),
        ("Show the answer!", "show_answer"),
        ("repeat", "repeat"),
        ("END", "end"),
        ("skip connections help gradients flow", None),
        ("the answer is 42", None),
    ],
)
def test_commands_are_whole_messages(text: str, command: str | None) -> None:
    assert parse_command(text) == command


def test_own_questions_are_recognised() -> None:
    assert parse_own_question("ask me about RoPE") == ("ask", "RoPE")
    assert parse_own_question("Please quiz me on layer norm.") == ("ask", "layer norm")
    assert parse_own_question("What is KV cache?") == ("question", "What is KV cache?")
    assert parse_own_question("It rotates queries and keys.") is None
    assert parse_own_question("Attention weights sum to one, right?") is None
    assert parse_own_question("Is it because the softmax saturates?") is None  # an answer
    assert subject_of("What is a KV cache?") == "kv cache"


def test_ask_me_about_switches_to_a_bank_question(bot: FakeBot, store: ProgressStore) -> None:
    session = start(bot, store, length=2, topics=["Attention"])
    turn = session.handle("ask me about RoPE")
    assert turn.prompt is not None and turn.prompt.question_id == "q-rope"
    assert turn.prompt.reason == "you asked about RoPE"
    assert session.config.plan[0] == "q-rope" and len(session.config.plan) == 3
    unanswerable = session.handle("ask me about transformer").notice or ""
    assert "has “What is a transformer?” but no reference answer" in unanswerable
    nothing = session.handle("ask me about KV cache")
    assert "no question about “KV cache”" in (nothing.notice or "")
    assert nothing.prompt is not None and nothing.prompt.question_id == "q-rope"


def test_own_question_is_answered_from_the_bank_or_not_at_all(
    bot: FakeBot, store: ProgressStore
) -> None:
    session = start(bot, store, length=2)
    current = session.prompt
    found = session.handle("What does layer normalization do?")
    assert found.reference == "The reference answer."
    assert "What does layer normalization do?" in (found.notice or "")
    assert found.prompt == current
    missing = session.handle("What is a KV cache?")
    assert "The bank has nothing close enough" in (missing.notice or "")
    assert missing.reference is None and missing.prompt == current
    assert store.attempts(session.id) == []


def test_adaptive_interview_says_why_and_respects_length(
    bot: FakeBot, store: ProgressStore
) -> None:
    session = start(bot, store, adaptive=True, length=3)
    assert session.prompt is not None and session.prompt.reason == "new to you"
    topics = [session.prompt.topic]
    bot.enqueue(make_grade(0.2, missed=2), make_grade(0.9, missed=0), make_grade(0.9, missed=0))
    turn = session.handle("bad answer")
    assert turn.prompt is not None
    topics.append(turn.prompt.topic)
    assert topics[0] != topics[1]
    assert turn.prompt.reason.startswith("weak topic") or turn.prompt.reason == "new to you"
    session.handle("good")
    last = session.handle("good")
    assert last.summary is not None and last.summary.answered == 3


def test_no_matching_questions_is_a_clear_error(bot: FakeBot, store: ProgressStore) -> None:
    with pytest.raises(SessionError, match="No question with a reference"):
        InterviewSession.start(bot, store, SessionConfig(topics=["Cooking"]))


def test_resume_after_restart_continues_at_the_first_unanswered_question(
    bot: FakeBot, settings: Settings
) -> None:
    session = start(bot, ProgressStore(settings.progress_path), length=3)
    session.handle("first answer")
    on_screen = session.prompt
    # a new process: new store, new session objects on the same file
    resumed = InterviewSession.resume(FakeBot(settings), ProgressStore(settings.progress_path))
    assert resumed is not None and resumed.id == session.id
    turn = resumed.opening()
    assert turn.action == "resume" and turn.prompt == on_screen
    assert len(resumed.progress.attempts(resumed.id)) == 1


def test_crash_before_storing_loses_the_answer_but_leaves_no_phantom(
    bot: FakeBot, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ProgressStore(settings.progress_path)
    session = start(bot, store, length=3)
    on_screen = session.prompt

    def crash(*args: object, **kwargs: object) -> int:
        raise RuntimeError("power cut before the write")

    monkeypatch.setattr(store, "record_attempt", crash)
    with pytest.raises(RuntimeError):
        session.handle("an answer that was graded")
    fresh = ProgressStore(settings.progress_path)
    assert fresh.attempts(session.id) == []
    turn = InterviewSession(FakeBot(settings), fresh, session.id).opening()
    assert turn.prompt == on_screen


def test_crash_after_storing_keeps_the_attempt_and_moves_on(
    bot: FakeBot, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ProgressStore(settings.progress_path)
    session = start(bot, store, length=3)
    answered = session.prompt
    real = store.record_attempt

    def write_then_crash(*args: object, **kwargs: object) -> int:
        real(*args, **kwargs)  # type: ignore[arg-type]
        raise RuntimeError("power cut after the write, before the next question")

    monkeypatch.setattr(store, "record_attempt", write_then_crash)
    bot.enqueue(make_grade(0.9, missed=0))
    with pytest.raises(RuntimeError):
        session.handle("a good answer")
    fresh = ProgressStore(settings.progress_path)
    attempts = fresh.attempts(session.id)
    assert [(a.question_id, a.score) for a in attempts] == [(answered.question_id, 9.0)]  # type: ignore[union-attr]
    turn = InterviewSession(FakeBot(settings), fresh, session.id).opening()
    assert turn.prompt is not None and turn.prompt.question_id != answered.question_id  # type: ignore[union-attr]
    assert turn.prompt.number == 2
    assert len(fresh.attempts(session.id)) == 1  # opening did not invent an attempt


def test_html_answer_is_kept_as_data(bot: FakeBot, store: ProgressStore) -> None:
    session = start(bot, store, length=2)
    turn = session.handle(XSS)
    assert turn.grade is not None and turn.grade.answer == XSS
    assert bot.calls[0]["answer"] == XSS
    assert store.attempts(session.id)[0].answer == XSS


def test_session_settings_hold_the_grader_but_never_a_key(
    bot: FakeBot, store: ProgressStore
) -> None:
    session = start(bot, store, length=1, llm="openai:gpt-4o-mini", base_url="http://x")
    session.handle("answer")
    assert bot.calls[0]["grader"] == GraderChoice(spec="openai:gpt-4o-mini", base_url="http://x")
    settings = store.session(session.id).settings
    assert settings["llm"] == "openai:gpt-4o-mini"
    assert not any("key" in name for name in settings)


def test_resume_finds_only_the_owners_own_interview(bot: FakeBot, store: ProgressStore) -> None:
    alice, _ = InterviewSession.start(bot, store, SessionConfig(length=2), owner="alice")
    assert InterviewSession.resume(bot, store, owner="bob") is None
    found = InterviewSession.resume(bot, store, owner="alice")
    assert found is not None and found.id == alice.id and found.owner == "alice"


def test_hints_are_recorded_with_the_answer_and_cap_the_card(
    bot: FakeBot, store: ProgressStore
) -> None:
    session = start(bot, store, length=2)
    qid = session.prompt.question_id  # type: ignore[union-attr]
    session.handle("hint")
    session.handle("hint")
    bot.enqueue(make_grade(1.0, missed=0))
    turn = session.handle("every key point, as the hints said")
    assert turn.hints == 2 and turn.grade is not None
    (attempt,) = store.attempts(session.id)
    assert attempt.hints == 2
    # the same question answered as well without hints, by someone else
    clean, _ = InterviewSession.start(bot, store, SessionConfig(seed=1, length=2), owner="b")
    assert clean.prompt is not None and clean.prompt.question_id == qid
    bot.enqueue(make_grade(1.0, missed=0))
    clean.handle("a clean answer")
    hinted_due = session.repetition.cards()[qid].due
    clean_due = clean.repetition.cards()[qid].due
    assert hinted_due < clean_due  # a hinted answer is not mastery
    assert session.summary().hinted == 1
    exchanges = session.transcript()
    assert [(e.number, e.kind, e.hints) for e in exchanges] == [(1, "answer", 2)]
    assert exchanges[0].grade is not None and exchanges[0].grade.score == 10


def test_lone_surrogates_are_replaced_and_long_answers_refused(
    bot: FakeBot, store: ProgressStore
) -> None:
    session = start(bot, store, length=2)
    session.handle("broken \ud800 text")
    (attempt,) = store.attempts(session.id)
    assert attempt.answer == "broken \ufffd text"
    with pytest.raises(SessionError, match=r"131,073 characters long; an answer may have at most"):
        session.handle("x" * (MAX_MESSAGE_CHARS + 1))
    assert len(store.attempts(session.id)) == 1  # nothing stored, the interview goes on


def test_transcript_numbers_questions_follow_ups_and_skips(
    bot: FakeBot, store: ProgressStore
) -> None:
    session = start(bot, store, length=3)
    bot.enqueue(make_grade(0.6, covered=1, missed=1), make_grade(0.9))
    session.handle("partial")
    session.handle("the follow-up answer")
    session.handle("skip")
    kinds = [(e.number, e.kind, e.answer) for e in session.transcript()]
    assert kinds == [
        (1, "answer", "partial"),
        (1, "followup", "the follow-up answer"),
        (2, "skip", ""),
    ]
