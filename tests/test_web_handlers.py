"""The web app's handlers, driven directly: chat flow, escaping, banks, progress, settings."""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr
import pytest
from fake_bot import FakeBot, make_grade

from interview_bot.errors import LLMError, StoreError
from interview_bot.grading.choice import GraderChoice
from interview_bot.grading.result import CriterionScore
from interview_bot.practice.owners import owner_tag
from interview_bot.practice.progress import ProgressStore
from interview_bot.settings import Settings
from interview_bot.web import UnsafeListenError, build_app
from interview_bot.web.banks import BankHandlers, private_bank
from interview_bot.web.interview import ADAPTIVE, FIXED, InterviewHandlers
from interview_bot.web.progress_tab import ProgressHandlers
from interview_bot.web.render import escape_text, for_web, grade_card
from interview_bot.web.serve import check_listen, parse_auth
from interview_bot.web.state import UserState, check_grader, save_grader
from interview_bot.web.users import (
    AuthError,
    LoginThrottle,
    add_user,
    load_accounts,
)
from interview_bot.web.users import parse_auth as parse_accounts

XSS = "<img src=x onerror=alert(1)>"
BROKEN = (
    '[\n  {"question": "What is RoPE?", "answer": "Rotary."},\n  {"answer": "no question"}\n]\n'
)
GOOD = (
    "## What is a KV cache?\nKeys and values of past tokens are stored so each new token "
    "only computes its own.\n\n## What is RoPE?\nRotary embeddings rotate queries and keys.\n"
)


@pytest.fixture
def bot(settings: Settings) -> FakeBot:
    return FakeBot(settings)


@pytest.fixture
def store(settings: Settings) -> ProgressStore:
    return ProgressStore(settings.progress_path)


@pytest.fixture
def chat(bot: FakeBot, settings: Settings, store: ProgressStore) -> InterviewHandlers:
    return InterviewHandlers(bot, settings, store)


def texts(history: list[dict[str, str]]) -> str:
    return "\n".join(m["content"] for m in history)


def test_escape_text_shows_html_as_text_and_keeps_markdown_and_code() -> None:
    assert escape_text(XSS) == "&lt;img src=x onerror=alert(1)&gt;"
    text = "**bold** and `a<b>` and\n```python\nif a < b: print('<p>')\n```\n<script>x</script>"
    escaped = escape_text(text)
    assert "**bold**" in escaped and "`a<b>`" in escaped
    assert "if a < b: print('<p>')" in escaped
    assert "&lt;script&gt;x&lt;/script&gt;" in escaped and "<script>" not in escaped


def test_grade_card_has_score_criteria_key_points_feedback_and_reference() -> None:
    grade = make_grade(0.6, covered=1, missed=1, feedback="Say more about <b>keys</b>.")
    grade = grade.model_copy(
        update={
            "criteria": [
                CriterionScore(
                    name="accuracy", score=3, max_score=4, weight=0.5, rationale="mostly | right"
                )
            ],
            "reference": "Rotary <i>embeddings</i>.",
            "fallback_reason": "LLM openai:x timed out",
        }
    )
    card = grade_card(grade)
    assert "### Score: 6 / 10 (60%)" in card
    assert "| accuracy | 3/4 | 0.5 | mostly \\| right |" in card
    assert "✓ covered point 0" in card and "✗ missed point 0" in card
    assert "The LLM grader failed" in card and "timed out" in card
    assert "Say more about &lt;b&gt;keys&lt;/b&gt;." in card
    assert "<details><summary>Reference answer</summary>" in card
    assert "Rotary &lt;i&gt;embeddings&lt;/i&gt;." in card
    ungraded = grade_card(make_grade(0.0, graded=False, feedback="No reference is close."))
    assert "### Not scored" in ungraded and "Score:" not in ungraded


def test_a_references_headings_do_not_outgrow_the_card() -> None:
    reference = "LayerNorm.\n##### Quick comparison table\n```python\n# a comment\n```"
    card = grade_card(make_grade(0.6).model_copy(update={"reference": reference}))
    assert "\n**Quick comparison table**\n" in card and "#####" not in card
    assert "\n# a comment\n" in card  # code stays code


def test_chat_flow_with_buttons_and_summary(chat: InterviewHandlers, bot: FakeBot) -> None:
    history, user, status, summary, frame, visible, _box = chat.start(
        [], "any", FIXED, 3, UserState(), []
    )
    assert "Question 1 of 3" in texts(history) and "Why this question" in texts(history)
    assert "chosen because" in status and summary == "" and visible["visible"] is False
    bot.enqueue(make_grade(0.9, missed=0))
    history, user, *_, box = chat.send("my answer", user, history)
    assert box == ""
    assert "### Score: 9 / 10" in texts(history) and "Question 2 of 3" in texts(history)
    before = len(history)
    history, user, *_, box = chat.command("hint", user, history)
    assert "Hint 1/" in texts(history) and "value" not in box  # a button keeps the draft
    # the hint alone is added: the question is not posted again
    assert len(history) == before + 2 and "Question 2 of 3" not in texts(history[before:])
    history, user, *_ = chat.command("repeat", user, history)
    history, user, *_ = chat.command("skip", user, history)
    assert "Question 3 of 3" in texts(history)
    history, user, status, summary, frame, visible, _box = chat.command("end", user, history)
    assert "Interview summary" in summary and visible["visible"] is True
    # the skipped question is counted apart: no 0% bar, and the summary says so
    assert list(frame.columns) == ["topic", "score"] and list(frame["score"]) == [90.0]
    assert "1 question answered, 1 skipped (skips are not scores)" in summary
    assert f"Interview {user.session_id} is over" in status
    history, user, _status, after, frame, visible, _box = chat.send("another answer", user, history)
    assert "Press **Start**" in history[-1]["content"]
    # pressing End (or anything) after the end keeps the summary and its chart on screen
    assert after == summary and visible["visible"] is True and list(frame["score"]) == [90.0]
    *_, after, frame, visible, _box = chat.command("end", user, history)
    assert after == summary and visible["visible"] is True
    # a reload after the end shows that interview again, cards and summary included
    shown, again, status, after, *_, visible, _box = chat.restore(user.model_copy())
    assert again.session_id == user.session_id and "### Score: 9 / 10" in texts(shown)
    assert "is over" in status and after == summary and visible["visible"] is True
    # ... but Resume has nothing unfinished to go on with
    resumed, *_ = chat.resume(user.model_copy(), shown)
    assert "No unfinished interview" in resumed[-1]["content"]


def test_html_answer_is_escaped_in_the_chat_and_stored_verbatim(
    chat: InterviewHandlers, store: ProgressStore
) -> None:
    history, user, *_ = chat.start([], "any", FIXED, 2, UserState(), [])
    history, user, *_ = chat.send(XSS, user, history)
    mine = [m for m in history if m["role"] == "user"]
    assert mine[-1]["content"] == "&lt;img src=x onerror=alert(1)&gt;"
    assert XSS not in texts(history)
    assert store.attempts(user.session_id)[0].answer == XSS


def test_errors_are_shown_and_the_answer_is_kept(
    chat: InterviewHandlers, bot: FakeBot, store: ProgressStore
) -> None:
    history, user, *_rest = chat.start(["Cooking"], "any", FIXED, 2, UserState(), [])
    assert "No question with a reference" in history[-1]["content"] and user.session_id is None
    history, user, *_ = chat.start([], "basic", ADAPTIVE, 2, UserState(), [])
    bot.enqueue(LLMError("No LLM reachable at http://127.0.0.1:9 - start it"))
    history, user, *_, box = chat.send("an answer worth keeping", user, history)
    assert "No LLM reachable" in history[-1]["content"]
    assert "value" not in box  # the draft stays in the answer box
    assert store.attempts(user.session_id) == []


def test_a_reload_brings_back_the_interview_with_its_cards(
    chat: InterviewHandlers, bot: FakeBot
) -> None:
    alice = UserState(owner="browser:" + "a" * 32)
    history, user, *_ = chat.start([], "any", FIXED, 3, alice, [])
    bot.enqueue(make_grade(0.7, missed=0))
    history, user, *_ = chat.command("hint", user, history)
    history, user, *_ = chat.send("first <b>answer</b>", user, history)
    history, user, *_ = chat.command("hint", user, history)  # a hint on the open question
    # a reload: a fresh page state for the same browser id
    restored, again, status, *_ = chat.restore(UserState(owner=alice.owner))
    assert again.session_id == user.session_id
    assert restored[-1] == history[-1] and "Hint 1/" in restored[-1]["content"]
    shown = texts(restored)
    assert "### Score: 7 / 10 (70%) · after 1 hint" in shown  # the card, hint mark included
    assert "first &lt;b&gt;answer&lt;/b&gt;" in shown
    assert "Question 2 of 3" in shown and "Question 2 of 3" in status
    assert "Question 1 of 3" in shown  # the answered question's header as it was asked
    # Resume does the same; another browser sees nothing of it
    resumed, *_ = chat.resume(UserState(owner=alice.owner), [])
    assert "### Score: 7 / 10" in texts(resumed)
    other, nobody, *_ = chat.resume(UserState(owner="browser:" + "b" * 32), [])
    assert nobody.session_id is None and "No unfinished interview" in texts(other)
    empty, nobody, *_ = chat.restore(UserState(owner="browser:" + "b" * 32))
    assert empty == [] and nobody.session_id is None


def test_a_session_id_of_someone_else_is_never_opened(chat: InterviewHandlers) -> None:
    history, alice, *_ = chat.start([], "any", FIXED, 3, UserState(owner="alice"), [])
    mallory = UserState(owner="mallory", session_id=alice.session_id)
    history, *_ = chat.send("my answer into alice's interview", mallory, [])
    assert "Press **Start**" in history[-1]["content"]
    assert chat.progress.attempts(alice.session_id) == []


def test_start_asks_before_leaving_a_running_interview(chat: InterviewHandlers) -> None:
    history, user, *_ = chat.start([], "any", FIXED, 3, UserState(owner="alice"), [])
    unanswered = user.session_id
    history, user, *_ = chat.start([], "any", FIXED, 3, user, history)  # nothing to lose
    assert user.session_id != unanswered
    first = user.session_id
    history, user, *_ = chat.send("my first answer", user, history)
    asked, user, *_ = chat.start([], "any", FIXED, 3, user, history)
    assert user.session_id == first and "Press **Start** again" in asked[-1]["content"]
    asked, user, *_ = chat.send("an answer instead", user, asked)  # going on: asks again
    again, user, *_ = chat.start([], "any", FIXED, 3, user, asked)
    assert user.session_id == first and "Press **Start** again" in again[-1]["content"]
    fresh, user, *_ = chat.start([], "any", FIXED, 3, user, again)
    assert user.session_id not in (None, first) and "Press **Start** again" not in texts(fresh)
    assert len(chat.progress.attempts(first)) == 2  # the left interview's answers stay


def test_a_grader_spec_no_grader_understands_is_not_saved() -> None:
    before, _, _ = save_grader(UserState(), "LLM", "openai:gpt-4o-mini", "http://x/v1", "")
    after, status, box = save_grader(before, "LLM", "gpt4please", "", "sk-secret-2")
    assert after == before  # the last working grader stays
    assert "Unknown grader 'gpt4please'" in status and "Not saved" in status
    assert "openai:gpt-4o-mini" in status and "sk-secret-2" not in status and box == ""


def test_a_grader_change_applies_to_the_next_answer(chat: InterviewHandlers, bot: FakeBot) -> None:
    user, _, _ = save_grader(UserState(), "LLM", "openai:gpt-4o-mini", "http://x/v1", "")
    history, user, *_ = chat.start([], "any", FIXED, 3, user, [])
    chat.send("first", user, history)
    assert bot.calls[-1]["grader"].spec == "openai:gpt-4o-mini"
    user, status, _ = save_grader(user, "offline", "openai:gpt-4o-mini", "", "")
    assert "next answer" in status
    bot.enqueue(make_grade(0.8).model_copy(update={"grader": "offline"}))
    history, *_ = chat.send("second", user, history)
    assert bot.calls[-1]["grader"] == GraderChoice()
    assert "graded by the offline grader" in history[-3]["content"] + history[-2]["content"]


def test_surrogates_long_answers_and_one_stored_copy(
    chat: InterviewHandlers, store: ProgressStore
) -> None:
    history, user, *_ = chat.start([], "any", FIXED, 3, UserState(), [])
    history, user, *_, box = chat.send("half \ud800 broken", user, history)
    assert box == "" and "half \ufffd broken" in texts(history)
    json.dumps(history).encode("utf-8")  # what Gradio sends back must be valid UTF-8
    history, user, *_, box = chat.send("x" * 500_000, user, history)
    assert "(a message of 500,000 characters)" in texts(history)
    assert "x" * 100 not in texts(history)  # the refused text is not echoed
    assert "at most 131,072" in history[-1]["content"] and "value" not in box
    (attempt,) = store.attempts(user.session_id)
    raw = sqlite3.connect(store.path).execute("SELECT grade_json FROM attempts").fetchone()[0]
    assert attempt.answer == "half \ufffd broken" and "broken" not in raw


def test_api_key_is_used_for_the_call_but_never_echoed_or_stored(
    chat: InterviewHandlers, bot: FakeBot, store: ProgressStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    env_before = dict(os.environ)
    user, status, box = save_grader(UserState(), "LLM", "openai:gpt-4o-mini", "", "sk-secret-1")
    assert box == "" and "sk-secret" not in status and "API key set" in status
    key = user.grader.api_key
    assert key is not None and key.get_secret_value() == "sk-secret-1"
    assert user.grader.spec == "openai:gpt-4o-mini" and "sk-secret" not in repr(user)
    seen: list[str | None] = []
    original = bot.grade

    def grade(*args: Any, **kwargs: Any) -> Any:
        seen.append(os.environ.get("OPENAI_API_KEY"))
        return original(*args, **kwargs)

    monkeypatch.setattr(bot, "grade", grade)
    history, user, *_ = chat.start([], "any", FIXED, 2, user, [])
    history, user, *_ = chat.send("answer", user, history)
    # the key travels with the call; the environment is never changed for it
    assert bot.calls[-1]["grader"].api_key.get_secret_value() == "sk-secret-1"
    assert seen == ["sk-from-env"] and dict(os.environ) == env_before
    assert "sk-secret" not in texts(history)
    raw = store.path.read_bytes() + Path(str(store.path) + "-wal").read_bytes()
    assert b"sk-secret" not in raw
    offline, status, _ = save_grader(user, "offline", "", "", "")
    assert offline.grader == GraderChoice()


def test_test_connection_reports_clearly_without_the_key(settings: Settings) -> None:
    assert "no connection to test" in check_grader(settings, UserState())
    user, status, _ = save_grader(UserState(), "LLM", "", "", "")
    assert "Type an LLM spec" in status and user.grader.offline
    assert "Type an LLM spec" in check_grader(settings, user, "LLM")
    user, _, _ = save_grader(UserState(), "LLM", "openai:m", "http://127.0.0.1:9/v1", "sk-abc")
    message = check_grader(replace(settings, llm_timeout=5), user)
    assert message.startswith("⚠️") and "127.0.0.1:9" in message and "sk-abc" not in message
    assert "--" not in message and "OPENAI_BASE_URL" not in message  # no CLI advice on the web


def test_terminal_advice_is_reworded_for_the_browser() -> None:
    text = for_web(
        "No LLM reachable at http://x - start the server or fix --base-url / "
        "OPENAI_BASE_URL, or pass --llm offline"
    )
    assert text == (
        "No LLM reachable at http://x - start the server or fix the Base URL in the Settings "
        "tab, or choose offline in the Settings tab"
    )


def test_bank_upload_validation_and_ingest(
    bot: FakeBot, settings: Settings, tmp_path: Path
) -> None:
    banks = BankHandlers(bot, settings)
    broken = tmp_path / "broken.json"
    broken.write_text(BROKEN, encoding="utf-8")
    assert "broken.json:3: question has no text" in banks.check(str(broken))
    message, dropdown, user = banks.ingest(str(broken), "mine", UserState())
    assert "broken.json:3: question has no text" in message and user.bank == "default"
    good = tmp_path / "good.md"
    good.write_text(GOOD, encoding="utf-8")
    assert banks.check(str(good)).startswith("✓ good.md: 2 questions")
    calls: list[tuple[Any, ...]] = []
    message, dropdown, user = banks.ingest(
        str(good), "mine", UserState(session_id=4), lambda *a, **k: calls.append((a, k))
    )
    assert "into your bank **mine** (2 questions)" in message
    mine = private_bank(UserState().who, "mine")
    assert user.bank == mine and user.session_id is None
    assert dropdown["value"] == mine and ("mine (yours)", mine) in dropdown["choices"]
    assert calls
    assert (settings.data_dir / "uploads" / owner_tag(user.who) / "mine" / "good.md").exists()
    bad_name, _, _ = banks.ingest(str(good), "../etc", UserState())
    assert "not usable" in bad_name


def test_uploads_go_to_the_uploaders_own_banks_and_never_replace_default(
    bot: FakeBot, settings: Settings, tmp_path: Path
) -> None:
    banks = BankHandlers(bot, settings)
    good = tmp_path / "good.md"
    good.write_text(GOOD, encoding="utf-8")
    default_before = list(bot.banks["default"])
    refused, _, same = banks.ingest(str(good), "default", UserState(owner="alice"))
    assert "cannot be replaced from the web app" in refused and same.bank == "default"
    assert bot.banks["default"] == default_before
    _, _, alice = banks.ingest(str(good), "mine", UserState(owner="alice"))
    _, _, bob = banks.ingest(str(good), "mine", UserState(owner="bob"))
    assert alice.bank != bob.bank and bot.banks["default"] == default_before
    assert [b for _, b in banks.banks(alice)] == sorted(["default", alice.bank])
    assert bob.bank not in [b for _, b in banks.banks(alice)]
    message, still = banks.switch(bob.bank, alice)
    assert "Choose one" in message and still.bank == alice.bank


def test_oversized_upload_is_refused_before_parsing(
    bot: FakeBot, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = replace(settings, max_upload_bytes=100)
    big = tmp_path / "big.md"
    big.write_text(GOOD * 10, encoding="utf-8")

    def never(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("parsed an oversized upload")

    monkeypatch.setattr("interview_bot.web.banks.parse_files", never)
    banks = BankHandlers(bot, small)
    assert "the upload limit is 100" in banks.check(str(big))
    assert "the upload limit is 100" in banks.ingest(str(big), "big", UserState())[0]


def test_switching_banks(bot: FakeBot, settings: Settings) -> None:
    bot.banks["other"] = bot.banks["default"][:2]
    banks = BankHandlers(bot, settings)
    message, user = banks.switch("other", UserState(session_id=3))
    assert user.bank == "other" and user.session_id is None and "other" in message
    assert "The interview you had open is kept" in message and "**Resume**" in message
    message, _ = banks.switch("default", user)
    assert "kept" not in message  # nothing was open
    message, same = banks.switch("missing", user)
    assert same is user and "Choose one" in message


def test_progress_tab_plots_table_and_exports(
    chat: InterviewHandlers, bot: FakeBot, store: ProgressStore
) -> None:
    progress = ProgressHandlers(bot, store)
    assert progress.export(UserState())[2] == "No interview to export yet."
    history, user, *_ = chat.start([], "any", FIXED, 3, UserState(), [])
    bot.enqueue(make_grade(0.5, missed=0), make_grade(0.7, missed=0))
    history, user, *_ = chat.send("one", user, history)
    history, user, *_ = chat.send("two", user, history)
    over_time, table, note = progress.refresh(user)
    mastery = progress.mastery_frame(user)
    assert (
        "| topic | scored | skipped | mean % | hinted | last practised | due for review |" in table
    )
    assert list(over_time["score"]) == [50.0, 70.0] and "2 scored answers" in note
    assert str(over_time["time"].dtype).startswith("datetime64")
    # the time axis spans half an hour either side (one answer's axis showed ".424")
    start, end = progress.time_window(over_time) or [0.0, 0.0]
    assert start == over_time["time"].min().timestamp() - 1800
    assert end == over_time["time"].max().timestamp() + 1800
    assert list(mastery.columns) == [
        "topic",
        "scored",
        "skipped",
        "mean %",
        "hinted",
        "last practised",
        "due for review",
    ]
    assert mastery["scored"].sum() == 2
    # someone else's progress tab is empty, and they cannot export this interview
    other = UserState(owner="someone-else", session_id=user.session_id)
    assert len(progress.refresh(other)[0]) == 0
    assert progress.time_window(progress.refresh(other)[0]) is None
    assert progress.export(other)[2] == "No interview to export yet."
    md, js, note = progress.export(user)
    assert md and js and Path(md).read_text().startswith("# Interview 1\n")
    assert len(json.loads(Path(js).read_text())["attempts"]) == 2


def test_build_app_and_listen_rules(bot: FakeBot, settings: Settings) -> None:
    assert isinstance(build_app(bot, settings), gr.Blocks)
    check_listen("127.0.0.1", None)
    check_listen("localhost", None)
    check_listen("::1", None)
    with pytest.raises(UnsafeListenError, match=r"Refusing to listen on 0\.0\.0\.0 without --auth"):
        check_listen("0.0.0.0", None)
    check_listen("0.0.0.0", ("me", "pw"))
    assert parse_auth("me:p:w") == ("me", "p:w") and parse_auth(None) is None
    with pytest.raises(UnsafeListenError, match="USER:PASS"):
        parse_auth("me")
    assert parse_accounts("a:1, b:2:3") == [("a", "1"), ("b", "2:3")]
    with pytest.raises(AuthError, match="without spaces"):
        parse_accounts("browser x:pw")


def test_users_file_holds_hashes_and_checks_passwords(tmp_path: Path) -> None:
    path = tmp_path / "users"
    assert add_user(path, "alice", "correct horse") is True
    assert add_user(path, "bob", "battery staple") is True
    assert add_user(path, "alice", "new password") is False  # a changed password
    text = path.read_text()
    assert "correct horse" not in text and "new password" not in text
    assert text.count("alice:scrypt$") == 1 and (path.stat().st_mode & 0o777) == 0o600
    accounts = load_accounts("carol:plain", path)
    assert len(accounts) == 3
    assert accounts.check("alice", "new password") and not accounts.check("alice", "correct horse")
    assert accounts.check("carol", "plain") and not accounts.check("carol", "Plain")
    assert not accounts.check("nobody", "x")
    path.write_text("alice:plaintext\n")
    with pytest.raises(AuthError, match=r"users:1: expected USER:scrypt"):
        load_accounts(None, path)


def test_failed_logins_slow_down_then_lock_out_per_user_and_address() -> None:
    now = [1000.0]
    throttle = LoginThrottle(lock_after=5, address_lock_after=8, lockout_s=60, clock=lambda: now[0])
    delays = [throttle.failed("alice", "10.0.0.1") for _ in range(4)]
    assert delays == [0.5, 1.0, 2.0, 4.0]  # each failure answers more slowly
    assert throttle.locked_for("alice", "10.0.0.1") == 0
    throttle.failed("alice", "10.0.0.1")  # the fifth in a row: locked out
    assert throttle.locked_for("alice", "10.0.0.1") == 60
    assert throttle.locked_for("alice", "10.0.0.2") == 0  # the same name from elsewhere
    assert throttle.locked_for("bob", "10.0.0.3") == 0
    now[0] += 61
    assert throttle.locked_for("alice", "10.0.0.1") == 0  # a short lockout
    throttle.failed("alice", "10.0.0.1")
    throttle.succeeded("alice", "10.0.0.1")
    assert throttle.failed("alice", "10.0.0.1") == 0.5  # a success starts the count again
    for name in "abcdefgh":  # one address trying many names is locked out as a whole
        throttle.failed(name, "10.0.0.9")
    assert throttle.locked_for("zed", "10.0.0.9") == 60


def test_the_page_loads_usable_when_the_store_fails(
    bot: FakeBot, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Start waits for the page load; a load that fails must still enable it and say why."""
    demo = build_app(bot, settings)
    on_load = next(f.fn for f in demo.fns.values() if getattr(f.fn, "__name__", "") == "on_load")

    def broken() -> list[str]:
        raise StoreError("The Chroma store cannot be read")

    monkeypatch.setattr(bot.store, "banks", broken)
    outputs = on_load("a" * 32, UserState(), SimpleNamespace(username=None))
    browser_id, history, user, *_, start, resume = outputs
    assert browser_id == "a" * 32 and user.owner == "browser:" + "a" * 32
    assert "The Chroma store cannot be read" in texts(history)
    assert start["interactive"] is True and resume["interactive"] is True
