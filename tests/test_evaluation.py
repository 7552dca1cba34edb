"""Eval runs end to end: both formats, retrieval, a failing case, reports, --json."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from interview_bot.bot import InterviewBot
from interview_bot.cli import app
from interview_bot.evaluation.cases import load_cases
from interview_bot.evaluation.runner import run_eval, write_report

runner = CliRunner()
PE = "Why is positional encoding used in Transformers?"
CASES = [
    {
        "question": PE,
        "answer": "Attention ignores order, so position vectors are added to the "
        "embeddings to tell the model where each token is.",
        "score": 5,
        "kind": "complete",
        "group": "pe",
    },
    {"question": PE, "answer": "", "score": 0, "kind": "empty", "group": "pe"},
    {
        "question": "What is a prototype?",
        "answer": "A quick model of part of the product.",
        "reference": "A prototype simulates the behaviour of portions of the desired software.",
        "score": 4,
        "kind": "given",
        "group": "given",
    },
    {
        "question": "What is a B-tree index?",
        "answer": "A balanced tree.",
        "score": 3,
        "kind": "unknown",
    },
]


def _write(tmp_path: Path) -> tuple[Path, Path]:
    jsonl = tmp_path / "cases.jsonl"
    jsonl.write_text("".join(json.dumps(c) + "\n" for c in CASES), encoding="utf-8")
    csv = tmp_path / "cases.csv"
    csv.write_text(
        "question,answer,score,reference,kind\n"
        f'"{PE}","Order is lost without it.",3,,partial\n'
        '"What is a prototype?","A quick model.",4,"A prototype simulates the product.",given\n',
        encoding="utf-8",
    )
    return jsonl, csv


def test_run_eval_retrieves_references_and_records_failures(
    seeded_bot: InterviewBot, tmp_path: Path
) -> None:
    jsonl, _ = _write(tmp_path)
    report = run_eval(seeded_bot, load_cases(jsonl), file=str(jsonl))
    assert report.n_cases == 4 and report.n_failed == 1
    complete, empty, given, unknown = report.results
    assert complete.grade is not None and complete.grade.reference_origin == "retrieved"
    assert given.grade is not None and given.grade.reference_origin == "given"
    assert empty.predicted == 0.0
    assert unknown.predicted is None and unknown.error == "no reference found"
    assert report.metrics.n == 3
    assert set(report.groups) == {"pe", "given"}
    assert report.worst(1)[0].case["kind"] in {"complete", "given", "empty"}


def test_report_files(seeded_bot: InterviewBot, tmp_path: Path) -> None:
    jsonl, _ = _write(tmp_path)
    report = run_eval(seeded_bot, load_cases(jsonl), file=str(jsonl))
    written = write_report(report, tmp_path / "report")
    names = sorted(p.name for p in written)
    assert names == ["grades.json", "report.md", "scatter.png"]
    assert (tmp_path / "report" / "scatter.png").read_bytes()[:4] == b"\x89PNG"
    markdown = (tmp_path / "report" / "report.md").read_text(encoding="utf-8")
    assert "| n | Pearson |" in markdown and "Largest disagreements" in markdown
    grades = json.loads((tmp_path / "report" / "grades.json").read_text(encoding="utf-8"))
    assert len(grades) == 4 and grades[0]["grade"]["grader"] == "offline"


def test_eval_cli_json_carries_extra_fields(seeded_bot: InterviewBot, tmp_path: Path) -> None:
    jsonl, csv = _write(tmp_path)
    data_dir = str(seeded_bot.settings.data_dir)
    for path, n in ((jsonl, 4), (csv, 2)):
        result = runner.invoke(app, ["eval", str(path), "--json", "--data-dir", data_dir])
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert len(data["cases"]) == n
        assert all("kind" in c and "predicted" in c for c in data["cases"])
        assert set(data["metrics"]) >= {"pearson", "spearman", "rmse", "mae", "qwk", "within_1"}


def test_eval_cli_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "q", "answer": "a"}\n', encoding="utf-8")
    result = runner.invoke(app, ["eval", str(bad), "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "bad.jsonl:1" in result.output


def test_grade_cli_json_and_card(seeded_bot: InterviewBot) -> None:
    data_dir = str(seeded_bot.settings.data_dir)
    result = runner.invoke(
        app,
        [
            "grade",
            "-q",
            PE,
            "-a",
            "It gives the model word order.",
            "--json",
            "--data-dir",
            data_dir,
        ],
    )
    assert result.exit_code == 0, result.output
    grade = json.loads(result.stdout)
    assert grade["grader"] == "offline" and 0 <= grade["score"] <= grade["max_score"]
    card = runner.invoke(
        app, ["grade", "-q", PE, "-a", "It gives the model word order.", "--data-dir", data_dir]
    )
    assert card.exit_code == 0 and "/ 5" in card.output
