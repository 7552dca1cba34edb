"""Chroma plumbing for the bank store: clients, fault classes, collection names, documents.

:mod:`interview_bot.knowledge.store` holds the logic (build then swap, readers following
the registry); this module holds what talks to chromadb directly or names its things.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import shutil
import sqlite3
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import chromadb
from chromadb.api.shared_system_client import SharedSystemClient
from chromadb.config import Settings as ChromaSettings

from interview_bot.errors import StoreError
from interview_bot.knowledge.bank import Bank
from interview_bot.knowledge.models import CanonicalQuestion
from interview_bot.knowledge.search import statements
from interview_bot.settings import Settings

COLLECTION_PREFIX = "ib_"
# SQLite's "not a database" (26) and "malformed" (11), or a database without Chroma's tables.
CORRUPT = re.compile(r"file is not a database|malformed|no such table|code: (?:11|26)\b")
# SQLite's "database or disk is full" (13), or the OS saying so.
_FULL = re.compile(r"disk is full|no space left|code: 13\b", re.IGNORECASE)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
logger = logging.getLogger(__name__)


def unreachable(url: str) -> StoreError:
    return StoreError(
        f"No Chroma server reachable at {url} - start it with `chroma run` or unset --chroma-url"
    )


def make_client(settings: Settings) -> Any:
    """An embedded client on DATA_DIR/store, or an HTTP client when chroma_url is set."""
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise StoreError(
                f"chroma_url must look like http://HOST:PORT, got {settings.chroma_url!r}"
            )
        try:
            return chromadb.HttpClient(
                host=url.hostname,
                port=url.port or 8000,
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        except Exception as exc:  # chromadb raises bare ValueError/ConnectionError here
            raise unreachable(settings.chroma_url) from exc
    settings.store_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.store_dir), settings=chroma_settings)


def forget_embedded(path: str) -> None:
    """Drop chromadb's process-wide system for ``path``, so the next client opens it afresh.

    chromadb keeps one system per folder for the whole process, even one that failed to
    start on a corrupt file; without this a fresh client would get the broken one back.
    """
    system = SharedSystemClient._identifier_to_system.pop(path, None)
    SharedSystemClient._identifier_to_refcount.pop(path, None)
    if system is not None:
        with contextlib.suppress(Exception):
            system.stop()


def disk_full(exc: Exception) -> bool:
    return bool(_FULL.search(str(exc))) or (isinstance(exc, OSError) and exc.errno == 28)


def collection_name(bank: str, print_: str) -> str:
    """A name no earlier build used: bank hash, fingerprint, build time and a random tag."""
    bank_hash = hashlib.sha256(bank.encode()).hexdigest()[:8]
    return (
        f"{COLLECTION_PREFIX}{bank_hash}_{print_[:12]}_{int(time.time()):x}_{uuid.uuid4().hex[:6]}"
    )


def built_at(name: str) -> float:
    """When a collection named by :func:`collection_name` was built (0 for older names)."""
    parts = name.split("_")
    try:
        return float(int(parts[3], 16)) if len(parts) == 5 else 0.0
    except ValueError:
        return 0.0


def bank_documents(built: Bank) -> tuple[list[str], list[dict[str, Any]], list[str]]:
    """Texts, metadata and ids of a built bank's documents: each question wording
    (``question``, ``variant``; the first carries the whole record), each reference answer
    written in the bank (``reference``) and each answer statement (``point``)."""
    texts: list[str] = []
    metadatas: list[dict[str, Any]] = []
    ids: list[str] = []

    def add(q: CanonicalQuestion, text: str, tag: str, kind: str, record: str = "") -> None:
        texts.append(text)
        ids.append(f"{q.id}:{tag}")
        metadatas.append({"kind": kind, "qid": q.id, "topic": q.topic or "", "record": record})

    for q in built.questions:
        add(q, q.question, "q0", "question", q.model_dump_json())
        for i, text in enumerate(q.variants, start=1):
            add(q, text, f"q{i}", "variant")
        for i, ref in enumerate(q.references):
            if not ref.retrieved:
                add(q, ref.text, f"r{i}", "reference")
        for i, point in enumerate(statements(q)):
            add(q, point, f"p{i}", "point")
    return texts, metadatas, ids


def clean_index_folders(store: Path) -> None:
    """Remove the vector-index folders of dropped collections: embedded Chroma leaves a
    folder (named by segment id) behind for every collection it deletes."""
    try:
        uri = f"{(store / 'chroma.sqlite3').as_uri()}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=30)) as db:
            live = {row[0] for row in db.execute("SELECT id FROM segments")}
    except sqlite3.Error as exc:
        logger.warning("Could not list Chroma's segments to clean up: %s", exc)
        return
    for folder in store.iterdir():
        if folder.is_dir() and _UUID.fullmatch(folder.name) and folder.name not in live:
            shutil.rmtree(folder, ignore_errors=True)
