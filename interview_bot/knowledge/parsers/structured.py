"""Data-file banks: JSON (an object of question -> answer, or a list of records), JSONL,
CSV with a header, and YAML (a list of records or ``questions:`` holding one).

A record has ``question`` and ``answer`` (or ``short_answer`` / ``explanation``), and
optionally ``topic``, ``difficulty`` and ``id``. Every problem is reported at its line.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import yaml

from interview_bot.errors import BankError, BankErrors
from interview_bot.knowledge.parsers.base import RawQuestion

JSON, JSONL, CSV, YAML = "json", "jsonl", "csv", "yaml"
_FIELDS = {"question", "answer", "short_answer", "explanation", "topic", "difficulty", "id"}


def detect(text: str) -> str | None:
    """Which data format ``text`` is in, judged by content, or None."""
    stripped = text.lstrip()
    lines = [line for line in text.split("\n") if line.strip()]
    if stripped.startswith(("{", "[")):
        if len(lines) > 1 and all(line.lstrip().startswith("{") for line in lines):
            try:
                json.loads(lines[0])
                return JSONL
            except json.JSONDecodeError:
                pass
        return JSON
    first = lines[0] if lines else ""
    if re.match(r"^\s*(-\s+)?questions?\s*:", first) or first.strip() == "---":
        return YAML
    try:  # a header is short; a long or odd first line is simply not one
        header = {cell.strip().lower() for cell in next(csv.reader([first[:4096]]), [])}
    except csv.Error:
        return None
    if "question" in header and len(header) > 1:
        return CSV
    return None


def _string(value: Any, field: str, path: str, line: int) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise BankError(path, line, f"expected a string for {field!r}, got {type(value).__name__}")
    return str(value)


def _record(item: Any, path: str, line: int) -> RawQuestion:
    if not isinstance(item, dict):
        raise BankError(path, line, f"expected a record with 'question', got {type(item).__name__}")
    fields = {str(k).strip().lower(): v for k, v in item.items()}
    unknown = sorted(set(fields) - _FIELDS)
    if unknown:
        raise BankError(
            path,
            line,
            f"unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(_FIELDS))}",
        )
    question = _string(fields.get("question"), "question", path, line)
    if not question or not question.strip():
        raise BankError(path, line, "question has no text")
    explanation = _string(fields.get("explanation"), "explanation", path, line)
    answer = _string(fields.get("answer"), "answer", path, line)
    return RawQuestion(
        line=line,
        question=question,
        short_answer=_string(fields.get("short_answer"), "short_answer", path, line),
        explanation="\n\n".join(p for p in (answer, explanation) if p) or None,
        topic=_string(fields.get("topic"), "topic", path, line),
        difficulty=_string(fields.get("difficulty"), "difficulty", path, line),
        id=_string(fields.get("id"), "id", path, line) or None,
    )


class _Collector:
    """Records of one file, with every bad one reported rather than only the first."""

    def __init__(self) -> None:
        self.records: list[RawQuestion] = []
        self.errors: list[BankError] = []

    def record(self, item: Any, path: str, line: int) -> None:
        try:
            self.records.append(_record(item, path, line))
        except BankError as exc:
            self.errors.append(exc)

    def fail(self, error: BankError) -> None:
        self.errors.append(error)

    def result(self) -> list[RawQuestion]:
        if self.errors:
            raise self.errors[0] if len(self.errors) == 1 else BankErrors(self.errors)
        return self.records


def _line_of(text: str, needle: str, start: int) -> tuple[int, int]:
    """1-based line of ``needle`` at or after offset ``start`` (and the offset found)."""
    at = text.find(needle, start)
    if at < 0:
        return 1, start
    return text.count("\n", 0, at) + 1, at + 1


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"duplicate key {key!r}")
        seen[key] = value
    return seen


def _parse_json(text: str, path: str) -> list[RawQuestion]:
    try:
        data = json.loads(text, object_pairs_hook=_reject_duplicate_keys)
    except RecursionError:
        raise BankError(path, 1, "JSON nested too deeply to be a question bank") from None
    except json.JSONDecodeError as exc:
        raise BankError(path, exc.lineno, f"invalid JSON: {exc.msg} (column {exc.colno})") from None
    except ValueError as exc:
        key = str(exc).split("'", 1)[-1].rsplit("'", 1)[0]
        first, after = _line_of(text, json.dumps(key, ensure_ascii=False), 0)
        line, _ = _line_of(text, json.dumps(key, ensure_ascii=False), after)
        raise BankError(path, line, f"duplicate question {key!r} (first at line {first})") from None
    out: list[RawQuestion] = []
    offset = 0
    if isinstance(data, dict) and "question" in {str(k).strip().lower() for k in data}:
        data = [data]  # a single record, e.g. a one-line JSONL file
    if isinstance(data, dict) and all(isinstance(v, str | None) for v in data.values()):
        for question, answer in data.items():
            line, offset = _line_of(text, json.dumps(question, ensure_ascii=False)[:-1], offset)
            if not question.strip():
                raise BankError(path, line, "question has no text")
            out.append(RawQuestion(line=line, question=question, explanation=answer))
        return out
    if isinstance(data, dict) and isinstance(data.get("questions"), list):
        data = data["questions"]
    if not isinstance(data, list):
        raise BankError(path, 1, "expected an object of question -> answer, or a list of records")
    records = _Collector()
    for item in data:
        question = item.get("question") if isinstance(item, dict) else None
        if isinstance(question, str) and question:
            line, offset = _line_of(text, json.dumps(question, ensure_ascii=False)[:-1], offset)
        else:
            line, offset = _line_of(text, "{", offset)
        records.record(item, path, line)
    return records.result()


def _parse_jsonl(text: str, path: str) -> list[RawQuestion]:
    out = _Collector()
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            out.fail(BankError(path, number, f"invalid JSON: {exc.msg} (column {exc.colno})"))
            continue
        out.record(item, path, number)
    return out.result()


def _parse_csv(text: str, path: str) -> list[RawQuestion]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    out = _Collector()
    try:
        header = [cell.strip().lower() for cell in next(reader)]
        line = reader.line_num + 1
        for row in reader:
            if any(cell.strip() for cell in row):
                if len(row) != len(header):
                    out.fail(
                        BankError(path, line, f"expected {len(header)} columns, found {len(row)}")
                    )
                else:
                    out.record(
                        {k: (v if v.strip() else None) for k, v in zip(header, row, strict=True)},
                        path,
                        line,
                    )
            line = reader.line_num + 1
    except csv.Error as exc:
        out.fail(BankError(path, reader.line_num, f"invalid CSV: {exc}"))
    return out.result()


def _parse_yaml(text: str, path: str) -> list[RawQuestion]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise BankError(path, line, f"invalid YAML: {problem}") from None
    if isinstance(data, dict) and isinstance(data.get("questions"), list):
        data = data["questions"]
        assert isinstance(root, yaml.MappingNode)
        root = next(v for k, v in root.value if k.value == "questions")
    if not isinstance(data, list) or not isinstance(root, yaml.SequenceNode):
        raise BankError(path, 1, "expected a list of records with 'question' and 'answer'")
    out = _Collector()
    for item, node in zip(data, root.value, strict=True):
        out.record(item, path, node.start_mark.line + 1)
    return out.result()


def parse(text: str, path: str, kind: str) -> list[RawQuestion]:
    parsers = {JSON: _parse_json, JSONL: _parse_jsonl, CSV: _parse_csv, YAML: _parse_yaml}
    return parsers[kind](text, path)
