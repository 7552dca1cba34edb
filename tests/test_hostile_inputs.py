"""Hostile bank files: each is refused with one clear ``file:line:`` message, in bounded
time and memory, never a traceback or a hang.

The files are generated (a named pipe, /dev/zero, a 3 GB sparse file, YAML nested 50,000
deep, 5,000-digit integers, 100,000 headings, ...) and parsed in a child process, so a
regression that hangs or eats memory fails this test instead of the machine: the child is
killed after CHILD_TIMEOUT_S, and its peak RSS (``ru_maxrss``, read per case) is checked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import ROOT

CHILD_TIMEOUT_S = 300  # a hang guard for all cases together, not a timing figure
MAX_GROWTH_MB = 150  # what one case may add to the child's peak RSS
QA = "Q: What is attention?\nA: A weighted average of values.\n"

# case name -> (file name, content, expected message fragment); None content: made by the child
CASES: dict[str, tuple[str, bytes | None, str]] = {
    "yaml nested 50k deep": (
        "deep.yaml",
        ("questions:\n- question: " + "[" * 50_000 + "]" * 50_000 + "\n").encode(),
        # our depth check, or libyaml's own when it refuses first (newer libyaml builds)
        "deep.yaml:2: nested more than 32 deep | deep.yaml:2: invalid YAML: exceeded maximum "
        "nesting depth",
    ),
    "json nested 100k deep": ("deep.json", b"[" * 100_000, "deep.json:1: nested more than 32"),
    "jsonl nested": (
        "deep.jsonl",
        b'{"question": "What is x?"}\n' + b"[" * 5_000 + b"]" * 5_000,
        "deep.jsonl:2: nested more than 32",
    ),
    "yaml 5,000-digit integer": (
        "bigint.yaml",
        ("questions:\n- question: What is x?\n  answer: " + "9" * 5000 + "\n").encode(),
        "bigint.yaml:2: 'answer' is a number with 5,000 digits",
    ),
    "json 5,000-digit integer": (
        "bigint.json",
        ('[{"question": "What is x?",\n "answer": ' + "9" * 5000 + "}]").encode(),
        "bigint.json:1: 'answer' is a number with 5,000 digits",
    ),
    "json NaN question": (
        "nan.json",
        b'[{"question": "What is y?", "answer": "y"},\n {"question": NaN, "answer": "x"}]',
        "nan.json:2: 'question' is NaN",
    ),
    "json infinite answer": (
        "inf.json",
        b'{"What is x?": -Infinity}',
        "inf.json:1: 'answer' is -Infinity",
    ),
    "yaml .nan question": (
        "nan.yaml",
        b"questions:\n- question: .nan\n  answer: x\n",
        "nan.yaml:2: 'question' is NaN",
    ),
    "json number as question": (
        "number.json",
        b'[{"question": 12345, "answer": "x"}]',
        "number.json:1: expected text for 'question', got a number (12345)",
    ),
    "yaml list as question": (
        "list.yaml",
        b"- question: [a, b]\n  answer: x\n",
        "list.yaml:1: expected text for 'question', got list",
    ),
    "100k headings": (
        "headings.md",
        "".join(f"## What is x{i}?\n" for i in range(100_000)).encode(),
        "headings.md:5001: more than 5,000 headings in one file",
    ),
    "6,000 Q lines": (
        "many.md",
        "".join(f"Q: What is x{i}?\nA: y\n" for i in range(6_000)).encode(),
        "many.md:10001: more than 5,000 questions in one file",
    ),
    "answer of 1.9 MB": (
        "long.md",
        ("Q: What is x?\nA: " + "word " * 380_000).encode(),
        "long.md:1: answer is 1,900,000 characters; the limit is 20,000",
    ),
    "question of 5,000 characters": (
        "longq.json",
        json.dumps({"What is " + "x" * 5000 + "?": "y"}).encode(),
        "longq.json:1: question is 5,009 characters; the limit is 1,000",
    ),
    "5,000-digit question number": (
        "numbered.txt",
        ("1" * 5000 + ". What is x?\nIt is y.\n").encode(),
        "numbered.txt:1: unknown bank format",
    ),
    "UTF-16 without a byte-order mark": (
        "utf16.md",
        QA.encode("utf-16-le"),
        "utf16.md:1: binary file (NUL byte); a bank must be text: UTF-8, or UTF-16 or UTF-32 "
        "with a byte-order mark",
    ),
    "bad UTF-16 after its byte-order mark": (
        "badutf16.md",
        b"\xff\xfe" + "Q: Why?\n".encode("utf-16-le") + b"\x00\xd8A\x00",
        "badutf16.md:2: starts with a UTF-16 byte-order mark but is not valid UTF-16",
    ),
    "named pipe": ("pipe.md", None, "pipe.md: a named pipe, not a file"),
    "/dev/zero": ("/dev/zero", None, "/dev/zero: a character device, not a file"),
    "3 GB sparse file": ("sparse.md", None, "sparse.md: file is 3,221,225,472 bytes"),
    "folder over the file limit": ("many-files", None, "many-files: more than 50 files"),
}

CHILD = textwrap.dedent(
    """
    import json, os, resource, sys
    from pathlib import Path
    import interview_bot.knowledge.bank as bank
    from interview_bot.errors import BankError, BankErrors

    bank.MAX_FILES = 50  # the folder case: 51 files stand for 20,001
    folder = Path(sys.argv[1])
    (folder / "pipe.md").exists() or os.mkfifo(folder / "pipe.md")
    with open(folder / "sparse.md", "wb") as handle:
        handle.truncate(3 * 1024**3)
    (folder / "many-files").mkdir(exist_ok=True)
    for i in range(51):
        (folder / "many-files" / f"{i}.md").write_text("Q: Why?\\nA: So.\\n")
    for name, file in json.loads(sys.argv[2]).items():
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        path = Path(file) if file.startswith("/dev/") else folder / file
        try:
            bank.parse_files([path])
            message = "parsed without error"
        except (BankError, BankErrors) as exc:
            message = str(exc).replace(str(folder) + os.sep, "")
        grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        print(json.dumps({"case": name, "message": message, "grown_mb": grown}), flush=True)
    """
)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, object]]:
    folder = tmp_path_factory.mktemp("hostile")
    for file, content, _ in CASES.values():
        if content is not None:
            (folder / file).write_bytes(content)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(folder), json.dumps({k: v[0] for k, v in CASES.items()})],
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_S,
        cwd=folder,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return {o["case"]: o for o in map(json.loads, done.stdout.splitlines())}


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_file_is_refused_clearly_in_bounded_memory(
    outcomes: dict[str, dict[str, object]], case: str
) -> None:
    outcome = outcomes[case]
    message = str(outcome["message"])
    assert any(expected in message for expected in CASES[case][2].split(" | ")), message
    assert "Traceback" not in message
    assert float(outcome["grown_mb"]) < MAX_GROWTH_MB, outcome  # type: ignore[arg-type]


def test_utf16_and_utf32_with_a_byte_order_mark_are_read(tmp_path: Path) -> None:
    from interview_bot.knowledge.parsers import parse_bank_file

    for codec in ("utf-16", "utf-32", "utf-8-sig"):
        path = tmp_path / f"{codec}.md"
        path.write_bytes(QA.encode(codec))
        (question,) = parse_bank_file(path).questions
        assert question.question == "What is attention?"
        assert question.answer == "A weighted average of values."
