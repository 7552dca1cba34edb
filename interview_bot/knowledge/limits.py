"""How much work one bank may ask for: every limit a hostile or mistaken file can reach.

Each is far above what a real bank needs (the bundled bank: 86 questions in five files, the
longest answer about 2,000 characters) and low enough that parsing, merging and embedding
stay bounded in time and memory. A file over a limit is refused with ``file:line:``.
"""

from __future__ import annotations

MAX_FILES = 20_000  # files in one ingest, folders expanded
MAX_TOTAL_BYTES = 200_000_000  # all files of one ingest together
MAX_DEPTH = 32  # nesting of JSON or YAML lists and records
MAX_INT_DIGITS = 30  # digits of an integer in a data file
MAX_HEADINGS = 5_000  # Markdown headings in one file
MAX_QUESTIONS_PER_FILE = 5_000
MAX_QUESTIONS = 20_000  # questions in one bank, all files together
MAX_QUESTION_CHARS = 1_000
MAX_ANSWER_CHARS = 20_000  # short answer and explanation together
