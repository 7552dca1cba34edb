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
from interview_bot.evaluation.cases import EvalCase, load_cases
from interview_bot.evaluation.runner import EvalReport, run_eval
from interview_bot.grading.offline import OfflineGrader
from interview_bot.grading.result import (
    CriterionScore,
    Grade,
    Grader,
    GradingTarget,
    KeyPointResult,
)
from interview_bot.grading.rubric import Rubric, load_rubric
from interview_bot.knowledge.models import CanonicalQuestion, Question, Reference
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
