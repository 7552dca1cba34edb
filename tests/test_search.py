"""Hybrid search: the fusion of wording, answer and BM25 rankings, and the search eval."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from interview_bot.bot import InterviewBot
from interview_bot.cli import app
from interview_bot.evaluation.search_eval import (
    SearchCase,
    SearchEvalError,
    load_search_cases,
    run_search_eval,
)
from interview_bot.knowledge.models import CanonicalQuestion, Reference, SourceRef
from interview_bot.knowledge.search import LexicalIndex, dense_best, fuse
from interview_bot.settings import load_settings

PARAPHRASES = "search_paraphrases.jsonl"
ML_QUERIES = "search_ml_queries.jsonl"


def question(qid: str, text: str, answer: str, points: list[str]) -> CanonicalQuestion:
    return CanonicalQuestion(
        id=qid,
        question=text,
        references=[
            Reference(short_answer=answer, source=SourceRef(file="t.md", line=1), question=text)
        ],
        key_points=points,
    )


def test_a_question_found_only_by_what_its_answer_says_wins_over_weak_wording_matches() -> None:
    asks = {"ffn": 0.40, "heads": 0.55}
    says = {"ffn": 0.80, "heads": 0.30}
    ranked = fuse(asks, says, {})
    assert [r.question_id for r in ranked] == ["ffn", "heads"]
    # the similarity stays the wording similarity, the scale MATCH_THRESHOLD was set on
    assert ranked[0].similarity == 0.40


def test_a_query_worded_as_a_bank_question_finds_that_question_first() -> None:
    asks = {"scale": 0.97, "formula": 0.69}
    says = {"formula": 0.9, "scale": 0.5}
    words = {"formula": 1.0, "scale": 0.6}
    assert fuse(asks, says, words)[0].question_id == "scale"


def test_a_question_far_ahead_on_one_measure_is_not_overtaken_by_narrow_wins() -> None:
    """Reciprocal-rank fusion put "b" first (first in two rankings out of three, by a
    hair); adding the scores keeps how far ahead "a" is on the wording."""
    asks = {"a": 0.80, "b": 0.50}
    says = {"a": 0.50, "b": 0.52}
    words = {"b": 1.0, "a": 0.95}
    assert [r.question_id for r in fuse(asks, says, words)] == ["a", "b"]


def test_a_question_missing_from_a_dense_measure_scores_its_floor() -> None:
    # "c" came back only from BM25: it is at most as close as the farthest returned text
    ranked = fuse({"a": 0.6, "b": 0.3}, {"a": 0.5, "b": 0.4}, {"c": 1.0})
    assert ranked[-1].question_id == "b"
    assert {r.question_id for r in ranked} == {"a", "b", "c"}


def test_every_bank_question_finds_itself(seeded_bot: InterviewBot) -> None:
    for q in seeded_bot.questions():
        hit = seeded_bot.search(q.question, k=1)[0]
        assert hit.question.id == q.id and hit.similarity >= 0.9, (q.question, hit)


def test_a_question_only_bm25_found_ranks_with_no_similarity() -> None:
    ranked = fuse({}, {}, {"rope": 1.0})
    assert ranked[0].question_id == "rope" and ranked[0].similarity == 0.0


def test_dense_best_keeps_the_best_text_of_each_kind_per_question() -> None:
    found = {
        "metadatas": [
            [
                {"kind": "question", "qid": "a"},
                {"kind": "variant", "qid": "a"},
                {"kind": "point", "qid": "a"},
                {"kind": "reference", "qid": "b"},
                {"kind": "other", "qid": "c"},
            ]
        ],
        "distances": [[0.4, 0.2, 0.5, 0.3, 0.0]],
    }
    asks, says = dense_best(found)
    assert asks == {"a": pytest.approx(0.8)}
    assert says == {"a": pytest.approx(0.5), "b": pytest.approx(0.7)}


def test_bm25_finds_the_rare_exact_term_and_stems() -> None:
    bank = {
        "rope": question("rope", "What is RoPE?", "Rotary embeddings rotate queries.", []),
        "mask": question(
            "mask",
            "What is masked attention?",
            "The decoder masks future positions.",
            ["Masking stops a token from attending to later tokens."],
        ),
    }
    index = LexicalIndex.build(bank)
    assert index.scores("rope scaling", 5) == {"rope": 1.0}
    found = index.scores("why mask the later positions", 5)
    assert next(iter(found)) == "mask" and found["mask"] == 1.0
    assert index.scores("zzz qqq", 5) == {}
    assert LexicalIndex.build({}).scores("anything", 5) == {}


def test_search_finds_residual_connections_by_what_they_do(seeded_bot: InterviewBot) -> None:
    hits = seeded_bot.search("why add the input back after each sublayer?", k=3)
    assert "residual" in hits[0].question.question.lower()


def test_search_eval_on_the_bundled_paraphrases(seeded_bot: InterviewBot) -> None:
    """Recall on the paraphrase set must not fall below what this search measured.

    Before hybrid search (dense over question wordings only) it was 0.504 at 1 and 0.688 at
    3; fusing ranks measured 0.637 and 0.848, adding scores 0.703 and 0.875. The floors
    leave room for key-point changes.
    """
    cases = load_search_cases(seeded_bot.settings.datasets_dir / PARAPHRASES)
    assert len(cases) >= 150
    report = run_search_eval(
        lambda q, k: seeded_bot.search(q, k=k),
        seeded_bot.questions(),
        cases,
        file=PARAPHRASES,
    )
    print(
        f"\nrecall@1 {report.recall(1):.3f} recall@3 {report.recall(3):.3f} MRR {report.mrr():.3f}"
    )
    assert report.recall(1) >= 0.68
    assert report.recall(3) >= 0.85


def test_search_eval_on_a_bank_of_other_questions(tmp_path: Path) -> None:
    """The same search on a bank it was never tuned on: 125 ML questions outside the bundled
    bank, with 1,454 queries written by other hands (test split here). On the test split
    fusing ranks measured 0.911 at 1 and 0.994 at 3, adding scores 0.952 and 0.998; the
    bundled bank's near-twin questions are what hold the bundled set lower."""
    bot = InterviewBot(load_settings(data_dir=tmp_path))
    datasets = bot.settings.datasets_dir
    bot.ingest([datasets / "ml_bank.json"], bank="ml")
    assert len(bot.questions("ml")) == 125
    cases = [c for c in load_search_cases(datasets / ML_QUERIES) if c.fields["split"] == "test"]
    assert len(cases) >= 400
    report = run_search_eval(
        lambda q, k: bot.search(q, k=k, bank="ml"), bot.questions("ml"), cases, file=ML_QUERIES
    )
    print(f"\nML bank: recall@1 {report.recall(1):.3f} recall@3 {report.recall(3):.3f}")
    assert report.recall(1) >= 0.92
    assert report.recall(3) >= 0.97


def test_search_eval_file_errors_name_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"query": "q", "question": "x"}\n{"query": ""}\n', encoding="utf-8")
    with pytest.raises(SearchEvalError, match=r"bad\.jsonl:2: needs a non-empty string"):
        load_search_cases(bad)
    bad.write_text('{"query": "q", "question": "x"}\nnot json\n', encoding="utf-8")
    with pytest.raises(SearchEvalError, match=r"bad\.jsonl:2: invalid JSON"):
        load_search_cases(bad)


def test_a_label_that_is_no_bank_question_is_an_error(seeded_bot: InterviewBot) -> None:
    cases = [SearchCase("what is attention", "Not a question in the bank", 1)]
    with pytest.raises(SearchEvalError, match="is in no bank question"):
        run_search_eval(
            lambda q, k: seeded_bot.search(q, k=k), seeded_bot.questions(), cases, file="x"
        )


def test_eval_search_command_prints_recall_and_misses(
    seeded_bot: InterviewBot, tmp_path: Path
) -> None:
    cases = tmp_path / "mine.jsonl"
    rows = [
        {
            "query": "why add the input back after each sublayer?",
            "kind": "answer-content",
            "question": "How do residual connections improve the Transformer architecture?",
        },
        {
            "query": "zebra migration patterns",
            "kind": "off",
            # as the seed document spells it: a miss shows it as the bank does, repaired
            "question": "Why can\u201a\u00c4\u00f4t self-attention alone capture word order?",
        },
    ]
    cases.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    data = str(seeded_bot.settings.data_dir)
    result = CliRunner().invoke(app, ["eval-search", str(cases), "--json", "--data-dir", data])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["n"] == 2 and report["recall@1"] == 0.5
    assert report["misses"][0]["query"] == "zebra migration patterns"
    assert report["misses"][0]["expected"] == (
        "Why can\u2019t self-attention alone capture word order?"
    )
    result = CliRunner().invoke(app, ["eval-search", str(cases), "--data-dir", data])
    assert "recall@1" in result.output and "misses at 1" in result.output
