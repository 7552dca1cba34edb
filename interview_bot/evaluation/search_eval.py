"""Search evals: does a query in a person's own words find the bank question it means?

A case is a JSONL line ``{"query": ..., "question": ...}``: the query, and the text of the
bank question it should find (any wording of it: a merged variant counts, and bank text is
compared after the same mojibake repair the bank applies). Other fields (``kind``,
``split``, ``file``) are kept and ``kind`` gets its own figures.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from interview_bot.errors import LocatedError
from interview_bot.evaluation.cases import jsonl_objects
from interview_bot.knowledge.models import CanonicalQuestion, SearchHit, normalize_question
from interview_bot.knowledge.repair import fix_mojibake

K = 5  # hits fetched per query; recall@1 and @3 and MRR are read from them


class SearchEvalError(LocatedError):
    """A search eval file that cannot be used, located by file and line."""


@dataclass(frozen=True)
class SearchCase:
    query: str
    question: str
    line: int
    fields: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def kind(self) -> str:
        return str(self.fields.get("kind") or "")


@dataclass(frozen=True)
class SearchResult:
    case: SearchCase
    expected_id: str
    found: list[SearchHit]

    @property
    def rank(self) -> int | None:
        """1-based place of the expected question among the hits, None if absent."""
        for place, hit in enumerate(self.found, start=1):
            if hit.question.id == self.expected_id:
                return place
        return None

    @property
    def expected(self) -> str:
        """The expected question as the bank shows it (repaired as the bank repairs it)."""
        return fix_mojibake(self.case.question)


@dataclass
class SearchReport:
    file: str
    results: list[SearchResult]
    seconds: float
    latencies_ms: list[float]

    def recall(self, at: int, results: list[SearchResult] | None = None) -> float:
        chosen = self.results if results is None else results
        hits = sum(1 for r in chosen if r.rank is not None and r.rank <= at)
        return hits / len(chosen) if chosen else 0.0

    def mrr(self, results: list[SearchResult] | None = None) -> float:
        chosen = self.results if results is None else results
        return sum(1 / r.rank for r in chosen if r.rank) / len(chosen) if chosen else 0.0

    def by_kind(self) -> dict[str, list[SearchResult]]:
        kinds: dict[str, list[SearchResult]] = {}
        for r in self.results:
            kinds.setdefault(r.case.kind or "-", []).append(r)
        return dict(sorted(kinds.items()))

    def misses(self, at: int = 1) -> list[SearchResult]:
        return [r for r in self.results if r.rank is None or r.rank > at]

    def percentile_ms(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(int(q * len(ordered)), len(ordered) - 1)] if ordered else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "n": len(self.results),
            "recall@1": round(self.recall(1), 4),
            "recall@3": round(self.recall(3), 4),
            "mrr": round(self.mrr(), 4),
            "p50_ms": round(self.percentile_ms(0.5), 1),
            "p95_ms": round(self.percentile_ms(0.95), 1),
            "kinds": {
                kind: {"n": len(rs), "recall@1": round(self.recall(1, rs), 4)}
                for kind, rs in self.by_kind().items()
            },
            "misses": [
                {
                    "query": r.case.query,
                    "expected": r.expected,
                    "rank": r.rank,
                    "got": r.found[0].question.question if r.found else None,
                }
                for r in self.misses()
            ],
        }


def load_search_cases(path: str | Path) -> list[SearchCase]:
    """Every case of a JSONL search eval file; errors name the file and line."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SearchEvalError(path, None, "no such file") from None
    except (UnicodeDecodeError, OSError) as exc:
        raise SearchEvalError(path, None, f"cannot read it: {exc}") from None
    cases = []
    for number, record in jsonl_objects(text, path, SearchEvalError):
        query, question = record.get("query"), record.get("question")
        if not isinstance(query, str) or not query.strip():
            raise SearchEvalError(path, number, "needs a non-empty string field 'query'")
        if not isinstance(question, str) or not question.strip():
            raise SearchEvalError(path, number, "needs a non-empty string field 'question'")
        rest = {k: v for k, v in record.items() if k not in ("query", "question")}
        cases.append(SearchCase(query.strip(), question.strip(), number, rest))
    if not cases:
        raise SearchEvalError(path, None, "no cases: expected JSONL lines with query and question")
    return cases


def _key(text: str) -> str:
    return normalize_question(fix_mojibake(text))


def resolve(
    cases: Iterable[SearchCase], questions: Iterable[CanonicalQuestion], source: str
) -> dict[int, str]:
    """Each case's expected question id, by line; an unknown question text is an error."""
    by_text: dict[str, str] = {}
    for q in questions:
        for text in [q.question, *q.variants]:
            by_text.setdefault(_key(text), q.id)
    expected = {}
    for case in cases:
        qid = by_text.get(_key(case.question))
        if qid is None:
            raise SearchEvalError(
                source, case.line, f"question {case.question[:80]!r} is in no bank question"
            )
        expected[case.line] = qid
    return expected


def run_search_eval(
    search: Callable[[str, int], list[SearchHit]],
    questions: Iterable[CanonicalQuestion],
    cases: list[SearchCase],
    *,
    file: str,
    k: int = K,
) -> SearchReport:
    """Search every case's query and place its expected question among the hits."""
    expected = resolve(cases, questions, file)
    results, latencies = [], []
    start = time.perf_counter()
    for case in cases:
        began = time.perf_counter()
        hits = search(case.query, k)
        latencies.append((time.perf_counter() - began) * 1000)
        results.append(SearchResult(case, expected[case.line], hits))
    return SearchReport(file, results, time.perf_counter() - start, latencies)
