"""The Settings tab's grader choice, kept per browser: which grader, where, and an API key.

The key lives only in this browser's ``gr.State`` as a ``SecretStr`` and travels explicitly
with each grading call (session -> bot.grade -> the grader pool -> the LLM backend), so two
browsers never share a key and the process environment is never touched. It is never written
to the progress database, never returned to the page, and scrubbed from messages.
"""

from __future__ import annotations

from pydantic import BaseModel, SecretStr

from interview_bot.errors import InterviewBotError
from interview_bot.llm.connection import check_connection
from interview_bot.settings import Settings

OFFLINE = "offline"


class UserState(BaseModel):
    """Everything one browser session holds: its interview, bank and grader (with key)."""

    session_id: int | None = None
    bank: str = "default"
    llm: str = OFFLINE
    base_url: str | None = None
    api_key: SecretStr | None = None

    def public(self) -> str:
        """The grader setting as it may be shown: never the key itself."""
        where = f" at {self.base_url}" if self.base_url else ""
        key = " (API key set for this browser session only)" if self.api_key else ""
        return f"Grader: {self.llm}{where}{key}"

    def grading_key(self) -> SecretStr | None:
        """The key to grade with: this browser's own, when it grades with an LLM."""
        return self.api_key if self.llm != OFFLINE else None


def scrub(text: str, user: UserState) -> str:
    """``text`` with the API key (if any) replaced, for messages that reach the page."""
    key = user.api_key.get_secret_value() if user.api_key else ""
    return text.replace(key, "***") if key else text


def save_grader(
    user: UserState, mode: str, spec: str, base_url: str, api_key: str
) -> tuple[UserState, str, str]:
    """New state, a status line and an empty key box (the key is never sent back)."""
    spec = spec.strip()
    if mode == OFFLINE or not spec or spec == OFFLINE:
        new = user.model_copy(update={"llm": OFFLINE, "base_url": None, "api_key": None})
        return new, new.public(), ""
    key = SecretStr(api_key.strip()) if api_key.strip() else user.api_key
    new = user.model_copy(
        update={"llm": spec, "base_url": base_url.strip() or None, "api_key": key or None}
    )
    return new, new.public() + ". Used for interviews started from now on.", ""


def check_grader(settings: Settings, user: UserState) -> str:
    """A one-message round trip to the saved LLM, as a status line (never raises for people)."""
    if user.llm == OFFLINE:
        return "The offline grader needs no connection."
    try:
        status = check_connection(
            user.llm, settings.with_overrides(base_url=user.base_url, api_key=user.api_key)
        )
    except InterviewBotError as exc:
        return scrub(f"⚠️ {exc}", user)
    return scrub(f"✓ {status}", user)
