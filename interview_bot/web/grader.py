"""The Settings tab's grader choice, kept per browser: which grader, where, and an API key.

The key lives only in this browser's ``gr.State`` and, for the length of one request that
needs it, in the process environment the LLM backends read (``OPENAI_API_KEY``). It is never
written to the progress database, never returned to the page, and scrubbed from messages.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from pydantic import BaseModel

from interview_bot.errors import InterviewBotError
from interview_bot.llm.connection import check_connection
from interview_bot.settings import Settings

KEY_VARIABLE = "OPENAI_API_KEY"
OFFLINE = "offline"
_env_lock = threading.Lock()


class UserState(BaseModel):
    """Everything one browser session holds: its interview, bank and grader (with key)."""

    session_id: int | None = None
    bank: str = "default"
    llm: str = OFFLINE
    base_url: str | None = None
    api_key: str | None = None

    def public(self) -> str:
        """The grader setting as it may be shown: never the key itself."""
        where = f" at {self.base_url}" if self.base_url else ""
        key = " (API key set for this browser session only)" if self.api_key else ""
        return f"Grader: {self.llm}{where}{key}"


@contextmanager
def request_env(user: UserState) -> Iterator[None]:
    """Expose the browser's API key to the LLM backend for one call, then remove it again.
    Calls with a key are serialised, so two browsers never see each other's key."""
    if not user.api_key or user.llm == OFFLINE:
        yield
        return
    with _env_lock:
        before = os.environ.get(KEY_VARIABLE)
        os.environ[KEY_VARIABLE] = user.api_key
        try:
            yield
        finally:
            if before is None:
                os.environ.pop(KEY_VARIABLE, None)
            else:
                os.environ[KEY_VARIABLE] = before


def scrub(text: str, user: UserState) -> str:
    """``text`` with the API key (if any) replaced, for messages that reach the page."""
    return text.replace(user.api_key, "***") if user.api_key else text


def save_grader(
    user: UserState, mode: str, spec: str, base_url: str, api_key: str
) -> tuple[UserState, str, str]:
    """New state, a status line and an empty key box (the key is never sent back)."""
    spec = spec.strip()
    if mode == OFFLINE or not spec or spec == OFFLINE:
        new = user.model_copy(update={"llm": OFFLINE, "base_url": None, "api_key": None})
        return new, new.public(), ""
    key = api_key.strip() or user.api_key
    new = user.model_copy(
        update={"llm": spec, "base_url": base_url.strip() or None, "api_key": key or None}
    )
    return new, new.public() + ". Used for interviews started from now on.", ""


def check_grader(settings: Settings, user: UserState) -> str:
    """A one-message round trip to the saved LLM, as a status line (never raises for people)."""
    if user.llm == OFFLINE:
        return "The offline grader needs no connection."
    try:
        with request_env(user):
            status = check_connection(user.llm, settings.with_overrides(base_url=user.base_url))
    except InterviewBotError as exc:
        return scrub(f"⚠️ {exc}", user)
    return scrub(f"✓ {status}", user)
