"""A mock interview, shared by the web app and the terminal: questions, answers, commands.

Everything a session knows lives in the progress database (its settings, its state, its
attempts), so a web request or a restarted process rebuilds it from the session id. An
answer is graded, then stored with its card and the session's new state in one transaction,
and only then is the next question chosen: a crash in between loses nothing, and a restart
resumes at the first unanswered question.

A session belongs to one owner (:mod:`interview_bot.practice.owners`): its cards, its
statistics and the interview a door may resume are that owner's only.
"""

from __future__ import annotations

from typing import Any, Literal

from interview_bot.errors import InterviewBotError
from interview_bot.grading.choice import OFFLINE, GraderChoice
from interview_bot.grading.result import Grade
from interview_bot.knowledge.models import CanonicalQuestion, SearchHit
from interview_bot.practice.followups import followup_question
from interview_bot.practice.intents import (
    clean_text,
    find_in_bank,
    parse_command,
    parse_own_question,
    too_long,
)
from interview_bot.practice.owners import default_owner
from interview_bot.practice.progress import ProgressStore
from interview_bot.practice.protocol import Bot
from interview_bot.practice.replay import exchanges, hint_text, revealed_hints
from interview_bot.practice.scheduler import Repetition, filter_questions, plan_fixed, topic_of
from interview_bot.practice.stats import session_summary
from interview_bot.practice.turns import (
    Action,
    Exchange,
    Prompt,
    SessionConfig,
    SessionState,
    Summary,
    Turn,
)
from interview_bot.practice.view import command_words

# One follow-up after a partial answer (fraction in this band) on a missed key point.
FOLLOWUP_BAND = (0.4, 0.85)


class SessionError(InterviewBotError):
    """A session that cannot start or go on (no matching questions, already ended)."""


def _unanswerable(hit: SearchHit) -> str:
    return (
        f"The bank has “{hit.question.question}” but no reference answer for it yet, so it "
        "cannot be used here."
    )


class InterviewSession:
    """One interview, rebuilt from the progress database on every use.

    ``grader`` is the door's grader choice for this use (a web user's Settings tab, the
    CLI's flags), so a change applies to the next answer; without one, the choice the
    session was started with. Its API key is never stored with the session.
    """

    def __init__(
        self,
        bot: Bot,
        progress: ProgressStore,
        session_id: int,
        grader: GraderChoice | None = None,
    ) -> None:
        row = progress.session(session_id)
        self.bot, self.progress, self.id = bot, progress, session_id
        self.owner = row.owner
        self.config = SessionConfig.model_validate(row.settings)
        self.grader = grader or GraderChoice(
            spec=self.config.llm or OFFLINE, base_url=self.config.base_url
        )
        self.state = SessionState.model_validate(row.state)
        self.ended = row.ended_at is not None
        self.questions = {q.id: q for q in bot.gradable(self.config.bank)}
        self.repetition = Repetition(progress, self.config.bank, owner=self.owner)

    @classmethod
    def start(
        cls,
        bot: Bot,
        progress: ProgressStore,
        config: SessionConfig,
        grader: GraderChoice | None = None,
        owner: str | None = None,
    ) -> tuple[InterviewSession, Turn]:
        """A new interview of ``owner`` (default: the OS user) and its first question."""
        questions = bot.gradable(config.bank)
        pool = filter_questions(questions, config.topics, config.difficulty)
        if not pool:
            chosen = ", ".join(config.topics) or "any topic"
            raise SessionError(
                f"No question with a reference in bank '{config.bank}' matches "
                f"{chosen} at {config.difficulty or 'any'} difficulty - choose "
                "other topics or any difficulty"
            )
        if not config.adaptive:
            config = config.model_copy(
                update={
                    "plan": plan_fixed(
                        questions,
                        topics=config.topics,
                        difficulty=config.difficulty,
                        length=config.length,
                        seed=config.seed,
                    )
                }
            )
        session_id = progress.start_session(config.bank, config.model_dump(), owner=owner)
        session = cls(bot, progress, session_id, grader=grader)
        return session, session._advance("start")

    @classmethod
    def resume(
        cls,
        bot: Bot,
        progress: ProgressStore,
        bank: str | None = None,
        grader: GraderChoice | None = None,
        owner: str | None = None,
    ) -> InterviewSession | None:
        """The owner's (default: the OS user's) last session of ``bank`` (None: any bank)
        that was not ended, if any."""
        row = progress.last_open_session(bank, default_owner() if owner is None else owner)
        return cls(bot, progress, row.id, grader=grader) if row else None

    # -- reading --------------------------------------------------------------------------
    def _done_ids(self) -> list[str]:
        return [a.question_id for a in self.progress.attempts(self.id, kinds=("answer", "skip"))]

    @property
    def total(self) -> int:
        return len(self.config.plan) if not self.config.adaptive else self.config.length

    @property
    def prompt(self) -> Prompt | None:
        question = self.questions.get(self.state.current or "")
        if question is None or self.ended:
            return None
        text = question.question
        if self.state.followup:
            text = followup_question(self.state.followup)
        done = len(self._done_ids())
        return Prompt(
            question_id=question.id,
            text=text,
            topic=topic_of(question),
            difficulty=question.difficulty,
            total=max(self.total, done + 1),
            number=done + (0 if self.state.followup else 1),
            reason=self.state.reason,
            followup=self.state.followup is not None,
        )

    def transcript(self) -> list[Exchange]:
        """Every stored attempt: what a door shows again after a reload, cards included."""
        return exchanges(self.progress.attempts(self.id), self.total)

    def opening(self) -> Turn:
        """The question to show when a door (re)opens this session."""
        if self.ended:
            return Turn(action="end", notice="This interview has ended.", summary=self.summary())
        answered = self.state.current in self._done_ids() and not self.state.followup
        if self.prompt is None or answered:
            return self._advance("resume")
        return Turn(action="resume", prompt=self.prompt)

    def shown_hints(self) -> list[str]:
        """The hints already revealed for the open question, as they were shown: what a door
        shows again after the question when it reopens this session."""
        if self.ended or self.state.followup or not self.state.hints or self.prompt is None:
            return []
        return revealed_hints(self._current().key_points, self.state.hints)

    # -- acting ---------------------------------------------------------------------------
    def handle(self, text: str) -> Turn:
        """A typed message: a command word, the user's own question, or an answer."""
        if self.ended:
            raise SessionError("This interview has ended - start a new one")
        text = clean_text(text)
        problem = too_long(text)
        if problem:
            raise SessionError(problem)
        command = parse_command(text)
        if command is not None:
            return getattr(self, command)()
        own = parse_own_question(text)
        if own is not None:
            return self.ask(own[1]) if own[0] == "ask" else self.question(own[1])
        return self.answer(text)

    def answer(self, text: str) -> Turn:
        """Grade ``text``, store it (with card and state) and only then move on."""
        question = self._current()
        if not text.strip():
            return Turn(
                action="empty",
                prompt=self.prompt,
                notice=f"Type an answer, or one of: {command_words()}.",
            )
        how: dict[str, Any] = {"grader": self.grader, "bank": self.config.bank}
        if self.state.followup:
            prompt = self.prompt
            text_of = prompt.text if prompt else question.question
            grade = self.bot.grade(text, question=text_of, reference=self.state.followup, **how)
            state = self.state.model_copy(update={"followup": None})
            self._record(question, text, grade, "followup", state=state)
            return self._advance("followup", grade=grade)
        grade = self.bot.grade(text, question_id=question.id, **how)
        hints = self.state.hints
        card = (
            self.repetition.review(question.id, grade.fraction, hints=hints)
            if grade.graded
            else None
        )
        state = self.state.model_copy(update={"followup": self._followup_point(grade)})
        self._record(question, text, grade, "answer", card=card, state=state, hints=hints)
        if state.followup:
            return Turn(action="answer", grade=grade, prompt=self.prompt, hints=hints)
        return self._advance("answer", grade=grade).model_copy(update={"hints": hints})

    def hint(self) -> Turn:
        """Reveal one key point not revealed yet, never the whole reference."""
        question = self._current()
        if self.state.followup:
            return Turn(
                action="hint",
                prompt=self.prompt,
                notice="The follow-up names the point to explain: say what it means "
                "and why it matters, or type skip.",
            )
        points = question.key_points
        if self.state.hints >= len(points):
            note = (
                "No more hints - every key point was shown. Try an answer, or type show answer."
                if points
                else "This question has no key points to hint at."
            )
            return Turn(action="hint", notice=note, prompt=self.prompt)
        self.state.hints += 1
        self.progress.update_session(self.id, state=self.state.model_dump())
        return Turn(
            action="hint",
            prompt=self.prompt,
            notice=hint_text(points, self.state.hints),
        )

    def skip(self) -> Turn:
        question = self._current()
        if not self.state.followup:
            self._record(question, "", None, "skip", card=self.repetition.review(question.id, 0.0))
        return self._advance("skip")

    def show_answer(self) -> Turn:
        """Show the reference and move on; the question counts as skipped."""
        question = self._current()
        if not self.state.followup:
            self._record(question, "", None, "skip", card=self.repetition.review(question.id, 0.0))
        turn = self._advance("show_answer")
        return turn.model_copy(update={"reference": question.reference_text})

    def repeat(self) -> Turn:
        self._current()
        return Turn(action="repeat", prompt=self.prompt)

    def end(self) -> Turn:
        self.progress.update_session(self.id, ended=True)
        self.ended = True
        return Turn(action="end", notice="Interview ended.", summary=self.summary())

    def ask(self, subject: str) -> Turn:
        """ "Ask me about X": switch to the closest bank question on X, if the bank has one."""
        hit = find_in_bank(self.bot.search, subject, self.config.bank, self.questions)
        if hit is None or hit.question.id not in self.questions:
            notice = f"The bank has no question about “{subject}”."
            if hit is not None:
                notice = _unanswerable(hit)
            return Turn(action="ask", prompt=self.prompt, notice=f"{notice} Back to the question.")
        if self.state.current and not self.config.adaptive:
            plan = [q for q in self.config.plan if q != hit.question.id]
            at = plan.index(self.state.current) if self.state.current in plan else len(plan)
            self.config.plan = [*plan[:at], hit.question.id, *plan[at:]]
            self.progress.update_session(self.id, settings=self.config.model_dump())
        self._show(hit.question, f"you asked about {subject}")
        return Turn(action="ask", notice=f"Here is a question about {subject}.", prompt=self.prompt)

    def question(self, text: str) -> Turn:
        """The user's own question, answered from the closest bank reference (or not at all)."""
        hit = find_in_bank(self.bot.search, text, self.config.bank, self.questions)
        if hit is None or hit.question.id not in self.questions:
            notice = f"The bank has nothing close enough to “{text}” to answer it."
            if hit is not None:
                notice = _unanswerable(hit)
            return Turn(
                action="question", notice=f"{notice} Back to the interview.", prompt=self.prompt
            )
        notice = f"From the bank, “{hit.question.question}” (similarity {hit.similarity:.2f}):"
        return Turn(
            action="question",
            notice=notice,
            reference=hit.question.reference_text,
            prompt=self.prompt,
        )

    def summary(self) -> Summary:
        return session_summary(self.progress, self.id)

    # -- plumbing -------------------------------------------------------------------------
    def _current(self) -> CanonicalQuestion:
        if self.ended:
            raise SessionError("This interview has ended - start a new one")
        question = self.questions.get(self.state.current or "")
        if question is None:
            raise SessionError("No question is open - start an interview first")
        return question

    def _followup_point(self, grade: Grade) -> str | None:
        low, high = FOLLOWUP_BAND
        if not grade.graded or not low <= grade.fraction < high or not grade.missed:
            return None
        return grade.to_work_on[0].text

    def _record(
        self,
        question: CanonicalQuestion,
        answer: str,
        grade: Grade | None,
        kind: Literal["answer", "followup", "skip"],
        card: str | None = None,
        state: SessionState | None = None,
        hints: int = 0,
    ) -> None:
        self.progress.record_attempt(
            self.id,
            question_id=question.id,
            question=question.question
            if kind != "followup"
            else (self.prompt.text if self.prompt else question.question),
            topic=question.topic,
            answer=answer,
            grade=grade,
            kind=kind,
            card=(self.config.bank, card) if card else None,
            state=state.model_dump() if state else None,
            hints=hints,
        )
        if state is not None:
            self.state = state

    def _show(self, question: CanonicalQuestion, reason: str) -> None:
        self.state = SessionState(current=question.id, reason=reason, last_topic=topic_of(question))
        self.progress.update_session(self.id, state=self.state.model_dump())

    def _advance(self, action: Action, grade: Grade | None = None) -> Turn:
        """Choose and store the next question, or end the interview when none is left."""
        done = self._done_ids()
        pick = None
        if not self.config.adaptive:
            left = [qid for qid in self.config.plan if qid not in done and qid in self.questions]
            if left:
                chosen_q = self.questions[left[0]]
                pick = (chosen_q, self.repetition.reason(chosen_q))
        elif len(done) < self.config.length:
            chosen = self.repetition.next_question(
                list(self.questions.values()),
                asked=set(done),
                last_topic=self.state.last_topic,
                topics=self.config.topics,
                difficulty=self.config.difficulty,
                seed=self.config.seed,
            )
            pick = (chosen.question, chosen.reason) if chosen else None
        if pick is None:
            ended = self.end()
            return ended.model_copy(
                update={"action": action, "grade": grade, "notice": "That was the last question."}
            )
        self._show(*pick)
        return Turn(action=action, grade=grade, prompt=self.prompt)
