"""A browser's own LLM key: used for that browser's grading only, never via the environment.

The key travels explicitly (UserState -> InterviewSession -> bot.grade -> GraderPool ->
LLMGrader settings -> the openai backend). A stub OpenAI-compatible server on 127.0.0.1
records the ``Authorization`` header of every request and what ``OPENAI_API_KEY`` held in
this process at that moment.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from stub_llm import StubLLM, stub_llm

from interview_bot.bot import InterviewBot
from interview_bot.grading.choice import GraderChoice
from interview_bot.grading.llm.grader import LLMGrader
from interview_bot.grading.pool import GraderPool
from interview_bot.knowledge.embeddings import Embedder
from interview_bot.practice.progress import ProgressStore
from interview_bot.practice.stats import export_json, export_markdown
from interview_bot.settings import Settings, load_settings, settings_table
from interview_bot.web.interview import FIXED, InterviewHandlers
from interview_bot.web.state import UserState, check_grader, save_grader

ENV_KEY = "sk-from-the-environment"
KEYS = {"alice": "sk-alice-1111111111", "bob": "sk-bob-2222222222", "carol": ""}
SPEC = "openai:judge"


@pytest.fixture
def stub() -> Iterator[StubLLM]:
    with stub_llm("verdict") as running:
        yield running


def test_pool_keeps_one_grader_per_key_keyed_by_a_hash(
    settings: Settings, embedder: Embedder
) -> None:
    pool = GraderPool(settings, embedder)
    url = "http://127.0.0.1:9/v1"

    def choice(key: str | None = None) -> GraderChoice:
        return GraderChoice(
            spec=SPEC, base_url=url, api_key=SecretStr(key) if key is not None else None
        )

    alice = pool.get(choice(KEYS["alice"]))
    bob = pool.get(choice(KEYS["bob"]))
    plain = pool.get(choice())
    assert len({id(alice), id(bob), id(plain)}) == 3
    assert pool.get(choice(KEYS["alice"])) is alice
    assert pool.get(choice("")) is plain  # an empty key is no key
    assert isinstance(alice, LLMGrader) and isinstance(bob, LLMGrader)
    assert alice.settings.api_key == SecretStr(KEYS["alice"])
    assert bob.settings.api_key == SecretStr(KEYS["bob"])
    assert isinstance(plain, LLMGrader) and plain.settings.api_key is None
    cache_keys = repr(list(pool._graders))
    assert "sk-" not in cache_keys and "1111" not in cache_keys
    assert "sk-alice" not in repr(alice.settings)


def test_the_key_is_no_setting_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTERVIEW_BOT_API_KEY", "sk-should-be-ignored")
    assert load_settings().api_key is None
    assert "api_key" not in [row.name for row in settings_table()]


def _marker(user: str, i: int) -> str:
    return f"marker-{user}-{i}"


def test_browsers_grade_with_their_own_keys_concurrently(
    seeded_bot: InterviewBot, tmp_path: Path, stub: StubLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", ENV_KEY)
    env_before = dict(os.environ)
    progress = ProgressStore(tmp_path / "progress.db")
    chat = InterviewHandlers(seeded_bot, seeded_bot.settings, progress)
    sessions: dict[str, tuple[list[dict[str, str]], UserState]] = {}
    for name, key in KEYS.items():
        user, status, _ = save_grader(UserState(), "LLM", SPEC, stub.url, key)
        assert "sk-" not in status
        history, user, *_ = chat.start([], "any", FIXED, 3, user, [])
        sessions[name] = (history, user)
    errors: list[BaseException] = []

    def browser(name: str) -> None:
        try:
            history, user = sessions[name]
            for i in range(2):
                answer = (
                    f"Attention mixes values weighted by query-key similarity. {_marker(name, i)}"
                )
                history, user, *_ = chat.send(answer, user, history)
            sessions[name] = (history, user)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=browser, args=(name,)) for name in KEYS]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []

    assert dict(os.environ) == env_before
    expected = {name: f"Bearer {key or ENV_KEY}" for name, key in KEYS.items()}
    assert stub.posts == 2 * len(KEYS)
    for seen in stub.requests:
        (name,) = set(re.findall(r"marker-(\w+)-\d", seen.body))
        assert seen.authorization == expected[name], name
        assert seen.env_key == ENV_KEY  # nobody swapped the environment during the request
    for name, (history, user) in sessions.items():
        attempts = progress.attempts(user.session_id)
        assert len(attempts) == 2
        assert all(a.grader == f"llm:{SPEC}" for a in attempts), [a.grade for a in attempts]
        assert all(_marker(name, 0)[:-1] in a.answer for a in attempts)
        page = "\n".join(m["content"] for m in history)
        exports = export_json(progress, user.session_id) + export_markdown(
            progress, user.session_id
        )
        for key in filter(None, KEYS.values()):
            assert key not in page and key not in exports
    raw = progress.path.read_bytes() + Path(f"{progress.path}-wal").read_bytes()
    assert b"sk-alice" not in raw and b"sk-bob" not in raw


def test_a_key_echoed_by_the_server_is_scrubbed(
    seeded_bot: InterviewBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with stub_llm("echo401") as stub:
        user, _, _ = save_grader(UserState(), "LLM", SPEC, stub.url, KEYS["alice"])
        status = check_grader(seeded_bot.settings, user)
        assert status.startswith("⚠️") and "HTTP 401" in status
        assert KEYS["alice"] not in status and "***" in status
        progress = ProgressStore(tmp_path / "progress.db")
        chat = InterviewHandlers(seeded_bot, seeded_bot.settings, progress)
        history, user, *_ = chat.start([], "any", FIXED, 2, user, [])
        history, user, *_ = chat.send("Attention weighs values by similarity.", user, history)
    (attempt,) = progress.attempts(user.session_id)
    assert attempt.grade is not None and attempt.grade.fallback_reason is not None
    assert "HTTP 401" in attempt.grade.fallback_reason
    assert KEYS["alice"] not in attempt.grade.fallback_reason
    assert stub.requests[-1].authorization == f"Bearer {KEYS['alice']}"
    assert KEYS["alice"] not in "\n".join(m["content"] for m in history)
