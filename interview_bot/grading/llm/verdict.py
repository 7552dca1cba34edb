"""The verdict an LLM judge returns through function calling, built from the rubric.

Levels carry ``ge``/``le`` constraints, so an out-of-range level fails validation and the
grader asks again. Length limits are applied by trimming after validation.

Constrained decoding uses :func:`decoding_schema`, a tighter JSON schema for one call: levels
and key-point numbers as enums (grammar converters ignore ``minimum``/``maximum``) and, for
local grammar engines, bounded lists and strings, so a small model can neither pick a level
that does not exist nor ramble until ``max_tokens`` cuts the JSON off.
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

# Characters a local grammar lets the model write per field: the whole verdict stays far
# below the grader's max_tokens, so it always ends as complete JSON.
RATIONALE_CHARS = 300
FEEDBACK_CHARS = 600
MODEL_ANSWER_CHARS = 800


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


def decoding_schema(rubric: Rubric, key_points: int, *, bounded: bool = True) -> dict[str, Any]:
    """The JSON schema a backend constrains its reply to, for a target with ``key_points``.

    Field order matches :func:`verdict_model`: each rationale comes before its level, and
    feedback before the model answer. ``bounded`` adds ``maxItems``/``maxLength`` limits,
    which grammar engines enforce and OpenAI's strict mode does not accept.
    """

    def text(limit: int, min_length: int = 0) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "string"}
        if bounded:
            schema["maxLength"] = limit
            if min_length:
                schema["minLength"] = min_length
        return schema

    numbers: dict[str, Any] = {"type": "array", "items": {"type": "integer"}}
    if key_points:
        numbers["items"]["enum"] = list(range(1, key_points + 1))
    if bounded:
        numbers["maxItems"] = key_points
    criterion = _object(
        {
            "rationale": text(RATIONALE_CHARS),
            "level": {"type": "integer", "enum": list(range(1, rubric.levels + 1))},
        }
    )
    properties: dict[str, Any] = {"key_points_covered": numbers, "key_points_missed": numbers}
    for name in rubric.names:
        properties[name] = criterion
    properties["feedback"] = text(FEEDBACK_CHARS, min_length=1)
    properties["model_answer"] = text(MODEL_ANSWER_CHARS)
    return _object(properties)


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


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


def cut_off(raw: Any) -> str:
    """`` (cut off at max_tokens)`` when the reply stopped at its token limit, else ``""``."""
    metadata = getattr(raw, "response_metadata", None) or {}
    stopped = metadata.get("finish_reason") or metadata.get("done_reason")
    return " (cut off at max_tokens)" if stopped == "length" else ""


def why_unparsed(raw: Any) -> str:
    """Why a reply yielded no verdict: malformed or missing function call, cut off or not."""
    cut = cut_off(raw)
    invalid = getattr(raw, "invalid_tool_calls", None) or []
    if invalid:
        error = " ".join(str(invalid[0].get("error") or "").split())[:120]
        return f"malformed function call{cut}: {error}"
    content = getattr(raw, "content", raw)
    return f"no function call in reply{cut}: {str(content)[:120]!r}"
