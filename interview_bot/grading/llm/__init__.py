"""LLM graders: backends (``openai:``, ``ollama:``, ``llamacpp:``) and the LLM judge.

Backends are grader plugins (see :mod:`interview_bot.grading.plugins`):
``make_chat_model("ollama:llama3", settings)`` builds the chat model a spec names.
"""

from __future__ import annotations

from interview_bot.grading.llm.connection import check_connection
from interview_bot.grading.llm.registry import (
    Backend,
    backend,
    backends,
    endpoint,
    make_chat_model,
    parse_spec,
)

__all__ = [
    "Backend",
    "backend",
    "backends",
    "check_connection",
    "endpoint",
    "make_chat_model",
    "parse_spec",
]
