"""Read one bank file of any supported shape into validated questions.

The shape is judged from the content, never from the file name: users' files are named
anything. ``SHAPES`` lists what is understood, most specific first.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from interview_bot.errors import BankError, BankErrors
from interview_bot.knowledge.models import Question
from interview_bot.knowledge.parsers import (
    headings,
    numbered_markdown,
    numbered_text,
    qa_lines,
    quiz,
)
from interview_bot.knowledge.parsers import structured as data_files
from interview_bot.knowledge.parsers.base import RawQuestion, build_question
from interview_bot.knowledge.repair import has_katex

DEFAULT_MAX_BYTES = 2_000_000
SHAPES = (
    "json",
    "jsonl",
    "csv",
    "yaml",
    quiz.NAME,
    numbered_markdown.NAME,
    qa_lines.NAME,
    headings.NAME,
    numbered_text.NAME,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "SHAPES",
    "ParsedFile",
    "decode_bank_bytes",
    "parse_bank_file",
    "parse_bank_text",
]


@dataclass(frozen=True)
class ParsedFile:
    path: str
    sha256: str
    format: str
    questions: list[Question]

    @property
    def answered(self) -> int:
        return sum(q.answered for q in self.questions)


def decode_bank_bytes(data: bytes, path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """UTF-8 text of a bank file, or a BankError saying why it cannot be one."""
    if len(data) > max_bytes:
        raise BankError(path, None, f"file is {len(data):,} bytes; the limit is {max_bytes:,}")
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise BankError(path, line, "binary file (NUL byte); a bank must be UTF-8 text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise BankError(
            path,
            line,
            f"not UTF-8 (byte 0x{data[exc.start]:02x}, Latin-1 or Windows-1252?); "
            "re-save the file as UTF-8",
        ) from None
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise BankError(path, 1, "file is empty")
    return text


def _raw_questions(text: str, path: str) -> tuple[str, list[RawQuestion]]:
    kind = data_files.detect(text)
    if kind is not None:
        return kind, data_files.parse(text, path, kind)
    for module in (quiz, numbered_markdown, qa_lines, headings, numbered_text):
        if module.detect(text):
            return module.NAME, module.parse(text, path)
    raise BankError(
        path,
        1,
        "unknown bank format; supported: Markdown Q/A (## Question? or Q:/A: lines), "
        "numbered questions, JSON, JSONL, CSV or YAML with 'question' and 'answer'",
    )


def parse_bank_text(text: str, path: str, sha256: str = "") -> ParsedFile:
    """Parse already-decoded text; every bad record is reported (BankErrors), none skipped."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    kind, raws = _raw_questions(text, path)
    katex = has_katex(text)
    questions: list[Question] = []
    errors: list[BankError] = []
    first_line: dict[str, int] = {}
    for raw in raws:
        try:
            question = build_question(raw, path, kind, katex)
        except BankError as exc:
            errors.append(exc)
            continue
        if question.id in first_line:
            errors.append(
                BankError(
                    path,
                    raw.line,
                    f"duplicate question id {question.id!r} "
                    f"(first at line {first_line[question.id]})",
                )
            )
            continue
        first_line[question.id] = raw.line
        questions.append(question)
    if not raws:
        errors.append(BankError(path, 1, f"no questions found in this {kind} file"))
    if errors:
        raise errors[0] if len(errors) == 1 else BankErrors(errors)
    return ParsedFile(path=path, sha256=sha256, format=kind, questions=questions)


def parse_bank_file(
    path: Path, display: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> ParsedFile:
    """Read, decode, detect, parse and validate one bank file."""
    name = display or str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BankError(name, None, f"cannot read file: {exc.strerror}") from None
    text = decode_bank_bytes(data, name, max_bytes)
    return parse_bank_text(text, name, hashlib.sha256(data).hexdigest())
