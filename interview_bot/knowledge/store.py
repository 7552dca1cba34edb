"""The Chroma store of built banks, through langchain-chroma.

Each build of a bank goes into a fresh collection of its own name; only when it is complete
does the bank's entry in a small registry collection point at it (build, then swap), so a
failed or killed ingest, ``--force`` included, leaves the previous store fully usable.
Readers follow the registry and never create a collection; collections no entry points at
(an old build, a killed one) are dropped after a successful swap. One ingest at a time
writes to a data folder: a file lock (``DATA_DIR/ingest.lock``) makes the others wait.
The registry entry holds the manifest: file hashes, merge decisions and the fingerprint
that makes re-ingesting unchanged files free. Works the same on an embedded store (a
folder) and on a Chroma server (``chroma_url``).

Faults are met, not crashed into (:mod:`~interview_bot.knowledge.connection`): a dropped
server connection is retried with a fresh client, and an embedded store folder that was
deleted or is no longer a database is moved aside and started afresh, saying so in
:attr:`BankStore.notice`.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from chromadb.errors import NotFoundError
from langchain_chroma import Chroma

from interview_bot.errors import StoreError
from interview_bot.knowledge.bank import Bank, OnProgress, bank_files, build_bank
from interview_bot.knowledge.chroma import (
    COLLECTION_PREFIX,
    bank_documents,
    built_at,
    clean_index_folders,
    collection_name,
    disk_full,
)
from interview_bot.knowledge.connection import ChromaConnection
from interview_bot.knowledge.embeddings import DIMENSIONS, Embedder, LangChainEmbedder
from interview_bot.knowledge.ingest_lock import DEFAULT_WAIT, ingest_lock
from interview_bot.knowledge.manifest import BUILD_VERSION, IngestReport, Manifest, fingerprint
from interview_bot.knowledge.models import CanonicalQuestion, SearchHit
from interview_bot.knowledge.parsers import DEFAULT_MAX_BYTES
from interview_bot.knowledge.search import DENSE_CANDIDATES, LexicalIndex, dense_best, fuse
from interview_bot.settings import Settings

REGISTRY = "interview_bot_registry"
_ADD_BATCH = 256
logger = logging.getLogger(__name__)
_P = ParamSpec("_P")
_R = TypeVar("_R")


def _guarded(method: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run a store operation through the connection's fault recovery."""

    @functools.wraps(method)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        store: BankStore = args[0]  # type: ignore[assignment]
        return store.connection.guarded(lambda: method(*args, **kwargs))

    return run


class BankStore:
    """Ingest banks into Chroma and read them back: questions by id, and similarity search."""

    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        self.settings = settings
        self.embedder = embedder
        self._lc_embedder = LangChainEmbedder(embedder)
        self.connection = ChromaConnection(settings, on_reset=self._forget_reads)
        self._lock = self.connection.lock
        # bank -> (collection the questions were read from, questions by id)
        self._questions: dict[str, tuple[str, dict[str, CanonicalQuestion]]] = {}
        # bank -> the manifest of the build it was last read from
        self._manifests: dict[str, Manifest] = {}
        # bank -> (collection the lexical index was built from, the index)
        self._lexical: dict[str, tuple[str, LexicalIndex]] = {}

    @property
    def client(self) -> Any:
        return self.connection.client

    @property
    def notice(self) -> str | None:
        """The latest recovery from a lost store, said in words for the user."""
        return self.connection.notice

    def _forget_reads(self) -> None:
        self._questions.clear()
        self._manifests.clear()

    def _registry(self) -> Any:
        return self.client.get_or_create_collection(REGISTRY, metadata={"hnsw:space": "cosine"})

    def _vectorstore(self, collection: str) -> Chroma:
        return Chroma(
            collection_name=collection,
            client=self.client,
            embedding_function=self._lc_embedder,
            collection_metadata={"hnsw:space": "cosine"},
        )

    @_guarded
    def manifest(self, bank: str) -> Manifest | None:
        """The manifest of a bank's current build, or None if it was never ingested."""
        found = self._manifest(bank)
        if found is None and self.connection.lost and bank != "default":
            raise StoreError(
                f"{self.connection.lost}, and bank {bank!r} cannot be rebuilt from "
                f"knowledge/ - re-ingest it with `interview-bot ingest --bank {bank} "
                "FILES`"
            )
        return found

    def _manifest(self, bank: str) -> Manifest | None:
        """The registry entry's manifest; parsed once per build (a 10,000-question bank's
        manifest, merges included, takes ~60 ms to parse: more than a search)."""
        entry = self._registry().get(ids=[bank], include=["metadatas"])
        if not entry["ids"]:
            return None
        collection = str(entry["metadatas"][0].get("collection", ""))
        with self._lock:
            cached = self._manifests.get(bank)
        if cached is not None and cached.collection == collection:
            return cached
        found = self._registry().get(ids=[bank], include=["documents"])
        if not found["ids"]:
            return None
        manifest = Manifest.model_validate_json(found["documents"][0])
        with self._lock:
            self._manifests[bank] = manifest
        return manifest

    @_guarded
    def banks(self) -> list[str]:
        return sorted(self._registry().get(include=[])["ids"])

    # -- ingest ---------------------------------------------------------------------------
    @_guarded
    def ingest(
        self,
        paths: Iterable[Path],
        bank: str = "default",
        progress: OnProgress | None = None,
        force: bool = False,
        wait: float = DEFAULT_WAIT,
    ) -> IngestReport:
        """Build ``bank`` from ``paths`` and swap it in; unchanged files cost nothing.

        The live collection is never touched until the new one is complete: ``force``
        rebuilds into a new collection too.
        """
        started = time.perf_counter()
        encoded_before = self.embedder.encoded_texts
        paths = list(paths)
        max_bytes = self.settings.max_upload_bytes or DEFAULT_MAX_BYTES
        files = bank_files(paths, max_bytes)
        print_ = fingerprint(files, max_bytes)
        with ingest_lock(self.settings.data_dir, wait, progress):
            current = self._manifest(bank)  # read under the lock: another ingest may have run
            if (
                current is not None
                and current.fingerprint == print_
                and not force
                and self._complete(current)
            ):
                return IngestReport(
                    bank, True, current.questions, 0, time.perf_counter() - started, current
                )
            built = build_bank(
                files, self.embedder, name=bank, max_bytes=max_bytes, progress=progress
            )
            manifest = self._write(built, print_, progress)
            self._clean_orphans()
        if self.connection.rebuild_pending:
            self.connection.rebuild_pending = False
            sources = ", ".join(p.name + ("/" if p.is_dir() else "") for p in paths)
            notice = f"{self.connection.lost}. Bank {bank!r} was rebuilt from {sources}."
            self.connection.notice = notice
            logger.warning("%s", notice)
        return IngestReport(
            bank,
            False,
            len(built.questions),
            self.embedder.encoded_texts - encoded_before,
            time.perf_counter() - started,
            manifest,
        )

    def _complete(self, manifest: Manifest) -> bool:
        """Whether the collection a manifest points at is there (an older version could
        lose it to a killed ``--force``)."""
        try:
            return bool(self.client.get_collection(manifest.collection).count())
        except NotFoundError:
            return False

    def _drop(self, collection: str) -> None:
        try:
            self.client.delete_collection(collection)
        except Exception:  # already gone: nothing to clean up
            return

    def _clean_orphans(self) -> None:
        """Drop the collections no bank points at: superseded builds and killed ones.

        Runs under the ingest lock after a swap, so no build of this data folder is in
        flight; on a shared Chroma server, whose other clients may be building, only
        collections older than an hour are dropped.
        """
        live = {m["collection"] for m in self._registry().get(include=["metadatas"])["metadatas"]}
        for collection in self.client.list_collections():
            name = getattr(collection, "name", collection)
            if not name.startswith(COLLECTION_PREFIX) or name in live:
                continue
            if self.settings.chroma_url and time.time() - built_at(name) < 3600:
                continue
            self._drop(name)
        if not self.settings.chroma_url:
            clean_index_folders(self.settings.store_dir)

    def _write(self, built: Bank, print_: str, progress: OnProgress | None) -> Manifest:
        """Store a built bank in a new collection, then point the bank's entry at it."""
        name = collection_name(built.name, print_)
        try:
            return self._write_into(name, built, print_, progress)
        except Exception as exc:
            self._drop(name)  # never leave half a build behind when we can help it
            if disk_full(exc):
                raise StoreError(
                    f"the disk holding {self.settings.store_dir} is full ({exc}) - free some "
                    f"space and ingest again; bank {built.name!r} is unchanged"
                ) from exc
            raise

    def _write_into(
        self, name: str, built: Bank, print_: str, progress: OnProgress | None
    ) -> Manifest:
        texts, metadatas, ids = bank_documents(built)
        store = self._vectorstore(name)
        for start in range(0, len(texts), _ADD_BATCH):
            end = start + _ADD_BATCH
            store.add_texts(texts[start:end], metadatas=metadatas[start:end], ids=ids[start:end])
            if progress:
                progress("stored", min(end, len(texts)), len(texts))
        manifest = Manifest(
            bank=built.name,
            collection=name,
            fingerprint=print_,
            built_at=time.time(),
            files=built.file_stats(),
            merges=built.merges,
            questions=len(built.questions),
            needing_reference=[q.id for q in built.needing_reference],
            build_version=BUILD_VERSION,
        )
        anchor = [1.0] + [0.0] * (DIMENSIONS - 1)
        self._registry().upsert(
            ids=[built.name],
            documents=[manifest.model_dump_json()],
            embeddings=[anchor],
            metadatas=[{"collection": name}],
        )
        with self._lock:
            self._questions.pop(built.name, None)
        return manifest

    # -- reading --------------------------------------------------------------------------
    def _current(self, bank: str) -> Manifest:
        manifest = self.manifest(bank)
        if manifest is None:
            raise StoreError(
                f"bank {bank!r} is not ingested yet - run `interview-bot ingest "
                f"--bank {bank} FILES`"
            )
        return manifest

    def _read(self, bank: str, read: Callable[[Manifest, Any], _R]) -> _R:
        """``read(manifest, collection)`` on a bank's current collection.

        An ingest in another process may swap the bank and drop the collection a reader
        just looked up; the reader then follows the registry to the new one. A reader never
        creates a collection.
        """
        for attempt in range(3):
            manifest = self._current(bank)
            try:
                collection = self.client.get_collection(manifest.collection)
                return read(manifest, collection)
            except NotFoundError:
                if attempt == 2:
                    raise StoreError(
                        f"bank {bank!r} points at a collection that is gone - run "
                        f"`interview-bot ingest --bank {bank} FILES` again"
                    ) from None
                time.sleep(0.1 * (attempt + 1))
        raise AssertionError("unreachable")

    @_guarded
    def questions(self, bank: str = "default") -> dict[str, CanonicalQuestion]:
        """Every canonical question of a bank by id (read once, then kept in memory)."""
        return self._built_questions(bank)[1]

    def _built_questions(self, bank: str) -> tuple[str, dict[str, CanonicalQuestion]]:
        """The bank's questions by id, and the collection they were read from."""
        manifest = self._current(bank)
        with self._lock:
            cached = self._questions.get(bank)
            if cached is not None and cached[0] == manifest.collection:
                return cached

        def read(manifest: Manifest, collection: Any) -> tuple[str, dict[str, CanonicalQuestion]]:
            found = collection.get(where={"kind": "question"}, include=["metadatas"])
            records = [
                CanonicalQuestion.model_validate_json(m["record"]) for m in found["metadatas"]
            ]
            ordered = sorted(records, key=lambda q: (q.topic or "", q.id))
            return manifest.collection, {q.id: q for q in ordered}

        built = self._read(bank, read)
        with self._lock:
            self._questions[bank] = built
        return built

    def get(self, question_id: str, bank: str = "default") -> CanonicalQuestion | None:
        return self.questions(bank).get(question_id)

    def _lexical_index(
        self, bank: str, collection: str, questions: dict[str, CanonicalQuestion]
    ) -> LexicalIndex:
        """The bank's BM25 index, built once per collection from its questions."""
        with self._lock:
            cached = self._lexical.get(bank)
            if cached is not None and cached[0] == collection:
                return cached[1]
        index = LexicalIndex.build(questions)
        with self._lock:
            self._lexical[bank] = (collection, index)
        return index

    @_guarded
    def search(self, query: str, k: int = 5, bank: str = "default") -> list[SearchHit]:
        """The bank questions ``query`` asks about, best first, one hit per question.

        Hybrid: dense over wordings and answer statements, BM25 over both, their scores
        added with weights (see :mod:`interview_bot.knowledge.search`).
        """
        vector = self.embedder.encode([query])[0].tolist()

        def read(_manifest: Manifest, collection: Any) -> Any:
            return collection.query(
                query_embeddings=[vector],
                n_results=DENSE_CANDIDATES,
                include=["metadatas", "distances"],
            )

        found = self._read(bank, read)
        collection, questions = self._built_questions(bank)
        asks, says = dense_best(found)
        words = self._lexical_index(bank, collection, questions).scores(query, DENSE_CANDIDATES)
        ranked = [r for r in fuse(asks, says, words) if r.question_id in questions][:k]
        return [SearchHit(questions[r.question_id], r.similarity) for r in ranked]
