"""The follow-up question on a missed key point, worded from the point itself."""

from __future__ import annotations

import re

FOLLOWUP_TEMPLATE = "You didn't mention {point}. Can you explain that part?"
FOLLOWUP_QUOTE = "You didn't cover this key point: “{point}” Can you explain that part?"
_HEADING = re.compile(r"^(why|how|what|when|which|where)\b", re.IGNORECASE)
# "Sequential Processing: RNNs ..." - a point under a heading in title case
_LABEL = re.compile(r"^([A-Z][\w-]*(?: [A-Z][\w-]*){1,4}): (.+)$")


def _lowered(phrase: str) -> str:
    """``Sequential Processing`` as it reads mid-sentence; acronyms and names kept."""
    return " ".join(w.lower() if re.fullmatch(r"[A-Z][a-z-]+", w) else w for w in phrase.split())


def followup_question(point: str) -> str:
    """The follow-up on a missed key point, quoting it whole or naming it, never cut: a
    labelled point by its label ("You didn't mention sequential processing."), a short
    phrase as it is, any other statement in quotes."""
    point = " ".join(point.split())
    labelled = _LABEL.match(point)
    if labelled and not _HEADING.match(labelled[1]):
        return FOLLOWUP_TEMPLATE.format(point=_lowered(labelled[1]))
    if len(point.split()) <= 8 and not point.endswith((".", "?", "!")) and ":" not in point:
        first = point.split()[0]
        if re.fullmatch(r"[A-Z][a-z-]+", first):
            point = first.lower() + point[len(first) :]
        return FOLLOWUP_TEMPLATE.format(point=point)
    return FOLLOWUP_QUOTE.format(point=point if point.endswith((".", "?", "!")) else point + ".")
