"""A grader from another package: a tiny plugin, built and installed with pip into a
temporary folder, is found through the ``interview_bot.graders`` entry-point group and
grades through the ordinary ``interview-bot grade --llm`` door."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow

PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "interview-bot-wordcount"
version = "0.1.0"

[project.entry-points."interview_bot.graders"]
wordcount = "interview_bot_wordcount:plugin"
"""

# The whole contract of grading/plugins.py: a prefix and make_grader(choice, context).
PLUGIN = '''\
"""Scores an answer by its length: one point per N words (spec wordcount:N), at most 10."""

from interview_bot.grading.result import Grade


class WordCountGrader:
    def __init__(self, words_per_point: int) -> None:
        self.words_per_point = words_per_point
        self.name = f"wordcount:{words_per_point}"

    def grade(self, target, answer):
        points = min(10, len(answer.split()) // self.words_per_point)
        return Grade(
            question=target.question,
            answer=answer,
            score=points,
            max_score=10,
            reference=target.reference,
            reference_origin=target.reference_origin,
            grader=self.name,
            feedback=f"{len(answer.split())} words",
        )


class WordCountPlugin:
    prefix = "wordcount"

    def make_grader(self, choice, context):
        _, _, target = choice.spec.partition(":")
        return WordCountGrader(int(target or 1))


plugin = WordCountPlugin()
'''

ANSWER = "Attention ignores token order, so position vectors are added to the embeddings."


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The plugin package, pip-installed into a folder of its own (the dev venv is shared)."""
    source = tmp_path_factory.mktemp("plugin-src")
    (source / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (source / "interview_bot_wordcount").mkdir()
    (source / "interview_bot_wordcount" / "__init__.py").write_text(PLUGIN, encoding="utf-8")
    target = tmp_path_factory.mktemp("plugin-installed")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--target",
            str(target),
            str(source),
        ],
        check=True,
        timeout=300,
    )
    assert list(target.glob("interview_bot_wordcount-*.dist-info/entry_points.txt"))
    return target


def grade(spec: str, data_dir: Path, plugin_path: Path | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(INTERVIEW_BOT_DATA_DIR=str(data_dir), HF_HUB_OFFLINE="1")
    if plugin_path is not None:
        env["PYTHONPATH"] = str(plugin_path)
    return subprocess.run(
        [
            str(Path(sys.executable).with_name("interview-bot")),
            "grade",
            "--llm",
            spec,
            "-q",
            "Why is positional encoding used in Transformers?",
            "-r",
            "Self-attention is permutation invariant, so order must be added.",
            "-a",
            ANSWER,
            "--json",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_an_installed_plugin_grades_through_the_cli(plugin_path: Path, tmp_path: Path) -> None:
    result = grade("wordcount:3", tmp_path, plugin_path)
    assert result.returncode == 0, result.stderr
    graded = json.loads(result.stdout)
    assert graded["grader"] == "wordcount:3"
    assert graded["score"] == len(ANSWER.split()) // 3 == 4
    assert graded["max_score"] == 10
    assert graded["feedback"] == "12 words"
    assert graded["reference_origin"] == "given"


def test_without_the_plugin_the_spec_is_unknown(tmp_path: Path) -> None:
    result = grade("wordcount:3", tmp_path, None)
    assert result.returncode == 2
    assert "Unknown grader 'wordcount:3'" in result.stderr
    assert "offline" in result.stderr
