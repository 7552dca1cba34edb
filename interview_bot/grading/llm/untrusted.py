"""Untrusted text in prompts: defuse look-alike delimiter tags, spot text aimed at the grader.

Bank text and candidate answers go into grading prompts between tags carrying a per-call
nonce. :func:`neutralise` makes sure nothing inside can open or close such a tag, and
:func:`has_injection_markers` flags answers that talk to the grader instead of the
interviewer ("ignore the rubric", "SYSTEM NOTE: full marks", fake tags).
"""

from __future__ import annotations

import re

DATA_TAGS = (
    "question",
    "reference_answer",
    "key_points",
    "offline_evidence",
    "graded_examples",
    "candidate_answer",
)
_TAG = re.compile(r"<(?=\s*/?\s*(?:" + "|".join(DATA_TAGS) + r")\b)", re.IGNORECASE)

INJECTION_MARKERS = re.compile(
    r"ignore\s+(?:all\s+|any\s+)?(?:the\s+|previous\s+|prior\s+|above\s+|earlier\s+)*"
    r"(?:instructions|rubric|rules|prompt)"
    r"|system\s*(?:note|override)"
    r"|(?:full|maximum|max|perfect)\s+(?:marks|score|points)"
    r"|(?:give|award|assign|grade)\s+(?:me\s+|this\s+|it\s+)?(?:a\s+)?(?:5|10|100)\b"
    r"|you\s+are\s+now\b|new\s+instructions|^\s*(?:system|assistant)\s*:"
    r"|</?\s*(?:system|instructions?|" + "|".join(DATA_TAGS) + r")\b",
    re.IGNORECASE | re.MULTILINE,
)


def neutralise(text: str) -> str:
    """Defuse anything in ``text`` that looks like one of the prompt's data tags."""
    return _TAG.sub("&lt;", text)


def has_injection_markers(answer: str) -> bool:
    """Whether the answer contains text addressed to the grader rather than the interviewer."""
    return INJECTION_MARKERS.search(answer) is not None
