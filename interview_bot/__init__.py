"""interview-bot: a practice partner for ML and LLM job interviews.

The importable API::

    from interview_bot import InterviewBot
    bot = InterviewBot()                       # settings from INTERVIEW_BOT_* or defaults
    hits = bot.search("why do transformers need positional encoding?")
    grade = bot.grade("Attention ignores order, so ...", question_id=hits[0].question.id)
"""

from __future__ import annotations

from interview_bot.bot import InterviewBot
from interview_bot.errors import (
    BankError,
    BankErrors,
    InterviewBotError,
    LLMError,
    ProgressError,
    RubricError,
    StoreError,
)
from interview_bot.evalcases import EvalCase, load_cases
from interview_bot.evaluation import EvalReport, run_eval
from interview_bot.grade import CriterionScore, Grade, Grader, GradingTarget, KeyPointResult
from interview_bot.models import CanonicalQuestion, Question, Reference
from interview_bot.offline_grader import OfflineGrader
from interview_bot.rubric import Rubric, load_rubric
from interview_bot.settings import Settings, load_settings

__all__ = [
    "BankError",
    "BankErrors",
    "CanonicalQuestion",
    "CriterionScore",
    "EvalCase",
    "EvalReport",
    "Grade",
    "Grader",
    "GradingTarget",
    "InterviewBot",
    "InterviewBotError",
    "KeyPointResult",
    "LLMError",
    "OfflineGrader",
    "ProgressError",
    "Question",
    "Reference",
    "Rubric",
    "RubricError",
    "Settings",
    "StoreError",
    "load_cases",
    "load_rubric",
    "load_settings",
    "run_eval",
]
