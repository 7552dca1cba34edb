"""What one browser holds: whose it is, its interview, its bank and its grader choice.

``owner`` names the person (:mod:`interview_bot.practice.owners`): the login name with
``--auth``, else the browser's private id, so two people never see each other's data.

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
from interview_bot.grading.plugins import plugin_for
from interview_bot.practice.owners import default_owner
from interview_bot.settings import Settings
from interview_bot.web.render import for_web

LLM = "LLM"
NO_SPEC = (
    "Type an LLM spec such as openai:gpt-4o-mini, ollama:llama3 or llamacpp:/path/model.gguf "
    "and press Save; until then your answers are graded by the offline grader."
)


class UserState(BaseModel):
    """Everything one browser session holds: owner, interview, bank and grader (with key)."""

    session_id: int | None = None
    bank: str = "default"
    grader: GraderChoice = GraderChoice()
    owner: str | None = None
    # the running interview whose replacement Start asked to confirm (a second Start goes on)
    start_warned: int | None = None

    @property
    def who(self) -> str:
        """The owner of this browser's data (the OS user when nothing set one, as in tests)."""
        return self.owner if self.owner is not None else default_owner()

    def public(self) -> str:
        """The grader setting as it may be shown: never the key itself."""
        return f"Grader: {self.grader.public()}"


def save_grader(
    user: UserState, mode: str, spec: str, base_url: str, api_key: str
) -> tuple[UserState, str, str]:
    """New state, a status line and an empty key box (the key is never sent back). The new
    grader grades the running interview's next answer; a spec no grader understands is not
    saved, so it can never leave an answer ungraded."""
    spec = spec.strip()
    if mode == LLM and not spec:
        new = user.model_copy(update={"grader": GraderChoice()})
        return new, NO_SPEC, ""
    if mode == OFFLINE or not spec or spec == OFFLINE:
        new = user.model_copy(update={"grader": GraderChoice()})
        return new, new.public() + ". Used from your next answer on.", ""
    try:
        plugin_for(spec)
    except InterviewBotError as exc:
        kept = f"Not saved; your answers are still graded by {user.grader.public()}."
        return user, user.grader.scrub(f"⚠️ {for_web(str(exc))}. {kept}"), ""
    key = SecretStr(api_key.strip()) if api_key.strip() else user.grader.api_key
    choice = GraderChoice(spec=spec, base_url=base_url.strip() or None, api_key=key or None)
    new = user.model_copy(update={"grader": choice})
    return new, new.public() + ". Used from your next answer on.", ""


def check_grader(settings: Settings, user: UserState, mode: str = "") -> str:
    """A one-message round trip to the saved LLM, as a status line (never raises for people)."""
    choice = user.grader
    if choice.offline:
        if mode == LLM:
            return NO_SPEC
        return "The offline grader runs inside this app: there is no connection to test."
    try:
        status = check_connection(
            choice.spec,
            settings.with_overrides(base_url=choice.base_url, api_key=choice.api_key),
        )
    except InterviewBotError as exc:
        return choice.scrub(f"⚠️ {for_web(str(exc))}")
    return choice.scrub(f"✓ {status}")
