"""The one object the web app, the CLI and evals share: settings, embedder, store, graders."""

from __future__ import annotations

import threading
from pathlib import Path

from interview_bot.bank import Progress
from interview_bot.embeddings import Embedder, get_embedder
from interview_bot.errors import StoreError
from interview_bot.settings import Settings, load_settings
from interview_bot.store import BankStore, IngestReport, SearchHit


class InterviewBot:
    """Entry point of the Python API: ``InterviewBot().search("what is RoPE?")``."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or load_settings()
        self.embedder: Embedder = get_embedder(self.settings.data_dir)
        self.store = BankStore(self.settings, self.embedder)
        self._ensure_lock = threading.Lock()

    def ingest(self, paths: list[Path] | None = None, bank: str | None = None,
               progress: Progress | None = None, force: bool = False) -> IngestReport:
        """Ingest files (default: the knowledge folder) into a bank (default: the setting)."""
        return self.store.ingest(paths or [self.settings.knowledge_dir],
                                 bank or self.settings.bank, progress=progress, force=force)

    def ensure_bank(self, bank: str | None = None, progress: Progress | None = None) -> str:
        """Make sure ``bank`` exists; the default bank is built from knowledge/ when missing."""
        name = bank or self.settings.bank
        with self._ensure_lock:
            if self.store.manifest(name) is not None:
                return name
            if name != "default":
                raise StoreError(f"bank {name!r} is not ingested yet - run "
                                 f"`interview-bot ingest --bank {name} FILES`")
            self.ingest(bank=name, progress=progress)
        return name

    def search(self, query: str, k: int = 5, bank: str | None = None) -> list[SearchHit]:
        return self.store.search(query, k=k, bank=self.ensure_bank(bank))
