"""Text repair: exact characters back, nothing lost, clean text untouched."""

from __future__ import annotations

import re

from interview_bot.knowledge.parsers import parse_bank_file
from interview_bot.knowledge.repair import fix_mojibake, repair_text, strip_katex
from tests.conftest import INTERNALS, JSON_QA, NUMBERED, OUTLINE, QUIZ


def test_mac_roman_mojibake() -> None:
    assert fix_mojibake("‚àö") == "√"
    assert fix_mojibake("d‚Çñ") == "dₖ"
    assert fix_mojibake("Transformer‚Äôs") == "Transformer’s"
    assert fix_mojibake("\uf8ffùë•") == "𝑥"


def test_windows_1252_mojibake() -> None:
    assert fix_mojibake("-âˆž") == "-∞"
    assert fix_mojibake("donâ€™t") == "don’t"


def test_correct_text_is_left_alone() -> None:
    for text in ("Spørsmål 2", "naïve café", "√d_k → ∞", "日本語", "Ωmega"):
        assert repair_text(text) == text


def test_seed_questions_are_repaired() -> None:
    outline = {q.question for q in parse_bank_file(OUTLINE).questions}
    assert "Why do we divide by √dₖ in scaled dot-product attention?" in outline
    assert "Why can’t self-attention alone capture word order?" in outline
    masking = parse_bank_file(JSON_QA).questions[7]
    assert "(e.g., -∞)" in (masking.explanation or "")
    for path in (QUIZ, OUTLINE, INTERNALS, JSON_QA, NUMBERED):
        for q in parse_bank_file(path).questions:
            text = q.question + q.answer
            assert not re.search(r"‚Ä|‚à|‚Ç|âˆ|â€|Ã|ùë|data:image|<svg", text), (path, q.question)


def test_katex_square_root_becomes_sqrt_without_eating_text() -> None:
    internals = parse_bank_file(INTERNALS).questions
    scaling = internals[5]
    assert scaling.question == "Why is the dot product in the attention formula scaled by √d_k?"
    assert scaling.answer.startswith("The scaling by √d_k is applied to stabilize the gradients")
    assert (
        "Dividing by √d_k helps to keep the variance of the dot products consistent"
        in scaling.answer
    )
    assert "as d_k increases" in scaling.answer
    formula = internals[4]
    assert "Attention(Q,K,V)=softmax(QKᵀ/√d_k)V" in formula.answer
    assert "- d_k is the dimension of the key vectors." in formula.answer


def test_katex_strip_keeps_surrounding_words() -> None:
    blob = '[](data:image/svg+xml;utf8,<svg xmlns="http://www.w3.org/2000/svg"><path d="M1,2)"/></svg>)'
    text = f"Divide by dk\n\n{blob}\n\n to keep the variance stable."
    assert strip_katex(text) == "Divide by √d_k to keep the variance stable."


def test_repair_loses_no_words() -> None:
    for path in (QUIZ, OUTLINE, JSON_QA, NUMBERED):
        raw = path.read_text(encoding="utf-8")
        repaired = repair_text(raw)
        assert re.findall(r"[A-Za-z]{3,}", raw) == re.findall(r"[A-Za-z]{3,}", repaired)


def test_numbered_text_formula_duplicate_collapsed() -> None:
    context = parse_bank_file(NUMBERED).questions[18]
    assert "O(n^2)" in context.answer and "O(n2)O(n^2)" not in context.answer
