"""Grader specs to graders: ``offline`` or an LLM spec with the offline grader as fallback."""

from __future__ import annotations

import threading

from interview_bot.embeddings import Embedder
from interview_bot.grade import Grader
from interview_bot.llm.cache import GradeCache
from interview_bot.offline_grader import OfflineGrader
from interview_bot.settings import Settings

OFFLINE = "offline"


class GraderPool:
    """One grader per spec, built on first use and shared (they are thread-safe)."""

    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        self.settings = settings
        self.offline = OfflineGrader(embedder)
        self._graders: dict[tuple[str, str | None], Grader] = {}
        self._lock = threading.Lock()

    def get(self, spec: str | None = None, base_url: str | None = None) -> Grader:
        spec = spec or self.settings.llm or OFFLINE
        if spec == OFFLINE:
            return self.offline
        base_url = base_url or self.settings.base_url
        with self._lock:
            key = (spec, base_url)
            if key not in self._graders:
                from interview_bot.llm_grader import LLMGrader

                settings = self.settings.with_overrides(base_url=base_url)
                self._graders[key] = LLMGrader(
                    spec, settings, fallback=self.offline, cache=GradeCache.for_settings(settings)
                )
            return self._graders[key]
