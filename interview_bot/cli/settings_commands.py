"""``interview-bot settings``: the one settings table, as a table, Markdown or JSON."""

from __future__ import annotations

import typer
from rich.table import Table

from interview_bot.cli.app import app, console, print_json
from interview_bot.settings import SettingDoc, settings_table


def settings_markdown(rows: list[SettingDoc]) -> str:
    """The table as the README shows it."""
    lines = [
        "| setting | environment variable | default | what it does |",
        "|---|---|---|---|",
    ]
    lines += [f"| `{r.name}` | `{r.env}` | {_code(r.default)} | {r.help} |" for r in rows]
    return "\n".join(lines) + "\n"


def _code(default: str) -> str:
    """A literal default as code; a described one ("the bundled bank", "unset") as words."""
    return default if " " in default or default == "unset" else f"`{default}`"


@app.command("settings")
def settings(
    markdown: bool = typer.Option(False, "--markdown", help="Print the README's Markdown table."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Every setting: its name, environment variable, default and what it does."""
    rows = settings_table()
    if markdown:
        typer.echo(settings_markdown(rows), nl=False)
        return
    if as_json:
        print_json([row._asdict() for row in rows])
        return
    table = Table("setting", "environment variable", "default", "what it does")
    for row in rows:
        table.add_row(row.name, row.env, row.default, row.help)
    console.print(table)
