"""The wheel alone runs the bot: built from the checkout, installed into a fresh venv in a
temporary folder, and run from another temporary folder.

Installing torch and the rest (2 GB) into that venv would take minutes, so the wheel goes in
with ``--no-deps`` and the venv sees the dev venv's packages through a folder of links (every
package there except interview-bot itself, and no ``.pth`` file, so the dev venv's editable
install of the checkout stays out). An audit hook in the new venv writes down every file or
folder under the checkout that its processes open or list: the bank, prompts, eval sets and
calibration must all come from the installed wheel.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from tests.conftest import ROOT

# Generous limits: on a busy 2-core machine one first ingest plus serve took over 10 minutes.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]
COMMAND_LIMIT = 1200  # seconds for one command of the installed bot, a guard, not a figure

# Loaded at the start of every Python process of the new venv (through a .pth line): notes
# each path under the checkout that is opened or listed, except the dev venv's packages.
GUARD = """
import os, sys

_ROOT = os.environ.get("IB_CHECKOUT")
_ALLOWED = os.environ.get("IB_DEV_PREFIX")
_LOG = os.environ.get("IB_READS_LOG")


def _note(event, args):
    if event not in ("open", "os.listdir", "os.scandir") or not args or not _ROOT or not _LOG:
        return
    target = args[0]
    if not isinstance(target, (str, bytes, os.PathLike)):
        return
    try:
        path = os.path.abspath(os.fsdecode(target))
    except Exception:
        return
    if path.startswith(_ROOT + os.sep) and not path.startswith(_ALLOWED + os.sep):
        with open(_LOG, "a", encoding="utf-8") as log:
            log.write(f"{os.getpid()} {event} {path}\\n")


sys.addaudithook(_note)
"""


@dataclass(frozen=True)
class Installed:
    """A venv holding the wheel, and what its commands run with."""

    venv: Path
    workdir: Path
    data_dir: Path
    reads_log: Path

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def script(self) -> Path:
        return self.venv / "bin" / "interview-bot"

    def env(self) -> dict[str, str]:
        """The caller's environment minus anything pointing at the checkout or its settings."""
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("INTERVIEW_BOT_")
            and k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")
        }
        env.update(
            INTERVIEW_BOT_DATA_DIR=str(self.data_dir),
            HF_HUB_OFFLINE="1",
            TOKENIZERS_PARALLELISM="false",
            PATH=f"{self.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
            IB_CHECKOUT=str(ROOT),
            IB_DEV_PREFIX=str(Path(sys.prefix).resolve()),
            IB_READS_LOG=str(self.reads_log),
        )
        return env

    def run(self, *args: str, timeout: float = COMMAND_LIMIT) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            args,
            cwd=self.workdir,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def checkout_reads(self) -> list[str]:
        if not self.reads_log.exists():
            return []
        return self.reads_log.read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``pip wheel`` of the checkout, offline (hatchling comes from the dev extra)."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--wheel-dir",
            str(out),
            str(ROOT),
        ],
        check=True,
        timeout=300,
    )
    (built,) = out.glob("interview_bot-*.whl")
    return built


def _dev_packages(folder: Path) -> Path:
    """A folder of links to the dev venv's packages, without interview-bot and .pth files."""
    folder.mkdir()
    site = Path(sysconfig.get_path("purelib"))
    for entry in site.iterdir():
        name = entry.name.lower()
        if (
            name.startswith(("interview_bot", "interview-bot", "_editable_impl", "__editable__"))
            or name.endswith(".pth")
            or name == "__pycache__"
        ):
            continue
        (folder / entry.name).symlink_to(entry)
    return folder


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("installed")
    assert not base.resolve().is_relative_to(ROOT), "the venv must lie outside the checkout"
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(venv / "bin" / "python"),
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        check=True,
        timeout=300,
    )
    site = Path(
        subprocess.run(
            [
                str(venv / "bin" / "python"),
                "-c",
                "import sysconfig; print(sysconfig.get_path('purelib'))",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    (site / "_checkout_guard.py").write_text(GUARD, encoding="utf-8")
    (site / "_checkout_guard.pth").write_text("import _checkout_guard\n", encoding="utf-8")
    (site / "dev_packages.pth").write_text(f"{_dev_packages(base / 'deps')}\n", encoding="utf-8")
    workdir = base / "somewhere"
    workdir.mkdir()
    return Installed(venv, workdir, base / "data", base / "checkout-reads.log")


def test_wheel_carries_code_data_and_entry_points(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        points = archive.read(entry_points).decode()
    data = "interview_bot/data/"
    for folder, source in (
        ("knowledge", ROOT / "knowledge"),
        ("prompts", ROOT / "prompts"),
        ("datasets", ROOT / "evals" / "datasets"),
    ):
        expected = {f"{data}{folder}/{p.name}" for p in source.iterdir() if p.is_file()}
        assert expected, folder
        assert expected <= names, sorted(expected - names)
    assert {
        "interview_bot/py.typed",
        "interview_bot/grading/calibration.json",
        "interview_bot/cli/__init__.py",
        f"{data}prompts/rubric.yaml",
    } <= names
    package = ROOT / "interview_bot"
    shipped = {  # every file of the package: code, calibration, model adapters, py.typed
        p.relative_to(ROOT).as_posix()
        for p in package.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert shipped <= names, sorted(shipped - names)
    assert "interview-bot = interview_bot.cli:main" in points
    assert "[interview_bot.graders]" in points
    for prefix in ("offline", "openai", "ollama", "llamacpp"):
        assert f"\n{prefix} = interview_bot." in points, prefix
    assert not [n for n in names if n.startswith(("tests/", "evals/", "knowledge/"))]


def test_the_guard_notices_a_read_of_the_checkout(installed: Installed, tmp_path: Path) -> None:
    watched = replace(installed, reads_log=tmp_path / "reads.log")
    result = watched.run(
        str(watched.python), "-c", f"open({str(ROOT / 'pyproject.toml')!r}).read()"
    )
    assert result.returncode == 0, result.stderr
    assert [line.split(" ", 1)[1] for line in watched.checkout_reads()] == [
        f"open {ROOT / 'pyproject.toml'}"
    ]


def test_installed_package_resolves_everything_inside_the_venv(installed: Installed) -> None:
    probe = (
        "import json, interview_bot, importlib.metadata as md\n"
        "from interview_bot.resources import bundled\n"
        "from interview_bot.settings import load_settings\n"
        "from interview_bot.grading import calibration\n"
        "s = load_settings()\n"
        "print(json.dumps({\n"
        "  'package': interview_bot.__file__,\n"
        "  'knowledge': str(bundled('knowledge')), 'prompts': str(bundled('prompts')),\n"
        "  'datasets': str(bundled('datasets')), 'calibration': str(calibration.CALIBRATION_PATH),\n"
        "  'settings': [str(s.knowledge_dir), str(s.prompts_dir), str(s.datasets_dir)],\n"
        "  'distributions': [str(d.locate_file('')) for d in md.distributions()\n"
        "                    if d.metadata['Name'] == 'interview-bot'],\n"
        "}))\n"
    )
    result = installed.run(str(installed.python), "-c", probe)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    venv = installed.venv.resolve()
    paths = [
        found["package"],
        found["knowledge"],
        found["prompts"],
        found["datasets"],
        found["calibration"],
        *found["settings"],
        *found["distributions"],
    ]
    for path in paths:
        assert Path(path).resolve().is_relative_to(venv), path
    assert len(found["distributions"]) == 1
    assert (Path(found["prompts"]) / "rubric.yaml").is_file()
    assert (Path(found["datasets"]) / "mohler2011.jsonl").is_file()
    assert installed.checkout_reads() == []


def test_installed_cli_runs_from_any_folder(installed: Installed) -> None:
    stats = installed.run(str(installed.script), "bank", "stats", "--json")
    assert stats.returncode == 0, stats.stderr
    report = json.loads(stats.stdout)
    bundled = {p.name for p in (ROOT / "knowledge").iterdir() if p.is_file()}
    assert {Path(f["path"]).name for f in report["files"]} == bundled
    assert report["totals"]["files"] == len(bundled)
    venv = installed.venv.resolve()
    for file in report["files"]:
        assert Path(file["path"]).resolve().is_relative_to(venv), file["path"]

    graded = installed.run(
        str(installed.script),
        "grade",
        "-q",
        "Why is positional encoding used in Transformers?",
        "-a",
        "Attention ignores token order, so position vectors are added to the embeddings.",
        "--json",
    )
    assert graded.returncode == 0, graded.stderr
    grade = json.loads(graded.stdout)
    assert grade["graded"] is True
    assert grade["reference_origin"] == "retrieved"  # the bank question closest to -q
    assert grade["question_id"] and grade["reference"]
    assert grade["grader"] == "offline"
    assert 0 < grade["score"] <= grade["max_score"]
    assert (installed.data_dir / "store").is_dir()
    assert installed.checkout_reads() == []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(installed: Installed) -> Iterator[tuple[str, subprocess.Popen[str], Path]]:
    port = _free_port()
    log = installed.workdir / "serve.log"
    with log.open("w", encoding="utf-8") as out:
        process = subprocess.Popen(
            [str(installed.script), "serve", "--port", str(port)],
            cwd=installed.workdir,
            env=installed.env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        yield f"http://127.0.0.1:{port}/", process, log
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def test_installed_serve_answers_http(
    installed: Installed, served: tuple[str, subprocess.Popen[str], Path]
) -> None:
    url, process, log = served
    status = None
    deadline = time.monotonic() + COMMAND_LIMIT
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                status = response.status
                page = response.read().decode("utf-8", "replace")
            break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(1)
    output = log.read_text(encoding="utf-8")
    assert status == 200, f"serve gave {status} (exit {process.poll()}):\n{output[-4000:]}"
    assert "gradio" in page.lower()
    assert installed.checkout_reads() == []
