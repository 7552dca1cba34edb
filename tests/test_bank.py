"""Merging duplicates across files, borrowing references, topics and key points."""

from __future__ import annotations

import pytest

from interview_bot.knowledge.bank import Bank, build_bank
from interview_bot.knowledge.embeddings import Embedder
from interview_bot.knowledge.statements import candidates
from tests.conftest import BUNDLED_QUESTIONS, INTERNALS, JSON_QA, KNOWLEDGE, NUMBERED, OUTLINE, QUIZ

BARE_ANSWERS = KNOWLEDGE / "answers-for-bare-questions.yaml"


@pytest.fixture(scope="module")
def seeds_only(embedder: Embedder) -> Bank:
    """The five seed documents alone, without the bundled bank's own additions."""
    return build_bank([QUIZ, OUTLINE, INTERNALS, JSON_QA, NUMBERED], embedder)


def _by_question(bank: Bank, text: str):  # type: ignore[no-untyped-def]
    return next(q for q in bank.questions if q.question == text or text in q.variants)


def test_positional_encoding_is_one_question_with_every_answer(seed_bank: Bank) -> None:
    pe = _by_question(seed_bank, "Why do we need positional encoding in Transformers?")
    files = sorted(s.file.rsplit("/", 1)[-1] for s in pe.sources)
    assert files == [
        "attention-qa.json",
        "commonly-asked-outline.md",
        "part6-numbered.txt",
        "transformer-internals.md",
        "transformer-quiz-no.md",
    ]
    assert len(pe.references) == 5 and not any(r.retrieved for r in pe.references)
    merge = next(m for m in seed_bank.merges if m.canonical_id == pe.id)
    assert all(m.similarity >= 0.82 for m in merge.members if not m.declared)
    # the internals file's wording is declared the same question in same-questions.yaml
    (declared,) = [m for m in merge.members if m.declared]
    assert declared.question.startswith('Explain the purpose of "Positional Encoding"')


def test_counts_after_merging(seed_bank: Bank) -> None:
    questions = [q for f in seed_bank.files for q in f.questions]
    # graded-examples.yaml only adds examples to questions the seed files ask, and
    # same-questions.yaml only declares which of them are one question
    adds_only = [q for q in questions if q.adds_only]
    assert len(adds_only) == 46 + 9
    # 86 questions in the five seed files, and the 8 bare ones again with an answer
    assert len(questions) - len(adds_only) == 86 + 8
    assert len(seed_bank.questions) == BUNDLED_QUESTIONS
    assert len(seed_bank.merges) == 10 + 8 + 4  # 5 declared joins extend existing groups
    merged_away = sum(len(m.members) - 1 for m in seed_bank.merges)
    assert 94 - merged_away == BUNDLED_QUESTIONS


def test_no_group_holds_two_questions_of_one_file(seed_bank: Bank) -> None:
    for merge in seed_bank.merges:
        files = [m.source.file for m in merge.members]
        assert len(files) == len(set(files))


def test_declared_twins_are_one_question(seed_bank: Bank) -> None:
    """Wordings too far apart to merge by similarity (0.54 here) are merged because
    same-questions.yaml says they ask the same thing; the first named keeps its id."""
    norm = _by_question(seed_bank, "Why LayerNorm instead of BatchNorm?")
    assert norm.question == (
        "Why is layer normalization preferred over batch normalization in Transformers?"
    )
    files = {r.source.file.rsplit("/", 1)[-1] for r in norm.references}
    assert files == {"transformer-quiz-no.md", "commonly-asked-outline.md"}
    merge = next(m for m in seed_bank.merges if m.canonical_id == norm.id)
    assert [m.declared for m in merge.members] == [False, True]
    assert merge.members[1].similarity < 0.82


def test_distinct_questions_stay_apart(seed_bank: Bank) -> None:
    mask = _by_question(seed_bank, "What is an attention mask?")
    assert "How is masking implemented in attention mechanisms?" not in mask.variants


def test_bare_questions_borrow_close_answers(seed_bank: Bank) -> None:
    causal = _by_question(seed_bank, "Why does GPT use causal masking?")
    assert causal.references and all(r.retrieved for r in causal.references)
    assert "causal" in causal.reference_text.lower()
    assert all((r.similarity or 0) >= 0.65 for r in causal.references)


def test_questions_with_nothing_close_need_a_reference(seeds_only: Bank) -> None:
    needing = {q.question for q in seeds_only.needing_reference}
    assert (
        "How does RoPE (Rotary Positional Embedding) differ from absolute positional encoding?"
        in needing
    )
    assert "Why do modern LLMs prefer Pre-LN?" in needing
    # No answer says why the two are added rather than concatenated; a sentence that only
    # says "positional encoding adds a vector" is no reference for it.
    assert "Why are positional embeddings added, not concatenated?" in needing
    assert len(needing) == 8
    assert not set(needing) & {q.question for q in seeds_only.gradable}


def test_the_bundled_answers_make_every_bare_question_gradable(
    seeds_only: Bank, seed_bank: Bank
) -> None:
    """Each question the seeds leave without a reference is answered, in the same words, by
    the bundled bank's own file; the two merge and keep the seed's id and topic."""
    assert not seed_bank.needing_reference
    for bare in seeds_only.needing_reference:
        merged = _by_question(seed_bank, bare.question)
        assert merged.id == bare.id and merged.topic == bare.topic
        assert [r.source.file.rsplit("/", 1)[-1] for r in merged.references] == [BARE_ANSWERS.name]
        assert not any(r.retrieved for r in merged.references)
        assert len(merged.key_points) >= 2


def test_every_question_has_a_topic(seed_bank: Bank) -> None:
    assert all(q.topic for q in seed_bank.questions)
    assert not any(q.topic == "Part 6" for q in seed_bank.questions)


def test_key_points_are_few_atomic_and_deduplicated(seed_bank: Bank) -> None:
    for q in seed_bank.gradable:
        assert 1 <= len(q.key_points) <= 6, q.question
        assert len(set(q.key_points)) == len(q.key_points)
    pe = _by_question(seed_bank, "Why do we need positional encoding in Transformers?")
    assert any("order" in p.lower() for p in pe.key_points)
    assert not any(p.startswith(("Why ", "Short Answer")) for p in pe.key_points)


def test_table_rows_become_points() -> None:
    text = "| **Feature** | **LayerNorm** | **BatchNorm** |\n| --- | --- | --- |\n| Works with batch=1 | Yes | No |\n"
    assert candidates(text) == ["Works with batch=1: LayerNorm Yes, BatchNorm No"]
    tabbed = "Feature\tGPT\tBERT\nArchitecture\tDecoder-only\tEncoder-only\n"
    assert candidates(tabbed) == ["Architecture: GPT Decoder-only, BERT Encoder-only"]
