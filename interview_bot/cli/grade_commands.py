"""Commands that grade: grade one answer, eval a file of graded answers, eval-all."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.panel import Panel
from rich.progress import Progress
from rich.table import Table

from interview_bot.bot import InterviewBot
from interview_bot.cli.answers import argument_text, read_answer
from interview_bot.cli.app import (
    BankOption,
    ChromaOption,
    DataDirOption,
    app,
    console,
    err_console,
    friendly_errors,
    print_json,
)
from interview_bot.cli.render import grade_card
from interview_bot.errors import InterviewBotError
from interview_bot.evaluation.cases import load_cases
from interview_bot.evaluation.runner import (
    COMPLETE,
    WRONG,
    EvalReport,
    run_eval,
    write_report,
)
from interview_bot.settings import load_settings

LlmOption = typer.Option(
    None,
    "--llm",
    help="Grader: offline (default), openai:MODEL, ollama:MODEL or llamacpp:/path/model.gguf.",
)
BaseUrlOption = typer.Option(None, "--base-url", help="OpenAI-compatible or Ollama server URL.")
# The bundled eval sets, with the split to run: interview answers on their test split only
# (questions the grader was never fitted on).
DATASETS: tuple[tuple[str, str | None], ...] = (
    ("interview_bank.jsonl", "test"),
    ("interview_ml.jsonl", "test"),
    ("seed_domain.jsonl", None),
    ("adversarial.jsonl", None),
    ("mohler2011.jsonl", None),
)


@app.command()
@friendly_errors
def grade(
    question: str = typer.Option(None, "--question", "-q", help="The interview question."),
    answer: str = typer.Option(
        None, "--answer", "-a", help="The candidate's answer; '-' reads it from standard input."
    ),
    answer_file: Path = typer.Option(
        None, "--answer-file", help="Read the answer from this file (any length up to 4 MB)."
    ),
    reference: str = typer.Option(
        None, "--reference", "-r", help="Grade against this reference instead of the bank's."
    ),
    question_id: str = typer.Option(None, "--id", help="A bank question id."),
    llm: str = LlmOption,
    base_url: str = BaseUrlOption,
    as_json: bool = typer.Option(False, "--json", help="Print the Grade as JSON."),
    show_reference: bool = typer.Option(False, "--show-reference", help="Print the reference too."),
    bank: str = BankOption,
    data_dir: Path = DataDirOption,
    chroma_url: str = ChromaOption,
) -> None:
    """Grade one answer against the rubric (reference from the bank unless given)."""
    text = read_answer(answer, answer_file)
    bot = InterviewBot(
        load_settings(
            data_dir=data_dir, chroma_url=chroma_url, bank=bank, llm=llm, base_url=base_url
        )
    )
    result = bot.grade(
        text,
        question=argument_text(question),
        question_id=question_id,
        reference=argument_text(reference),
    )
    if as_json:
        print_json(result.model_dump(mode="json"))
        return
    console.print(Panel(grade_card(result, reference=show_reference), title=result.question))


def _table(reports: list[EvalReport]) -> Table:
    table = Table(
        "dataset",
        "grader",
        "n",
        "Pearson",
        "Spearman",
        "RMSE",
        "MAE",
        "QWK",
        "within ±1",
        "wrong",
        "complete",
        "cases/s",
        "failed",
        caption="wrong, complete: mean grade (0-5) of wrong, fluent-wrong and off-topic "
        "answers, and of complete ones, where the set labels kinds",
    )
    for r in reports:
        m = r.metrics
        wrong, complete = r.mean_of(WRONG), r.mean_of(COMPLETE)
        table.add_row(
            Path(r.file).name,
            r.grader,
            str(m.n),
            f"{m.pearson:.3f}",
            f"{m.spearman:.3f}",
            f"{m.rmse:.3f}",
            f"{m.mae:.3f}",
            f"{m.qwk:.3f}",
            f"{m.within_1:.3f}",
            "-" if wrong is None else f"{wrong:.2f}",
            "-" if complete is None else f"{complete:.2f}",
            f"{r.cases_per_second:.1f}",
            str(r.n_failed),
        )
    return table


def _run(bot: InterviewBot, path: Path, split: str | None = None) -> EvalReport:
    """One eval file with the bot's configured grader, with a progress bar; ``split`` keeps
    only the cases of that split (``test``: questions no fitting has seen)."""
    cases = load_cases(path)
    if split:
        cases = [c for c in cases if (c.model_extra or {}).get("split") == split]
        if not cases:
            raise InterviewBotError(f"{path}: no case has split {split!r}")
    with Progress(console=err_console, transient=True) as bar:
        task = bar.add_task(path.name, total=len(cases))
        return run_eval(
            bot,
            cases,
            file=str(path),
            progress=lambda done, _total: bar.update(task, completed=done),
        )


@app.command("eval")
@friendly_errors
def eval_file(
    file: Path = typer.Argument(..., help="JSONL or CSV of question, answer, score cases."),
    llm: str = LlmOption,
    base_url: str = BaseUrlOption,
    as_json: bool = typer.Option(False, "--json", help="Print metrics and every case as JSON."),
    report: Path = typer.Option(
        None, "--report", help="Write report.md, scatter.png and grades.json into this folder."
    ),
    split: str = typer.Option(
        None, "--split", help="Only cases of this split (e.g. test: questions never fitted)."
    ),
    bank: str = BankOption,
    data_dir: Path = DataDirOption,
    chroma_url: str = ChromaOption,
) -> None:
    """Grade every case of FILE and measure agreement with its human grades."""
    bot = InterviewBot(
        load_settings(
            data_dir=data_dir, chroma_url=chroma_url, bank=bank, llm=llm, base_url=base_url
        )
    )
    result = _run(bot, file, split)
    if report is not None:
        written = write_report(result, report)
        err_console.print("wrote " + ", ".join(str(p) for p in written))
    if as_json:
        print_json(result.as_json())
        return
    console.print(_table([result]))
    if result.grader != "offline":
        console.print(
            f"LLM verdicts: {result.n_fallback} fell back to the offline grader "
            f"({result.n_unparsed} unparsed), {result.n_disagree} disagree with it by more "
            f"than the margin; median {result.median_grade_ms / 1000:.1f} s a grade"
        )
    if result.kinds:
        kinds = Table("kind", "n", "human", "predicted", title="mean grade per answer kind (0-5)")
        for kind, s in result.kinds.items():
            kinds.add_row(kind, str(s.n), f"{s.human:.2f}", f"{s.predicted:.2f}")
        console.print(kinds)
    worst = Table("human", "predicted", "question", "answer", title="largest disagreements")
    for r in result.worst(5):
        worst.add_row(
            str(r.case["score"]), str(r.predicted), r.case["question"][:50], r.case["answer"][:70]
        )
    console.print(worst)
    failed = [r for r in result.results if r.error]
    if failed:
        console.print(f"[yellow]{len(failed)} case(s) not scored[/], e.g. {failed[0].error}")


@app.command("eval-all")
@friendly_errors
def eval_all(
    llm: str = LlmOption,
    base_url: str = BaseUrlOption,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    data_dir: Path = DataDirOption,
) -> None:
    """Run the bundled eval sets (Mohler 2011, seed domain, adversarial) and print the table."""
    bot = InterviewBot(load_settings(data_dir=data_dir, llm=llm, base_url=base_url))
    folder = bot.settings.datasets_dir
    reports = [_run(bot, folder / name, split) for name, split in DATASETS]
    if as_json:
        print_json([{k: v for k, v in r.as_json().items() if k != "cases"} for r in reports])
        return
    console.print(_table(reports))
