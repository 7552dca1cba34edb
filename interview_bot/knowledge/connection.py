"""The store's Chroma client and its recovery from faults.

A server connection that drops is retried once with a fresh client (then a clear
StoreError); an embedded store folder that was deleted or is no longer a database is moved
aside and started afresh, saying so in :attr:`ChromaConnection.notice`.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
from chromadb.errors import InternalError

from interview_bot.errors import StoreError
from interview_bot.knowledge.chroma import CORRUPT, forget_embedded, make_client, unreachable
from interview_bot.settings import Settings

logger = logging.getLogger(__name__)
_R = TypeVar("_R")


class ChromaConnection:
    """The client of one embedded store or Chroma server, remade after a fault.

    ``on_reset`` runs when the store had to be started afresh, so what was read from the
    old one is forgotten.
    """

    def __init__(self, settings: Settings, on_reset: Callable[[], None]) -> None:
        self.settings = settings
        self.lock = threading.RLock()
        self.lost: str | None = None  # what happened to a store that had to be started afresh
        self.rebuild_pending = False
        self.notice: str | None = None  # the latest recovery, said in words for the user
        self._client: Any = None
        self._on_reset = on_reset
        self._guard = threading.local()

    @property
    def client(self) -> Any:
        with self.lock:
            if self._client is None:
                self._client = make_client(self.settings)
            return self._client

    def guarded(self, call: Callable[[], _R]) -> _R:
        """``call()``; after a dropped connection or a lost store, once more."""
        if getattr(self._guard, "active", False):  # an inner call: the outer one retries
            return call()
        self._guard.active = True
        try:
            self._check_folder()
            try:
                return call()
            except Exception as exc:
                if not self._recover(exc):
                    raise
            try:
                return call()
            except Exception as exc:
                if not self._is_fault(exc):
                    raise
                if self.settings.chroma_url:
                    raise unreachable(self.settings.chroma_url) from exc
                raise StoreError(
                    f"The Chroma store at {self.settings.store_dir} cannot be read "
                    f"({exc}) - move that folder away and run again"
                ) from exc
        finally:
            self._guard.active = False

    def _check_folder(self) -> None:
        """Notice an embedded store whose folder was deleted under a running process."""
        with self.lock:
            if (
                self._client is not None
                and not self.settings.chroma_url
                and not (self.settings.store_dir / "chroma.sqlite3").exists()
            ):
                self._start_afresh(f"The Chroma store at {self.settings.store_dir} was deleted")

    def _is_fault(self, exc: Exception) -> bool:
        """A dropped server connection, or an embedded store that is no longer a database."""
        if self.settings.chroma_url:
            return isinstance(exc, httpx.TransportError | ConnectionError)
        return isinstance(exc, InternalError) and CORRUPT.search(str(exc)) is not None

    def _recover(self, exc: Exception) -> bool:
        """Make the next attempt possible after ``exc``; False if ``exc`` is not a store fault."""
        if not self._is_fault(exc):
            return False
        with self.lock:
            if self.settings.chroma_url:
                logger.warning(
                    "Lost the Chroma server at %s (%s); reconnecting", self.settings.chroma_url, exc
                )
                client, self._client = self._client, None
                with contextlib.suppress(Exception):
                    client.close()
                return True
            store_dir = self.settings.store_dir
            stamp = time.strftime("%Y%m%d-%H%M%S")
            aside = store_dir.with_name(f"{store_dir.name}.corrupt-{stamp}")
            forget_embedded(str(store_dir))
            with contextlib.suppress(OSError):
                store_dir.rename(aside)
            self._start_afresh(
                f"The Chroma store at {store_dir} could not be read ({exc}); "
                f"it was moved to {aside}"
            )
            return True

    def _start_afresh(self, what: str) -> None:
        forget_embedded(str(self.settings.store_dir))
        self._client = None
        self._on_reset()
        self.lost = what
        self.rebuild_pending = True
        self.notice = f"{what}. Started an empty store."
        logger.warning("%s", self.notice)
