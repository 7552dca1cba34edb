"""One ingest at a time per data folder, across processes: a file lock that says who holds it."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import filelock

from interview_bot.errors import StoreError
from interview_bot.knowledge.bank import OnProgress

DEFAULT_WAIT = 600.0  # seconds an ingest waits for another one on the same data folder


@contextlib.contextmanager
def ingest_lock(
    folder: Path, wait: float = DEFAULT_WAIT, progress: OnProgress | None = None
) -> Iterator[None]:
    """Hold ``folder``'s ingest lock (``ingest.lock``; ``ingest.owner`` says whose).

    Waits up to ``wait`` seconds for another ingest to finish (saying so through
    ``progress``), then gives up with a StoreError naming the ingest that holds it.
    """
    folder.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(str(folder / "ingest.lock"))
    owner = folder / "ingest.owner"
    try:
        lock.acquire(timeout=0)
    except filelock.Timeout:
        if progress is not None:
            progress("waiting for another ingest", 0, 1)
        try:
            lock.acquire(timeout=max(wait, 0))
        except filelock.Timeout:
            who = ""
            with contextlib.suppress(OSError):
                who = f" ({owner.read_text(encoding='utf-8').strip()})"
            raise StoreError(
                f"another ingest is running on {folder}{who} - wait for it to finish "
                "and run again, or give it longer with --wait SECONDS"
            ) from None
        if progress is not None:
            progress("waiting for another ingest", 1, 1)
    try:
        with contextlib.suppress(OSError):
            owner.write_text(
                f"pid {os.getpid()}, since {time.strftime('%H:%M:%S')}", encoding="utf-8"
            )
        yield
    finally:
        lock.release()
