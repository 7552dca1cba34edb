"""The progress database: interview sessions, every graded attempt, spaced-repetition cards.

One SQLite file (``settings.progress_path``) in WAL mode. Every write is one short
``BEGIN IMMEDIATE`` transaction, so an attempt is either fully stored or not at all; a locked
or full database becomes a :class:`ProgressError` that says what to do. Statistics and
exports over it are in :mod:`interview_bot.practice.stats`.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from interview_bot.errors import ProgressError
from interview_bot.grading.result import Grade

AttemptKind = Literal["answer", "followup", "skip"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    bank TEXT NOT NULL,
    settings TEXT NOT NULL DEFAULT '{}',
    state TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    question_id TEXT NOT NULL,
    question TEXT NOT NULL,
    topic TEXT,
    answer TEXT NOT NULL,
    grade_json TEXT,
    score REAL,
    max_score REAL,
    grader TEXT,
    created_at TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('answer', 'followup', 'skip'))
);
CREATE INDEX IF NOT EXISTS attempts_session ON attempts(session_id);
CREATE TABLE IF NOT EXISTS cards (
    bank TEXT NOT NULL,
    question_id TEXT NOT NULL,
    card_json TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (bank, question_id)
);
"""


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class SessionRow(BaseModel):
    id: int
    started_at: str
    ended_at: str | None
    bank: str
    settings: dict[str, Any]
    state: dict[str, Any]


class Attempt(BaseModel):
    """One stored attempt. ``score`` is None for skips and for answers nothing could grade."""

    id: int
    session_id: int
    question_id: str
    question: str
    topic: str | None
    answer: str
    grade: Grade | None
    score: float | None
    max_score: float | None
    grader: str | None
    created_at: str
    kind: AttemptKind

    @property
    def fraction(self) -> float | None:
        """Score as 0..1; a skip counts as 0, an ungraded answer as None."""
        if self.kind == "skip":
            return 0.0
        if self.score is None or not self.max_score:
            return None
        return self.score / self.max_score


def _describe(exc: sqlite3.OperationalError, path: Path) -> str:
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return (
            f"The progress database {path} is locked by another program - close other "
            "interview-bot windows or processes and try again"
        )
    if "full" in text:
        return (
            f"Cannot write to {path}: the disk is full - free some space (or move "
            "INTERVIEW_BOT_DATA_DIR) and try again; nothing was half-saved"
        )
    return f"The progress database {path} cannot be used: {exc}"


class ProgressStore:
    """Sessions, attempts and cards in one SQLite file, safe to share between threads."""

    def __init__(self, path: Path, timeout: float = 5.0) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(
                self.path, timeout=timeout, isolation_level=None, check_same_thread=False
            )
            self._conn.row_factory = sqlite3.Row
            self._conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._conn.executescript(SCHEMA)
        except sqlite3.OperationalError as exc:
            raise ProgressError(_describe(exc, self.path)) from exc
        except OSError as exc:
            raise ProgressError(f"Cannot create the progress database {self.path}: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One immediate transaction: committed when the block ends, rolled back on any error."""
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise ProgressError(_describe(exc, self.path)) from exc
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                self._rollback()
                raise ProgressError(_describe(exc, self.path)) from exc
            except BaseException:
                self._rollback()
                raise

    def _rollback(self) -> None:
        if self._conn.in_transaction:  # SQLite may already have rolled back (disk full)
            self._conn.execute("ROLLBACK")

    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return self._conn.execute(sql, params).fetchall()
            except sqlite3.OperationalError as exc:
                raise ProgressError(_describe(exc, self.path)) from exc

    # -- sessions -------------------------------------------------------------------------
    def start_session(
        self, bank: str, settings: dict[str, Any], state: dict[str, Any] | None = None
    ) -> int:
        with self._write() as conn:
            cursor = conn.execute(
                "INSERT INTO sessions (started_at, bank, settings, state) VALUES (?, ?, ?, ?)",
                (now_iso(), bank, json.dumps(settings), json.dumps(state or {})),
            )
        return int(cursor.lastrowid or 0)

    def session(self, session_id: int) -> SessionRow:
        rows = self._read("SELECT * FROM sessions WHERE id = ?", (session_id,))
        if not rows:
            raise ProgressError(f"No interview session {session_id} in {self.path}")
        return _session(rows[0])

    def sessions(self, bank: str | None = None) -> list[SessionRow]:
        """All sessions, newest first."""
        where, params = (" WHERE bank = ?", (bank,)) if bank is not None else ("", ())
        return [
            _session(r)
            for r in self._read(f"SELECT * FROM sessions{where} ORDER BY id DESC", params)
        ]

    def last_open_session(self, bank: str | None = None) -> SessionRow | None:
        return next((s for s in self.sessions(bank) if s.ended_at is None), None)

    def update_session(
        self,
        session_id: int,
        *,
        settings: dict[str, Any] | None = None,
        state: dict[str, Any] | None = None,
        ended: bool = False,
    ) -> None:
        with self._write() as conn:
            if settings is not None:
                conn.execute(
                    "UPDATE sessions SET settings = ? WHERE id = ?",
                    (json.dumps(settings), session_id),
                )
            if state is not None:
                conn.execute(
                    "UPDATE sessions SET state = ? WHERE id = ?", (json.dumps(state), session_id)
                )
            if ended:
                conn.execute(
                    "UPDATE sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL",
                    (now_iso(), session_id),
                )

    # -- attempts -------------------------------------------------------------------------
    def record_attempt(
        self,
        session_id: int,
        *,
        question_id: str,
        question: str,
        topic: str | None,
        answer: str,
        grade: Grade | None,
        kind: AttemptKind,
        card: tuple[str, str] | None = None,
        state: dict[str, Any] | None = None,
    ) -> int:
        """Store an attempt, and with it the question's card ``(bank, card_json)`` and the
        session's new state, in one transaction that is committed before this returns."""
        scored = grade is not None and grade.graded
        row = {
            "session_id": session_id,
            "question_id": question_id,
            "question": question,
            "topic": topic,
            "answer": answer,
            "kind": kind,
            "created_at": now_iso(),
            "grade_json": grade.model_dump_json() if grade else None,
            "score": grade.score if grade and scored else None,
            "max_score": grade.max_score if grade and scored else None,
            "grader": grade.grader if grade else None,
        }
        with self._write() as conn:
            cursor = conn.execute(
                f"INSERT INTO attempts ({', '.join(row)}) "
                f"VALUES ({', '.join(':' + k for k in row)})",
                row,
            )
            if card is not None:
                conn.execute(
                    "INSERT INTO cards (bank, question_id, card_json, updated_at) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (bank, question_id) DO UPDATE SET "
                    "card_json = excluded.card_json, updated_at = excluded.updated_at",
                    (card[0], question_id, card[1], now_iso()),
                )
            if state is not None:
                conn.execute(
                    "UPDATE sessions SET state = ? WHERE id = ?", (json.dumps(state), session_id)
                )
        return int(cursor.lastrowid or 0)

    def attempts(
        self,
        session_id: int | None = None,
        bank: str | None = None,
        kinds: tuple[AttemptKind, ...] = ("answer", "followup", "skip"),
    ) -> list[Attempt]:
        """Attempts in the order they were made, of one session and/or one bank."""
        sql = (
            "SELECT a.* FROM attempts a JOIN sessions s ON s.id = a.session_id WHERE "
            f"a.kind IN ({','.join('?' * len(kinds))})"
        )
        params: list[Any] = list(kinds)
        if session_id is not None:
            sql += " AND a.session_id = ?"
            params.append(session_id)
        if bank is not None:
            sql += " AND s.bank = ?"
            params.append(bank)
        return [_attempt(r) for r in self._read(sql + " ORDER BY a.id", tuple(params))]

    # -- cards ----------------------------------------------------------------------------
    def cards(self, bank: str) -> dict[str, str]:
        """question_id -> card JSON for every card of a bank."""
        rows = self._read("SELECT question_id, card_json FROM cards WHERE bank = ?", (bank,))
        return {r["question_id"]: r["card_json"] for r in rows}


def _session(row: sqlite3.Row) -> SessionRow:
    data = dict(zip(row.keys(), row, strict=True))
    return SessionRow(**data | {k: json.loads(data[k] or "{}") for k in ("settings", "state")})


def _attempt(row: sqlite3.Row) -> Attempt:
    data = dict(zip(row.keys(), row, strict=True))
    raw = data.pop("grade_json")
    return Attempt(**data, grade=Grade.model_validate_json(raw) if raw else None)
