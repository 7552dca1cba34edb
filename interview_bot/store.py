"""The Chroma store of built banks, through langchain-chroma.

Each build of a bank goes into a fresh collection; only when it is complete does the
bank's entry in a small registry collection point at it (build, then swap), so a failed
ingest leaves the previous store fully usable. The registry entry holds the manifest: file
hashes, merge decisions and the fingerprint that makes re-ingesting unchanged files free.
Works the same on an embedded store (a folder) and on a Chroma server (``chroma_url``).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import chromadb
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma
from pydantic import BaseModel

from interview_bot.bank import Bank, Progress, bank_files, build_bank, display_path
from interview_bot.embeddings import DIMENSIONS, Embedder, LangChainEmbedder
from interview_bot.errors import StoreError
from interview_bot.models import CanonicalQuestion, FileStats, MergeDecision
from interview_bot.parsers import DEFAULT_MAX_BYTES
from interview_bot.settings import Settings

BUILD_VERSION = "1"  # bump when parsing or merging changes what a build produces
REGISTRY = "interview_bot_registry"
_ADD_BATCH = 256


class Manifest(BaseModel):
    """What a bank's current collection was built from."""

    bank: str
    collection: str
    fingerprint: str
    built_at: float
    files: list[FileStats]
    merges: list[MergeDecision]
    questions: int
    needing_reference: list[str]


@dataclass(frozen=True)
class SearchHit:
    question: CanonicalQuestion
    similarity: float


@dataclass(frozen=True)
class IngestReport:
    bank: str
    unchanged: bool
    questions: int
    embedded_texts: int
    seconds: float
    manifest: Manifest


def make_client(settings: Settings) -> Any:
    """An embedded client on DATA_DIR/store, or an HTTP client when chroma_url is set."""
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise StoreError(f"chroma_url must look like http://HOST:PORT, got {settings.chroma_url!r}")
        try:
            return chromadb.HttpClient(host=url.hostname, port=url.port or 8000,
                                       ssl=url.scheme == "https", settings=chroma_settings)
        except Exception as exc:  # chromadb raises bare ValueError/ConnectionError here
            raise StoreError(f"No Chroma server reachable at {settings.chroma_url}: {exc} - "
                             "start it with `chroma run` or unset --chroma-url") from exc
    settings.store_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.store_dir), settings=chroma_settings)


def fingerprint(paths: list[Path], max_bytes: int) -> str:
    digest = hashlib.sha256(f"build {BUILD_VERSION}\n".encode())
    for path in paths:
        try:
            data = path.read_bytes()[: max_bytes + 1]
        except OSError:
            data = b""
        digest.update(f"{display_path(path)}\0{hashlib.sha256(data).hexdigest()}\n".encode())
    return digest.hexdigest()


class BankStore:
    """Ingest banks into Chroma and read them back: questions by id, and similarity search."""

    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        self.settings = settings
        self.embedder = embedder
        self._lc_embedder = LangChainEmbedder(embedder)
        self._client: Any = None
        self._lock = threading.RLock()
        # bank -> (collection the questions were read from, questions by id)
        self._questions: dict[str, tuple[str, dict[str, CanonicalQuestion]]] = {}

    # -- plumbing -------------------------------------------------------------------------
    @property
    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = make_client(self.settings)
            return self._client

    def _registry(self) -> Any:
        return self.client.get_or_create_collection(REGISTRY, metadata={"hnsw:space": "cosine"})

    def _vectorstore(self, collection: str) -> Chroma:
        return Chroma(collection_name=collection, client=self.client,
                      embedding_function=self._lc_embedder,
                      collection_metadata={"hnsw:space": "cosine"})

    def manifest(self, bank: str) -> Manifest | None:
        """The manifest of a bank's current build, or None if it was never ingested."""
        found = self._registry().get(ids=[bank], include=["documents"])
        if not found["ids"]:
            return None
        return Manifest.model_validate_json(found["documents"][0])

    def banks(self) -> list[str]:
        return sorted(self._registry().get(include=[])["ids"])

    # -- ingest ---------------------------------------------------------------------------
    def ingest(self, paths: Iterable[Path], bank: str = "default",
               progress: Progress | None = None, force: bool = False) -> IngestReport:
        """Build ``bank`` from ``paths`` and swap it in; unchanged files cost nothing."""
        started = time.perf_counter()
        encoded_before = self.embedder.encoded_texts
        files = bank_files(paths)
        max_bytes = self.settings.max_upload_bytes or DEFAULT_MAX_BYTES
        print_ = fingerprint(files, max_bytes)
        current = self.manifest(bank)
        if current is not None and current.fingerprint == print_ and not force:
            return IngestReport(bank, True, current.questions, 0,
                                time.perf_counter() - started, current)
        built = build_bank(files, self.embedder, name=bank, max_bytes=max_bytes, progress=progress)
        manifest = self._write(built, print_, progress)
        if current is not None and current.collection != manifest.collection:
            self._drop(current.collection)
        return IngestReport(bank, False, len(built.questions),
                            self.embedder.encoded_texts - encoded_before,
                            time.perf_counter() - started, manifest)

    def _drop(self, collection: str) -> None:
        try:
            self.client.delete_collection(collection)
        except Exception:  # already gone: nothing to clean up
            return

    def _write(self, built: Bank, print_: str, progress: Progress | None) -> Manifest:
        name = f"ib_{hashlib.sha256(built.name.encode()).hexdigest()[:8]}_{print_[:16]}"
        self._drop(name)  # leftovers of an earlier build that failed half-way
        texts, metadatas, ids = [], [], []
        for q in built.questions:
            record = q.model_dump_json()
            for i, text in enumerate([q.question, *q.variants]):
                texts.append(text)
                ids.append(f"{q.id}:q{i}")
                metadatas.append({"kind": "question" if i == 0 else "variant", "qid": q.id,
                                  "topic": q.topic or "", "record": record if i == 0 else ""})
            for i, ref in enumerate(q.references):
                if ref.retrieved:
                    continue
                texts.append(ref.text)
                ids.append(f"{q.id}:r{i}")
                metadatas.append({"kind": "reference", "qid": q.id, "topic": q.topic or "",
                                  "record": ""})
        store = self._vectorstore(name)
        for start in range(0, len(texts), _ADD_BATCH):
            end = start + _ADD_BATCH
            store.add_texts(texts[start:end], metadatas=metadatas[start:end], ids=ids[start:end])
            if progress:
                progress("stored", min(end, len(texts)), len(texts))
        manifest = Manifest(
            bank=built.name, collection=name, fingerprint=print_, built_at=time.time(),
            files=built.file_stats(), merges=built.merges, questions=len(built.questions),
            needing_reference=[q.id for q in built.needing_reference],
        )
        anchor = [1.0] + [0.0] * (DIMENSIONS - 1)
        self._registry().upsert(ids=[built.name], documents=[manifest.model_dump_json()],
                                embeddings=[anchor], metadatas=[{"collection": name}])
        with self._lock:
            self._questions.pop(built.name, None)
        return manifest

    # -- reading --------------------------------------------------------------------------
    def _current(self, bank: str) -> Manifest:
        manifest = self.manifest(bank)
        if manifest is None:
            raise StoreError(f"bank {bank!r} is not ingested yet - run `interview-bot ingest "
                             f"--bank {bank} FILES`")
        return manifest

    def questions(self, bank: str = "default") -> dict[str, CanonicalQuestion]:
        """Every canonical question of a bank by id (read once, then kept in memory)."""
        manifest = self._current(bank)
        with self._lock:
            cached = self._questions.get(bank)
            if cached is not None and cached[0] == manifest.collection:
                return cached[1]
        found = self.client.get_collection(manifest.collection).get(
            where={"kind": "question"}, include=["metadatas"])
        records = [CanonicalQuestion.model_validate_json(m["record"]) for m in found["metadatas"]]
        by_id = {q.id: q for q in sorted(records, key=lambda q: (q.topic or "", q.id))}
        with self._lock:
            self._questions[bank] = (manifest.collection, by_id)
        return by_id

    def get(self, question_id: str, bank: str = "default") -> CanonicalQuestion | None:
        return self.questions(bank).get(question_id)

    def search(self, query: str, k: int = 5, bank: str = "default",
               kinds: tuple[str, ...] = ("question", "variant")) -> list[SearchHit]:
        """The canonical questions closest to ``query``, best first, one hit per question."""
        manifest = self._current(bank)
        questions = self.questions(bank)
        vector = self.embedder.encode([query])[0].tolist()
        where: dict[str, Any] = {"kind": {"$in": list(kinds)}} if len(kinds) > 1 else {"kind": kinds[0]}
        found = self._vectorstore(manifest.collection).similarity_search_by_vector_with_relevance_scores(
            vector, k=max(k * 4, 10), filter=where)
        best: dict[str, float] = {}
        for doc, distance in found:
            qid = doc.metadata["qid"]
            best[qid] = max(best.get(qid, -1.0), 1.0 - float(distance))
        ranked = sorted(best.items(), key=lambda item: -item[1])[:k]
        return [SearchHit(questions[qid], round(sim, 4)) for qid, sim in ranked if qid in questions]
