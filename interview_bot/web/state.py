"""What one browser holds: its interview, its bank and its grader choice (with a key).

The key lives only in this browser's ``gr.State`` as a ``SecretStr`` inside a
:class:`GraderChoice` and travels explicitly with each grading call (session -> bot.grade ->
the grader pool -> the LLM backend), so two browsers never share a key and the process
environment is never touched. It is never written to the progress database, never
returned to the page, and scrubbed from messages.
"""

from __future__ import annotations

from pydantic import BaseModel, SecretStr

from interview_bot.errors import InterviewBotError
from interview_bot.grading.choice import OFFLINE, GraderChoice
from interview_bot.grading.llm.connection import check_connection
from interview_bot.settings import Settings


class UserState(BaseModel):
    """Everything one browser session holds: its interview, bank and grader (with key)."""

    session_id: int | None = None
    bank: str = "default"
    grader: GraderChoice = GraderChoice()

    def public(self) -> str:
        """The grader setting as it may be shown: never the key itself."""
        return f"Grader: {self.grader.public()}"


def save_grader(
    user: UserState, mode: str, spec: str, base_url: str, api_key: str
) -> tuple[UserState, str, str]:
    """New state, a status line and an empty key box (the key is never sent back)."""
    spec = spec.strip()
    if mode == OFFLINE or not spec or spec == OFFLINE:
        new = user.model_copy(update={"grader": GraderChoice()})
        return new, new.public(), ""
    key = SecretStr(api_key.strip()) if api_key.strip() else user.grader.api_key
    choice = GraderChoice(spec=spec, base_url=base_url.strip() or None, api_key=key or None)
    new = user.model_copy(update={"grader": choice})
    return new, new.public() + ". Used from your next answer on.", ""


def check_grader(settings: Settings, user: UserState) -> str:
    """A one-message round trip to the saved LLM, as a status line (never raises for people)."""
    choice = user.grader
    if choice.offline:
        return "The offline grader needs no connection."
    try:
        status = check_connection(
            choice.spec,
            settings.with_overrides(base_url=choice.base_url, api_key=choice.api_key),
        )
    except InterviewBotError as exc:
        return choice.scrub(f"⚠️ {exc}")
    return choice.scrub(f"✓ {status}")
