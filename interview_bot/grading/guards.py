"""Rules on top of the calibrated score that the data cannot teach a regression: a non-answer
scores 0, a keyword list and a restatement of the question are capped; and the notes that
tell the candidate why."""

from __future__ import annotations

from interview_bot.grading.answer_text import (
    ReadAnswer,
    asks_for_explanation,
    is_non_answer,
    looks_english,
    restates,
    words,
)

KEYWORD_CAP = 1.0  # out of 5: terms without explanation show recognition, not understanding
RESTATEMENT_CAP = 0.5  # out of 5: an answer that only repeats the question
UNSURE_SIMILARITY = 0.3  # "not sure, maybe ..." with nothing this close to the reference


def apply_guards(
    predicted: float,
    question: str,
    read: ReadAnswer,
    v: dict[str, float],
    topical: float | None,
) -> tuple[float, list[str]]:
    """The explicit rules on top of the calibrated score, and the notes that explain them.
    ``topical`` is set for an answer that opens unsure: its closeness to the reference."""
    content = read.content
    notes: list[str] = []
    if is_non_answer(content) or (topical is not None and topical < UNSURE_SIMILARITY):
        predicted = 0.0
        notes.append("Nothing in this answer can be graded yet: say what you know, even partially.")
    elif (
        len(words(content)) >= 5
        and v["function_words"] < 0.1
        and looks_english(content)
        and asks_for_explanation(question)
    ):
        predicted = min(predicted, KEYWORD_CAP)
        notes.append(
            "This reads as a list of keywords. Explain how they connect: an "
            "interviewer grades the explanation, not the vocabulary."
        )
    elif restates(content, question):
        predicted = min(predicted, RESTATEMENT_CAP)
        notes.append("The answer restates the question; it does not answer it.")
    if read.addressed_grader:
        notes.append("Text addressed to the grader was set aside: only your explanation is graded.")
    if read.truncated:
        notes.append("Only the first part of a very long answer was graded.")
    if content and not looks_english(content):
        notes.append(
            "The offline grader reads English best; an answer in another language "
            "may be underrated. An LLM grader (--llm) judges it more fairly."
        )
    return predicted, notes
