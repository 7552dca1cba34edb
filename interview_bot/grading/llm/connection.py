"""A one-message round trip that tells whether an LLM spec can answer right now."""

from __future__ import annotations

import time

from langchain_core.messages import HumanMessage

from interview_bot.errors import LLMError
from interview_bot.grading.choice import redact
from interview_bot.grading.llm.failures import classify
from interview_bot.grading.llm.registry import backend, endpoint, make_chat_model
from interview_bot.settings import Settings

# A connectivity probe, not a prompt anyone tunes: the reply's content is not used.
PING = "Reply with the single word OK."


def check_connection(spec: str, settings: Settings) -> str:
    """Send a tiny prompt; return a short status line or raise LLMError saying what to do."""
    where = endpoint(spec, settings)
    hint = backend(spec).hint
    model = make_chat_model(spec, settings, max_tokens=8)
    start = time.perf_counter()
    try:
        model.invoke([HumanMessage(PING)])
    except Exception as exc:
        failure = classify(exc)
        if failure is None:
            raise
        if failure.kind == "unreachable":
            raise LLMError(f"No LLM reachable at {where} - {hint}") from exc
        message = redact(f"{failure.describe(spec, where)} - {hint}", settings.api_key)
        raise LLMError(message) from exc
    return f"{spec} at {where} answered in {(time.perf_counter() - start) * 1000:.0f} ms"
