"""Commands about question banks: ingest, bank stats, bank validate, bank keypoints, search."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from interview_bot.bot import InterviewBot
from interview_bot.cli.app import (
    BankOption,
    ChromaOption,
    DataDirOption,
    PathsArgument,
    ProgressBar,
    app,
    as_paths,
    console,
    friendly_errors,
    print_json,
)
from interview_bot.errors import StoreError
from interview_bot.knowledge.bank import build_bank, parse_files
from interview_bot.knowledge.borrowing import borrowed_from
from interview_bot.knowledge.ingest_lock import DEFAULT_WAIT
from interview_bot.settings import load_settings

bank_app = typer.Typer(
    help="Inspect and check bank files without touching the store.", no_args_is_help=True
)
app.add_typer(bank_app, name="bank")


@app.command()
@friendly_errors
def ingest(
    paths: list[Path] = PathsArgument,
    bank: str = BankOption,
    force: bool = typer.Option(False, "--force", help="Rebuild even if no file changed."),
    wait: float = typer.Option(
        DEFAULT_WAIT,
        "--wait",
        min=0,
        help="Seconds to wait for another ingest of the same data folder (0: fail at once).",
    ),
    data_dir: Path = DataDirOption,
    chroma_url: str = ChromaOption,
) -> None:
    """Parse, repair, merge and embed bank files into a Chroma collection.

    The bank in use stays whole until the new build is complete, also with --force.
    """
    bot = InterviewBot(load_settings(data_dir=data_dir, chroma_url=chroma_url, bank=bank))
    with ProgressBar() as progress:
        report = bot.ingest(as_paths(paths), progress=progress, force=force, wait=wait)
    state = (
        "unchanged, nothing embedded"
        if report.unchanged
        else (f"{report.embedded_texts} texts embedded")
    )
    console.print(
        f"bank [bold]{report.bank}[/]: {report.questions} questions "
        f"({len(report.manifest.needing_reference)} need a reference), {state}, "
        f"{report.seconds:.1f} s"
    )


@bank_app.command("validate")
@friendly_errors
def validate(
    paths: list[Path] = typer.Argument(..., help="Bank files or folders.", show_default=False),
) -> None:
    """Check bank files: exit 0, or exit 2 with file:line: message lines."""
    settings = load_settings()
    for parsed in parse_files(paths, settings.max_upload_bytes):
        console.print(
            f"ok: {parsed.path}: {len(parsed.questions)} questions, "
            f"{parsed.answered} answered ({parsed.format})",
            markup=False,
            highlight=False,
        )


@bank_app.command("stats")
@friendly_errors
def stats(
    paths: list[Path] = PathsArgument,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    data_dir: Path = DataDirOption,
) -> None:
    """Per file: sha256, questions, answered; merged duplicates; questions needing a reference."""
    from interview_bot.knowledge.embeddings import get_embedder

    settings = load_settings(data_dir=data_dir)
    built = build_bank(
        as_paths(paths) or [settings.knowledge_dir],
        get_embedder(settings.data_dir),
        max_bytes=settings.max_upload_bytes,
    )
    files = [f.model_dump() for f in built.file_stats()]
    data = {
        "files": files,
        "totals": {
            "files": len(files),
            "questions": sum(f["questions"] for f in files),
            "answered": sum(f["answered"] for f in files),
            "canonical": len(built.questions),
            "merged_groups": len(built.merges),
            "with_borrowed_reference": sum(
                1
                for q in built.questions
                if q.references and all(r.retrieved for r in q.references)
            ),
            "needing_reference": len(built.needing_reference),
        },
        "merges": [m.model_dump(mode="json") for m in built.merges],
        "borrowed_references": [
            {
                "id": q.id,
                "question": q.question,
                "from": [
                    {"question": r.question, "similarity": r.similarity} for r in q.references
                ],
            }
            for q in built.questions
            if q.references and all(r.retrieved for r in q.references)
        ],
        "needing_reference": [
            {"id": q.id, "question": q.question, "source": str(q.sources[0])}
            for q in built.needing_reference
        ],
    }
    if as_json:
        print_json(data)
        return
    table = Table("file", "format", "questions", "answered", "sha256")
    for f in files:
        table.add_row(
            f["path"], f["format"], str(f["questions"]), str(f["answered"]), f["sha256"][:12]
        )
    console.print(table)
    console.print(data["totals"])
    for merge in built.merges:
        console.print(f"[bold]merged[/] {merge.canonical_question}")
        for member in merge.members:
            how = " declared same" if member.declared else ""
            console.print(f"   {member.similarity:.3f}{how}  {member.question}  ({member.source})")
    for q in built.needing_reference:
        console.print(f"[yellow]needs a reference[/] {q.question} ({q.sources[0]})")


@bank_app.command("keypoints")
@friendly_errors
def keypoints(
    question: str = typer.Argument(
        None, help="Only questions whose id or any wording contains this.", show_default=False
    ),
    bank: str = BankOption,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    data_dir: Path = DataDirOption,
    chroma_url: str = ChromaOption,
) -> None:
    """The key points of the bank's questions, most important first, for audit; a borrowed
    reference names the question it comes from."""
    bot = InterviewBot(load_settings(data_dir=data_dir, chroma_url=chroma_url, bank=bank))
    wanted = (question or "").strip().lower()
    found = [
        q
        for q in bot.questions()
        if not wanted
        or wanted in q.id.lower()
        or any(wanted in text.lower() for text in [q.question, *q.variants])
    ]
    if not found:
        name = bank or bot.settings.bank
        raise StoreError(f"no question of bank {name!r} matches {question!r} (by wording or id)")
    if as_json:
        print_json(
            [
                {
                    "id": q.id,
                    "question": q.question,
                    "topic": q.topic,
                    "borrowed_from": borrowed_from(q),
                    "key_points": q.key_points,
                }
                for q in found
            ]
        )
        return
    for q in found:
        console.print(f"[bold]{escape(q.question)}[/] [dim]({q.id}, {escape(q.topic or '')})[/]")
        donors = borrowed_from(q)
        if donors:
            console.print(f"   [dim]reference borrowed from: {escape('; '.join(donors))}[/]")
        if not q.key_points:
            console.print("   [yellow]no key points (no reference)[/]")
        for number, point in enumerate(q.key_points, 1):
            console.print(f"   {number}. {escape(point)}", highlight=False)


@app.command()
@friendly_errors
def search(
    query: str = typer.Argument(..., help="A question in your own words."),
    k: int = typer.Option(5, "--k", min=1, max=50, help="How many questions to return."),
    bank: str = BankOption,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    data_dir: Path = DataDirOption,
    chroma_url: str = ChromaOption,
) -> None:
    """The closest canonical questions, with their reference answers and similarity."""
    bot = InterviewBot(load_settings(data_dir=data_dir, chroma_url=chroma_url, bank=bank))
    hits = bot.search(query, k=k)
    if as_json:
        print_json(
            [
                {
                    "id": h.question.id,
                    "question": h.question.question,
                    "similarity": h.similarity,
                    "topic": h.question.topic,
                    "reference": h.question.reference_text,
                    "key_points": h.question.key_points,
                }
                for h in hits
            ]
        )
        return
    for hit in hits:
        console.print(
            f"[bold]{hit.similarity:.3f}[/] {hit.question.question} [dim]({hit.question.topic})[/]"
        )
