"""Faults during an interview: whatever breaks, the answer is graded or refused visibly and
the progress database never holds half an attempt.

Session level, with the real bot on the seeded bank: an LLM server that is down from the
start, one that dies between two answers (a real ``llama_cpp.server``, killed), one slower
than the timeout, one that answers garbage or HTTP 429 (a stdlib stub on 127.0.0.1); a
progress database locked by another program or out of space; and a real ``interview-bot
practice`` process killed between grading and storing. Grader-level retries and reasons are
in tests/test_llm_grader.py and tests/test_llm_server.py; here each case checks what the
user sees and what is stored.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from stub_llm import stub_llm
from test_llm_server import LlamaServer, smollm2_gguf

from interview_bot.bot import InterviewBot
from interview_bot.practice.progress import ProgressStore
from interview_bot.practice.session import InterviewSession
from interview_bot.web.interview import FIXED, InterviewHandlers
from interview_bot.web.state import UserState, save_grader

SPEC = "openai:judge"
ANSWER = "Attention weighs every value by the similarity of its key to the query."
WARNING = "The LLM grader failed, so the offline grader scored this answer"
TIMEOUT_S = 0.5
RETRIES = 1


@pytest.fixture(scope="module")
def bot(seeded_bot: InterviewBot) -> InterviewBot:
    """The seeded bank with a short LLM timeout and one retry, so faults resolve quickly."""
    return InterviewBot(replace(seeded_bot.settings, llm_timeout=TIMEOUT_S, llm_retries=RETRIES))


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def chat_text(history: list[dict[str, str]]) -> str:
    return "\n".join(m["content"] for m in history)


def interview(
    bot: InterviewBot, tmp_path: Path, spec: str = SPEC, url: str | None = None
) -> tuple[InterviewHandlers, ProgressStore, list[Any], UserState]:
    """An interview started in the web app's handlers, grading with ``spec`` at ``url``."""
    progress = ProgressStore(tmp_path / "progress.db", timeout=0.2)
    chat = InterviewHandlers(bot, bot.settings, progress)
    user, _, _ = save_grader(UserState(), "LLM", spec, url or "", "")
    history, user, *_ = chat.start([], "any", FIXED, 3, user, [])
    assert user.session_id is not None
    return chat, progress, history, user


def test_llm_down_from_the_start_falls_back_visibly_and_keeps_the_attempt(
    bot: InterviewBot, tmp_path: Path
) -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    chat, progress, history, user = interview(bot, tmp_path, url=url)
    history, user, *_ = chat.send(ANSWER, user, history)
    assert WARNING in chat_text(history) and "unreachable" in chat_text(history)
    (attempt,) = progress.attempts(user.session_id)
    assert attempt.answer == ANSWER and attempt.grader == "offline"
    assert attempt.score is not None and attempt.grade is not None
    assert attempt.grade.fallback_reason == (
        f"LLM {SPEC} unreachable at {url} (connection refused) after {RETRIES + 1} attempts; "
        "graded offline"
    )


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("garbage", "gave no valid verdict (reply is not JSON"),
        ("429", "is rate limiting requests (HTTP 429: slow down)"),
    ],
)
def test_malformed_or_rate_limited_replies_are_retried_then_the_attempt_is_kept(
    bot: InterviewBot, tmp_path: Path, mode: str, reason: str
) -> None:
    with stub_llm(mode) as stub:
        chat, progress, history, user = interview(bot, tmp_path, url=stub.url)
        history, user, *_ = chat.send(ANSWER, user, history)
    assert stub.posts == RETRIES + 1  # bounded: one try and the configured retries
    assert WARNING in chat_text(history)
    (attempt,) = progress.attempts(user.session_id)
    assert attempt.grader == "offline" and attempt.score is not None
    assert attempt.grade is not None and attempt.grade.fallback_reason is not None
    assert reason in attempt.grade.fallback_reason
    assert f"after {RETRIES + 1} attempts" in attempt.grade.fallback_reason


def test_a_reply_slower_than_the_timeout_gives_up_in_bounded_time(
    bot: InterviewBot, tmp_path: Path
) -> None:
    with stub_llm("slow", delay_s=20 * TIMEOUT_S) as stub:
        chat, progress, history, user = interview(bot, tmp_path, url=stub.url)
        started = time.perf_counter()
        history, user, *_ = chat.send(ANSWER, user, history)
        took = time.perf_counter() - started
    assert stub.posts == RETRIES + 1
    (attempt,) = progress.attempts(user.session_id)
    assert attempt.grade is not None and attempt.grader == "offline"
    assert f"did not answer in time (timed out) after {RETRIES + 1} attempts" in (
        attempt.grade.fallback_reason or ""
    )
    # Each try waits at most the timeout: far less than the server's 10 s for even one reply.
    # A generous bound, to catch unbounded retries or a missing timeout, not to time anything.
    assert took < stub.delay_s, f"took {took:.1f} s"


@pytest.mark.llm
def test_llm_server_dying_between_two_answers(seeded_bot: InterviewBot, tmp_path: Path) -> None:
    """A real llama.cpp server grades the first answer, is killed, and the second falls back."""
    server = LlamaServer(smollm2_gguf(), tmp_path / "server.log").start()
    bot = InterviewBot(replace(seeded_bot.settings, llm_timeout=120.0, llm_retries=0))
    try:
        chat, progress, history, user = interview(
            bot, tmp_path, spec="openai:smollm2", url=server.url
        )
        before = server.completions_served()
        history, user, *_ = chat.send(ANSWER, user, history)
        assert server.completions_served() > before  # the first answer reached the server
    finally:
        if server.proc is not None:
            server.proc.send_signal(signal.SIGKILL)
            server.proc.wait(10)
    history, user, *_ = chat.send("Queries and keys are compared by dot product.", user, history)
    first, second = progress.attempts(user.session_id)
    assert first.grade is not None and second.grade is not None
    # a 135M model may not produce a valid verdict: either way it answered, it was not down
    assert "unreachable" not in (first.grade.fallback_reason or "")
    assert second.grader == "offline" and second.score is not None
    assert f"LLM openai:smollm2 unreachable at {server.url}" in (second.grade.fallback_reason or "")
    assert chat_text(history).count(WARNING) >= 1


def test_locked_progress_database_refuses_the_answer_and_stores_nothing(
    bot: InterviewBot, tmp_path: Path
) -> None:
    chat, progress, history, user = interview(bot, tmp_path, spec="offline")
    state_before = progress.session(user.session_id).state
    blocker = sqlite3.connect(progress.path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        failed, user, *_, box = chat.send(ANSWER, user, history)
        assert "is locked by another program" in failed[-1]["content"]
        assert "value" not in box  # the draft answer stays in the box, to send again
        assert progress.attempts(user.session_id) == []
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert progress.session(user.session_id).state == state_before
    assert progress.cards("default") == {}
    history, user, *_ = chat.send(ANSWER, user, history)  # once the lock is gone
    assert [a.answer for a in progress.attempts(user.session_id)] == [ANSWER]


def test_full_disk_refuses_the_answer_and_stores_nothing(bot: InterviewBot, tmp_path: Path) -> None:
    chat, progress, history, user = interview(bot, tmp_path, spec="offline")
    history, user, *_ = chat.send(ANSWER, user, history)
    state_before = progress.session(user.session_id).state
    cards_before = progress.cards("default")
    pages = progress._conn.execute("PRAGMA page_count").fetchone()[0]
    progress._conn.execute(f"PRAGMA max_page_count = {pages}")  # no room for one more page
    long_answer = ANSWER + " " + "It also scales the scores. " * 4000
    failed, user, *_ = chat.send(long_answer, user, history)
    assert "the disk is full" in failed[-1]["content"]
    assert "nothing was half-saved" in failed[-1]["content"]
    assert [a.answer for a in progress.attempts(user.session_id)] == [ANSWER]
    assert progress.session(user.session_id).state == state_before
    assert progress.cards("default") == cards_before


# A child process runs a real interview on the copied data folder and is SIGKILLed (no
# cleanup, as a power cut or the OOM killer would) at a seam: right after the bot's grade
# returns, or right after the progress store committed the attempt.
CHILD = """
import os, signal, sys
from interview_bot.bot import InterviewBot
from interview_bot.practice.progress import ProgressStore
from interview_bot.practice.session import InterviewSession
from interview_bot.practice.turns import SessionConfig
from interview_bot.settings import load_settings

data_dir, crash_at, answer = sys.argv[1:4]

def kill():
    os.kill(os.getpid(), signal.SIGKILL)

class Bot(InterviewBot):
    def grade(self, *args, **kwargs):
        grade = super().grade(*args, **kwargs)
        if crash_at == "after_grade":
            kill()
        return grade

class Store(ProgressStore):
    def record_attempt(self, *args, **kwargs):
        super().record_attempt(*args, **kwargs)
        if crash_at == "after_store":
            kill()

bot = Bot(load_settings(data_dir=data_dir, llm="offline"))
session, turn = InterviewSession.start(bot, Store(bot.settings.progress_path), SessionConfig(length=2))
print(f"Question {turn.prompt.number} of {turn.prompt.total}", flush=True)
session.handle(answer)
"""


def practice_until_killed(data_dir: Path, crash_at: str) -> subprocess.CompletedProcess[str]:
    """An interview in a child process, killed at ``crash_at`` (after_grade or after_store)."""
    return subprocess.run(
        [sys.executable, "-c", CHILD, str(data_dir), crash_at, ANSWER],
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        timeout=240,
    )


def copy_store(seeded_bot: InterviewBot, to: Path) -> Path:
    """A data folder holding a copy of the seeded bank, so a child process need not ingest."""
    source = seeded_bot.settings.data_dir
    to.mkdir(parents=True)
    shutil.copytree(source / "store", to / "store")
    if (source / "embeddings.sqlite").exists():
        shutil.copy2(source / "embeddings.sqlite", to / "embeddings.sqlite")
    return to


@pytest.mark.parametrize("crash_at", ["after_grade", "after_store"])
def test_process_killed_between_grading_and_storing_leaves_no_phantom(
    seeded_bot: InterviewBot, tmp_path: Path, crash_at: str
) -> None:
    data_dir = copy_store(seeded_bot, tmp_path / "data")
    done = practice_until_killed(data_dir, crash_at)
    assert done.returncode == -signal.SIGKILL, done.stdout[-2000:] + done.stderr[-2000:]
    assert "Question 1 of 2" in done.stdout

    progress = ProgressStore(data_dir / "progress.db")  # the restart: a new process's view
    (row,) = progress.sessions()
    first = row.settings["plan"][0]
    attempts = progress.attempts(row.id)
    # never a phantom: every stored attempt has its grade, every card and every answered
    # question has its attempt
    assert all(a.grade is not None and a.score is not None for a in attempts)
    assert set(progress.cards("default")) <= {a.question_id for a in attempts}
    resumed = InterviewSession.resume(seeded_bot, progress, "default")
    assert resumed is not None and resumed.id == row.id
    turn = resumed.opening()
    assert turn.prompt is not None
    if crash_at == "after_grade":  # graded, not stored: the question is asked again
        assert attempts == []
        assert turn.prompt.question_id == first and turn.prompt.number == 1
    else:  # stored with its grade: the interview goes on at the next question
        assert [(a.question_id, a.answer) for a in attempts] == [(first, ANSWER)]
        assert turn.prompt.question_id != first or turn.prompt.followup
    assert len(progress.attempts(row.id)) == len(attempts)  # reopening invented nothing
