"""Eval cases: graded answers read from JSONL or CSV files, validated where they enter.

A case is a question, a candidate's answer, the human grade and optionally a reference
answer and a group (for per-group figures). Any other field a file carries (an id, a
second grader's score, a ``kind`` label) is kept untouched on the case.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    FiniteFloat,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from interview_bot.errors import LocatedError

REQUIRED_FIELDS = ("question", "answer", "score")
"""Fields every case must have; ``answer`` may be an empty string."""

_OPTIONAL_FIELDS = frozenset({"reference", "max_score", "group"})


class EvalFileError(LocatedError):
    """An eval case file that cannot be used, located by file and line."""


def _number(value: object) -> object:
    """Numbers pass, numeric strings (CSV cells) are converted, booleans are refused."""
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {str(value).lower()}")
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            raise ValueError(f"expected a number, got {value!r}") from None
    return value


Number = Annotated[FiniteFloat, BeforeValidator(_number)]


class EvalCase(BaseModel):
    """One graded answer; ``score`` is the human grade on ``0..max_score``."""

    model_config = ConfigDict(extra="allow")

    question: str
    answer: str
    score: Number
    reference: str | None = None
    max_score: Annotated[Number, Field(gt=0)] = 5.0
    group: str | None = None

    @field_validator("question")
    @classmethod
    def _question_has_text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("question is empty")
        return value

    @field_validator("reference", "group")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value if value is not None and value.strip() else None

    @model_validator(mode="after")
    def _score_in_range(self) -> EvalCase:
        if not 0 <= self.score <= self.max_score:
            raise ValueError(f"score {self.score:g} is outside [0, {self.max_score:g}]")
        return self


def load_cases(path: str | Path) -> list[EvalCase]:
    """Every case in a JSONL or CSV file; the format is told by the first non-space character.

    Raises :class:`EvalFileError` naming the file and line of the first problem.
    """
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise EvalFileError(path, None, "no such file") from None
    except UnicodeDecodeError as exc:
        raise EvalFileError(path, None, f"not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise EvalFileError(path, None, exc.strerror or str(exc)) from None
    return parse_cases(text, source=str(path))


def parse_cases(text: str, source: str = "<text>") -> list[EvalCase]:
    """Cases from file contents: JSONL when the first non-space character is ``{``, else CSV."""
    start = text.lstrip()
    if not start:
        raise EvalFileError(source, None, "empty file: expected JSONL or CSV eval cases")
    first_line = text[: len(text) - len(start)].count("\n") + 1
    if start[0] == "[":
        raise EvalFileError(
            source, first_line, "a JSON array is not supported: write one JSON object per line"
        )
    cases = _parse_jsonl(text, source) if start[0] == "{" else _parse_csv(text, source)
    if not cases:
        raise EvalFileError(source, None, "no eval cases, only a CSV header")
    return cases


def jsonl_objects(
    text: str, source: str | Path, error: type[LocatedError]
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each non-blank line of a JSONL file as (line number, object); a line that is not a
    JSON object raises ``error`` naming the file and line."""
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise error(source, number, f"invalid JSON at column {exc.colno}: {exc.msg}") from None
        if not isinstance(record, dict):
            raise error(source, number, f"expected a JSON object, got {type(record).__name__}")
        yield number, record


def _parse_jsonl(text: str, source: str) -> list[EvalCase]:
    return [
        _validate(record, source, number)
        for number, record in jsonl_objects(text, source, EvalFileError)
    ]


def _parse_csv(text: str, source: str) -> list[EvalCase]:
    reader = csv.reader(io.StringIO(text))
    try:
        header = [name.strip() for name in next(reader)]
        header_line = reader.line_num
        _check_header(header, source, header_line)
        cases = []
        previous = header_line
        for row in reader:
            number, previous = previous + 1, reader.line_num
            if not row:
                continue
            if len(row) != len(header):
                raise EvalFileError(
                    source,
                    number,
                    f"expected {len(header)} cells as in the header, found {len(row)}",
                )
            cases.append(_validate(_csv_record(header, row), source, number))
    except csv.Error as exc:
        raise EvalFileError(source, reader.line_num, f"malformed CSV: {exc}") from None
    return cases


def _check_header(header: list[str], source: str, line: int) -> None:
    missing = [name for name in REQUIRED_FIELDS if name not in header]
    if missing:
        raise EvalFileError(
            source,
            line,
            f"CSV header lacks column(s) {', '.join(missing)} (found: {', '.join(header)}); "
            "a JSONL file must start with '{'",
        )
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        raise EvalFileError(source, line, f"CSV header repeats column(s) {', '.join(duplicated)}")


def _csv_record(header: list[str], row: list[str]) -> dict[str, Any]:
    """A CSV row as a record: empty cells of optional fields and of ``score`` count as absent."""
    return {
        name: cell
        for name, cell in zip(header, row, strict=True)
        if cell.strip() or name not in _OPTIONAL_FIELDS | {"score"}
    }


def _validate(record: dict[str, Any], source: str, line: int) -> EvalCase:
    try:
        return EvalCase.model_validate(record)
    except ValidationError as exc:
        raise EvalFileError(source, line, _describe(exc.errors()[0])) from None


def _describe(error: ErrorDetails) -> str:
    field = ".".join(str(part) for part in error["loc"])
    if error["type"] == "missing":
        return f"missing required field '{field}'"
    message = error["msg"]
    if error["type"] == "value_error":
        message = str(error.get("ctx", {}).get("error", message))
    return f"{field}: {message}" if field else message
