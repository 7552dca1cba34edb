"""The search eval: ``interview-bot eval-search FILE`` prints recall@1, recall@3 and MRR."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from interview_bot.bot import InterviewBot
from interview_bot.cli.app import (
    BankOption,
    ChromaOption,
    DataDirOption,
    app,
    console,
    friendly_errors,
    print_json,
)
from interview_bot.errors import InterviewBotError
from interview_bot.evaluation.search_eval import K, load_search_cases, run_search_eval
from interview_bot.settings import load_settings


@app.command("eval-search")
@friendly_errors
def eval_search(
    file: Path = typer.Argument(
        None, help="JSONL of query, question pairs (default: the bundled paraphrase set)."
    ),
    split: str = typer.Option(
        None, "--split", help="Only cases of this split (train: fitted on; test: reported)."
    ),
    misses: int = typer.Option(20, "--misses", min=0, help="How many misses to list."),
    as_json: bool = typer.Option(False, "--json", help="Print figures and misses as JSON."),
    bank: str = BankOption,
    data_dir: Path = DataDirOption,
    chroma_url: str = ChromaOption,
) -> None:
    """Search every query of FILE and measure whether its question comes first."""
    bot = InterviewBot(load_settings(data_dir=data_dir, chroma_url=chroma_url, bank=bank))
    path = file or bot.settings.datasets_dir / "search_paraphrases.jsonl"
    cases = load_search_cases(path)
    if split is not None:
        cases = [c for c in cases if c.fields.get("split") == split]
        if not cases:
            raise InterviewBotError(f"{path}: no case has split {split!r}")
    name = bot.ensure_bank()
    report = run_search_eval(
        lambda query, k: bot.search(query, k=k, bank=name),
        bot.questions(name),
        cases,
        file=str(path),
    )
    if as_json:
        print_json(report.as_json())
        return
    table = Table("set", "n", "recall@1", "recall@3", f"MRR@{K}", title=f"search: {path.name}")
    table.add_row(
        "all",
        str(len(report.results)),
        f"{report.recall(1):.3f}",
        f"{report.recall(3):.3f}",
        f"{report.mrr():.3f}",
    )
    for kind, results in report.by_kind().items():
        table.add_row(
            kind,
            str(len(results)),
            f"{report.recall(1, results):.3f}",
            f"{report.recall(3, results):.3f}",
            f"{report.mrr(results):.3f}",
        )
    console.print(table)
    console.print(
        f"search p50 {report.percentile_ms(0.5):.1f} ms, p95 {report.percentile_ms(0.95):.1f} ms"
    )
    missed = Table("rank", "query", "expected", "first hit", title="misses at 1")
    for r in report.misses()[:misses]:
        got = r.found[0].question.question if r.found else "-"
        missed.add_row(str(r.rank or "-"), r.case.query, r.expected, got)
    if misses and report.misses():
        console.print(missed)
