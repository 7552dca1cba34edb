"""An answer to grade, from an argument, a file or standard input, as valid text.

Linux caps one command-line argument at 128 KiB, so long answers come from a file or from
standard input. Bytes that are not UTF-8 (a Latin-1 terminal, a Windows file) are replaced,
never passed on raw, so ``--json`` output stays valid UTF-8.
"""

from __future__ import annotations

import codecs
import os
import re
import sys
from pathlib import Path
from typing import BinaryIO

import typer

MAX_ANSWER_BYTES = 4_000_000
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_SURROGATE = re.compile("[\ud800-\udfff]")


def decode_answer(data: bytes) -> str:
    """UTF-8 (or UTF-16/32 with a byte-order mark); undecodable bytes become U+FFFD."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(codec, "replace")
    return data.decode("utf-8", "replace")


def argument_text(value: str | None) -> str | None:
    """A command-line argument as valid text: Python hands undecodable argv bytes over as
    lone surrogates, which are turned back into bytes and decoded with replacement."""
    if value is None:
        return None
    try:
        return decode_answer(os.fsencode(value))
    except UnicodeError:
        return _SURROGATE.sub("\ufffd", value)


def _read_capped(stream: BinaryIO, source: str) -> str:
    data = stream.read(MAX_ANSWER_BYTES + 1)
    if len(data) > MAX_ANSWER_BYTES:
        raise typer.BadParameter(
            f"the answer in {source} is over {MAX_ANSWER_BYTES:,} bytes; an interview answer "
            "is shorter"
        )
    return decode_answer(data)


def read_answer(answer: str | None, answer_file: Path | None) -> str:
    """The answer given by exactly one of ``--answer TEXT``, ``--answer -`` and
    ``--answer-file PATH``."""
    if (answer is None) == (answer_file is None):
        raise typer.BadParameter(
            "give the answer with exactly one of --answer TEXT, --answer - (standard input) "
            "or --answer-file PATH"
        )
    if answer_file is not None:
        if answer_file.is_dir():
            raise typer.BadParameter(f"{answer_file} is a folder, not a file")
        try:
            with open(answer_file, "rb") as handle:
                return _read_capped(handle, str(answer_file))
        except OSError as exc:
            raise typer.BadParameter(f"cannot read {answer_file}: {exc.strerror}") from None
    if answer == "-":
        return _read_capped(sys.stdin.buffer, "standard input")
    text = argument_text(answer)
    assert text is not None
    return text
