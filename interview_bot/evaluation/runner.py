"""Eval runs: grade every case of a file and measure agreement with the human grades.

The same path as the app: a case with a ``reference`` is graded against it, one without
gets its reference from the bank by retrieval. A case that fails is recorded with its
error and left out of the metrics; it never stops the run. A case of the test split is graded
without the bank's graded examples: they are training answers, and a test question the bank
declares the same as a training one (``same_as``) would otherwise be graded with them.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from interview_bot.bot import InterviewBot
from interview_bot.evaluation.cases import EvalCase
from interview_bot.evaluation.metrics import Metrics, per_group, summarize
from interview_bot.grading.choice import GraderChoice
from interview_bot.grading.offline import OfflineGrader
from interview_bot.grading.result import Grade, GradingTarget

BATCH = 64
WORST = 10
WRONG = ("wrong", "fluent_wrong", "off_topic")  # answers that must score near 0
COMPLETE = ("complete",)
TEST_SPLIT = "test"  # questions no fitting saw: graded with no graded examples


class CaseResult(BaseModel):
    """One case as given, plus the grader's prediction on the case's own scale."""

    case: dict[str, Any]
    predicted: float | None = None
    grade: Grade | None = None
    error: str | None = None


class KindStats(BaseModel):
    """How one kind of answer (``complete``, ``fluent_wrong``, ...) was graded, on 0..5."""

    n: int
    human: float
    predicted: float


class EvalReport(BaseModel):
    file: str
    grader: str
    n_cases: int
    n_failed: int
    seconds: float
    cases_per_second: float
    metrics: Metrics
    groups: dict[str, Metrics]
    results: list[CaseResult]
    n_fallback: int = 0  # LLM grades that fell back to the offline grader
    n_unparsed: int = 0  # ... of which because the LLM gave no valid verdict
    n_disagree: int = 0  # LLM grades the offline grader disagrees with (second_opinion)
    median_grade_ms: float = 0.0

    def mean_of(self, kinds: tuple[str, ...]) -> float | None:
        """Mean predicted grade (0..5) over answers of these kinds, None when there are none."""
        found = [(s.n, s.predicted) for k, s in self.kinds.items() if k in kinds]
        total = sum(n for n, _ in found)
        return round(sum(n * p for n, p in found) / total, 2) if total else None

    @property
    def kinds(self) -> dict[str, KindStats]:
        """Mean human and predicted grade (rescaled to 0..5) per answer ``kind``, for cases
        that carry one: a grader that praises wrong answers shows here, whatever its r."""
        found: dict[str, list[tuple[float, float]]] = {}
        for r in self.results:
            kind = r.case.get("kind")
            if r.predicted is None or not isinstance(kind, str):
                continue
            scale = 5.0 / float(r.case.get("max_score") or 5.0)
            found.setdefault(kind, []).append((r.case["score"] * scale, r.predicted * scale))
        return {
            kind: KindStats(
                n=len(pairs),
                human=round(sum(h for h, _ in pairs) / len(pairs), 2),
                predicted=round(sum(p for _, p in pairs) / len(pairs), 2),
            )
            for kind, pairs in sorted(found.items())
        }

    def worst(self, count: int = WORST) -> list[CaseResult]:
        """The cases where the grader and the human disagree most."""
        scored = [r for r in self.results if r.predicted is not None]
        return sorted(scored, key=lambda r: -abs((r.predicted or 0.0) - r.case["score"]))[:count]

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "grader": self.grader,
            "n_cases": self.n_cases,
            "n_failed": self.n_failed,
            "seconds": round(self.seconds, 2),
            "cases_per_second": round(self.cases_per_second, 1),
            "n_fallback": self.n_fallback,
            "n_unparsed": self.n_unparsed,
            "n_disagree": self.n_disagree,
            "median_grade_ms": round(self.median_grade_ms, 1),
            "metrics": self.metrics.model_dump(),
            "groups": {k: v.model_dump() for k, v in self.groups.items()},
            "kinds": {k: v.model_dump() for k, v in self.kinds.items()},
            "cases": [r.case | {"predicted": r.predicted, "error": r.error} for r in self.results],
        }


def _targets(
    bot: InterviewBot, cases: Sequence[EvalCase], bank: str | None
) -> list[GradingTarget | Exception]:
    out: list[GradingTarget | Exception] = []
    for case in cases:
        try:
            target = bot.target(question=case.question, reference=case.reference, bank=bank)
            if (case.model_extra or {}).get("split") == TEST_SPLIT and target.examples:
                target = target.model_copy(update={"examples": []})
            out.append(target)
        except Exception as exc:  # recorded per case, never fatal
            out.append(exc)
    return out


def run_eval(
    bot: InterviewBot,
    cases: Sequence[EvalCase],
    *,
    file: str = "",
    grader: GraderChoice | str | None = None,
    bank: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> EvalReport:
    """Grade ``cases`` with the chosen grader (default: the bot's) and compare with their
    human scores."""
    grading = bot.grader(grader)
    started = time.perf_counter()
    targets = _targets(bot, cases, bank)
    results: list[CaseResult] = []
    batch = BATCH if isinstance(grading, OfflineGrader) else 1
    for start in range(0, len(cases), batch):
        chunk = list(zip(cases[start : start + batch], targets[start : start + batch], strict=True))
        ready = [(c, t) for c, t in chunk if isinstance(t, GradingTarget)]
        try:
            if isinstance(grading, OfflineGrader):
                grades = grading.grade_many([(t, c.answer) for c, t in ready])
            else:
                grades = [grading.grade(t, c.answer) for c, t in ready]
            graded = dict(zip((id(c) for c, _ in ready), grades, strict=True))
            failure: str | None = None
        except Exception as exc:  # a broken batch is recorded case by case
            graded, failure = {}, f"{type(exc).__name__}: {exc}"
        for case, target in chunk:
            record = case.model_dump()
            grade = graded.get(id(case))
            if isinstance(target, Exception):
                results.append(CaseResult(case=record, error=f"{type(target).__name__}: {target}"))
            elif grade is None:
                results.append(CaseResult(case=record, error=failure or "not graded"))
            elif not grade.graded:
                results.append(CaseResult(case=record, grade=grade, error="no reference found"))
            else:
                predicted = round(grade.score / grade.max_score * case.max_score, 3)
                results.append(CaseResult(case=record, predicted=predicted, grade=grade))
        if progress:
            progress(min(start + batch, len(cases)), len(cases))
    seconds = time.perf_counter() - started
    scored = [
        (r.predicted, r.case["score"], r.case.get("group"), r.case["max_score"])
        for r in results
        if r.predicted is not None
    ]
    max_score = max((s[3] for s in scored), default=5.0)
    predictions = [float(s[0] or 0.0) for s in scored]
    human = [float(s[1]) for s in scored]
    grades = [r.grade for r in results if r.grade is not None]
    fallbacks = [g.fallback_reason for g in grades if g.fallback_reason]
    return EvalReport(
        file=file,
        grader=grading.name,
        n_cases=len(cases),
        n_failed=sum(r.predicted is None for r in results),
        seconds=seconds,
        cases_per_second=len(cases) / seconds if seconds else 0.0,
        metrics=summarize(predictions, human, max_score),
        groups=per_group(predictions, human, [s[2] for s in scored], max_score) if scored else {},
        results=results,
        n_fallback=len(fallbacks),
        n_unparsed=sum("gave no valid verdict" in reason for reason in fallbacks),
        n_disagree=sum(g.second_opinion is not None for g in grades),
        median_grade_ms=statistics.median(g.elapsed_ms for g in grades) if grades else 0.0,
    )


def write_report(report: EvalReport, folder: Path) -> list[Path]:
    """report.md with the figures and a scatter plot, and grades.json with every case."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    scored = [r for r in report.results if r.predicted is not None]
    fig, ax = plt.subplots(figsize=(5, 5), dpi=100)
    ax.scatter(
        [r.case["score"] for r in scored], [r.predicted or 0.0 for r in scored], s=10, alpha=0.4
    )
    top = max([r.case["max_score"] for r in scored] or [5.0])
    ax.plot([0, top], [0, top], color="grey", linewidth=1)
    ax.set(
        xlabel="human grade",
        ylabel=f"predicted ({report.grader})",
        title=f"{Path(report.file).name}: r={report.metrics.pearson:.3f}",
        xlim=(-0.2, top + 0.2),
        ylim=(-0.2, top + 0.2),
    )
    scatter = folder / "scatter.png"
    fig.savefig(scatter, bbox_inches="tight")
    plt.close(fig)
    grades = folder / "grades.json"
    grades.write_text(
        json.dumps(
            [
                r.case
                | {
                    "predicted": r.predicted,
                    "error": r.error,
                    "grade": r.grade.model_dump() if r.grade else None,
                }
                for r in report.results
            ],
            indent=1,
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    markdown = folder / "report.md"
    markdown.write_text(render_markdown(report), encoding="utf-8")
    return [markdown, scatter, grades]


def render_markdown(report: EvalReport) -> str:
    m = report.metrics
    lines = [
        f"# Eval: {Path(report.file).name} with `{report.grader}`",
        "",
        f"{report.n_cases} cases, {report.n_failed} not scored, {report.seconds:.1f} s "
        f"({report.cases_per_second:.1f} cases/s, median {report.median_grade_ms:.0f} ms a grade).",
        "",
        f"LLM verdicts: {report.n_fallback} fell back to the offline grader "
        f"({report.n_unparsed} unparsed); {report.n_disagree} disagree with the offline grader "
        "by more than the second-opinion margin.",
        "",
        "| n | Pearson | Spearman | RMSE | MAE | QWK | within ±1 |",
        "|---|---|---|---|---|---|---|",
        f"| {m.n} | {m.pearson:.3f} | {m.spearman:.3f} | {m.rmse:.3f} | {m.mae:.3f} | {m.qwk:.3f} "
        f"| {m.within_1:.3f} |",
        "",
        "![predicted vs human](scatter.png)",
        "",
        "## Per group",
        "",
        "| group | n | Pearson | RMSE | within ±1 |",
        "|---|---|---|---|---|",
    ]
    for name, g in sorted(report.groups.items()):
        lines.append(f"| {name} | {g.n} | {g.pearson:.3f} | {g.rmse:.3f} | {g.within_1:.3f} |")
    if report.kinds:
        lines += ["", "## Per answer kind (mean grade, 0-5)", ""]
        lines += ["| kind | n | human | predicted |", "|---|---|---|---|"]
        lines += [
            f"| {k} | {s.n} | {s.human:.2f} | {s.predicted:.2f} |" for k, s in report.kinds.items()
        ]
    lines += [
        "",
        "## Largest disagreements",
        "",
        "| human | predicted | question | answer |",
        "|---|---|---|---|",
    ]
    for r in report.worst():
        answer = r.case["answer"].replace("|", "\\|").replace("\n", " ")[:120]
        question = r.case["question"].replace("|", "\\|")[:80]
        lines.append(f"| {r.case['score']} | {r.predicted} | {question} | {answer} |")
    failed = [r for r in report.results if r.error]
    if failed:
        lines += ["", "## Not scored", ""] + [
            f"- {r.case['question'][:80]}: {r.error}" for r in failed
        ]
    return "\n".join(lines) + "\n"
