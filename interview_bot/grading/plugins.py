"""The one contract for graders: a spec's prefix names a plugin that builds the grader.

Plugins are found through the entry-point group ``interview_bot.graders``. The built-in
``offline``, ``openai``, ``ollama`` and ``llamacpp`` graders are registered there exactly as
a plugin package registers its own (see pyproject.toml)::

    [project.entry-points."interview_bot.graders"]
    mine = "my_package.grader:plugin"

where ``plugin`` has a ``prefix`` ("mine", for specs ``mine`` or ``mine:TARGET``) and a
``make_grader(choice, context)`` that returns any object with ``name`` and ``grade``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Protocol, runtime_checkable

from interview_bot.errors import LLMError
from interview_bot.grading.choice import GraderChoice
from interview_bot.grading.result import Grader
from interview_bot.settings import Settings

GROUP = "interview_bot.graders"


@dataclass(frozen=True)
class GraderContext:
    """What a plugin may build on: the settings and the shared offline grader (evidence and
    fallback for LLM graders)."""

    settings: Settings
    offline: Grader


@runtime_checkable
class GraderPlugin(Protocol):
    prefix: str

    def make_grader(self, choice: GraderChoice, context: GraderContext) -> Grader: ...


_plugins: dict[str, GraderPlugin] = {}
_loaded = False
_lock = threading.Lock()


def plugins() -> dict[str, GraderPlugin]:
    """Every installed grader plugin by prefix (entry points are loaded once)."""
    global _loaded
    with _lock:
        if not _loaded:
            for point in entry_points(group=GROUP):
                plugin = point.load()
                if not isinstance(plugin, GraderPlugin):
                    raise LLMError(
                        f"grader plugin {point.value} needs a prefix and "
                        "make_grader(choice, context)"
                    )
                _plugins.setdefault(plugin.prefix, plugin)
            _loaded = True
        return dict(_plugins)


def register(plugin: GraderPlugin) -> None:
    """Add a plugin in this process (what an entry point does for an installed package)."""
    plugins()
    with _lock:
        _plugins[plugin.prefix] = plugin


def plugin_for(spec: str) -> GraderPlugin:
    """The plugin a spec names, or an LLMError listing the known prefixes."""
    prefix = spec.strip().partition(":")[0]
    found = plugins()
    if prefix not in found:
        known = ", ".join(sorted(found)) or "none"
        raise LLMError(f"Unknown grader '{spec}': known graders are {known}")
    return found[prefix]
