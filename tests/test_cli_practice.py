"""``interview-bot practice`` (the terminal twin) and ``serve``'s refusal to listen openly."""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_bot import FakeBot, make_grade
from typer.testing import CliRunner

from interview_bot.cli import (
    app,
    practice_commands,  # registers serve and practice
)
from interview_bot.practice.progress import ProgressStore
from interview_bot.settings import Settings

runner = CliRunner()


@pytest.fixture
def bot(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> FakeBot:
    fake = FakeBot(settings)
    monkeypatch.setattr(practice_commands, "InterviewBot", lambda s: fake)
    return fake


def practice(data_dir: Path, text: str, *args: str) -> str:
    result = runner.invoke(app, ["practice", "--data-dir", str(data_dir), *args], input=text)
    assert result.exit_code == 0, result.output
    return result.output


def test_practice_grades_answers_and_accepts_the_same_commands(
    bot: FakeBot, settings: Settings
) -> None:
    bot.enqueue(make_grade(0.95, missed=0, feedback="Nicely done."))
    text = "first line of my answer\n<b>second</b> line\n\nhint\nskip\nend\n"
    output = practice(settings.data_dir, text, "--length", "3")
    assert "Question 1 of 3" in output
    assert "Score: 9.5 / 10 (95%)" in output and "Nicely done." in output
    assert "✓ covered point 0" in output
    assert "Hint 1/" in output
    assert "1 question answered, 1 skipped" in output
    assert bot.calls[0]["answer"] == "first line of my answer\n<b>second</b> line"


def test_own_questions_need_no_empty_line(bot: FakeBot, settings: Settings) -> None:
    output = practice(settings.data_dir, "ask me about RoPE\nwhat is a KV cache?\nend\n")
    assert "Here is a question about RoPE." in output
    assert "How does RoPE encode positions?" in output
    assert "The bank has nothing close enough" in output
    assert bot.calls == []


def test_end_of_input_pauses_and_resume_continues(bot: FakeBot, settings: Settings) -> None:
    output = practice(settings.data_dir, "an answer\n\nhint\n", "--length", "3")
    assert "Paused. Resume with: interview-bot practice --resume" in output
    hint = output[output.index("Hint 1/") :].splitlines()[0]
    store = ProgressStore(settings.progress_path)
    (session,) = store.sessions()
    assert session.ended_at is None and len(store.attempts(session.id)) == 1
    resumed = practice(settings.data_dir, "end\n", "--resume")
    assert "Resuming interview 1." in resumed
    # the open question comes back with the hint already shown for it
    assert "Question 2 of 3" in resumed and hint in resumed


def test_each_user_resumes_only_their_own_interview(bot: FakeBot, settings: Settings) -> None:
    practice(settings.data_dir, "end\n", "--user", "carol")  # someone else's interview first
    practice(settings.data_dir, "an answer\n\n", "--length", "3", "--user", "alice")
    store = ProgressStore(settings.progress_path)
    session = store.sessions(owner="alice")[0]
    assert session.id == 2
    other = practice(settings.data_dir, "end\n", "--resume", "--user", "bob")
    assert "Resuming" not in other and "Question 1 of" in other
    mine = practice(settings.data_dir, "end\n", "--resume", "--user", "alice")
    assert "Resuming interview 1." in mine  # numbered among alice's own, not the row id


def test_unknown_topic_and_difficulty_are_clear_errors(bot: FakeBot, settings: Settings) -> None:
    result = runner.invoke(
        app, ["practice", "--data-dir", str(settings.data_dir), "--topic", "Cooking"]
    )
    assert result.exit_code == 2 and "No question with a reference" in result.output
    result = runner.invoke(app, ["practice", "--difficulty", "impossible"])
    assert result.exit_code == 2 and "--difficulty" in result.output


def test_serve_refuses_an_open_address_without_auth(settings: Settings) -> None:
    result = runner.invoke(
        app, ["serve", "--host", "0.0.0.0", "--data-dir", str(settings.data_dir)]
    )
    assert result.exit_code == 2
    assert "Refusing to listen on 0.0.0.0 without --auth USER:PASS" in result.output
    result = runner.invoke(app, ["serve", "--host", "0.0.0.0", "--auth", "nopassword"])
    assert result.exit_code == 2 and "USER:PASS" in result.output
