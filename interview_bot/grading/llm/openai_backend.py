"""``openai:MODEL``: the OpenAI API or any OpenAI-compatible server (llama.cpp, vLLM, LM Studio).

The key is ``settings.api_key`` when one browser gave its own (it travels with that
browser's grader, never through the process environment), else ``OPENAI_API_KEY``.
"""

from __future__ import annotations

import os

from langchain_core.language_models import BaseChatModel
from pydantic import SecretStr

from interview_bot.errors import LLMError
from interview_bot.grading.llm.registry import Backend, Mechanism
from interview_bot.settings import Settings

OPENAI_URL = "https://api.openai.com/v1"
DUMMY_KEY = "not-needed"


def base_url(_target: str, settings: Settings) -> str:
    return settings.base_url or os.environ.get("OPENAI_BASE_URL") or OPENAI_URL


def make_openai(target: str, settings: Settings, max_tokens: int | None) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    url = settings.base_url or os.environ.get("OPENAI_BASE_URL")
    key = settings.api_key or _secret(os.environ.get("OPENAI_API_KEY"))
    key = key or (SecretStr(DUMMY_KEY) if url else None)
    if key is None:
        raise LLMError(
            "OPENAI_API_KEY is not set - export it, pass --base-url for a local "
            "OpenAI-compatible server, or pass --llm offline"
        )
    return ChatOpenAI(
        model=target,
        base_url=url,
        api_key=key,
        temperature=0,
        timeout=settings.llm_timeout,
        max_retries=0,
        max_tokens=max_tokens,  # type: ignore[call-arg]
    )


def _secret(value: str | None) -> SecretStr | None:
    return SecretStr(value) if value else None


def output(target: str, settings: Settings) -> Mechanism:
    """Strict structured output on OpenAI itself; elsewhere the llama.cpp servers' form.

    ``response_format: {"type": "json_object", "schema": ...}`` is what llama-cpp-python's
    and llama.cpp's servers turn into a grammar (they refuse or ignore ``json_schema``);
    other OpenAI-compatible servers treat it as JSON mode, and the reply is validated anyway.
    """
    official = base_url(target, settings).startswith(OPENAI_URL)
    return "json_schema" if official else "json_object_schema"


plugin = Backend(
    "openai",
    make_openai,
    endpoint=base_url,
    hint="start the server or fix --base-url / OPENAI_BASE_URL, or pass --llm offline",
    output=output,
)
