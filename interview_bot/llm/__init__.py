"""LLM backends behind one registry: ``make_chat_model("ollama:llama3", settings)``.

Importing this package registers the built-in backends (openai:, ollama:, llamacpp:).
"""

from __future__ import annotations

from interview_bot.llm import llamacpp_backend, ollama_backend, openai_backend
from interview_bot.llm.connection import check_connection
from interview_bot.llm.registry import (
    BACKENDS,
    Backend,
    backend,
    endpoint,
    make_chat_model,
    parse_spec,
    register,
)

__all__ = [
    "BACKENDS",
    "Backend",
    "backend",
    "check_connection",
    "endpoint",
    "llamacpp_backend",
    "make_chat_model",
    "ollama_backend",
    "openai_backend",
    "parse_spec",
    "register",
]
