"""Loading eval cases from JSONL and CSV, and the errors each kind of bad file gets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from interview_bot.errors import InterviewBotError
from interview_bot.evaluation.cases import EvalCase, EvalFileError, load_cases, parse_cases

DATASETS = Path(__file__).resolve().parent.parent / "evals" / "datasets"
KINDS = {
    "complete",
    "good",
    "partial",
    "vague",
    "wrong",
    "misconception",
    "empty",
    "dont_know",
    "restatement",
    "keyword_salad",
    "injection",
    "non_english",
    "off_topic",
}


def write(tmp_path: Path, text: str, name: str = "cases.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_jsonl_with_extra_fields(tmp_path: Path) -> None:
    lines = [
        {"question": "What is RoPE?", "answer": "A rotation.", "score": 3, "kind": "partial"},
        {
            "question": "Why sqrt(d_k)?",
            "answer": "",
            "score": 0,
            "reference": "Keeps logits small.",
            "max_score": 4,
            "group": "attention",
            "id": "1.2",
            "tags": ["a", "b"],
        },
    ]
    path = write(tmp_path, "\n".join(json.dumps(x) for x in lines) + "\n\n")
    first, second = load_cases(path)
    assert first.score == 3.0
    assert first.reference is None and first.group is None and first.max_score == 5.0
    assert first.model_extra == {"kind": "partial"}
    assert second.answer == ""
    assert second.max_score == 4.0 and second.group == "attention"
    assert second.model_extra == {"id": "1.2", "tags": ["a", "b"]}
    assert second.model_dump()["tags"] == ["a", "b"]


def test_csv_converts_numbers_and_blank_cells(tmp_path: Path) -> None:
    text = (
        "question,answer,score,reference,max_score,group,score_me\n"
        'What is RoPE?,"It rotates q and k, pairwise.",4.5,Rotary embedding,5,pos,4\n'
        "Why LayerNorm?,,0, ,,,\n"
        '"Multi\nline?",x, 2 ,,10,g,\n'
    )
    first, second, third = load_cases(write(tmp_path, text))
    assert first.answer == "It rotates q and k, pairwise."
    assert first.score == 4.5 and first.max_score == 5.0
    assert first.reference == "Rotary embedding" and first.group == "pos"
    assert first.model_extra == {"score_me": "4"}  # extra columns stay as written
    assert second.answer == "" and second.reference is None and second.group is None
    assert second.max_score == 5.0
    assert third.question == "Multi\nline?" and third.score == 2.0 and third.max_score == 10.0


def test_format_is_told_by_content_not_name(tmp_path: Path) -> None:
    jsonl = write(tmp_path, '\n  {"question": "q?", "answer": "a", "score": 1}\n', "x.csv")
    csv_file = write(tmp_path, "question,answer,score\nq?,a,1\n", "x.jsonl")
    assert load_cases(jsonl) == load_cases(csv_file)


def test_utf8_bom_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes("question,answer,score\nq?,svar på norsk,2\n".encode("utf-8-sig"))
    assert load_cases(path)[0].answer == "svar på norsk"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('{"question": "q", "answer": "a", "score": 1}\n{"question": "q",\n', 2, "invalid JSON"),
        ('{"question": "q", "answer": "a"}\n', 1, "missing required field 'score'"),
        ('{"question": "q", "score": 2}\n', 1, "missing required field 'answer'"),
        ('{"question": "q", "answer": "a", "score": "high"}\n', 1, "score: expected a number"),
        ('{"question": "q", "answer": "a", "score": true}\n', 1, "score: expected a number"),
        ('{"question": "q", "answer": "a", "score": 6}\n', 1, "score 6 is outside [0, 5]"),
        ('{"question": "q", "answer": "a", "score": -1}\n', 1, "score -1 is outside [0, 5]"),
        (
            '{"question": "q", "answer": "a", "score": 4, "max_score": 3}\n',
            1,
            "score 4 is outside [0, 3]",
        ),
        ('{"question": " ", "answer": "a", "score": 1}\n', 1, "question is empty"),
        ('{"question": "q", "answer": null, "score": 1}\n', 1, "answer:"),
        ('\n\n[{"question": "q"}]\n', 3, "JSON array is not supported"),
        ('{"question": "q", "answer": "a", "score": 1}\n["x"]\n', 2, "expected a JSON object"),
        ("question,answer,score\nq,a,1\nq,a,abc\n", 3, "score: expected a number, got 'abc'"),
        ("question,answer,score\nq,a,\n", 2, "missing required field 'score'"),
        ("question,answer,score\nq,a,9\n", 2, "score 9 is outside [0, 5]"),
        ("question,answer,score\nq,a,1,extra\n", 2, "expected 3 cells"),
        ("question,answer\nq,a\n", 1, "lacks column(s) score"),
        ("question,answer,score,answer\n", 1, "repeats column(s) answer"),
    ],
)
def test_errors_name_file_and_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(EvalFileError) as caught:
        load_cases(path)
    assert caught.value.line == line
    assert message in caught.value.message
    assert str(caught.value).startswith(f"{path}:{line}: ")


@pytest.mark.parametrize("text", ["", "  \n\n\t\n"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(EvalFileError, match="empty file") as caught:
        load_cases(path)
    assert caught.value.line is None
    assert isinstance(caught.value, InterviewBotError)


def test_header_only_csv_has_no_cases() -> None:
    with pytest.raises(EvalFileError, match="no eval cases"):
        parse_cases("question,answer,score\n", source="h.csv")


def test_missing_and_undecodable_files(tmp_path: Path) -> None:
    with pytest.raises(EvalFileError, match="no such file"):
        load_cases(tmp_path / "absent.jsonl")
    path = tmp_path / "latin1.csv"
    path.write_bytes("question,answer,score\nq,r\xe9ponse,1\n".encode("latin-1"))
    with pytest.raises(EvalFileError, match="not UTF-8"):
        load_cases(path)


def test_case_can_be_built_directly() -> None:
    case = EvalCase(question="q?", answer="", score=0, kind="empty")  # type: ignore[call-arg]
    assert case.model_extra == {"kind": "empty"}


def test_bundled_mohler_dataset_loads() -> None:
    cases = load_cases(DATASETS / "mohler2011.jsonl")
    assert len(cases) == 2273
    assert {c.max_score for c in cases} == {5.0}
    assert all(c.reference and c.group for c in cases)
    assert len({c.group for c in cases}) == 12
    for case in cases[:50]:
        extra = case.model_extra or {}
        assert case.score == pytest.approx((extra["score_me"] + extra["score_other"]) / 2)
        assert extra["id"].split(".")[0] == case.group


@pytest.mark.parametrize("name", ["seed_domain.jsonl", "adversarial.jsonl"])
def test_bundled_hand_written_datasets_load(name: str) -> None:
    cases = load_cases(DATASETS / name)
    assert len(cases) >= (90 if name == "seed_domain.jsonl" else 30)
    for case in cases:
        extra = case.model_extra or {}
        assert case.reference is None
        assert case.group
        assert extra.get("rationale")
        if name == "seed_domain.jsonl":
            assert extra.get("kind") in KINDS
        else:
            assert extra.get("kind")
