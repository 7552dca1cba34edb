"""The bank commands through Typer's runner: the contract other tools rely on."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from typer.testing import CliRunner

from interview_bot.cli import app
from tests.conftest import KNOWLEDGE, QUIZ

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
    assert data["totals"]["questions"] == 86 and data["totals"]["canonical"] == 70
    assert len(data["merges"]) == data["totals"]["merged_groups"] == 10
    assert len(data["needing_reference"]) == 7


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
