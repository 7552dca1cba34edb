"""The grading prompt: the rubric's templates filled with one target and one answer.

``prompts/grade_system.md`` and ``prompts/grade_user.md`` are ``$placeholder`` templates,
checked when loaded (a broken file is a clear error naming it). Every piece of bank or
candidate text goes between tags carrying the call's nonce, look-alike tags defused.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from string import Template

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from interview_bot.errors import RubricError
from interview_bot.grading.llm.untrusted import neutralise
from interview_bot.grading.result import Grade, GradedExample, GradingTarget, KeyPointResult
from interview_bot.grading.rubric import Rubric, load_prompt

SYSTEM_PROMPT = "grade_system"
USER_PROMPT = "grade_user"
MAX_EXAMPLES = 3
NO_EXAMPLES = "(no graded examples)"
PLACEHOLDERS = frozenset(
    {
        "nonce",
        "rubric",
        "levels",
        "max_score",
        "criteria",
        "question",
        "reference",
        "key_points",
        "evidence",
        "examples",
        "answer",
    }
)


def load_template(prompts_dir: Path, name: str, required: tuple[str, ...]) -> Template:
    """A prompt template whose placeholders are valid, known and include ``required``."""
    template = Template(load_prompt(prompts_dir, name))
    path = prompts_dir / f"{name}.md"
    if not template.is_valid():
        raise RubricError(f"{path}: invalid $placeholder (write $$ for a literal $)")
    names = set(template.get_identifiers())
    missing = [n for n in required if n not in names]
    if missing:
        raise RubricError(f"{path}: missing placeholder {', '.join('$' + n for n in missing)}")
    unknown = sorted(names - PLACEHOLDERS)
    if unknown:
        raise RubricError(
            f"{path}: unknown placeholder ${unknown[0]}; known: "
            + ", ".join("$" + k for k in sorted(PLACEHOLDERS))
        )
    return template


class GradingPrompt:
    """The system and user messages of one grading call."""

    def __init__(self, rubric: Rubric, prompts_dir: Path) -> None:
        self.rubric = rubric
        self.system = load_template(prompts_dir, SYSTEM_PROMPT, required=("nonce", "rubric"))
        self.user = load_template(prompts_dir, USER_PROMPT, required=("nonce", "answer"))
        self._rubric_text = rubric.render()

    @property
    def templates(self) -> str:
        """Both templates' text, for cache keys: a prompt edit is a different grader."""
        return self.system.template + "\x1f" + self.user.template

    def messages(
        self, target: GradingTarget, answer: str, offline: Grade | None = None, nonce: str = ""
    ) -> list[BaseMessage]:
        """System and user messages for one grading call, data fenced by a fresh nonce."""
        nonce = nonce or secrets.token_hex(8)
        points = "\n".join(f"{i}. {p}" for i, p in enumerate(target.key_points, 1))
        values = {
            "nonce": nonce,
            "rubric": self._rubric_text,
            "levels": str(self.rubric.levels),
            "max_score": f"{self.rubric.max_score:g}",
            "criteria": ", ".join(self.rubric.names),
            "question": neutralise(target.question),
            "reference": neutralise(references_text(target)),
            "key_points": neutralise(points or "(no key points given)"),
            "evidence": neutralise(_evidence_text(target, offline)),
            "examples": neutralise(_examples_text(target.examples[:MAX_EXAMPLES])),
            "answer": neutralise(answer),
        }
        return [
            SystemMessage(self.system.substitute(values)),
            HumanMessage(self.user.substitute(values)),
        ]


def references_text(target: GradingTarget) -> str:
    """The reference answer, plus the other accepted answers of a merged question."""
    refs = [r for r in [target.reference, *target.references] if r and r.strip()]
    refs = list(dict.fromkeys(r.strip() for r in refs))
    if not refs:
        return "(no reference answer: grade against what an expert interviewer would expect)"
    if len(refs) == 1:
        return refs[0]
    return "\n\n".join(f"Accepted answer {i}:\n{r}" for i, r in enumerate(refs, 1))


def align(points: list[str], found: list[KeyPointResult]) -> list[KeyPointResult | None]:
    """The offline result for each key point: matched by text, else by position."""
    by_text = {k.text.strip(): k for k in found}
    if all(p.strip() in by_text for p in points):
        return [by_text[p.strip()] for p in points]
    if len(found) == len(points):
        return list(found)
    return [by_text.get(p.strip()) for p in points]


def _evidence_text(target: GradingTarget, offline: Grade | None) -> str:
    if offline is None or not offline.key_points:
        return "(no offline evidence)"
    lines = []
    for i, kp in enumerate(align(target.key_points, offline.key_points), 1):
        if kp is None:
            lines.append(f"{i}. no offline evidence")
            continue
        sim = f", similarity {kp.similarity:.2f}" if kp.similarity is not None else ""
        seen = "looks covered" if kp.covered else "looks missed"
        quote = f'; closest answer text: "{kp.evidence}"' if kp.evidence else ""
        lines.append(f"{i}. {seen}{sim}{quote}")
    return "\n".join(lines)


def _examples_text(examples: list[GradedExample]) -> str:
    """Graded answers to the same question, nearest first, as the prompt shows them."""
    if not examples:
        return NO_EXAMPLES
    blocks = []
    for i, ex in enumerate(examples, 1):
        why = f"\nWhy: {ex.why.strip()}" if ex.why and ex.why.strip() else ""
        blocks.append(
            f"Example {i}: graded {ex.score:g} out of {ex.max_score:g}{why}\n"
            f"Answer:\n{ex.answer.strip()}"
        )
    return "\n\n".join(blocks)
