"""Constrained decoding: a chat model bound to the verdict schema by its backend's mechanism.

Every mechanism but function calling makes the model write the verdict as JSON text that
the schema constrains token by token; :func:`constrain` parses and validates that text.
Each runnable returns ``{"raw", "parsed", "parsing_error"}``, the shape LangChain's
``with_structured_output(include_raw=True)`` returns, so the grader checks both alike.
"""

from __future__ import annotations

import inspect
import json
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.runnables import Runnable, RunnableLambda
from pydantic import ValidationError

from interview_bot.errors import LLMError
from interview_bot.grading.llm.registry import Mechanism
from interview_bot.grading.llm.verdict import LLMVerdict

SCHEMA_NAME = "LLMVerdict"


def constrain(
    model: BaseChatModel, mechanism: Mechanism, verdict: type[LLMVerdict], schema: dict[str, Any]
) -> Runnable[Any, Any]:
    """``model`` made to answer with ``verdict``, through ``mechanism`` and JSON ``schema``."""
    if mechanism == "function_calling":
        kwargs: dict[str, Any] = {"include_raw": True}
        if "method" in inspect.signature(model.with_structured_output).parameters:
            kwargs["method"] = "function_calling"
        return model.with_structured_output(verdict, **kwargs)
    bound: Runnable[Any, Any]
    if mechanism == "json_schema":
        strict = {"name": SCHEMA_NAME, "schema": schema, "strict": True}
        bound = model.bind(response_format={"type": "json_schema", "json_schema": strict})
    elif mechanism == "json_object_schema":
        bound = model.bind(response_format={"type": "json_object", "schema": schema})
    elif mechanism == "format":
        bound = model.bind(format=schema)
    elif mechanism == "grammar":
        bound = model.bind(grammar=_llama_grammar(schema))
    else:
        raise ValueError(f"unknown output mechanism {mechanism!r}")
    return bound | RunnableLambda(lambda raw: parse_reply(raw, verdict))


def parse_reply(raw: BaseMessage, verdict: type[LLMVerdict]) -> dict[str, Any]:
    """The verdict in a JSON reply, or the validation error saying why there is none.

    A raw line break or tab inside a string is accepted: llama.cpp's grammar for a
    length-bounded string lets the model write them, and strict JSON parsing would throw
    a complete verdict away for it (SmolLM2 in-process did, three replies of three).
    """
    text = reply_text(raw) or '""'
    try:
        parsed = verdict.model_validate_json(text)
    except ValidationError as exc:
        try:
            parsed = verdict.model_validate(json.loads(text, strict=False))
        except (ValueError, ValidationError):
            return {"raw": raw, "parsed": None, "parsing_error": exc}
    return {"raw": raw, "parsed": parsed, "parsing_error": None}


def reply_text(raw: BaseMessage) -> str:
    """The text of a reply, whether its content is a string or a list of parts."""
    content = raw.content
    if isinstance(content, str):
        return content.strip()
    parts = [p if isinstance(p, str) else str(p.get("text", "")) for p in content]
    return "".join(parts).strip()


def _llama_grammar(schema: dict[str, Any]) -> Any:
    try:
        from llama_cpp import LlamaGrammar
    except ImportError:
        raise LLMError(
            "llamacpp: needs llama-cpp-python - pip install 'interview-bot[llamacpp]'"
        ) from None
    return LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)
