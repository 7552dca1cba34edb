"""Key points a person would write: statements, not fragments or formula lines; repaired,
merged, ranked; borrowed by bare questions only where they answer them; quoted whole."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from typer.testing import CliRunner

from interview_bot.bot import InterviewBot
from interview_bot.cli import app
from interview_bot.grading.result import Grade
from interview_bot.knowledge.bank import Bank
from interview_bot.knowledge.borrowing import borrowed_from
from interview_bot.knowledge.embeddings import Embedder
from interview_bot.knowledge.keypoints import (
    MAX_POINTS,
    MIN_POINTS,
    REPEAT_SIMILARITY,
    select_points,
)
from interview_bot.knowledge.models import CanonicalQuestion
from interview_bot.knowledge.repair import latex_to_text
from interview_bot.knowledge.statements import candidates, is_statement, table_rows
from interview_bot.practice.followups import followup_question
from interview_bot.practice.view import card_view

runner = CliRunner()

# Fragments and residue the issue found among the bundled bank's key points.
BAD_POINTS = [
    "In dot-product attention, scores are",
    "The formula for Scaled Dot-Product Attention is",
    "Named Entity Recognition (NER)",
    "(Optional) cross-attention to encoder outputs",
    "Self-attention (no causal mask)",
]


def by_text(bank: Bank, text: str) -> CanonicalQuestion:
    found = [q for q in bank.questions if q.question == text or text in q.variants]
    assert len(found) == 1, text
    return found[0]


# -- statements from one answer ---------------------------------------------------------------


def test_a_lead_in_keeps_the_formula_that_follows_it_as_readable_text() -> None:
    text = (
        "- **What goes wrong without scaling?**\n"
        "    - In dot-product attention, scores are:\n\n"
        "        $$\\text{score} = Q K^{\\top}$$\n\n"
        "    - For each token embedding 𝑥:\n\n"
        "    $$\n        Q = x W_Q,\\quad K = x W_K,\\quad V = x W_V\n    $$\n"
    )
    assert candidates(text) == [
        "In dot-product attention, scores are: score = Q Kᵀ",
        "For each token embedding x: Q = x W_Q, K = x W_K, V = x W_V",
    ]


def test_bare_formulas_fragments_and_lead_ins_are_not_statements() -> None:
    text = (
        "Answer: The formula for Scaled Dot-Product Attention is\n\n"
        "Attention(Q,K,V)=softmax(QKᵀ/√d_k)V\n\n"
        "It's used because:\n\n"
        "- Helps the model understand the order of words in a sequence.\n"
        "- must be converted into numbers that\n"
    )
    assert candidates(text) == ["Helps the model understand the order of words in a sequence."]
    for fragment in ("In dot-product attention, scores are", "Tokens like:", "Q = x W_Q"):
        assert not is_statement(fragment)
    assert is_statement("softmax is applied row-wise to get attention weights.")


def test_text_is_repaired_with_the_bank_conventions() -> None:
    text = (
        "When the dot products become large (as dk increases), softmax saturates.\n"
        "- Use *only the decoder stack with **causal** masking of future tokens\n"
        "- PE(pos, 2i) = sin(pos / 10000^(2i/d_model)) gives each position its own vector.\n"
        "- Instead of a single attention1 calculation, heads run in parallel at O(n2) cost "
        "each, as in GPT2 with float16 and ReLU6.\n"
    )
    points = candidates(text)
    assert points[0] == "When the dot products become large (as d_k increases), softmax saturates."
    assert points[1] == "Use only the decoder stack with causal masking of future tokens"
    assert "d_model" in points[2]
    assert points[3] == (
        "Instead of a single attention calculation, heads run in parallel at O(n²) cost "
        "each, as in GPT2 with float16 and ReLU6."
    )
    assert latex_to_text(r"\mathbb{E}[QK^{\top}] \propto d_k") == "E[QKᵀ] ∝ d_k"
    assert latex_to_text(r"\sigma = \sqrt{\frac{1}{d} \sum_{i=1}^{d} x_i}") == (
        "σ = √(1/d Σ_(i=1)^d x_i)"
    )


def test_a_list_of_short_items_is_one_statement_under_its_subject() -> None:
    text = (
        "- **Encoder-only models**\n"
        "    - **What they are**\n"
        "        - Use only the encoder stack\n"
        "        - Bidirectional attention (each token sees left + right context)\n"
        "    - **Common encoder-only models**\n"
        "        - BERT\n"
        "        - RoBERTa\n"
        "        - DistilBERT\n"
    )
    assert candidates(text) == [
        "Encoder-only models: use only the encoder stack; bidirectional attention "
        "(each token sees left + right context).",
        "Common encoder-only models: BERT, RoBERTa, DistilBERT.",
    ]


def test_a_list_beside_lines_that_state_nothing_is_still_one_statement() -> None:
    text = (
        "- **So the model needs:**\n"
        "    - A global understanding of the entire source sentence\n"
        "    - A step-by-step generation process for the target language\n"
        "- **Decoder (generation)**\n"
        "    - Generates target tokens autoregressively\n"
        "    - Uses cross-attention to focus on relevant source tokens\n"
        "    - At each step, the decoder asks:\n"
        "        - “Which parts of the source sentence are relevant?”\n"
        "    - That’s exactly what cross-attention enables.\n"
    )
    assert candidates(text) == [
        "The model needs: a global understanding of the entire source sentence; a "
        "step-by-step generation process for the target language.",
        "Decoder (generation): generates target tokens autoregressively; uses "
        "cross-attention to focus on relevant source tokens.",
    ]


def test_a_list_beside_a_statement_is_left_as_its_lines() -> None:
    # the line above such a list is often a section title ("Formal explanation (how it
    # actually works)"), not a subject the items can hang on
    text = (
        "- **Heads**\n"
        "    - Run in parallel\n"
        "    - Each has its own projections\n"
        "    - Their outputs are concatenated and projected back to the model width.\n"
    )
    assert candidates(text) == [
        "Each has its own projections",
        "Their outputs are concatenated and projected back to the model width.",
    ]


def test_a_sentence_opening_on_a_pronoun_stays_with_the_one_it_refers_to() -> None:
    text = (
        '- **Value (V) matrix:** Projects the input embedding into a "value" vector. This '
        "represents the actual information content that is mixed into the output.\n"
        "- The FFN is applied to each token independently. It typically has two linear "
        "layers with a ReLU in between. Attention mixes information across tokens."
    )
    assert candidates(text) == [
        'Value (V) matrix: Projects the input embedding into a "value" vector; this '
        "represents the actual information content that is mixed into the output.",
        "The FFN is applied to each token independently; it typically has two linear "
        "layers with a ReLU in between.",
        "Attention mixes information across tokens.",
    ]


def test_vs_and_eg_do_not_end_a_sentence() -> None:
    text = (
        'Order matters (e.g., "Dog bites man" vs. "Man bites dog"). '
        "Self-attention alone ignores word order entirely."
    )
    assert candidates(text) == [
        'Order matters (e.g., "Dog bites man" vs. "Man bites dog").',
        "Self-attention alone ignores word order entirely.",
    ]


def test_points_are_ranked_and_near_repeats_merged(embedder: Embedder) -> None:
    references = [
        "Scaling by sqrt(d_k) keeps the dot products from growing large, so softmax keeps "
        "useful gradients.",
        "We divide by sqrt(d_k) so that large dot products do not push the softmax into "
        "regions with tiny gradients. The attention weights of each row sum to one.",
    ]
    points = select_points(
        "Why is attention scaled by sqrt(d_k)?", references, embedder.encode, MAX_POINTS
    )
    assert len(points) == 2
    assert "sqrt(d_k)" in points[0]
    assert points[1] == "The attention weights of each row sum to one."


# -- the bundled bank -------------------------------------------------------------------------


def test_every_key_point_of_the_bundled_bank_reads_as_a_statement(
    seed_bank: Bank, embedder: Embedder
) -> None:
    for q in seed_bank.questions:
        assert len(q.key_points) <= MAX_POINTS, q.question
        distinct = set(candidates(q.reference_text))
        if len(distinct) >= 2:
            assert len(q.key_points) >= 2, q.question
        for point in q.key_points:
            assert point not in BAD_POINTS, (q.question, point)
            assert "\\" not in point and "$" not in point and "*" not in point, point
            assert not point.rstrip().endswith((":", ",")), point
            assert not re.search(r"\b(dk|dmodel)\b", point), point
            assert not re.search(r"\b[a-z]{6,}[1-9]\b|O\(n2\)", point), point
            assert not re.fullmatch(r"[^a-z]*=[^a-z]*", point), point
            assert not re.match(r"(This|It) (represents|typically|penalizes)", point), point
        if len(q.key_points) > MIN_POINTS:  # two may be close: a short answer says little else
            vectors = embedder.encode(q.key_points)
            sims = vectors @ vectors.T - np.eye(len(q.key_points)) * 2
            assert sims.max() < REPEAT_SIMILARITY + 0.01, q.question


def test_the_scaling_question_keeps_distinct_repaired_points(seed_bank: Bank) -> None:
    points = by_text(
        seed_bank, "Why is the dot product in attention scaled by sqrt(d_k)?"
    ).key_points
    assert 3 <= len(points) <= 6
    assert "In dot-product attention, scores are: score = Q Kᵀ" in points
    assert not any("as dk increases" in p for p in points)
    # the three answers open by saying the same thing: one of those openings is a point
    openings = [
        "The scaling by √d_k is applied to stabilize the gradients during training.",
        "We divide by √d_k to keep dot-product magnitudes numerically stable.",
    ]
    assert sum(p.startswith(tuple(openings)) or p.startswith("Scaling by") for p in points) == 1


def test_formula_questions_keep_their_formula_inside_a_sentence(seed_bank: Bank) -> None:
    formula = by_text(
        seed_bank, "What is the formula for scaled dot-product attention in Transformers?"
    )
    assert formula.key_points[0].startswith(("Attention(Q, K, V) = softmax(", "The formula for"))
    assert all(is_statement(p) or ": " in p for p in formula.key_points)
    qkv = by_text(seed_bank, "What are Query, Key, and Value?").key_points
    assert not any("quad" in p or "WQ" in p for p in qkv)
    pe = by_text(
        seed_bank, "How are positional encodings computed in the original Transformer model?"
    )
    assert "10000^(2i/d_model)" in pe.key_points[0]


def test_encoder_decoder_models_question_lists_models_not_tasks(seed_bank: Bank) -> None:
    points = by_text(seed_bank, "Which models use encoder-only vs decoder-only?").key_points
    assert "Common encoder-only models: BERT, RoBERTa, ALBERT, DistilBERT, ELECTRA." in points
    assert any(p.startswith("Common decoder-only models: GPT") for p in points)
    assert not any("Named Entity" in p and len(p) < 40 for p in points)
    assert not any("Use *only" in p or "Use \\*only" in p for p in points)


def test_a_question_whose_answer_holds_two_points_gets_both(seed_bank: Bank) -> None:
    points = by_text(seed_bank, "How is masking implemented in attention mechanisms?").key_points
    assert len(points) == 2
    assert points[0].startswith("Masking is implemented by adding a mask matrix")
    assert "-∞" in points[1]


def test_the_softmax_question_borrows_statements_about_softmax(seed_bank: Bank) -> None:
    softmax = by_text(seed_bank, "What does the softmax do in attention?")
    assert borrowed_from(softmax)
    assert softmax.key_points and all("softmax" in p.lower() for p in softmax.key_points)
    assert "The formula for Scaled Dot-Product Attention is" not in softmax.key_points


# The outline's "What’s the difference between encoder and decoder?", whose passage the GPT
# question borrows, is declared the same question as this one (knowledge/same-questions.yaml).
DONOR = "What are the roles of the encoder and decoder in a Transformer?"


def test_a_bare_question_borrows_only_the_passage_that_answers_it(seed_bank: Bank) -> None:
    gpt = by_text(seed_bank, "Why does GPT use causal masking?")
    assert borrowed_from(gpt) == [DONOR]
    assert gpt.key_points and all("causal" in p for p in gpt.key_points)
    text = gpt.reference_text
    assert "cross-attention" not in text and "no causal mask" not in text
    assert "BERT" not in text  # not the donor's whole answer


def test_topics_of_unfiled_questions(seed_bank: Bank) -> None:
    topic = {q.question: q.topic for q in seed_bank.questions}
    assert topic["What issues in RNNs are addressed by transformer models?"] == "General"
    assert topic["What is the function of layer normalization in Transformers?"] == (
        "Residual Connections + Layer Normalization"
    )
    assert topic["What are the key components of a Transformer encoder layer?"] == (
        "Encoder vs Decoder (Architecture-Level)"
    )
    assert topic["What is the formula for scaled dot-product attention in Transformers?"] == (
        "Self-Attention"
    )
    embedding = "Input & Embedding Layer (Token + Positional Encoding)"
    for question, name in topic.items():
        if name == embedding:
            assert re.search(r"position|embedding|word order|RoPE", question, re.I), question


def test_near_identical_questions_are_recorded_both_ways(seed_bank: Bank) -> None:
    mask = by_text(seed_bank, "What is an attention mask?")
    how = by_text(seed_bank, "How is masking implemented in attention mechanisms?")
    assert how.id != mask.id
    assert how.id in mask.near and mask.id in how.near


# -- follow-ups and the card ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("point", "asked"),
    [
        (
            "Sequential Processing: RNNs process data sequentially, causing inefficiency; "
            "transformers process input in parallel.",
            "You didn't mention sequential processing. Can you explain that part?",
        ),
        (
            "Positional encodings are computed using sine and cosine functions of different "
            "frequencies: PE(pos, 2i) = sin(pos / 10000^(2i/d_model)), PE(pos, 2i+1) = "
            "cos(pos / 10000^(2i/d_model)), where pos is the position and i is the dimension.",
            "You didn't cover this key point: “Positional encodings are computed using sine and "
            "cosine functions of different frequencies: PE(pos, 2i) = sin(pos / "
            "10000^(2i/d_model)), PE(pos, 2i+1) = cos(pos / 10000^(2i/d_model)), where pos is "
            "the position and i is the dimension.” Can you explain that part?",
        ),
        (
            "Blocks future tokens",
            "You didn't mention blocks future tokens. Can you explain that part?",
        ),
    ],
)
def test_follow_ups_quote_a_point_whole_or_name_it(point: str, asked: str) -> None:
    assert followup_question(point) == asked
    assert "…" not in asked and "...." not in asked


def test_every_follow_up_on_the_bundled_bank_is_whole(seed_bank: Bank) -> None:
    for q in seed_bank.questions:
        for point in q.key_points:
            asked = followup_question(point)
            label = point.split(": ", 1)[0].lower()
            assert point in asked or label in asked.lower(), (point, asked)
            assert "…" not in asked


def test_the_card_says_the_reference_is_borrowed_and_from_where(
    seeded_bot: InterviewBot,
) -> None:
    gpt = next(
        q for q in seeded_bot.questions() if q.question == "Why does GPT use causal masking?"
    )
    target = seeded_bot.target(question_id=gpt.id)
    assert target.reference_from == [DONOR]
    grade = seeded_bot.grade(
        "GPT generates left to right, so a causal mask stops each token attending to later ones.",
        question_id=gpt.id,
    )
    assert grade.reference_from == target.reference_from
    warnings = card_view(grade).warnings
    assert any("borrowed" in w and DONOR in w for w in warnings)
    own = Grade(question="q", answer="a", score=1, max_score=5)
    assert not any("borrowed" in w for w in card_view(own).warnings)


def test_bank_keypoints_command_prints_them_for_audit(seeded_bot: InterviewBot) -> None:
    data_dir = str(seeded_bot.settings.data_dir)
    result = runner.invoke(
        app, ["bank", "keypoints", "causal masking", "--json", "--data-dir", data_dir]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["question"] for r in rows] == ["Why does GPT use causal masking?"]
    assert rows[0]["borrowed_from"] == [DONOR]
    assert rows[0]["key_points"]
    every = runner.invoke(app, ["bank", "keypoints", "--data-dir", data_dir])
    assert every.exit_code == 0 and "1. " in every.output
    assert "reference borrowed from" in every.output
    none = runner.invoke(app, ["bank", "keypoints", "no such question", "--data-dir", data_dir])
    assert none.exit_code == 2 and "no question" in none.output
    # a question the seeds also ask in other words is found by any of its wordings
    wording = "Why LayerNorm instead of BatchNorm?"
    (joined,) = [q for q in seeded_bot.questions() if wording in q.variants]
    other = runner.invoke(app, ["bank", "keypoints", wording, "--json", "--data-dir", data_dir])
    assert other.exit_code == 0, other.output
    assert [r["id"] for r in json.loads(other.stdout)] == [joined.id]


def test_table_rows_are_points_only_when_the_sentences_run_short(seed_bank: Bank) -> None:
    """The LayerNorm answers say in sentences what their table sums up in cells; the GPT vs
    BERT answer is mostly its table."""
    norm = by_text(seed_bank, "Why LayerNorm instead of BatchNorm?").key_points
    assert len(norm) == MAX_POINTS
    assert not any(re.search(r"Norm (Yes|No|Rare|Poorly)\b", p) for p in norm), norm
    gpt = by_text(seed_bank, "Compare and contrast GPT and BERT.").key_points
    assert "Architecture: GPT Decoder-only Transformer, BERT Encoder-only Transformer" in gpt


def test_table_rows_are_told_from_sentences() -> None:
    text = (
        "LayerNorm normalizes each token over its features.\n\n"
        "| Feature | LayerNorm | BatchNorm |\n|---|---|---|\n| Works with batch=1 | Yes | No |\n"
    )
    assert candidates(text) == [
        "LayerNorm normalizes each token over its features.",
        "Works with batch=1: LayerNorm Yes, BatchNorm No",
    ]
    assert table_rows(text) == {"Works with batch=1: LayerNorm Yes, BatchNorm No"}
