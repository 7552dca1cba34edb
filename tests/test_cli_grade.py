"""``grade`` through Typer's runner: answers of any length from a file or standard input,
and ``--json`` output that is valid UTF-8 whatever bytes the answer came with."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from interview_bot.cli import app

runner = CliRunner()
QUESTION = ["-q", "What is attention?", "-r", "Attention weighs values by query-key similarity."]
LONG = "Attention weighs values by how similar each query is to each key. " * 3_000  # 200 KB


@pytest.fixture
def data_dir(tmp_path: Path) -> list[str]:
    return ["--data-dir", str(tmp_path / "data"), "--llm", "offline"]


def _grade(result: object) -> dict[str, object]:
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    return json.loads(result.stdout_bytes.decode("utf-8"))  # type: ignore[attr-defined]


def test_answer_file_takes_an_answer_over_the_argument_limit(
    tmp_path: Path, data_dir: list[str]
) -> None:
    answer = tmp_path / "answer.txt"
    answer.write_text(LONG, encoding="utf-8")
    grade = _grade(
        runner.invoke(app, ["grade", *QUESTION, "--answer-file", str(answer), "--json", *data_dir])
    )
    assert grade["score"] is not None


def test_answer_from_standard_input(data_dir: list[str]) -> None:
    grade = _grade(
        runner.invoke(app, ["grade", *QUESTION, "-a", "-", "--json", *data_dir], input=LONG)
    )
    assert grade["score"] is not None


def test_latin1_bytes_in_the_answer_give_valid_utf8_json(data_dir: list[str]) -> None:
    latin1 = os.fsdecode(b"Attention weighs values by similarity, caf\xe9 style.")
    result = runner.invoke(app, ["grade", *QUESTION, "-a", latin1, "--json", *data_dir])
    grade = _grade(result)  # strict UTF-8 decoding above
    assert "caf\ufffd style" in str(grade["answer"])


def test_exactly_one_answer_source(tmp_path: Path, data_dir: list[str]) -> None:
    neither = runner.invoke(app, ["grade", *QUESTION, *data_dir])
    assert neither.exit_code == 2 and "exactly one of --answer TEXT" in neither.output
    answer = tmp_path / "a.txt"
    answer.write_text("x", encoding="utf-8")
    both = runner.invoke(
        app, ["grade", *QUESTION, "-a", "y", "--answer-file", str(answer), *data_dir]
    )
    assert both.exit_code == 2


def test_an_endless_answer_file_is_refused(data_dir: list[str]) -> None:
    result = runner.invoke(app, ["grade", *QUESTION, "--answer-file", "/dev/zero", *data_dir])
    assert result.exit_code == 2 and "is over 4,000,000 bytes" in result.output
