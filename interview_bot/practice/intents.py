"""What a typed message means: a command word, the user's own question, or an answer.

The web app and the terminal accept the same words, so both read messages through here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from typing import Literal

from interview_bot.knowledge.models import SearchHit, normalize_question

ASK_THRESHOLD = 0.55  # how close a bank question must be to answer the user's own question
# The longest message an interview takes (128 Ki characters, some forty pages: far beyond
# any spoken answer): a longer one is refused with a clear message before it is graded or
# stored, so a pasted file cannot tie up the grader or fill the progress database.
MAX_MESSAGE_CHARS = 131_072
_SURROGATE = re.compile("[\ud800-\udfff]")

COMMANDS: dict[str, tuple[str, ...]] = {
    "hint": ("hint", "give me a hint", "a hint"),
    "skip": ("skip", "next", "pass", "skip question"),
    "show_answer": ("show answer", "show the answer", "answer please", "reveal"),
    "repeat": ("repeat", "repeat the question", "again", "say again"),
    "end": ("end", "end interview", "end session", "stop", "quit", "exit"),
}
_ASK_ME = re.compile(
    r"^(?:please\s+)?(?:ask|quiz|test)\s+me\s+(?:a\s+question\s+)?"
    r"(?:about|on)\s+(?P<subject>.+?)[\s.?!]*$",
    re.IGNORECASE | re.DOTALL,
)
_QUESTION_WORDS = re.compile(
    r"^(?:what|what's|whats|why|how|when|which|who|where|"
    r"can you|could you|explain|tell me|define)\b",
    re.IGNORECASE,
)
_LEAD = re.compile(
    r"^(?:what(?:'s| is| are)|explain|define|tell me about|describe)\s+"
    r"(?:an?\s+|the\s+)?",
    re.IGNORECASE,
)


def clean_text(text: str) -> str:
    """``text`` with lone surrogates (``\\ud800``, from a JSON client or undecodable terminal
    bytes) replaced by U+FFFD, so it can be graded, stored and shown."""
    return _SURROGATE.sub("\ufffd", text)


def parse_command(text: str) -> str | None:
    """The command a whole message names ("hint", "Show answer!"), or None for an answer."""
    words = " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())
    return next((name for name, aliases in COMMANDS.items() if words in aliases), None)


def parse_own_question(text: str) -> tuple[Literal["ask", "question"], str] | None:
    """("ask", subject) for "ask me about RoPE", ("question", text) for a short question."""
    text = text.strip()
    if match := _ASK_ME.match(text):
        return "ask", match.group("subject").strip()
    if text.endswith("?") and len(text) <= 200 and "\n" not in text and _QUESTION_WORDS.match(text):
        return "question", text
    return None


def subject_of(text: str) -> str:
    """The normalized subject of a question: "What is a KV cache?" -> "kv cache"."""
    return normalize_question(_LEAD.sub("", text.strip().rstrip("?")))


def find_in_bank(
    search: Callable[..., list[SearchHit]], text: str, bank: str, allowed: Collection[str]
) -> SearchHit | None:
    """The bank question that ``text`` asks about: similar enough, or naming its subject word
    for word ("RoPE"). One of ``allowed`` (those with a reference) when any matches, else the
    best other match, so callers can say the bank has it but cannot answer it; None if none."""
    subject = subject_of(text)
    hits = search(text, k=5, bank=bank)
    if subject and subject != normalize_question(text):
        hits += search(subject, k=5, bank=bank)
    matches = []
    for hit in sorted(hits, key=lambda h: -h.similarity):
        words = f" {normalize_question(' '.join([hit.question.question, *hit.question.variants]))} "
        if hit.similarity >= ASK_THRESHOLD or (subject and f" {subject} " in words):
            matches.append(hit)
    return next((h for h in matches if h.question.id in allowed), matches[0] if matches else None)


def too_long(text: str) -> str | None:
    """Why a message is refused for its length, or None when it may be graded."""
    if len(text) <= MAX_MESSAGE_CHARS:
        return None
    return (
        f"That message is {len(text):,} characters long; an answer may have at most "
        f"{MAX_MESSAGE_CHARS:,} - shorten it and send it again (nothing was stored)"
    )
