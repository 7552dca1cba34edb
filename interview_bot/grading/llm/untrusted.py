"""Untrusted text in prompts: defuse look-alike delimiter tags, spot text aimed at the grader.

Bank text and candidate answers go into grading prompts between tags carrying a per-call
nonce. :func:`neutralise` makes sure nothing inside can open or close such a tag, and
:func:`has_injection_markers` flags answers that talk to the grader instead of the
interviewer ("ignore the rubric", "SYSTEM NOTE: full marks", fake tags).
"""

from __future__ import annotations

import re

from interview_bot.grading.answer_text import read_answer

DATA_TAGS = (
    "question",
    "reference_answer",
    "key_points",
    "offline_evidence",
    "graded_examples",
    "candidate_answer",
)
_TAG = re.compile(r"<(?=\s*/?\s*(?:" + "|".join(DATA_TAGS) + r")\b)", re.IGNORECASE)


def neutralise(text: str) -> str:
    """Defuse anything in ``text`` that looks like one of the prompt's data tags."""
    return _TAG.sub("&lt;", text)


def has_injection_markers(answer: str) -> bool:
    """Whether the answer contains text addressed to the grader rather than the interviewer:
    the same reading the offline grader uses to set such text aside."""
    return read_answer(answer).addressed_grader
