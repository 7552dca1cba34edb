"""Handlers of the Progress tab: score over time, per-topic mastery, session exports - all of
them this browser's person's only."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from interview_bot.practice.progress import ProgressStore
from interview_bot.practice.protocol import Bot
from interview_bot.practice.scheduler import Repetition, topic_of
from interview_bot.practice.stats import export_json, export_markdown, score_over_time, topic_stats
from interview_bot.practice.view import plural
from interview_bot.web.banks import bank_label
from interview_bot.web.render import escape_text
from interview_bot.web.state import UserState

TIME_PAD = pd.Timedelta(minutes=30)
MASTERY_COLUMNS = [
    "topic",
    "scored",
    "skipped",
    "mean %",
    "hinted",
    "last practised",
    "due for review",
]


class ProgressHandlers:
    def __init__(self, bot: Bot, progress: ProgressStore) -> None:
        self.bot, self.progress = bot, progress

    def score_frame(self, user: UserState) -> pd.DataFrame:
        """Every scored answer of this bank: when, score in percent, which session."""
        rows = score_over_time(self.progress, bank=user.bank, owner=user.who)
        return pd.DataFrame(
            {
                "time": pd.to_datetime([t for t, _, _ in rows], utc=True),
                "score": [round(f * 100, 1) for _, f, _ in rows],
                "session": [str(s) for _, _, s in rows],
            }
        )

    @staticmethod
    def time_window(frame: pd.DataFrame) -> list[float | None] | None:
        """The plot's time axis, in seconds: half an hour either side of the answers, so a
        first answer (or a few a minute apart) gets clock labels, not milliseconds."""
        if frame.empty:
            return None
        return [
            (frame["time"].min() - TIME_PAD).timestamp(),
            (frame["time"].max() + TIME_PAD).timestamp(),
        ]

    def mastery_frame(self, user: UserState) -> pd.DataFrame:
        """Per topic: scored answers, skips (apart), mean score, answers after hints, last
        practised, and cards due for review now."""
        topic_by_id = {q.id: topic_of(q) for q in self.bot.gradable(user.bank)}
        now = datetime.now(UTC)
        due: dict[str, int] = {}
        for qid, card in Repetition(self.progress, user.bank, owner=user.who).cards().items():
            if qid in topic_by_id and card.due <= now:
                due[topic_by_id[qid]] = due.get(topic_by_id[qid], 0) + 1
        rows = [
            [
                t.topic,
                t.attempts,
                t.skipped,
                "-" if t.mean_fraction is None else round(t.mean_fraction * 100),
                t.hinted,
                t.last_at[:16].replace("T", " "),
                due.get(t.topic, 0),
            ]
            for t in topic_stats(self.progress, bank=user.bank, owner=user.who)
        ]
        return pd.DataFrame(rows, columns=MASTERY_COLUMNS)

    def mastery_table(self, user: UserState) -> str:
        """The mastery frame as a Markdown table (it scrolls sideways on a phone)."""
        frame = self.mastery_frame(user)
        if frame.empty:
            return ""
        rows = [
            "| " + " | ".join(MASTERY_COLUMNS) + " |",
            "|" + "---|" * len(MASTERY_COLUMNS),
        ]
        rows += [
            "| " + " | ".join(escape_text(str(v)).replace("|", "\\|") for v in row) + " |"
            for row in frame.itertuples(index=False)
        ]
        return "**Mastery per topic**\n\n" + "\n".join(rows)

    def refresh(self, user: UserState) -> tuple[pd.DataFrame, str, str]:
        """Score over time, the mastery table (Markdown) and a note."""
        frame = self.score_frame(user)
        bank = bank_label(user.bank)
        note = (
            f"{plural(len(frame), 'scored answer')} of yours in bank **{bank}**. Skipped "
            "questions are counted apart, never as 0%; an answer after hints never counts "
            "as mastery."
            if len(frame)
            else f"No scored answers of yours in bank **{bank}** yet."
        )
        return frame, self.mastery_table(user), note

    def _session_id(self, user: UserState) -> int | None:
        if user.session_id is not None and self.progress.session(user.session_id).owner == (
            user.who
        ):
            return user.session_id
        sessions = self.progress.sessions(user.bank, owner=user.who)
        return sessions[0].id if sessions else None

    def export(self, user: UserState) -> tuple[str | None, str | None, str]:
        """This browser's interview (or this person's latest in the bank) as Markdown and
        JSON files."""
        session_id = self._session_id(user)
        if session_id is None:
            return None, None, "No interview to export yet."
        folder = Path(tempfile.mkdtemp(prefix="interview-bot-export-"))
        number = self.progress.number(session_id)
        md = folder / f"interview-{number}.md"
        js = folder / f"interview-{number}.json"
        md.write_text(export_markdown(self.progress, session_id), encoding="utf-8")
        js.write_text(export_json(self.progress, session_id), encoding="utf-8")
        return str(md), str(js), f"Exported interview {number}."
