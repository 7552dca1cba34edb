"""``ollama:MODEL``: a model served by a local Ollama."""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel

from interview_bot.grading.llm.registry import Backend, Mechanism
from interview_bot.settings import Settings

OLLAMA_URL = "http://127.0.0.1:11434"


def base_url(_target: str, settings: Settings) -> str:
    return settings.base_url or OLLAMA_URL


def make_ollama(target: str, settings: Settings, max_tokens: int | None) -> BaseChatModel:
    from langchain_ollama import ChatOllama

    return ChatOllama(
        model=target,
        base_url=base_url(target, settings),
        temperature=0,
        num_predict=max_tokens,
        client_kwargs={"timeout": settings.llm_timeout},
    )


def output(_target: str, _settings: Settings) -> Mechanism:
    """Ollama's ``format`` takes a JSON schema and constrains sampling to it."""
    return "format"


plugin = Backend(
    "ollama",
    make_ollama,
    endpoint=base_url,
    hint="start Ollama or pass --llm offline",
    output=output,
)
