"""The one contract for LLM backends: a spec prefix maps to a factory of LangChain chat models.

A spec is ``PREFIX:TARGET`` (``openai:gpt-4o-mini``, ``ollama:llama3``,
``llamacpp:/models/x.gguf``). Built-in backends register with :func:`register` exactly as a
plugin would::

    @register("mine", endpoint=lambda target, settings: "http://...", hint="start it")
    def make_mine(target: str, settings: Settings, max_tokens: int | None) -> BaseChatModel: ...
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from langchain_core.language_models import BaseChatModel

from interview_bot.errors import LLMError
from interview_bot.settings import Settings

Factory = Callable[[str, Settings, int | None], BaseChatModel]
Endpoint = Callable[[str, Settings], str]


@dataclass(frozen=True)
class Backend:
    """A registered backend: how to build its chat model and where it sends requests."""

    prefix: str
    factory: Factory
    endpoint: Endpoint
    hint: str = "pass --llm offline"


BACKENDS: dict[str, Backend] = {}


def register(
    prefix: str, *, endpoint: Endpoint | None = None, hint: str = "pass --llm offline"
) -> Callable[[Factory], Factory]:
    """Decorator registering ``factory`` for specs ``prefix:TARGET``.

    ``endpoint`` says where requests go (default: the target itself); ``hint`` is what to do
    when nothing answers there.
    """

    def decorate(factory: Factory) -> Factory:
        where = endpoint or (lambda target, _settings: target)
        BACKENDS[prefix] = Backend(prefix, factory, where, hint)
        return factory

    return decorate


def parse_spec(spec: str) -> tuple[str, str]:
    """Split ``PREFIX:TARGET`` into its registered prefix and target, or raise LLMError."""
    prefix, sep, target = spec.strip().partition(":")
    if prefix not in BACKENDS:
        known = ", ".join(f"{p}:" for p in sorted(BACKENDS)) or "none"
        raise LLMError(f"Unknown LLM spec '{spec}': known backends are {known} (or 'offline')")
    if not sep or not target.strip():
        raise LLMError(f"LLM spec '{spec}' names no model: write {prefix}:MODEL")
    return prefix, target.strip()


def make_chat_model(
    spec: str, settings: Settings, *, max_tokens: int | None = None
) -> BaseChatModel:
    """Build the chat model a spec names (temperature 0, no retries of its own)."""
    prefix, target = parse_spec(spec)
    return BACKENDS[prefix].factory(target, settings, max_tokens)


def backend(spec: str) -> Backend:
    """The registered backend of ``spec``."""
    return BACKENDS[parse_spec(spec)[0]]


def endpoint(spec: str, settings: Settings) -> str:
    """Where requests for ``spec`` go (a URL or a model file), for messages to people."""
    prefix, target = parse_spec(spec)
    return BACKENDS[prefix].endpoint(target, settings)
