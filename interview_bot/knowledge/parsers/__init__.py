"""Read one bank file of any supported shape into validated questions.

The shape is judged from the content, never from the file name: users' files are named
anything. ``SHAPES`` lists what is understood, most specific first.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from interview_bot.errors import BankError, BankErrors
from interview_bot.knowledge.limits import MAX_QUESTIONS_PER_FILE
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
    "check_bank_file",
    "decode_bank_bytes",
    "parse_bank_file",
    "parse_bank_text",
    "read_bank_bytes",
]
# Byte-order marks, longest first: UTF-32-LE's mark begins with UTF-16-LE's.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
)


@dataclass(frozen=True)
class ParsedFile:
    path: str
    sha256: str
    format: str
    questions: list[Question]

    @property
    def answered(self) -> int:
        return sum(q.answered for q in self.questions)


def _kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def check_bank_file(path: Path, display: str, max_bytes: int = DEFAULT_MAX_BYTES) -> int:
    """The size of a bank file, judged by ``stat`` alone (nothing is opened or read).

    Pipes, devices and sockets are refused: reading one may never end (a FIFO without a
    writer) or never stop (``/dev/zero``).
    """
    try:
        info = path.stat()
    except OSError as exc:
        raise BankError(display, None, f"cannot read file: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise BankError(
            display, None, f"{_kind_of(info.st_mode)}, not a file; a bank must be a text file"
        )
    if info.st_size > max_bytes:
        raise BankError(
            display, None, f"file is {info.st_size:,} bytes; the limit is {max_bytes:,}"
        )
    return info.st_size


def read_bank_bytes(path: Path, display: str, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The bytes of a bank file, read with a cap: never more than ``max_bytes + 1``.

    Opened without blocking (a FIFO swapped in after the check cannot hang the read) and
    checked again on the open handle; a file that grew past the limit is refused.
    """
    check_bank_file(path, display, max_bytes)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError as exc:
        raise BankError(display, None, f"cannot read file: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as handle:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise BankError(
                display, None, f"{_kind_of(mode)}, not a file; a bank must be a text file"
            )
        try:
            data = handle.read(max_bytes + 1)
        except OSError as exc:
            raise BankError(display, None, f"cannot read file: {exc.strerror}") from None
    if len(data) > max_bytes:
        raise BankError(display, None, f"file is over {max_bytes:,} bytes, the limit")
    return data


def decode_bank_bytes(data: bytes, path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """The text of a bank file: UTF-8, or UTF-16/32 with a byte-order mark; else a BankError."""
    if len(data) > max_bytes:
        raise BankError(path, None, f"file is {len(data):,} bytes; the limit is {max_bytes:,}")
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(codec)
            except UnicodeDecodeError as exc:
                body = data[len(bom) : len(bom) + exc.start]
                line = body.count("\n".encode(codec)) + 1
                raise BankError(
                    path,
                    line,
                    f"starts with a {name} byte-order mark but is not valid {name} "
                    f"(byte {exc.start + len(bom)}); re-save the file as UTF-8",
                ) from None
            break
    else:
        if b"\x00" in data:
            line = data[: data.index(b"\x00")].count(b"\n") + 1
            raise BankError(
                path,
                line,
                "binary file (NUL byte); a bank must be text: UTF-8, or UTF-16 or UTF-32 "
                "with a byte-order mark",
            )
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
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise BankError(path, line, "binary file (NUL character); a bank must be text")
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
    if len(raws) > MAX_QUESTIONS_PER_FILE:
        raise BankError(
            path,
            raws[MAX_QUESTIONS_PER_FILE].line,
            f"more than {MAX_QUESTIONS_PER_FILE:,} questions in one file; split it",
        )
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
    data = read_bank_bytes(path, name, max_bytes)
    text = decode_bank_bytes(data, name, max_bytes)
    return parse_bank_text(text, name, hashlib.sha256(data).hexdigest())
