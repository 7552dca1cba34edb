"""The verdict an LLM judge returns through function calling, built from the rubric.

Levels carry ``ge``/``le`` constraints, so an out-of-range level fails validation and the
grader asks again. Length limits are applied by trimming after validation and stay out of
the JSON schema: llama.cpp turns ``maxLength`` into a grammar so large that its server
fails to parse it.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, create_model

from interview_bot.grading.rubric import Rubric


class LLMVerdict(BaseModel):
    """Base of the verdict the LLM returns; :func:`verdict_model` adds one field per criterion."""

    model_config = ConfigDict(extra="ignore")

    def criterion_levels(self, rubric: Rubric) -> dict[str, int]:
        return {name: int(getattr(self, name).level) for name in rubric.names}

    def criterion_rationales(self, rubric: Rubric) -> dict[str, str]:
        return {name: str(getattr(self, name).rationale) for name in rubric.names}


def _clip(limit: int, required: bool = False) -> AfterValidator:
    """Trim overlong model text instead of rejecting it; optionally refuse empty text."""

    def clip(text: str) -> str:
        text = text.strip()
        if required and not text:
            raise ValueError("must not be empty")
        return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."

    return AfterValidator(clip)


Rationale = Annotated[str, _clip(600)]
Feedback = Annotated[str, _clip(2000, required=True)]
ModelAnswer = Annotated[str, _clip(3000)]


def verdict_model(rubric: Rubric) -> type[LLMVerdict]:
    """The function-calling schema for ``rubric``: out-of-range levels fail validation."""
    level = create_model(
        "CriterionVerdict",
        rationale=(Rationale, Field(description="One or two sentences: why this level.")),
        level=(int, Field(ge=1, le=rubric.levels, description=f"Level 1 to {rubric.levels}.")),
    )
    fields: dict[str, Any] = {
        "key_points_covered": (
            list[int],
            Field(description="Numbers of the key points the answer covers (may be empty)."),
        ),
        "key_points_missed": (
            list[int],
            Field(description="Numbers of the key points it misses (may be empty)."),
        ),
    }
    for c in rubric.criteria:
        fields[c.name] = (level, Field(description=f"Level and rationale for {c.name}."))
    fields["feedback"] = (Feedback, Field(description="Two to four sentences to the candidate."))
    fields["model_answer"] = (
        ModelAnswer,
        Field(description="A concise answer that would get top marks."),
    )
    doc = "Submit the verdict on the candidate answer, one level per rubric criterion."
    model: type[LLMVerdict] = create_model("LLMVerdict", __base__=LLMVerdict, __doc__=doc, **fields)
    return model


def summarise(error: BaseException) -> str:
    """The first validation problem in a line, e.g. ``correctness.level: ... (got 9)``."""
    cause = error if isinstance(error, ValidationError) else error.__cause__
    if not isinstance(cause, ValidationError):
        return " ".join(str(error).split())[:200]
    problems = cause.errors()
    first = problems[0]
    where = ".".join(str(p) for p in first["loc"]) or "reply"
    got = repr(first.get("input"))[:40]
    more = f" and {len(problems) - 1} more" if len(problems) > 1 else ""
    return f"{where}: {first['msg']} (got {got}){more}"


def why_unparsed(raw: Any) -> str:
    """Why a reply yielded no verdict: malformed or missing function call, cut off or not."""
    metadata = getattr(raw, "response_metadata", None) or {}
    cut = " (cut off at max_tokens)" if metadata.get("finish_reason") == "length" else ""
    invalid = getattr(raw, "invalid_tool_calls", None) or []
    if invalid:
        error = " ".join(str(invalid[0].get("error") or "").split())[:120]
        return f"malformed function call{cut}: {error}"
    content = getattr(raw, "content", raw)
    return f"no function call in reply{cut}: {str(content)[:120]!r}"
