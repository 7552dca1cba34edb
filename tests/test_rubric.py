from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from interview_bot.errors import RubricError
from interview_bot.grading.rubric import Rubric, load_prompt, load_rubric
from tests.conftest import ROOT as PROJECT_ROOT

PROMPTS = PROJECT_ROOT / "prompts"


@pytest.fixture
def rubric() -> Rubric:
    return load_rubric(PROMPTS)


def write_rubric(folder: Path, data: object) -> Path:
    (folder / "rubric.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return folder


def good_data() -> dict:
    return yaml.safe_load((PROMPTS / "rubric.yaml").read_text())


def test_bundled_rubric_has_the_three_criteria(rubric: Rubric) -> None:
    assert rubric.names == ["correctness", "completeness", "clarity"]
    assert rubric.max_score == 5
    assert rubric.levels == 5
    assert sum(c.weight for c in rubric.criteria) == pytest.approx(1.0)
    for c in rubric.criteria:
        assert sorted(c.levels) == [1, 2, 3, 4, 5]


def test_version_is_declared_version_plus_content_hash(tmp_path: Path, rubric: Rubric) -> None:
    assert rubric.version.startswith(rubric.declared_version + "+")
    assert len(rubric.version.split("+")[1]) == 8
    shutil.copy(PROMPTS / "rubric.yaml", tmp_path / "rubric.yaml")
    assert load_rubric(tmp_path).version == rubric.version
    with (tmp_path / "rubric.yaml").open("a") as f:
        f.write("\n# an edit\n")
    edited = load_rubric(tmp_path)
    assert edited.declared_version == rubric.declared_version
    assert edited.version != rubric.version


def test_overall_is_weighted_mean_of_levels_mapped_to_scale(rubric: Rubric) -> None:
    assert rubric.overall({"correctness": 5, "completeness": 5, "clarity": 5}) == 5
    assert rubric.overall({"correctness": 1, "completeness": 1, "clarity": 1}) == 0
    assert rubric.overall({"correctness": 3, "completeness": 3, "clarity": 3}) == 2.5
    # correctness 5 (-> 5.0), completeness 1 (-> 0), clarity 3 (-> 2.5)
    assert rubric.overall({"correctness": 5, "completeness": 1, "clarity": 3}) == pytest.approx(
        0.45 * 5 + 0.20 * 2.5
    )


@pytest.mark.parametrize(
    "levels",
    [
        {"correctness": 6, "completeness": 3, "clarity": 3},
        {"correctness": 0, "completeness": 3, "clarity": 3},
        {"correctness": 3, "completeness": 3},
        {"correctness": 3, "completeness": 3, "clarity": 3, "style": 3},
    ],
)
def test_overall_rejects_levels_that_do_not_fit(rubric: Rubric, levels: dict) -> None:
    with pytest.raises(ValueError):
        rubric.overall(levels)


def test_render_lists_every_criterion_and_level(rubric: Rubric) -> None:
    text = rubric.render()
    for c in rubric.criteria:
        assert f"## {c.name} (weight {c.weight:g})" in text
        for level, description in c.levels.items():
            assert f"- Level {level}: {description.strip()}" in text


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RubricError, match=r"rubric\.yaml: file not found"):
        load_rubric(tmp_path)


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "rubric.yaml").write_text('version: "1"\nscale:\n  max_score: [5\ncriteria: []\n')
    with pytest.raises(RubricError, match=r"rubric\.yaml:\d+: YAML syntax error") as info:
        load_rubric(tmp_path)
    assert str(tmp_path) in str(info.value)


def test_missing_criteria(tmp_path: Path) -> None:
    data = good_data()
    del data["criteria"]
    with pytest.raises(RubricError, match="missing criteria"):
        load_rubric(write_rubric(tmp_path, data))


def test_empty_criteria(tmp_path: Path) -> None:
    data = good_data()
    data["criteria"] = []
    with pytest.raises(RubricError, match="criteria: List should have at least 1 item"):
        load_rubric(write_rubric(tmp_path, data))


def test_weights_must_sum_to_one(tmp_path: Path) -> None:
    data = good_data()
    data["criteria"][0]["weight"] = 0.5
    with pytest.raises(RubricError, match=r"weights must sum to 1, they sum to 1\.05") as info:
        load_rubric(write_rubric(tmp_path, data))
    assert "rubric.yaml" in str(info.value)


def test_weights_within_tolerance_are_accepted(tmp_path: Path) -> None:
    data = good_data()
    data["criteria"][0]["weight"] += 5e-7
    assert load_rubric(write_rubric(tmp_path, data)).criteria[0].weight == 0.45 + 5e-7


def test_levels_must_be_one_to_n(tmp_path: Path) -> None:
    data = good_data()
    del data["criteria"][2]["levels"][4]
    with pytest.raises(
        RubricError, match=r"'clarity': levels must be exactly 1\.\.5, got 1, 2, 3, 5"
    ):
        load_rubric(write_rubric(tmp_path, data))


def test_bad_field_is_named(tmp_path: Path) -> None:
    data = good_data()
    data["criteria"][1]["weight"] = "a lot"
    with pytest.raises(RubricError, match=r"criteria\.1\.weight"):
        load_rubric(write_rubric(tmp_path, data))


def test_duplicate_criterion_names(tmp_path: Path) -> None:
    data = good_data()
    data["criteria"][2]["name"] = "correctness"
    with pytest.raises(RubricError, match="repeated: correctness"):
        load_rubric(write_rubric(tmp_path, data))


def test_not_a_mapping(tmp_path: Path) -> None:
    (tmp_path / "rubric.yaml").write_text("- just\n- a list\n")
    with pytest.raises(RubricError, match="expected a mapping"):
        load_rubric(tmp_path)


def test_load_prompt_by_name(tmp_path: Path) -> None:
    assert "$answer" in load_prompt(PROMPTS, "grade_user")
    assert "$rubric" in load_prompt(PROMPTS, "grade_system")
    with pytest.raises(RubricError, match=r"nope\.md: file not found"):
        load_prompt(tmp_path, "nope")
