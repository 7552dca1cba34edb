"""The bank commands through Typer's runner: the contract other tools rely on."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from typer.testing import CliRunner

from interview_bot.cli import app
from tests.conftest import BUNDLED_QUESTIONS, KNOWLEDGE, QUIZ

runner = CliRunner()


def test_validate_ok_and_bad(tmp_path: Path) -> None:
    ok = runner.invoke(app, ["bank", "validate", str(QUIZ)])
    assert ok.exit_code == 0 and "8 questions, 8 answered" in ok.output
    bad = tmp_path / "bad.csv"
    bad.write_text("question,answer\nWhat?,a,b\n,x\n", encoding="utf-8")
    result = runner.invoke(app, ["bank", "validate", str(bad)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert lines[0].endswith("bad.csv:2: expected 2 columns, found 3")
    assert lines[1].endswith("bad.csv:3: question has no text")


def test_stats_json(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["bank", "stats", str(KNOWLEDGE), "--json", "--data-dir", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    by_name = {Path(f["path"]).name: f for f in data["files"]}
    quiz = by_name["transformer-quiz-no.md"]
    assert quiz["sha256"] == hashlib.sha256(QUIZ.read_bytes()).hexdigest()
    assert (quiz["questions"], quiz["answered"]) == (8, 8)
    assert (
        by_name["commonly-asked-outline.md"]["questions"],
        by_name["commonly-asked-outline.md"]["answered"],
    ) == (32, 13)
    assert data["totals"]["questions"] == 94 and data["totals"]["canonical"] == BUNDLED_QUESTIONS
    assert len(data["merges"]) == data["totals"]["merged_groups"] == 22
    assert data["needing_reference"] == []


def test_search_json_and_ingest(tmp_path: Path) -> None:
    ingest = runner.invoke(app, ["ingest", "--data-dir", str(tmp_path)])
    assert ingest.exit_code == 0, ingest.output
    again = runner.invoke(app, ["ingest", "--data-dir", str(tmp_path)])
    assert "unchanged, nothing embedded" in again.output
    result = runner.invoke(
        app,
        [
            "search",
            "why do transformers need to know token order?",
            "--k",
            "3",
            "--json",
            "--data-dir",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)
    assert len(hits) == 3
    assert "positional encoding" in hits[0]["question"].lower()
    assert hits[0]["reference"] and 0 < hits[0]["similarity"] <= 1


def test_ingest_bad_file_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text("[1, 2", encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(bad), "--data-dir", str(tmp_path / "d")])
    assert result.exit_code == 2
    assert "x.json:1: invalid JSON" in result.output


def test_validate_a_folder_lists_every_file(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("Q: What is RoPE?\nA: Rotary positions.\n", encoding="utf-8")
    (tmp_path / "b.md").write_bytes("Q: What is GQA?\nA: Grouped queries.\n".encode("utf-16"))
    result = runner.invoke(app, ["bank", "validate", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "a.md: 1 questions" in result.output and "b.md: 1 questions" in result.output


def test_validate_refuses_a_named_pipe_without_waiting(tmp_path: Path) -> None:
    pipe = tmp_path / "bank.md"
    os.mkfifo(pipe)
    result = runner.invoke(app, ["bank", "validate", str(pipe)])
    assert result.exit_code == 2
    assert result.output.strip().endswith(
        "bank.md: a named pipe, not a file; a bank must be a text file"
    )


def test_ingest_of_a_device_is_one_clear_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["ingest", "/dev/zero", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert (
        result.output.strip()
        == "/dev/zero: a character device, not a file; a bank must be a text file"
    )


def test_ingest_that_cannot_wait_for_another_says_so(tmp_path: Path) -> None:
    import threading

    import filelock

    tmp_path.mkdir(exist_ok=True)
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:  # another thread stands for another process (filelock is per thread)
        with filelock.FileLock(str(tmp_path / "ingest.lock")):
            held.set()
            release.wait(60)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        held.wait(60)
        result = runner.invoke(
            app, ["ingest", str(QUIZ), "--wait", "0", "--data-dir", str(tmp_path)]
        )
    finally:
        release.set()
        holder.join()
    assert result.exit_code == 2
    assert f"error: another ingest is running on {tmp_path}" in result.output
