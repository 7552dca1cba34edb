"""Convert the Mohler et al. (2011) short-answer grading CSV into eval cases (JSONL).

Usage: python evals/convert_mohler.py [SRC] [DST]

SRC defaults to ../shared/datasets/mohler2011/mohler2011.csv next to the repository,
DST to evals/datasets/mohler2011.jsonl. One case per CSV row: the averaged grade of the
two human graders is the score, the instructor's answer the reference, and the
assignment (the part of ``id`` before the dot) the group, so that figures can be
reported per assignment and folds grouped by it.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SRC = REPO_ROOT.parent / "shared" / "datasets" / "mohler2011" / "mohler2011.csv"
DEFAULT_DST = REPO_ROOT / "evals" / "datasets" / "mohler2011.jsonl"
USAGE = "usage: python evals/convert_mohler.py [SRC] [DST]"
COLUMNS = (
    "id",
    "question",
    "desired_answer",
    "student_answer",
    "score_me",
    "score_other",
    "score_avg",
)


def _number(text: str) -> int | float:
    """A grade as written in the CSV, as an int where it is whole (5, not 5.0)."""
    value = float(text)
    return int(value) if value.is_integer() else value


def to_case(row: dict[str, str]) -> dict[str, Any]:
    """One CSV row as an eval case record."""
    cell = {name: (row[name] or "").strip() for name in COLUMNS}
    return {
        "question": cell["question"],
        "answer": cell["student_answer"],
        "reference": cell["desired_answer"],
        "score": _number(cell["score_avg"]),
        "max_score": 5,
        "group": cell["id"].split(".")[0],
        "id": cell["id"],
        "score_me": _number(cell["score_me"]),
        "score_other": _number(cell["score_other"]),
    }


def convert(src: Path, dst: Path) -> int:
    """Write one JSON line per row of ``src`` to ``dst``; returns the number of cases."""
    with src.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [name for name in COLUMNS if name not in (reader.fieldnames or [])]
        if missing:
            raise SystemExit(f"{src}: missing column(s) {', '.join(missing)}")
        cases = []
        for row in reader:
            try:
                cases.append(to_case(row))
            except ValueError as exc:
                raise SystemExit(f"{src}:{reader.line_num}: {exc}") from None
    dst.parent.mkdir(parents=True, exist_ok=True)
    with dst.open("w", encoding="utf-8", newline="\n") as out:
        for case in cases:
            out.write(json.dumps(case, ensure_ascii=False) + "\n")
    return len(cases)


def main(argv: list[str]) -> int:
    if len(argv) > 2 or any(arg in ("-h", "--help") for arg in argv):
        print(USAGE, file=sys.stderr)
        return 2
    src = Path(argv[0]) if argv else DEFAULT_SRC
    dst = Path(argv[1]) if len(argv) > 1 else DEFAULT_DST
    if not src.is_file():
        print(f"{src}: no such file", file=sys.stderr)
        return 2
    count = convert(src, dst)
    print(f"wrote {count} cases to {dst}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
