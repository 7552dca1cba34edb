"""The progress database: atomic attempts, clear errors, statistics and exports."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from fake_bot import make_grade

from interview_bot.errors import ProgressError
from interview_bot.practice.progress import AttemptKind, ProgressStore
from interview_bot.practice.stats import (
    export_json,
    export_markdown,
    extremes,
    score_over_time,
    session_summary,
    topic_stats,
)
from interview_bot.practice.view import summary_view


@pytest.fixture
def store(tmp_path: Path) -> ProgressStore:
    return ProgressStore(tmp_path / "progress.db", timeout=0.2)


def record(
    store: ProgressStore,
    sid: int,
    qid: str,
    topic: str,
    fraction: float | None,
    kind: AttemptKind = "answer",
) -> int:
    grade = make_grade(fraction) if fraction is not None else None
    return store.record_attempt(
        sid,
        question_id=qid,
        question=f"Question {qid}?",
        topic=topic,
        answer="" if grade is None else f"answer to {qid}",
        grade=grade,
        kind=kind,
    )


def test_wal_mode_and_tables(store: ProgressStore) -> None:
    conn = sqlite3.connect(store.path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"sessions", "attempts", "cards"} <= tables


def test_attempt_is_committed_before_record_attempt_returns(store: ProgressStore) -> None:
    sid = store.start_session("default", {"llm": "offline"})
    record(store, sid, "q1", "Attention", 0.7)
    # a second, independent connection sees it at once: it was committed, not just written
    other = sqlite3.connect(store.path)
    row = other.execute(
        "SELECT question_id, score, max_score, grader, kind FROM attempts"
    ).fetchone()
    assert row == ("q1", 7.0, 10.0, "offline", "answer")
    stored = store.attempts(sid)[0]
    assert stored.grade is not None and stored.grade.fraction == pytest.approx(0.7)


def test_card_and_state_are_written_with_the_attempt(store: ProgressStore) -> None:
    sid = store.start_session("default", {})
    store.record_attempt(
        sid,
        question_id="q1",
        question="Q?",
        topic=None,
        answer="a",
        grade=make_grade(0.5),
        kind="answer",
        card=("default", '{"card": 1}'),
        state={"current": "q1"},
    )
    assert store.cards("default") == {"q1": '{"card": 1}'}
    assert store.session(sid).state == {"current": "q1"}


def test_locked_database_is_a_clear_error_and_leaves_no_row(store: ProgressStore) -> None:
    sid = store.start_session("default", {})
    blocker = sqlite3.connect(store.path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    with pytest.raises(ProgressError, match="locked by another program"):
        record(store, sid, "q1", "Attention", 0.5)
    blocker.execute("ROLLBACK")
    assert store.attempts(sid) == []
    record(store, sid, "q1", "Attention", 0.5)  # usable again once the lock is gone
    assert len(store.attempts(sid)) == 1


def test_full_disk_is_a_clear_error_and_leaves_no_half_row(store: ProgressStore) -> None:
    sid = store.start_session("default", {})
    record(store, sid, "q0", "Attention", 0.5)
    pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
    store._conn.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(ProgressError, match="disk is full"):
        store.record_attempt(
            sid,
            question_id="q1",
            question="Q?",
            topic="Attention",
            answer="x" * 200_000,
            grade=make_grade(0.5),
            kind="answer",
            card=("default", "{}"),
            state={"s": 1},
        )
    assert [a.question_id for a in store.attempts(sid)] == ["q0"]
    assert store.cards("default") == {}
    assert store.session(sid).state == {}


def test_unexpected_error_inside_a_write_rolls_back(store: ProgressStore) -> None:
    sid = store.start_session("default", {})
    with pytest.raises(RuntimeError), store._write() as conn:
        conn.execute("UPDATE sessions SET bank = 'other' WHERE id = ?", (sid,))
        raise RuntimeError("boom")
    assert store.session(sid).bank == "default"


def test_unusable_path_is_a_progress_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(ProgressError):
        ProgressStore(tmp_path / "file" / "progress.db")


def test_topic_stats_time_series_and_extremes(store: ProgressStore) -> None:
    sid = store.start_session("default", {})
    record(store, sid, "q1", "Attention", 0.9)
    record(store, sid, "q2", "Attention", 0.5)
    record(store, sid, "q3", "Positions", 0.2)
    record(store, sid, "q3", "Positions", 0.8, kind="followup")  # follow-ups are not in means
    record(store, sid, "q4", "Positions", None, kind="skip")  # counted apart, not as a 0
    record(store, sid, "q5", "Memory", None, kind="skip")  # a topic with skips only
    stats = {t.topic: t for t in topic_stats(store, sid)}
    assert stats["Attention"].mean_fraction == pytest.approx(0.7)
    assert stats["Positions"].mean_fraction == pytest.approx(0.2)
    assert (stats["Positions"].attempts, stats["Positions"].skipped) == (1, 1)
    assert (stats["Memory"].attempts, stats["Memory"].mean_fraction) == (0, None)
    # weakest first, topics with nothing scored last
    assert [t.topic for t in topic_stats(store, sid)] == ["Positions", "Attention", "Memory"]
    assert [f for _, f, _ in score_over_time(store)] == pytest.approx([0.9, 0.5, 0.2])
    strongest, weakest = extremes(store, sid, n=2)
    assert [a.question_id for a in weakest] == ["q3"]  # skips are not "weakest"
    assert [a.question_id for a in strongest] == ["q1"]  # 50% is not a strength
    summary = session_summary(store, sid)
    assert (summary.answered, summary.skipped, summary.scored) == (3, 2, 3)
    assert summary.mean_fraction == pytest.approx((0.9 + 0.5 + 0.2) / 3)
    assert summary.followups == 1  # and the summary says it is not in the figures
    assert summary_view(summary).headline.endswith(
        "1 follow-up answer graded as practice, not in these figures."
    )


def test_a_weak_interview_has_no_strongest_question(store: ProgressStore) -> None:
    sid = store.start_session("default", {})
    for qid, fraction in (("q1", 0.25), ("q2", 0.1), ("q3", 0.55), ("q4", 0.0)):
        record(store, sid, qid, "Attention", fraction)
    strongest, weakest = extremes(store, sid)
    assert strongest == []
    assert [a.question_id for a in weakest] == ["q4", "q2"]


def test_interviews_are_numbered_per_person(store: ProgressStore) -> None:
    """Row ids count everyone's interviews; what a person is shown counts only theirs."""
    alice_first = store.start_session("default", {}, owner="alice")
    bob_first = store.start_session("default", {}, owner="bob")
    alice_second = store.start_session("default", {}, owner="alice")
    assert bob_first > alice_first
    assert [store.number(s) for s in (alice_first, bob_first, alice_second)] == [1, 1, 2]
    assert session_summary(store, bob_first).number == 1
    assert "(interview 1)" in summary_view(session_summary(store, bob_first)).title
    with pytest.raises(ProgressError, match="No interview session 99"):
        store.number(99)


def test_stats_are_per_bank(store: ProgressStore) -> None:
    a = store.start_session("default", {})
    b = store.start_session("mine", {})
    record(store, a, "q1", "Attention", 0.9)
    record(store, b, "q2", "Attention", 0.1)
    assert topic_stats(store, bank="mine")[0].mean_fraction == pytest.approx(0.1)
    assert len(score_over_time(store, bank="default")) == 1


def test_sessions_end_and_last_open(store: ProgressStore) -> None:
    first = store.start_session("default", {})
    second = store.start_session("default", {})
    open_now = store.last_open_session("default")
    assert open_now is not None and open_now.id == second
    store.update_session(second, ended=True)
    open_now = store.last_open_session("default")
    assert open_now is not None and open_now.id == first
    assert store.session(second).ended_at is not None
    with pytest.raises(ProgressError, match="No interview session 99"):
        store.session(99)


def test_exports_hold_the_attempts_and_never_the_state(store: ProgressStore) -> None:
    sid = store.start_session("default", {"llm": "offline"}, state={"current": "q9"})
    record(store, sid, "q1", "Attention", 0.6)
    store.record_attempt(
        sid,
        question_id="q2",
        question="Pipes | and <b>tags</b>?",
        topic="Attention",
        answer="line one\nline two",
        grade=None,
        kind="skip",
    )
    data = json.loads(export_json(store, sid))
    assert data["session"]["number"] == store.number(sid) and "id" not in data["session"]
    assert not {"id", "session_id"} & set(data["attempts"][0])
    assert data["session"]["settings"] == {"llm": "offline"}
    assert "state" not in data["session"]
    assert [a["question_id"] for a in data["attempts"]] == ["q1", "q2"]
    assert data["attempts"][0]["grade"]["score"] == 6.0
    text = export_markdown(store, sid)
    assert text.startswith(f"# Interview {store.number(sid)}\n")
    assert "| Attention | 1 | 1 | 60% |" in text  # the skip is counted apart, not as 0%
    assert "> line one\n> line two" in text
    assert "score 6/10" in text and "Canned feedback." in text
    assert "*skip, topic Attention, skipped," in text
    # escaped like the screen: the tags show as text, the pipe cannot break the heading
    assert "Pipes \\| and &lt;b&gt;tags&lt;/b&gt;?" in text and "<b>" not in text


OLD_SCHEMA = """
CREATE TABLE sessions (id INTEGER PRIMARY KEY AUTOINCREMENT, started_at TEXT NOT NULL,
    ended_at TEXT, bank TEXT NOT NULL, settings TEXT NOT NULL DEFAULT '{}',
    state TEXT NOT NULL DEFAULT '{}');
CREATE TABLE attempts (id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id INTEGER NOT NULL REFERENCES sessions(id), question_id TEXT NOT NULL,
    question TEXT NOT NULL, topic TEXT, answer TEXT NOT NULL, grade_json TEXT, score REAL,
    max_score REAL, grader TEXT, created_at TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('answer', 'followup', 'skip')));
CREATE INDEX attempts_session ON attempts(session_id);
CREATE TABLE cards (bank TEXT NOT NULL, question_id TEXT NOT NULL, card_json TEXT NOT NULL,
    updated_at TEXT NOT NULL, PRIMARY KEY (bank, question_id));
"""


def test_a_database_from_before_owners_migrates_without_loss(tmp_path: Path) -> None:
    from interview_bot.practice.owners import default_owner

    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    old.executescript(OLD_SCHEMA)
    grade = make_grade(0.7).model_copy(update={"answer": "old answer"})
    old.execute(
        "INSERT INTO sessions (started_at, bank, settings, state) VALUES "
        "('2025-01-01T00:00:00', 'default', '{\"length\": 2}', '{\"current\": \"q2\"}')"
    )
    old.execute(
        "INSERT INTO attempts (session_id, question_id, question, topic, answer, grade_json, "
        "score, max_score, grader, created_at, kind) VALUES "
        "(1, 'q1', 'Q1?', 'Attention', 'old answer', ?, 7, 10, 'offline', '2025-01-01', 'answer')",
        (grade.model_dump_json(),),
    )
    old.execute("INSERT INTO cards VALUES ('default', 'q1', '{\"c\": 1}', '2025-01-01')")
    old.commit()
    old.close()

    store = ProgressStore(path)
    me = default_owner()
    (session,) = store.sessions(owner=me)
    assert session.state == {"current": "q2"} and session.settings == {"length": 2}
    (attempt,) = store.attempts(session.id)
    assert attempt.answer == "old answer" and attempt.score == 7 and attempt.hints == 0
    assert attempt.grade is not None and attempt.grade.answer == "old answer"
    assert store.cards("default", me) == {"q1": '{"c": 1}'}
    assert store.sessions(owner="someone-else") == []
    # the migrated database takes new rows, and opening it again changes nothing
    record(store, session.id, "q2", "Attention", 0.5)
    again = ProgressStore(path)
    assert len(again.attempts(session.id)) == 2 and again.cards("default", me)


def test_sessions_and_cards_are_per_owner(store: ProgressStore) -> None:
    a = store.start_session("default", {}, owner="alice")
    b = store.start_session("default", {}, owner="bob")
    for sid, fraction in ((a, 0.9), (b, 0.1)):
        store.record_attempt(
            sid,
            question_id="q1",
            question="Q?",
            topic="Attention",
            answer="x",
            grade=make_grade(fraction),
            kind="answer",
            card=("default", f'{{"f": {fraction}}}'),
        )
    assert [s.id for s in store.sessions(owner="alice")] == [a]
    last = store.last_open_session("default", "bob")
    assert last is not None and last.id == b
    assert store.cards("default", "alice") == {"q1": '{"f": 0.9}'}
    assert store.cards("default", "bob") == {"q1": '{"f": 0.1}'}
    assert topic_stats(store, bank="default", owner="bob")[0].mean_fraction == pytest.approx(0.1)
    assert [f for _, f, _ in score_over_time(store, owner="alice")] == [0.9]


def test_an_answer_is_stored_once(store: ProgressStore) -> None:
    sid = store.start_session("default", {})
    answer = "a long answer " * 1000
    grade = make_grade(0.5).model_copy(update={"answer": answer})
    store.record_attempt(
        sid, question_id="q1", question="Q?", topic=None, answer=answer, grade=grade, kind="answer"
    )
    raw = sqlite3.connect(store.path).execute("SELECT grade_json FROM attempts").fetchone()[0]
    assert "a long answer" not in raw
    (attempt,) = store.attempts(sid)
    assert attempt.grade is not None and attempt.grade.answer == answer
