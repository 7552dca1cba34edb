"""The grading rubric (prompts/rubric.yaml) and the prompt templates beside it, loaded by name."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from interview_bot.errors import RubricError

RUBRIC_FILE = "rubric.yaml"
WEIGHT_TOLERANCE = 1e-6

__all__ = ["Criterion", "Rubric", "load_prompt", "load_rubric"]


class Criterion(BaseModel):
    """One rubric criterion: what it judges, its weight and what each level means."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    weight: float = Field(gt=0, le=1)
    description: str = Field(min_length=1)
    levels: dict[int, str]


class Scale(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    max_score: float = Field(gt=0)
    levels: int = Field(default=5, ge=2, le=10)


class Rubric(BaseModel):
    """A validated rubric. ``version`` is the declared version plus a hash of the file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str
    declared_version: str
    scale: Scale
    criteria: list[Criterion] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> Rubric:
        names = [c.name for c in self.criteria]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"criterion names must be unique, repeated: {', '.join(duplicates)}")
        total = sum(c.weight for c in self.criteria)
        if abs(total - 1.0) > WEIGHT_TOLERANCE:
            weights = ", ".join(f"{c.name}={c.weight:g}" for c in self.criteria)
            raise ValueError(f"criterion weights must sum to 1, they sum to {total:g} ({weights})")
        expected = list(range(1, self.scale.levels + 1))
        for c in self.criteria:
            if sorted(c.levels) != expected:
                got = ", ".join(str(k) for k in sorted(c.levels)) or "none"
                raise ValueError(
                    f"criterion '{c.name}': levels must be exactly 1..{self.scale.levels}, "
                    f"got {got}"
                )
            blank = [k for k, text in c.levels.items() if not text.strip()]
            if blank:
                raise ValueError(f"criterion '{c.name}': level {blank[0]} has no description")
        return self

    @property
    def max_score(self) -> float:
        return self.scale.max_score

    @property
    def levels(self) -> int:
        return self.scale.levels

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.criteria]

    def level_score(self, level: float) -> float:
        """Map a criterion level 1..levels linearly onto 0..max_score."""
        if not 1 <= level <= self.levels:
            raise ValueError(f"level {level} is outside 1..{self.levels}")
        return (level - 1) / (self.levels - 1) * self.max_score

    def overall(self, criterion_levels: dict[str, float]) -> float:
        """Weighted mean of the criterion levels, each mapped onto 0..max_score."""
        missing = [n for n in self.names if n not in criterion_levels]
        unknown = [n for n in criterion_levels if n not in self.names]
        if missing or unknown:
            raise ValueError(
                f"criterion levels do not match the rubric: missing {missing}, unknown {unknown}"
            )
        total = sum(c.weight * self.level_score(criterion_levels[c.name]) for c in self.criteria)
        return round(min(max(total, 0.0), self.max_score), 4)

    def render(self) -> str:
        """The rubric as the text the grading prompt includes."""
        lines = [
            f"Rubric version {self.version}. Each criterion is judged on levels 1 to "
            f"{self.levels}; the overall score (0 to {self.max_score:g}) is the weighted mean "
            "of the levels and is computed for you.",
        ]
        for c in self.criteria:
            lines += ["", f"## {c.name} (weight {c.weight:g})", c.description.strip()]
            lines += [f"- Level {k}: {c.levels[k].strip()}" for k in sorted(c.levels)]
        return "\n".join(lines)


def _format_validation(error: ValidationError) -> str:
    parts = []
    for e in error.errors():
        loc = ".".join(str(p) for p in e["loc"])
        message = str(e["msg"]).removeprefix("Value error, ")
        parts.append(f"{loc}: {message}" if loc else message)
    return "; ".join(parts)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise RubricError(
            f"{path}: file not found - restore it from the repository or point "
            "INTERVIEW_BOT_PROMPTS_DIR at a folder that has it"
        ) from None
    except OSError as exc:
        raise RubricError(f"{path}: cannot read: {exc.strerror or exc}") from None


def load_rubric(prompts_dir: str | Path) -> Rubric:
    """Read and validate ``prompts_dir/rubric.yaml``; any problem is a :class:`RubricError`."""
    path = Path(prompts_dir) / RUBRIC_FILE
    raw = _read(path)
    try:
        data: Any = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise RubricError(f"{where}: YAML syntax error: {problem}") from None
    if not isinstance(data, dict):
        raise RubricError(f"{path}: expected a mapping with version, scale and criteria")
    missing = [k for k in ("version", "scale", "criteria") if k not in data]
    if missing:
        raise RubricError(f"{path}: missing {', '.join(missing)}")
    extra = sorted(set(data) - {"version", "scale", "criteria"})
    if extra:
        raise RubricError(f"{path}: unknown keys {', '.join(map(str, extra))}")
    declared = str(data["version"]).strip()
    if not declared:
        raise RubricError(f"{path}: version is empty")
    digest = hashlib.sha256(raw).hexdigest()[:8]
    try:
        return Rubric(
            version=f"{declared}+{digest}",
            declared_version=declared,
            scale=data["scale"],
            criteria=data["criteria"] or [],
        )
    except ValidationError as exc:
        raise RubricError(f"{path}: {_format_validation(exc)}") from None


def load_prompt(prompts_dir: str | Path, name: str) -> str:
    """The text of prompt ``name`` (``grade_system`` reads ``grade_system.md``)."""
    path = Path(prompts_dir) / (name if Path(name).suffix else f"{name}.md")
    text = _read(path).decode("utf-8", errors="replace")
    if not text.strip():
        raise RubricError(f"{path}: prompt file is empty")
    return text
