"""The automatic contradictions the grader's model is trained on (evals/contradictions.py):
a correct answer with its claim reversed, never a test-split answer, and never a "swap" that
changes nothing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "evals"))

import train_grader as tg
from contradictions import contradict, contradictions


def test_opposites_are_exchanged_both_ways_keeping_case() -> None:
    assert contradict("BERT is an encoder-only model; GPT is a decoder-only model.") == (
        "BERT is a decoder-only model; GPT is an encoder-only model."
    )
    assert contradict("Dividing by sqrt(d_k) keeps the logits small.") == (
        "Multiplying by sqrt(d_k) keeps the logits large."
    )


def test_terms_listed_side_by_side_are_left_alone() -> None:
    # "keys and values" swapped says the same thing: only the scaling is reversed
    assert contradict("Queries are compared with keys and values; scores are divided.") == (
        "Queries are compared with keys and values; scores are multiplied."
    )
    assert contradict("An encoder-decoder model.") is None


def test_a_short_answer_without_opposites_has_its_first_claim_negated() -> None:
    assert contradict("Attention is order-agnostic, so we add positions.") == (
        "Attention is not order-agnostic, so we add positions."
    )
    assert contradict("Softmax turns scores into weights.") is None
    long_answer = "Attention is order-agnostic. " + "It mixes token features. " * 12
    assert contradict(long_answer) is None  # one negated verb of many: not clearly wrong


def _row(answer: str, split: str, kind: str, group: str = "q1") -> tg.Row:
    pair = tg.PairInput("Which models are encoder-only?", "BERT is an encoder.", answer)
    return tg.Row(pair, None, answer, 1.0, 1.0, group, split, kind, "interview_bank")


def test_only_correct_training_answers_and_their_reference_are_contradicted() -> None:
    rows = [
        _row("BERT is an encoder.", "train", "complete"),
        _row("BERT: encoder.", "train", "concise_correct"),
        _row("BERT is a decoder.", "train", "fluent_wrong"),
        _row("BERT is an encoder.", "test", "complete", group="q2"),
    ]
    made = contradictions(rows, references=True)
    # the complete answer, the reference (once per question), the concise answer
    assert [r.answer for r in made] == [
        "BERT is a decoder.",
        "BERT is a decoder.",
        "BERT: decoder.",
    ]
    assert {r.kind for r in made} == {"contradiction"}
    assert [r.answer for r in contradictions(rows, references=False)] == [
        "BERT is a decoder.",
        "BERT: decoder.",
    ]
    assert all(r.label == 0.0 and r.split == "train" and r.group == "q1" for r in made)


@pytest.mark.parametrize("text", ["", "1234", "Softmax."])
def test_nothing_to_reverse(text: str) -> None:
    assert contradict(text) is None
