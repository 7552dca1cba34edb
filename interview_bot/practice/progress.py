"""The progress database: interview sessions, every graded attempt, spaced-repetition cards.

One SQLite file (``settings.progress_path``) in WAL mode. Every write is one short
``BEGIN IMMEDIATE`` transaction, so an attempt is either fully stored or not at all; a locked
or full database becomes a :class:`ProgressError` that says what to do. Statistics and
exports over it are in :mod:`interview_bot.practice.stats`.

Sessions and cards belong to an owner (:mod:`interview_bot.practice.owners`). A database
written before owners existed is migrated in place when it is opened: its rows are given to
the OS user who opens it, nothing is dropped.
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
from interview_bot.practice.owners import default_owner

AttemptKind = Literal["answer", "followup", "skip"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    bank TEXT NOT NULL,
    settings TEXT NOT NULL DEFAULT '{}',
    state TEXT NOT NULL DEFAULT '{}',
    owner TEXT NOT NULL DEFAULT ''
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
    kind TEXT NOT NULL CHECK (kind IN ('answer', 'followup', 'skip')),
    hints INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS cards (
    owner TEXT NOT NULL DEFAULT '',
    bank TEXT NOT NULL,
    question_id TEXT NOT NULL,
    card_json TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (owner, bank, question_id)
);
"""
# created after the migration, which adds the columns they index to older databases
INDEXES = """
CREATE INDEX IF NOT EXISTS attempts_session ON attempts(session_id);
CREATE INDEX IF NOT EXISTS sessions_owner ON sessions(owner, bank);
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
    owner: str = ""


class Attempt(BaseModel):
    """One stored attempt. ``score`` is None for skips and for answers nothing could grade;
    ``hints`` is how many hints were shown before the answer."""

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
    hints: int = 0

    @property
    def fraction(self) -> float | None:
        """Score as 0..1; None for a skip and for an answer nothing could grade (skips are
        counted apart from scores, never as a 0)."""
        if self.kind == "skip" or self.score is None or not self.max_score:
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
            self._migrate()
            self._conn.executescript(INDEXES)
        except sqlite3.OperationalError as exc:
            raise ProgressError(_describe(exc, self.path)) from exc
        except OSError as exc:
            raise ProgressError(f"Cannot create the progress database {self.path}: {exc}") from exc

    def _columns(self, table: str) -> set[str]:
        return {r["name"] for r in self._conn.execute(f"PRAGMA table_info({table})")}

    def _migrate(self) -> None:
        """Bring an older database up to date in one transaction, keeping every row: the
        owner columns (old rows go to the OS user opening it) and the hint count."""
        sessions, attempts, cards = (self._columns(t) for t in ("sessions", "attempts", "cards"))
        if "owner" in sessions and "hints" in attempts and "owner" in cards:
            return
        owner = default_owner()
        with self._write() as conn:
            if "owner" not in sessions:
                conn.execute("ALTER TABLE sessions ADD COLUMN owner TEXT NOT NULL DEFAULT ''")
                conn.execute("UPDATE sessions SET owner = ?", (owner,))
            if "hints" not in attempts:
                conn.execute("ALTER TABLE attempts ADD COLUMN hints INTEGER NOT NULL DEFAULT 0")
            if "owner" not in cards:  # the owner joins the primary key: a new table
                conn.execute("ALTER TABLE cards RENAME TO cards_before_owners")
                conn.execute(SCHEMA[SCHEMA.index("CREATE TABLE IF NOT EXISTS cards") :])
                conn.execute(
                    "INSERT INTO cards (owner, bank, question_id, card_json, updated_at) "
                    "SELECT ?, bank, question_id, card_json, updated_at FROM cards_before_owners",
                    (owner,),
                )
                conn.execute("DROP TABLE cards_before_owners")

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
        self,
        bank: str,
        settings: dict[str, Any],
        state: dict[str, Any] | None = None,
        owner: str | None = None,
    ) -> int:
        """A new session of ``owner`` (default: the OS user)."""
        with self._write() as conn:
            cursor = conn.execute(
                "INSERT INTO sessions (started_at, bank, settings, state, owner) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    now_iso(),
                    bank,
                    json.dumps(settings),
                    json.dumps(state or {}),
                    default_owner() if owner is None else owner,
                ),
            )
        return int(cursor.lastrowid or 0)

    def session(self, session_id: int) -> SessionRow:
        rows = self._read("SELECT * FROM sessions WHERE id = ?", (session_id,))
        if not rows:
            raise ProgressError(f"No interview session {session_id} in {self.path}")
        return _session(rows[0])

    def number(self, session_id: int) -> int:
        """The interview's number among its owner's own (1 for their first): what a person is
        shown, since the row id counts everyone's interviews on this server."""
        rows = self._read(
            "SELECT COUNT(*) AS n FROM sessions WHERE id <= ? "
            "AND owner = (SELECT owner FROM sessions WHERE id = ?)",
            (session_id, session_id),
        )
        if not rows or not rows[0]["n"]:
            raise ProgressError(f"No interview session {session_id} in {self.path}")
        return int(rows[0]["n"])

    def sessions(self, bank: str | None = None, owner: str | None = None) -> list[SessionRow]:
        """Sessions of one bank and/or one owner (None: any), newest first."""
        clauses = [(c, v) for c, v in (("bank", bank), ("owner", owner)) if v is not None]
        where = " WHERE " + " AND ".join(f"{c} = ?" for c, _ in clauses) if clauses else ""
        sql = f"SELECT * FROM sessions{where} ORDER BY id DESC"
        return [_session(r) for r in self._read(sql, tuple(v for _, v in clauses))]

    def last_open_session(
        self, bank: str | None = None, owner: str | None = None
    ) -> SessionRow | None:
        return next((s for s in self.sessions(bank, owner) if s.ended_at is None), None)

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
        hints: int = 0,
    ) -> int:
        """Store an attempt, and with it the question's card ``(bank, card_json)`` (the
        session owner's) and the session's new state, in one transaction that is committed
        before this returns. The answer is stored once: the grade's copy is left out."""
        scored = grade is not None and grade.graded
        row = {
            "session_id": session_id,
            "question_id": question_id,
            "question": question,
            "topic": topic,
            "answer": answer,
            "kind": kind,
            "created_at": now_iso(),
            "grade_json": grade.model_dump_json(exclude={"answer"}) if grade else None,
            "score": grade.score if grade and scored else None,
            "max_score": grade.max_score if grade and scored else None,
            "grader": grade.grader if grade else None,
            "hints": hints,
        }
        with self._write() as conn:
            cursor = conn.execute(
                f"INSERT INTO attempts ({', '.join(row)}) "
                f"VALUES ({', '.join(':' + k for k in row)})",
                row,
            )
            if card is not None:
                conn.execute(
                    "INSERT INTO cards (owner, bank, question_id, card_json, updated_at) "
                    "VALUES ((SELECT owner FROM sessions WHERE id = ?), ?, ?, ?, ?) "
                    "ON CONFLICT (owner, bank, question_id) DO UPDATE SET "
                    "card_json = excluded.card_json, updated_at = excluded.updated_at",
                    (session_id, card[0], question_id, card[1], now_iso()),
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
        owner: str | None = None,
    ) -> list[Attempt]:
        """Attempts in the order they were made, of one session, bank and/or owner."""
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
        if owner is not None:
            sql += " AND s.owner = ?"
            params.append(owner)
        return [_attempt(r) for r in self._read(sql + " ORDER BY a.id", tuple(params))]

    # -- cards ----------------------------------------------------------------------------
    def cards(self, bank: str, owner: str | None = None) -> dict[str, str]:
        """question_id -> card JSON for every card of a bank and owner (default: the OS user)."""
        rows = self._read(
            "SELECT question_id, card_json FROM cards WHERE bank = ? AND owner = ?",
            (bank, default_owner() if owner is None else owner),
        )
        return {r["question_id"]: r["card_json"] for r in rows}


def _session(row: sqlite3.Row) -> SessionRow:
    data = dict(zip(row.keys(), row, strict=True))
    return SessionRow(**data | {k: json.loads(data[k] or "{}") for k in ("settings", "state")})


def _attempt(row: sqlite3.Row) -> Attempt:
    data = dict(zip(row.keys(), row, strict=True))
    raw = data.pop("grade_json")
    grade = None
    if raw:  # the answer is stored once, in its own column
        grade = Grade.model_validate(json.loads(raw) | {"answer": data["answer"]})
    return Attempt(**data, grade=grade)
