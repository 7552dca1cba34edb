"""Every seed shape parses to its exact counts; custom formats and bad input behave."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from interview_bot.errors import BankError, BankErrors
from interview_bot.knowledge.parsers import parse_bank_file, parse_bank_text
from interview_bot.knowledge.repair import repair_text
from tests.conftest import INTERNALS, JSON_QA, NUMBERED, OUTLINE, QUIZ


@pytest.mark.parametrize(
    ("path", "fmt", "questions", "answered"),
    [
        (QUIZ, "markdown-quiz", 8, 8),
        (OUTLINE, "markdown-headings", 32, 13),
        (INTERNALS, "markdown-numbered", 10, 10),
        (JSON_QA, "json", 14, 14),
        (NUMBERED, "text-numbered", 22, 22),
    ],
)
def test_seed_counts(path: Path, fmt: str, questions: int, answered: int) -> None:
    parsed = parse_bank_file(path)
    assert parsed.format == fmt
    assert len(parsed.questions) == questions
    assert parsed.answered == answered
    assert len({q.id for q in parsed.questions}) == questions


def test_detection_ignores_file_names(tmp_path: Path) -> None:
    for seed in (QUIZ, OUTLINE, INTERNALS, JSON_QA, NUMBERED):
        renamed = tmp_path / "bank.dat"
        renamed.write_bytes(seed.read_bytes())
        assert parse_bank_file(renamed).format == parse_bank_file(seed).format


def test_quiz_keeps_short_answer_and_explanation_apart() -> None:
    questions = parse_bank_file(QUIZ).questions
    first = questions[0]
    assert first.short_answer is not None and first.short_answer.startswith("To allow each token")
    assert first.explanation is not None and "look at" in first.explanation
    assert "without relying on sequential processing" in first.explanation
    sixth = questions[5]
    assert "Spørsmål" not in (sixth.short_answer or "") + (sixth.explanation or "")
    assert sixth.short_answer is not None and sixth.short_answer.endswith("Key vector.")
    assert sixth.explanation is not None and sixth.explanation.startswith("Each token is projected")


def test_outline_sections_difficulty_and_nested_answers() -> None:
    questions = {q.question: q for q in parse_bank_file(OUTLINE).questions}
    assert "What is Token Embedding" not in questions  # the table of contents is not a question
    rope = questions[
        "How does RoPE (Rotary Positional Embedding) differ from absolute positional encoding?"
    ]
    assert rope.difficulty == "advanced" and not rope.answered
    assert rope.topic == "Input & Embedding Layer (Token + Positional Encoding)"
    ln = questions["Why LayerNorm instead of BatchNorm?"]
    assert ln.difficulty == "intermediate"
    assert ln.short_answer is not None and "independent of batch size" in ln.short_answer
    assert ln.explanation is not None
    assert "| Works with batch=1      | ✅ Yes     | ❌ No      |" in ln.explanation
    assert "$$\\mu = \\frac{1}{d}" in ln.explanation
    assert "Autoregressive decoding often uses **batch size = 1**" in ln.explanation
    qkv = questions["What are Query, Key, and Value?"]
    assert "Q = x W_Q" in (qkv.explanation or "") and "𝑥" in (qkv.explanation or "")
    # the seed's √d_k answer stops at a sub-heading with nothing under it
    scaling = next(q for q in questions.values() if q.question.startswith("Why do we divide by"))
    assert (scaling.explanation or "").rstrip().endswith("larger variance of scores")


@pytest.mark.parametrize(
    ("answer", "kept"),
    [
        ("- A point.\n\n- Why large scores are bad (softmax saturation)", "- A point."),
        ("A point.\n**Example:**", "A point."),
        ("A point.\nThe steps are:", "A point."),
        # a numbered item is one of a list; a plain line may be an answer without a full stop
        ("1. First point\n2. Why it matters", None),
        ("When the batch is small, its statistics are noisy", None),
        ("The answer is:", None),  # never emptied
        ("Code:\n```python\nfor x in y:", None),  # inside an unclosed code block
    ],
)
def test_an_answer_loses_a_last_line_that_introduces_nothing(answer: str, kept: str | None) -> None:
    record = json.dumps([{"question": "Why does it work?", "answer": answer}])
    (question,) = parse_bank_text(record, "bank.json", "0").questions
    assert question.explanation == (kept or answer)


def test_numbered_text_restart_table_and_sections() -> None:
    questions = parse_bank_file(NUMBERED).questions
    assert [q.topic for q in questions[:10]] == ["Part 6"] * 10
    assert all(q.topic is None for q in questions[10:])
    gpt_bert = questions[12]
    assert gpt_bert.question == "Compare and contrast GPT and BERT."
    assert "Architecture\tDecoder-only Transformer\tEncoder-only Transformer" in (
        gpt_bert.explanation or ""
    )
    assert "• **Conclusion:**" in (gpt_bert.explanation or "")
    mlm = questions[20]
    assert "Masked Language Modeling (MLM)" in (mlm.explanation or "")


def test_internals_difficulty_and_multiline_question() -> None:
    questions = parse_bank_file(INTERNALS).questions
    assert all(q.difficulty == "basic" for q in questions)
    assert (
        questions[5].question == "Why is the dot product in the attention formula scaled by √d_k?"
    )


def test_sources_point_at_question_lines() -> None:
    for path in (QUIZ, OUTLINE, INTERNALS, JSON_QA, NUMBERED):
        lines = [repair_text(line) for line in path.read_text(encoding="utf-8").split("\n")]
        for q in parse_bank_file(path).questions:
            # The question starts on its line or, after a bare "**6. Question:**" marker, just below.
            near = " ".join(lines[q.source.line - 1 : q.source.line + 2])
            assert q.question.split()[0].strip("?\"'*") in near, (q.source, q.question)


def test_ids_are_stable_and_content_derived(tmp_path: Path) -> None:
    copy = tmp_path / "x.json"
    copy.write_text(json.dumps({"What is RoPE?": "Rotary embeddings."}), encoding="utf-8")
    other = tmp_path / "y.json"
    other.write_text(json.dumps({"What is RoPE?": "Different answer."}), encoding="utf-8")
    assert parse_bank_file(copy).questions[0].id == parse_bank_file(other).questions[0].id


CUSTOM = {
    "bank.md": "# My bank\n\n## What is RoPE?\nRotary position embeddings rotate queries and keys.\n\n"
    "## Why use KV caching?\nIt avoids recomputing keys and values.\n",
    "qa.md": "Q: What is RoPE?\nA: Rotary embeddings.\nThey rotate Q and K.\n\nQ: What is GQA?\nA: Grouped-query attention.\n",
    "bank.json": json.dumps(
        [
            {
                "question": "What is RoPE?",
                "answer": "Rotary.",
                "topic": "Positions",
                "difficulty": "Advanced",
            },
            {"question": "What is GQA?", "answer": "Grouped."},
        ]
    ),
    "bank.jsonl": '{"question": "What is RoPE?", "answer": "Rotary."}\n{"question": "What is GQA?", "answer": "Grouped."}\n',
    "bank.csv": 'question,answer,topic,difficulty\nWhat is RoPE?,"Rotary, relative.",Positions,basic\nWhat is GQA?,Grouped.,,\n',
    "bank.yaml": "- question: What is RoPE?\n  answer: Rotary.\n  difficulty: intermediate\n- question: What is GQA?\n  answer: Grouped.\n",
    "nested.yaml": "questions:\n  - question: What is RoPE?\n    answer: Rotary.\n  - question: What is GQA?\n    answer: Grouped.\n",
    "commented.yaml": "# My bank: two questions\n#\n- question: What is RoPE?\n  answer: Rotary.\n"
    "- question: What is GQA?\n  answer: Grouped.\n",
}


@pytest.mark.parametrize("name", sorted(CUSTOM))
def test_custom_formats(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text(CUSTOM[name], encoding="utf-8")
    parsed = parse_bank_file(path)
    assert [q.question for q in parsed.questions][:2] == [
        "What is RoPE?",
        "Why use KV caching?" if name == "bank.md" else "What is GQA?",
    ]
    assert all(q.answered for q in parsed.questions)


def test_custom_fields_and_lines(tmp_path: Path) -> None:
    csv_path = tmp_path / "b.csv"
    csv_path.write_text(CUSTOM["bank.csv"], encoding="utf-8")
    first, second = parse_bank_file(csv_path).questions
    assert (first.topic, first.difficulty, first.source.line) == ("Positions", "basic", 2)
    assert first.explanation == "Rotary, relative."
    assert second.source.line == 3 and second.topic is None
    yaml_path = tmp_path / "b.yaml"
    yaml_path.write_text(CUSTOM["bank.yaml"], encoding="utf-8")
    assert [q.source.line for q in parse_bank_file(yaml_path).questions] == [1, 4]


BAD = [
    ("empty.md", b"  \n\n", "empty.md:1: file is empty"),
    ("binary.bin", b"\x89PNG\r\n\x1a\n\x00\x00", "binary file"),
    ("latin1.md", "## Hva er det?\nSvar på\n".encode("latin-1"), "latin1.md:2: not UTF-8"),
    ("unknown.txt", b"just some prose without any questions in it\n", "unknown bank format"),
    (
        "broken.json",
        b'{\n  "What is RoPE?": "Rotary",\n  "What is GQA?" "Grouped"\n}\n',
        "broken.json:3: invalid JSON",
    ),
    (
        "dup.json",
        b'{\n  "What is RoPE?": "a",\n  "What is RoPE?": "b"\n}\n',
        "dup.json:3: duplicate question 'What is RoPE?' (first at line 2)",
    ),
    ("broken.csv", b'question,answer\n"What is RoPE?,Rotary\n', "broken.csv:"),
    (
        "ragged.csv",
        b"question,answer\nWhat is RoPE?,Rotary,extra\n",
        "ragged.csv:2: expected 2 columns",
    ),
    (
        "broken.yaml",
        b"- question: What is RoPE?\n  answer: [unclosed\n- question: x\n",
        "broken.yaml:3: invalid YAML",
    ),
    (
        "evil.yaml",
        b"- question: !!python/object/apply:os.system ['echo hi']\n  answer: x\n",
        "evil.yaml:1: invalid YAML",
    ),
    (
        "notext.jsonl",
        b'{"question": "What is RoPE?", "answer": "a"}\n{"question": "  ", "answer": "b"}\n',
        "notext.jsonl:2: question has no text",
    ),
    (
        "dupid.jsonl",
        b'{"id": "a", "question": "What is RoPE?", "answer": "a"}\n'
        b'{"id": "a", "question": "What is GQA?", "answer": "b"}\n',
        "dupid.jsonl:2: duplicate question id 'a' (first at line 1)",
    ),
    (
        "badlevel.csv",
        b"question,answer,difficulty\nWhat is RoPE?,Rotary,impossible\n",
        "badlevel.csv:2: unknown difficulty",
    ),
    (
        "unknownfield.jsonl",
        b'{"question": "What?", "anwser": "typo"}\n',
        "unknownfield.jsonl:1: unknown field(s) anwser",
    ),
]


@pytest.mark.parametrize(("name", "data", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_names_file_and_line(
    tmp_path: Path, name: str, data: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises((BankError, BankErrors)) as info:
        parse_bank_file(path, display=name)
    assert message in str(info.value)


def test_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    path.write_bytes(b'{"question": "What?", "answer": "x"}\n' * 1000)
    with pytest.raises(BankError, match=r"big.jsonl: file is 37,000 bytes; the limit is 1,000"):
        parse_bank_file(path, display="big.jsonl", max_bytes=1000)
