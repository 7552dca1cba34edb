"""Data-file banks: JSON (an object of question -> answer, or a list of records), JSONL,
CSV with a header, and YAML (a list of records or ``questions:`` holding one).

The fields of a record are read by :mod:`interview_bot.knowledge.parsers.records`. Every
problem is reported at its line.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from typing import Any

import yaml

from interview_bot.errors import BankError
from interview_bot.knowledge.limits import MAX_DEPTH, MAX_INT_DIGITS
from interview_bot.knowledge.parsers.base import RawQuestion
from interview_bot.knowledge.parsers.records import Collector, Unusable, string_field

JSON, JSONL, CSV, YAML = "json", "jsonl", "csv", "yaml"


def _yaml_start(line: str) -> bool:
    """The first line of a YAML bank: ``---``, ``questions:`` or ``- question:``."""
    return line.strip() == "---" or bool(re.match(r"^\s*(-\s+)?questions?\s*:", line))


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
    if _yaml_start(first):
        return YAML
    # "# ..." opens a Markdown heading as well as a YAML comment: comments count only when
    # the first line after them starts a YAML bank
    body = next((line for line in lines if not line.lstrip().startswith("#")), "")
    if first.lstrip().startswith("#") and _yaml_start(body):
        return YAML
    try:  # a header is short; a long or odd first line is simply not one
        header = {cell.strip().lower() for cell in next(csv.reader([first[:4096]]), [])}
    except csv.Error:
        return None
    if "question" in header and len(header) > 1:
        return CSV
    return None


def _number(text: str) -> int | Unusable:
    digits = len(text.lstrip("+-").replace("_", ""))
    if digits > MAX_INT_DIGITS:
        return Unusable(f"a number with {digits:,} digits (the limit is {MAX_INT_DIGITS})")
    return int(text)


def _float(value: float) -> float | Unusable:
    if math.isfinite(value):
        return value
    return Unusable("NaN" if math.isnan(value) else "an infinite number")


def _line_of(text: str, needle: str, start: int) -> tuple[int, int]:
    """1-based line of ``needle`` at or after offset ``start`` (and the offset found)."""
    at = text.find(needle, start)
    if at < 0:
        return 1, start
    return text.count("\n", 0, at) + 1, at + 1


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(f"duplicate key {key!r}")
        self.key = key


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _DuplicateKey(key)
        seen[key] = value
    return seen


_JSON_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|[\[\]{}]')


def _check_json_depth(text: str, path: str) -> None:
    """Refuse JSON nested deeper than MAX_DEPTH, at the line where it goes too deep."""
    depth = 0
    for token in _JSON_TOKEN.finditer(text):
        char = token.group()
        if char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                line = text.count("\n", 0, token.start()) + 1
                raise BankError(
                    path, line, f"nested more than {MAX_DEPTH} deep; a bank is a flat list"
                )
        elif char in "]}":
            depth = max(depth - 1, 0)


def _load_json(text: str) -> Any:
    return json.loads(
        text,
        object_pairs_hook=_reject_duplicate_keys,
        parse_int=_number,
        parse_float=lambda s: _float(float(s)),
        parse_constant=Unusable,
    )


def _parse_json(text: str, path: str) -> list[RawQuestion]:
    _check_json_depth(text, path)
    try:
        data = _load_json(text)
    except RecursionError:
        raise BankError(path, 1, "JSON nested too deeply to be a question bank") from None
    except json.JSONDecodeError as exc:
        raise BankError(path, exc.lineno, f"invalid JSON: {exc.msg} (column {exc.colno})") from None
    except _DuplicateKey as exc:
        key = exc.key
        first, after = _line_of(text, json.dumps(key, ensure_ascii=False), 0)
        line, _ = _line_of(text, json.dumps(key, ensure_ascii=False), after)
        raise BankError(path, line, f"duplicate question {key!r} (first at line {first})") from None
    out: list[RawQuestion] = []
    offset = 0
    if isinstance(data, dict) and "question" in {str(k).strip().lower() for k in data}:
        data = [data]  # a single record, e.g. a one-line JSONL file
    if isinstance(data, dict) and all(isinstance(v, str | None | Unusable) for v in data.values()):
        for question, answer in data.items():
            line, offset = _line_of(text, json.dumps(question, ensure_ascii=False)[:-1], offset)
            if not question.strip():
                raise BankError(path, line, "question has no text")
            explanation = string_field(answer, "answer", path, line)
            out.append(RawQuestion(line=line, question=question, explanation=explanation))
        return out
    if isinstance(data, dict) and isinstance(data.get("questions"), list):
        data = data["questions"]
    if not isinstance(data, list):
        raise BankError(path, 1, "expected an object of question -> answer, or a list of records")
    records = Collector()
    for item in data:
        question = item.get("question") if isinstance(item, dict) else None
        if isinstance(question, str) and question:
            line, offset = _line_of(text, json.dumps(question, ensure_ascii=False)[:-1], offset)
        else:
            line, offset = _line_of(text, "{", offset)
        records.record(item, path, line)
    return records.result()


def _parse_jsonl(text: str, path: str) -> list[RawQuestion]:
    _check_json_depth(text, path)
    out = Collector()
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            item = _load_json(line)
        except _DuplicateKey as exc:
            out.fail(BankError(path, number, f"duplicate field {exc.key!r}"))
            continue
        except json.JSONDecodeError as exc:
            out.fail(BankError(path, number, f"invalid JSON: {exc.msg} (column {exc.colno})"))
            continue
        out.record(item, path, number)
    return out.result()


def _parse_csv(text: str, path: str) -> list[RawQuestion]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    out = Collector()
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


class _BankLoader(yaml.SafeLoader):
    """YAML's safe loader, with NaN, infinities and huge integers kept as :class:`Unusable`."""

    def construct_bounded_int(self, node: yaml.ScalarNode) -> int | Unusable:
        text = str(self.construct_scalar(node))
        digits = sum(c.isalnum() for c in text)
        if digits > MAX_INT_DIGITS:
            return Unusable(f"a number with {digits:,} digits (the limit is {MAX_INT_DIGITS})")
        return int(self.construct_yaml_int(node))

    def construct_finite_float(self, node: yaml.ScalarNode) -> float | Unusable:
        return _float(float(self.construct_yaml_float(node)))


_BankLoader.add_constructor("tag:yaml.org,2002:int", _BankLoader.construct_bounded_int)
_BankLoader.add_constructor("tag:yaml.org,2002:float", _BankLoader.construct_finite_float)


def _check_yaml_depth(text: str, path: str) -> None:
    """Refuse YAML nested deeper than MAX_DEPTH; PyYAML's event parser is not recursive,
    its composer is, so this runs first."""
    depth = 0
    for event in yaml.parse(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                line = event.start_mark.line + 1 if event.start_mark else 1
                raise BankError(
                    path, line, f"nested more than {MAX_DEPTH} deep; a bank is a flat list"
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _parse_yaml(text: str, path: str) -> list[RawQuestion]:
    try:
        _check_yaml_depth(text, path)
        loader = _BankLoader(text)
        try:
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
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
    out = Collector()
    for item, node in zip(data, root.value, strict=True):
        out.record(item, path, node.start_mark.line + 1)
    return out.result()


def parse(text: str, path: str, kind: str) -> list[RawQuestion]:
    parsers = {JSON: _parse_json, JSONL: _parse_jsonl, CSV: _parse_csv, YAML: _parse_yaml}
    return parsers[kind](text, path)
