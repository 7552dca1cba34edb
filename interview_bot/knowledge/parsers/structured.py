"""Data-file banks: JSON (an object of question -> answer, or a list of records), JSONL,
CSV with a header, and YAML (a list of records or ``questions:`` holding one).

A record has ``question`` and ``answer`` (or ``short_answer`` / ``explanation``), and
optionally ``topic``, ``difficulty``, ``id``, ``examples`` (graded example answers: a
list of ``answer``, ``score``, optional ``max_score`` and ``why``) and ``same_as`` (other
questions of the bank that ask the same thing in other words: one text or a list). A record
with examples or ``same_as`` and no answer adds them to the bank's question of that text.
Every problem is reported at its line.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from typing import Any

import yaml

from interview_bot.errors import BankError, BankErrors
from interview_bot.knowledge.limits import MAX_DEPTH, MAX_INT_DIGITS
from interview_bot.knowledge.parsers.base import RawQuestion

JSON, JSONL, CSV, YAML = "json", "jsonl", "csv", "yaml"
_FIELDS = {
    "question",
    "answer",
    "short_answer",
    "explanation",
    "topic",
    "difficulty",
    "id",
    "examples",
    "same_as",
}
_EXAMPLE_FIELDS = {"answer", "score", "max_score", "why"}


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


class Unusable:
    """A value a data file holds that no bank field can take: NaN, infinity, a huge integer.

    The JSON and YAML readers return it instead of failing, so the record it sits in can be
    named by line and field.
    """

    def __init__(self, what: str) -> None:
        self.what = what

    def __repr__(self) -> str:
        return self.what


def _number(text: str) -> int | Unusable:
    digits = len(text.lstrip("+-").replace("_", ""))
    if digits > MAX_INT_DIGITS:
        return Unusable(f"a number with {digits:,} digits (the limit is {MAX_INT_DIGITS})")
    return int(text)


def _float(value: float) -> float | Unusable:
    if math.isfinite(value):
        return value
    return Unusable("NaN" if math.isnan(value) else "an infinite number")


def _string(value: Any, field: str, path: str, line: int) -> str | None:
    if value is None:
        return None
    if isinstance(value, Unusable):
        raise BankError(path, line, f"{field!r} is {value.what}; a bank field holds text")
    if field == "question" and not isinstance(value, str):
        shown = repr(value) if isinstance(value, int | float | bool) else ""
        kind = "a number" if isinstance(value, int | float) and not isinstance(value, bool) else ""
        raise BankError(
            path,
            line,
            f"expected text for 'question', got {kind or type(value).__name__}"
            f"{f' ({shown[:40]})' if shown else ''}; put it in quotes if it is meant as text",
        )
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
        examples=_examples(fields.get("examples"), path, line),
        same_as=_same_as(fields.get("same_as"), path, line),
    )


def _same_as(value: Any, path: str, line: int) -> tuple[str, ...]:
    """The other wordings a record declares: one text or a list of texts (a blank CSV cell
    declares none)."""
    items = [value] if isinstance(value, str) else value
    if items is None or (isinstance(value, str) and not value.strip()):
        return ()
    if not isinstance(items, list):
        raise BankError(path, line, "same_as must be a question or a list of questions")
    out = []
    for n, item in enumerate(items, 1):
        text = _string(item, f"same_as {n}", path, line)
        if not text or not text.strip():
            raise BankError(path, line, f"same_as {n}: the question is empty")
        out.append(text)
    return tuple(out)


def _examples(value: Any, path: str, line: int) -> tuple[dict[str, Any], ...]:
    """Graded example answers of a record, checked field by field."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise BankError(path, line, "examples must be a list of {answer, score, why}")
    out = []
    for n, item in enumerate(value, 1):
        if (
            not isinstance(item, dict)
            or set(item) - _EXAMPLE_FIELDS
            or not {"answer", "score"} <= set(item)
        ):
            raise BankError(
                path, line, f"example {n}: expected answer and score (optional max_score, why)"
            )
        answer = _string(item["answer"], f"example {n} answer", path, line)
        why = _string(item.get("why"), f"example {n} why", path, line)
        score, top = item["score"], item.get("max_score", 5)
        if any(isinstance(v, bool) or not isinstance(v, int | float) for v in (score, top)):
            raise BankError(path, line, f"example {n}: score and max_score must be numbers")
        if not (math.isfinite(score) and math.isfinite(top) and 0 <= score <= top and top > 0):
            raise BankError(path, line, f"example {n}: score {score} is not within 0..{top}")
        if not answer or not answer.strip():
            raise BankError(path, line, f"example {n}: the answer is empty")
        out.append({"answer": answer, "score": float(score), "max_score": float(top), "why": why})
    return tuple(out)


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
            explanation = _string(answer, "answer", path, line)
            out.append(RawQuestion(line=line, question=question, explanation=explanation))
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
    _check_json_depth(text, path)
    out = _Collector()
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
    out = _Collector()
    for item, node in zip(data, root.value, strict=True):
        out.record(item, path, node.start_mark.line + 1)
    return out.result()


def parse(text: str, path: str, kind: str) -> list[RawQuestion]:
    parsers = {JSON: _parse_json, JSONL: _parse_jsonl, CSV: _parse_csv, YAML: _parse_yaml}
    return parsers[kind](text, path)
