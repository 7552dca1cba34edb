"""Why an LLM call failed, in words for people, and whether trying again can help."""

from __future__ import annotations

import contextlib
import importlib
import re
from dataclasses import dataclass
from json import JSONDecodeError
from typing import Any, Literal

from pydantic import ValidationError

FailureKind = Literal[
    "unreachable", "timeout", "rate_limited", "server_error", "rejected", "invalid_reply"
]

TRANSIENT: frozenset[str] = frozenset(
    {"unreachable", "timeout", "rate_limited", "server_error", "invalid_reply"}
)


class InvalidReply(ValueError):
    """The model answered, but not with something that validates as the requested output."""


@dataclass(frozen=True)
class Failure:
    """One failed LLM attempt: its kind and a short detail such as "connection refused"."""

    kind: FailureKind
    detail: str

    @property
    def transient(self) -> bool:
        return self.kind in TRANSIENT

    def describe(self, spec: str, where: str) -> str:
        """A sentence naming the backend, the endpoint and what went wrong."""
        at = f" at {where}" if where and not spec.endswith(where) else ""
        if self.kind == "unreachable":
            return f"LLM {spec} unreachable{at} ({self.detail})"
        if self.kind == "timeout":
            return f"LLM {spec}{at} did not answer in time ({self.detail})"
        if self.kind == "rate_limited":
            return f"LLM {spec}{at} is rate limiting requests ({self.detail})"
        if self.kind == "invalid_reply":
            return f"LLM {spec}{at} gave no valid verdict ({self.detail})"
        return f"LLM {spec}{at} refused the request ({self.detail})"


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _short(text: object, limit: int = 160) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _connection_detail(exc: BaseException) -> str:
    for e in _chain(exc):
        if isinstance(e, ConnectionRefusedError) or "refused" in str(e).lower():
            return "connection refused"
    for e in _chain(exc):
        text = str(e).lower()
        if "name or service not known" in text or "nodename nor servname" in text:
            return "unknown host"
    return _short(exc) or type(exc).__name__


def _status_failure(status: int, message: str) -> Failure:
    if status == 429:
        return Failure("rate_limited", f"HTTP 429: {_short(message, 100)}")
    if status >= 500:
        return Failure("server_error", f"HTTP {status}: {_short(message, 100)}")
    return Failure("rejected", f"HTTP {status}: {_short(message, 100)}")


def _http_libraries() -> list[Any]:
    """httpx (ollama's client) and httpx2 (openai>=3's client), whichever are installed."""
    found = []
    for name in ("httpx", "httpx2"):
        with contextlib.suppress(ImportError):
            found.append(importlib.import_module(name))
    return found


def classify(exc: BaseException) -> Failure | None:
    """The failure an exception from a LangChain chat model means, or None if it is a bug."""
    import ollama
    import openai
    from langchain_core.exceptions import OutputParserException

    if isinstance(exc, JSONDecodeError):
        return Failure("invalid_reply", f"reply is not JSON: {exc.msg} at character {exc.pos}")
    if isinstance(exc, (InvalidReply, ValidationError, OutputParserException)):
        return Failure("invalid_reply", _short(exc, 240))
    if isinstance(exc, openai.LengthFinishReasonError):  # the client refuses a cut reply
        return Failure(
            "invalid_reply", "reply cut off at the token limit (max_tokens or the context size)"
        )
    if isinstance(exc, openai.APITimeoutError):
        return Failure("timeout", "timed out")
    if isinstance(exc, openai.APIConnectionError):
        return Failure("unreachable", _connection_detail(exc))
    if isinstance(exc, openai.APIStatusError):
        return _status_failure(exc.status_code, re.sub(r"^Error code: \d+ - ", "", exc.message))
    if isinstance(exc, openai.APIResponseValidationError):
        return Failure("invalid_reply", _short(exc))
    if isinstance(exc, ollama.ResponseError):
        return _status_failure(exc.status_code, exc.error)
    if isinstance(exc, TimeoutError):
        return Failure("timeout", "timed out")
    for http in _http_libraries():
        if isinstance(exc, http.TimeoutException):
            return Failure("timeout", "timed out")
        if isinstance(exc, http.HTTPStatusError):
            return _status_failure(exc.response.status_code, exc.response.text)
        if isinstance(exc, http.TransportError):
            return Failure("unreachable", _connection_detail(exc))
    if isinstance(exc, OSError):  # ConnectionError and friends
        return Failure("unreachable", _connection_detail(exc))
    return None
