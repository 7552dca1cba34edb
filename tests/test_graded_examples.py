"""Graded example answers in bank files (JSON, JSONL, YAML), attached to bank questions, and
used by the offline grader as evidence and to name a known misconception."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from interview_bot.bot import InterviewBot
from interview_bot.errors import BankError, BankErrors
from interview_bot.evaluation.cases import EvalCase
from interview_bot.evaluation.runner import run_eval
from interview_bot.knowledge.bank import build_bank
from interview_bot.knowledge.embeddings import Embedder
from interview_bot.knowledge.parsers import parse_bank_file
from interview_bot.settings import load_settings
from tests.conftest import KNOWLEDGE

QUESTION = "What does dropout do?"
ANSWER = (
    "Dropout randomly zeroes a fraction of activations during training so units cannot "
    "co-adapt; it acts as a regulariser, and at inference all units are used (scaled)."
)
MISCONCEPTION = (
    "Dropout removes neurons permanently from the network to make it smaller and faster."
)
EXAMPLES = [
    {"answer": ANSWER, "score": 5},
    {"answer": MISCONCEPTION, "score": 0, "why": "Dropout is temporary and only in training."},
]
RECORD = {"question": QUESTION, "answer": ANSWER, "examples": EXAMPLES}


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("bank.json", json.dumps([RECORD])),
        ("bank.jsonl", json.dumps(RECORD) + "\n" + json.dumps({**RECORD, "question": "Q2?"})),
        (
            "bank.yaml",
            "- question: What does dropout do?\n"
            f"  answer: {ANSWER}\n"
            "  examples:\n"
            f"  - answer: {ANSWER}\n"
            "    score: 5\n"
            f"  - answer: {MISCONCEPTION}\n"
            "    score: 0\n"
            "    why: Dropout is temporary and only in training.\n",
        ),
    ],
)
def test_every_data_format_carries_examples(tmp_path: Path, name: str, text: str) -> None:
    (question, *_) = parse_bank_file(write(tmp_path, name, text)).questions
    assert [(e.score, e.why) for e in question.examples] == [
        (5, None),
        (0, "Dropout is temporary and only in training."),
    ]
    assert question.examples[1].answer == MISCONCEPTION


@pytest.mark.parametrize(
    ("examples", "message"),
    [
        ("not a list", "examples must be a list"),
        ([{"answer": "x"}], "example 1: expected answer and score"),
        ([{"answer": "x", "score": 7}], "example 1: score 7 is not within 0..5"),
        ([{"answer": "x", "score": True}], "example 1: score and max_score must be numbers"),
        ([{"answer": "", "score": 1}], "example 1: the answer is empty"),
        ([{"answer": "x", "score": 1, "grade": 2}], "example 1: expected answer and score"),
    ],
)
def test_bad_examples_are_named_by_file_and_line(
    tmp_path: Path, examples: object, message: str
) -> None:
    text = json.dumps({"question": QUESTION, "answer": ANSWER, "examples": examples})
    path = write(tmp_path, "bad.jsonl", text + "\n" + json.dumps({"question": "Q2", "answer": "A"}))
    with pytest.raises((BankError, BankErrors)) as caught:
        parse_bank_file(path)
    assert f"bad.jsonl:1: {message}" in str(caught.value)


def test_examples_attach_to_the_bank_question_of_that_text(
    tmp_path: Path, embedder: Embedder
) -> None:
    folder = tmp_path / "bank"
    write(folder, "qa.json", json.dumps([{"question": QUESTION, "answer": ANSWER}]))
    write(folder, "examples.jsonl", json.dumps({"question": QUESTION, "examples": EXAMPLES}))
    bank = build_bank([folder], embedder)
    (question,) = bank.questions
    assert [e.answer for e in question.examples] == [ANSWER, MISCONCEPTION]


def test_examples_for_an_unknown_question_are_an_error(tmp_path: Path, embedder: Embedder) -> None:
    folder = tmp_path / "bank"
    write(folder, "qa.json", json.dumps([{"question": QUESTION, "answer": ANSWER}]))
    write(folder, "examples.jsonl", json.dumps({"question": "What is RoPE?", "examples": EXAMPLES}))
    with pytest.raises(BankError, match=r"examples\.jsonl:1: examples for 'What is RoPE\?'"):
        build_bank([folder], embedder)


def test_the_bundled_bank_has_examples_only_for_training_questions() -> None:
    test_questions = {
        json.loads(line)["question"]
        for line in (KNOWLEDGE.parent / "evals/datasets/interview_bank.jsonl").open()
        if json.loads(line)["split"] == "test"
    }
    records = parse_bank_file(KNOWLEDGE / "graded-examples.yaml").questions
    assert len(records) >= 30 and all(r.examples for r in records)
    for record in records:
        assert record.question not in test_questions, record.question


def test_test_split_cases_are_graded_without_examples(tmp_path: Path) -> None:
    """A test question declared the same as a training one shares its examples in the bank;
    an eval of the test split withholds them, so no training answer grades a test case."""
    folder = tmp_path / "bank"
    write(folder, "qa.jsonl", json.dumps(RECORD) + "\n")
    bot = InterviewBot(load_settings(data_dir=tmp_path / "data", knowledge_dir=folder))
    bot.ingest([folder])
    case = {"question": QUESTION, "answer": MISCONCEPTION, "score": 0}
    cases = [EvalCase.model_validate(case | {"split": split}) for split in ("train", "test")]
    train, test = run_eval(bot, cases).results
    assert train.grade is not None and test.grade is not None
    assert train.grade.misconception and not test.grade.misconception


def test_a_known_misconception_is_named_on_the_card(tmp_path: Path) -> None:
    folder = tmp_path / "bank"
    write(folder, "qa.jsonl", json.dumps(RECORD) + "\n")
    bot = InterviewBot(load_settings(data_dir=tmp_path / "data", knowledge_dir=folder))
    bot.ingest([folder])
    (question,) = bot.gradable()
    grade = bot.grade(
        "Dropout removes neurons permanently from the network so that it becomes smaller and "
        "faster.",
        question_id=question.id,
    )
    assert grade.misconception == "Dropout is temporary and only in training."
    assert "A common misconception: Dropout is temporary" in grade.feedback


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        (
            "Which models use encoder-only vs decoder-only?",
            "Encoder-only models are the BERT family (BERT, RoBERTa, DeBERTa) used for "
            "understanding tasks, and decoder-only models are GPT-style LLMs (GPT-3/4, LLaMA, "
            "Mistral) used for generation; T5 and BART are encoder–decoder.",
        ),
        (
            "Why is positional encoding used in Transformers?",
            "Because attention has no built-in notion of order, it treats the input as a bag of "
            "tokens; positional encodings add position information to the embeddings so the "
            "model can tell word order.",
        ),
    ],
)
def test_a_right_answer_in_a_misconceptions_words_is_not_called_one(
    seeded_bot: InterviewBot, question: str, answer: str
) -> None:
    """Right answers (graded 4.5, training split) whose words are those of a swapped or
    reversed example: the bundled model named that example's misconception for both."""
    grade = seeded_bot.grade(answer, question=question)
    assert grade.misconception is None
    assert "misconception" not in grade.feedback


@pytest.mark.parametrize(
    ("name", "text"),
    [
        (
            "same.yaml",
            "- question: What does dropout do?\n  same_as: Why do networks use dropout?\n",
        ),
        ("same.json", json.dumps([{"question": QUESTION, "same_as": ["Why use dropout?"]}])),
        (
            "same.csv",
            'question,answer,same_as\nWhat does dropout do?,,"Why use dropout, then?"\n'
            'What is ReLU?,"max(0, x)",\n',
        ),
    ],
)
def test_every_data_format_declares_the_same_question(tmp_path: Path, name: str, text: str) -> None:
    (record, *others) = parse_bank_file(write(tmp_path, name, text)).questions
    assert record.adds_only and len(record.same_as) == 1
    assert all(not q.same_as and not q.adds_only for q in others)  # a blank cell declares none


def test_declared_wordings_join_however_far_apart(tmp_path: Path, embedder: Embedder) -> None:
    folder = tmp_path / "bank"
    other = "Why do networks switch off random units while training?"
    records = [{"question": QUESTION, "answer": ANSWER}, {"question": other, "answer": ANSWER}]
    write(folder, "qa.json", json.dumps(records))
    assert len(build_bank([folder], embedder).questions) == 2
    write(folder, "same.yaml", f"- question: {QUESTION}\n  same_as: [{other!r}]\n")
    (joined,) = build_bank([folder], embedder).questions
    assert joined.question == QUESTION and joined.variants == [other]
    assert len(joined.references) == 2


def test_a_declared_wording_the_bank_lacks_is_an_error(tmp_path: Path, embedder: Embedder) -> None:
    folder = tmp_path / "bank"
    write(folder, "qa.json", json.dumps([RECORD]))
    write(folder, "same.yaml", "---\n- question: What does dropout do?\n  same_as: What is RoPE?\n")
    with pytest.raises(
        BankError, match=r"same\.yaml:2: same_as: no bank file asks 'What is RoPE\?'"
    ):
        build_bank([folder], embedder)
