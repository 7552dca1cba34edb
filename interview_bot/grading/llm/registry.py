"""LLM backends: a spec ``PREFIX:TARGET`` maps to a factory of LangChain chat models.

Each backend module defines ``plugin = Backend(...)``, registered under the entry-point group
``interview_bot.graders`` like any grader plugin (:mod:`interview_bot.grading.plugins`). Its
grader is an :class:`~interview_bot.grading.llm.grader.LLMGrader` on that chat model, with
the offline grader as evidence and fallback.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from langchain_core.language_models import BaseChatModel

from interview_bot.errors import LLMError
from interview_bot.grading.choice import GraderChoice
from interview_bot.grading.plugins import GraderContext, plugins
from interview_bot.grading.result import Grader
from interview_bot.settings import Settings

Factory = Callable[[str, Settings, int | None], BaseChatModel]
Endpoint = Callable[[str, Settings], str]

# How a backend makes the model return a schema-valid verdict (constrained decoding first):
#   json_schema         OpenAI strict structured output, response_format type json_schema
#   json_object_schema  response_format {"type": "json_object", "schema": ...}: llama.cpp servers
#   grammar             a llama.cpp grammar built from the JSON schema, in-process
#   format              Ollama's ``format`` JSON schema
#   function_calling    a forced function call; for backends with none of the above
Mechanism = Literal["json_schema", "json_object_schema", "grammar", "format", "function_calling"]
Output = Callable[[str, Settings], Mechanism]


def _target_itself(target: str, _settings: Settings) -> str:
    return target


def _function_calling(_target: str, _settings: Settings) -> Mechanism:
    return "function_calling"


@dataclass(frozen=True)
class Backend:
    """An LLM backend: how to build its chat model and where it sends requests.

    ``output`` names the mechanism that constrains its replies to the verdict schema;
    ``hint`` says what a person can do when nothing answers there.
    """

    prefix: str
    factory: Factory
    endpoint: Endpoint = _target_itself
    hint: str = "start the LLM server, or choose the offline grader"
    output: Output = _function_calling

    def make_grader(self, choice: GraderChoice, context: GraderContext) -> Grader:
        from interview_bot.grading.llm.cache import GradeCache
        from interview_bot.grading.llm.grader import LLMGrader

        settings = context.settings.with_overrides(base_url=choice.base_url, api_key=choice.api_key)
        return LLMGrader(
            choice.spec,
            settings,
            fallback=context.offline,
            cache=GradeCache.for_settings(settings),
        )


def backends() -> dict[str, Backend]:
    """The installed LLM backends by prefix."""
    return {k: v for k, v in plugins().items() if isinstance(v, Backend)}


def parse_spec(spec: str) -> tuple[str, str]:
    """Split ``PREFIX:TARGET`` into its LLM backend's prefix and target, or raise LLMError."""
    prefix, sep, target = spec.strip().partition(":")
    known = backends()
    if prefix not in known:
        names = ", ".join(f"{p}:" for p in sorted(known)) or "none"
        raise LLMError(f"Unknown LLM spec '{spec}': known backends are {names} (or 'offline')")
    if not sep or not target.strip():
        raise LLMError(f"LLM spec '{spec}' names no model: write {prefix}:MODEL")
    return prefix, target.strip()


def backend(spec: str) -> Backend:
    """The LLM backend of ``spec``."""
    return backends()[parse_spec(spec)[0]]


def make_chat_model(
    spec: str, settings: Settings, *, max_tokens: int | None = None
) -> BaseChatModel:
    """Build the chat model a spec names (temperature 0, no retries of its own)."""
    prefix, target = parse_spec(spec)
    return backends()[prefix].factory(target, settings, max_tokens)


def output_mechanism(spec: str, settings: Settings) -> Mechanism:
    """How ``spec``'s replies are constrained to the verdict schema."""
    prefix, target = parse_spec(spec)
    return backends()[prefix].output(target, settings)


def endpoint(spec: str, settings: Settings) -> str:
    """Where requests for ``spec`` go (a URL or a model file), for messages to people."""
    prefix, target = parse_spec(spec)
    return backends()[prefix].endpoint(target, settings)
