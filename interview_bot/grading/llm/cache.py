"""SQLite cache of LLM grades, so the same answer to the same question gets the same grade."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from contextlib import closing
from pathlib import Path

from interview_bot.grading.result import Grade
from interview_bot.settings import Settings

CACHE_FILE = "llm_cache.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS grades (
    key TEXT PRIMARY KEY,
    grade TEXT NOT NULL,
    created REAL NOT NULL
)
"""


def cache_key(*parts: str | None) -> str:
    """sha256 over the parts, each length-prefixed so no two part lists collide."""
    digest = hashlib.sha256()
    for part in parts:
        data = b"\x00none" if part is None else part.encode("utf-8")
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


class GradeCache:
    """Grades stored as JSON in one SQLite file, keyed by :func:`cache_key`."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @classmethod
    def for_settings(cls, settings: Settings) -> GradeCache:
        return cls(settings.data_dir / CACHE_FILE)

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=10)
        conn.execute(_SCHEMA)
        return conn

    def get(self, key: str) -> Grade | None:
        """The stored grade, or None when absent or stored by an incompatible version."""
        if not self.path.exists():
            return None
        with closing(self._connect()) as conn:
            row = conn.execute("SELECT grade FROM grades WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        try:
            return Grade.model_validate(json.loads(row[0]))
        except ValueError:
            return None

    def put(self, key: str, grade: Grade) -> None:
        with closing(self._connect()) as conn, conn:
            conn.execute(
                "INSERT OR REPLACE INTO grades (key, grade, created) VALUES (?, ?, ?)",
                (key, grade.model_dump_json(), time.time()),
            )

    def __len__(self) -> int:
        if not self.path.exists():
            return 0
        with closing(self._connect()) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM grades").fetchone()[0])
