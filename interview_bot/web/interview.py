"""Handlers of the Interview tab: start, answer, buttons, reload; they call the session and
render.

Each handler takes the browser's :class:`UserState` and chat history and returns new ones;
nothing about a user is kept anywhere else. The session itself is rebuilt from the progress
database on every call, so a restarted server can resume it, and a reloaded page gets its
whole chat back (:meth:`InterviewHandlers.restore`). A session is only ever opened for its
owner.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from typing import Any

import pandas as pd

from interview_bot.errors import InterviewBotError, ProgressError
from interview_bot.practice.intents import COMMANDS, clean_text, too_long
from interview_bot.practice.progress import ProgressStore
from interview_bot.practice.protocol import Bot
from interview_bot.practice.scheduler import topic_of
from interview_bot.practice.session import InterviewSession
from interview_bot.practice.turns import SessionConfig, Summary, Turn
from interview_bot.settings import Settings
from interview_bot.web.render import (
    Message,
    error_message,
    hint_message,
    status_text,
    summary_text,
    transcript_messages,
    turn_messages,
    user_message,
)
from interview_bot.web.state import UserState

ANY = "any"
FIXED, ADAPTIVE = "Fixed length", "Adaptive (spaced repetition)"
COMMAND_WORDS = {name: aliases[0] for name, aliases in COMMANDS.items()}
# history, user state, status line, summary Markdown, summary chart, summary visible, textbox
ChatOutputs = tuple[list[Message], UserState, str, str, pd.DataFrame, Any, Any]


def summary_frame(summary: Summary | None) -> pd.DataFrame:
    """Per-topic mean score in percent, for the summary bar chart (scored topics only)."""
    rows = [] if summary is None else [t for t in summary.topics if t.mean_fraction is not None]
    return pd.DataFrame(
        {
            "topic": [t.topic for t in rows],
            "score": [round((t.mean_fraction or 0) * 100, 1) for t in rows],
        }
    )


class InterviewHandlers:
    """The Interview tab's event handlers over one shared bot and progress store."""

    def __init__(self, bot: Bot, settings: Settings, progress: ProgressStore) -> None:
        self.bot, self.settings, self.progress = bot, settings, progress
        # one request at a time per interview (a double click must not answer twice)
        self._locks: defaultdict[int, threading.Lock] = defaultdict(threading.Lock)

    def topics(self, bank: str) -> list[str]:
        return sorted({topic_of(q) for q in self.bot.gradable(bank)})

    def _outputs(
        self,
        history: list[Message],
        user: UserState,
        turn: Turn | None,
        box: str | None = None,
        session: InterviewSession | None = None,
    ) -> ChatOutputs:
        """The seven chat outputs; ``box`` is the new answer text (None: leave the draft)."""
        import gradio as gr

        summary = turn.summary if turn else None
        if turn is not None:
            prompt = turn.prompt
        else:
            session = session or self._session(user)
            prompt = session.prompt if session and not session.ended else None
            if session is not None and session.ended:  # its summary stays on screen
                summary = session.summary()
        ended = (summary.number or summary.session_id) if summary is not None else None
        return (
            history,
            user,
            status_text(prompt, ended),
            summary_text(summary) if summary else "",
            summary_frame(summary),
            gr.update(visible=summary is not None),
            gr.update() if box is None else box,
        )

    def _session(self, user: UserState, **kwargs: Any) -> InterviewSession | None:
        """This browser's interview, if it still exists and belongs to this browser's owner."""
        if user.session_id is None:
            return None
        try:
            session = InterviewSession(self.bot, self.progress, user.session_id, **kwargs)
        except ProgressError:
            return None
        return session if session.owner == user.who else None

    def failed(
        self, history: list[Message], user: UserState, error: InterviewBotError
    ) -> ChatOutputs:
        message = error_message(InterviewBotError(user.grader.scrub(str(error))))
        return self._outputs([*history, message], user, None)

    def start(
        self,
        topics: list[str] | None,
        difficulty: str,
        mode: str,
        length: float,
        user: UserState,
        history: list[Message] | None = None,
    ) -> ChatOutputs:
        """Start a new interview with the browser's bank and grader; the chat starts afresh.
        While an interview with answers is running, the first press only asks to press again."""
        running = self._session(user)
        if (
            running is not None
            and not running.ended
            and user.start_warned != running.id
            and self.progress.attempts(running.id)
        ):
            note: Message = {
                "role": "assistant",
                "content": "An interview is running. Press **Start** again to leave it and "
                "begin a new one (its answers so far stay in your progress), or answer to go on.",
            }
            warned = user.model_copy(update={"start_warned": running.id})
            return self._outputs([*(history or []), note], warned, None)
        config = SessionConfig(
            bank=user.bank,
            topics=list(topics or []),
            difficulty=None if difficulty in (ANY, "", None) else difficulty,  # type: ignore[arg-type]
            length=int(length),
            adaptive=mode == ADAPTIVE,
            llm=user.grader.spec,
            base_url=user.grader.base_url,
        )
        try:
            session, turn = InterviewSession.start(
                self.bot, self.progress, config, grader=user.grader, owner=user.who
            )
        except InterviewBotError as exc:
            return self.failed(list(history or []), user, exc)
        user = user.model_copy(update={"session_id": session.id, "start_warned": None})
        return self._outputs(turn_messages(turn), user, turn)

    def restore(self, user: UserState) -> ChatOutputs:
        """The owner's unfinished interview with its whole chat (questions, answers, grade
        cards) - what a reload, a reconnect or a restarted server shows. Without one, the
        interview this browser last finished, with its summary; else an empty chat."""
        return self._reopen(user, finished_too=True)

    def _reopen(self, user: UserState, finished_too: bool) -> ChatOutputs:
        session = self._session(user)
        finished = session if session is not None and session.ended else None
        if session is None or session.ended:
            session = InterviewSession.resume(self.bot, self.progress, owner=user.who)
        if session is None and finished_too:
            session = finished
        if session is None:
            return self._outputs([], user.model_copy(update={"session_id": None}), None)
        user = user.model_copy(update={"session_id": session.id, "bank": session.config.bank})
        history = transcript_messages(session.transcript())
        try:
            turn = session.opening()
            hints = [hint_message(h) for h in session.shown_hints()]
        except InterviewBotError as exc:
            return self.failed(history, user, exc)
        return self._outputs([*history, *turn_messages(turn), *hints], user, turn)

    def resume(self, user: UserState, history: list[Message] | None = None) -> ChatOutputs:
        """Reopen this person's last unfinished interview, its earlier grade cards included."""
        restored = self._reopen(user, finished_too=False)
        if restored[1].session_id is None:
            note = {"role": "assistant", "content": "No unfinished interview to resume."}
            return self._outputs([*(history or []), note], user, None)
        return restored

    def send(self, text: str, user: UserState, history: list[Message] | None = None) -> ChatOutputs:
        """A typed message: an answer, a command word, or the user's own question. The answer
        box is emptied once the message was handled, and kept when it failed."""
        return self._send(text, user, history, clear=True)

    def command(
        self, name: str, user: UserState, history: list[Message] | None = None
    ) -> ChatOutputs:
        """A button: the same as typing its word, but a draft answer in the box stays."""
        return self._send(COMMAND_WORDS[name], user, history, clear=False)

    def _send(
        self, text: str, user: UserState, history: list[Message] | None, clear: bool
    ) -> ChatOutputs:
        history = list(history or [])
        user = user.model_copy(update={"start_warned": None})  # a later Start asks again
        text = clean_text(text or "")
        if not text.strip():
            return self._outputs(history, user, None)
        problem = too_long(text)
        if problem:  # shown without echoing the whole text; the draft stays in the box
            echo = {"role": "user", "content": f"*(a message of {len(text):,} characters)*"}
            return self.failed([*history, echo], user, InterviewBotError(problem))
        start = {
            "role": "assistant",
            "content": "Press **Start** to begin an interview, or **Resume** to go on with "
            "an unfinished one.",
        }
        try:
            with self._locks[user.session_id or 0]:
                session = self._session(user, grader=user.grader)
                if session is None or session.ended:
                    return self._outputs([*history, user_message(text), start], user, None)
                turn = session.handle(text)
        except InterviewBotError as exc:  # nothing was stored: the draft stays in the box
            return self.failed([*history, user_message(text)], user, exc)
        messages = [*history, user_message(text), *turn_messages(turn)]
        return self._outputs(messages, user, turn, "" if clear else None)
