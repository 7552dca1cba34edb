"""Ingest never destroys the live bank: killed at any stage, run four at a time, read while
it runs.

Children are real processes on one data folder, SIGKILLed (no cleanup, as a power cut or
the OOM killer would) at a seam: after parsing, after merging, during key points, after the
new collection is written but before the swap, and after the swap but before orphans are
dropped. Afterwards a fresh process's view must find the bank whole, searchable and with
no orphan left once the next ingest succeeds.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from interview_bot.bot import InterviewBot
from interview_bot.knowledge.store import REGISTRY
from interview_bot.settings import load_settings
from tests.conftest import JSON_QA, ROOT

pytestmark = pytest.mark.slow
CHILD_TIMEOUT_S = 400  # a hang guard, not a timing figure

INGEST = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from interview_bot.bot import InterviewBot
    from interview_bot.knowledge.store import BankStore
    from interview_bot.settings import load_settings

    data_dir, bank, kill_at, *files = sys.argv[1:]

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    if kill_at == "after swap":
        BankStore._clean_orphans = lambda self: die()

    def progress(stage, done, total):
        if stage == kill_at:
            die()

    bot = InterviewBot(load_settings(data_dir=data_dir))
    report = bot.ingest([Path(f) for f in files], bank=bank, progress=progress, force=True)
    print(f"{report.bank}: {report.questions}", flush=True)
    """
)

READER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from interview_bot.bot import InterviewBot
    from interview_bot.settings import load_settings

    bot = InterviewBot(load_settings(data_dir=sys.argv[1]))
    stop_file = Path(sys.argv[2])
    reads = empty = 0
    errors = []
    while not stop_file.exists() or reads < 5:
        try:
            hits = bot.search("why scale attention scores by sqrt d_k", k=3)
            empty += not hits
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}"[:200])
        reads += 1
        time.sleep(0.05)
    print(json.dumps({"reads": reads, "empty": empty, "errors": errors[:5]}))
    """
)


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}


def _ingest(data_dir: Path, *files: Path, bank: str = "default", kill_at: str = "-") -> list[str]:
    return [sys.executable, "-c", INGEST, str(data_dir), bank, kill_at, *map(str, files)]


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, capture_output=True, text=True, env=_env(), timeout=CHILD_TIMEOUT_S, cwd=ROOT
    )


def _state(data_dir: Path) -> dict[str, object]:
    """Collections, the ones banks point at, and index folders: read by a fresh process."""
    script = textwrap.dedent(
        f"""
        import json, sqlite3, chromadb
        from pathlib import Path
        from chromadb.config import Settings
        store = Path({str(data_dir)!r}) / "store"
        client = chromadb.PersistentClient(str(store), settings=Settings(anonymized_telemetry=False))
        names = sorted(c.name for c in client.list_collections())
        registry = client.get_collection({REGISTRY!r}).get(include=["metadatas"])
        live = dict(zip(registry["ids"], (m["collection"] for m in registry["metadatas"])))
        counts = {{bank: client.get_collection(name).count() for bank, name in live.items()}}
        segments = {{r[0] for r in sqlite3.connect(store / "chroma.sqlite3").execute(
            "SELECT id FROM segments")}}
        folders = [p.name for p in store.iterdir() if p.is_dir()]
        print(json.dumps({{"names": names, "live": live, "counts": counts,
                          "stray_folders": [f for f in folders if f not in segments]}}))
        """
    )
    done = _run([sys.executable, "-c", script])
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def _orphans(state: dict[str, object]) -> list[str]:
    live = set(state["live"].values())  # type: ignore[attr-defined]
    return [n for n in state["names"] if n != REGISTRY and n not in live]  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder whose default bank holds attention-qa.json (14 questions)."""
    data_dir = tmp_path_factory.mktemp("seeded") / "data"
    done = _run(_ingest(data_dir, JSON_QA))
    assert done.returncode == 0 and "default: 14" in done.stdout, done.stderr[-2000:]
    return data_dir


def _copy(seeded: Path, to: Path) -> Path:
    shutil.copytree(seeded, to, ignore=shutil.ignore_patterns("ingest.lock"))
    return to


@pytest.mark.parametrize("kill_at", ["parsed", "merged", "key points", "stored", "after swap"])
def test_ingest_killed_at_any_stage_leaves_a_whole_bank(
    seeded: Path, tmp_path: Path, kill_at: str
) -> None:
    data_dir = _copy(seeded, tmp_path / "data")
    before = _state(data_dir)
    done = _run(_ingest(data_dir, JSON_QA, kill_at=kill_at))
    assert done.returncode == -signal.SIGKILL, done.stderr[-2000:]

    after = _state(data_dir)
    assert after["counts"]["default"] > 0  # type: ignore[index]
    if kill_at == "after swap":  # the new build is live; the old one waits to be dropped
        assert after["live"] != before["live"]
    else:
        assert after["live"] == before["live"]

    bot = InterviewBot(load_settings(data_dir=data_dir))
    assert len(bot.questions()) == 14
    assert bot.search("why scale by sqrt d_k", k=1)
    assert bot.ingest([JSON_QA]).unchanged  # the record and the collection agree
    bot.ingest([JSON_QA], force=True)
    cleaned = _state(data_dir)
    assert _orphans(cleaned) == [] and cleaned["stray_folders"] == []
    assert len(bot.questions()) == 14


def test_four_ingests_and_a_reader_at_once(seeded: Path, tmp_path: Path) -> None:
    data_dir = _copy(seeded, tmp_path / "data")
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(data_dir), str(stop)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
        cwd=ROOT,
    )
    writers = [
        subprocess.Popen(
            _ingest(data_dir, JSON_QA),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
            cwd=ROOT,
        )
        for _ in range(4)
    ]
    results = [w.communicate(timeout=CHILD_TIMEOUT_S) for w in writers]
    stop.touch()
    out, err = reader.communicate(timeout=CHILD_TIMEOUT_S)
    for writer, (stdout, stderr) in zip(writers, results, strict=True):
        assert writer.returncode == 0, stderr[-2000:]
        assert "default: 14" in stdout
    assert reader.returncode == 0, err[-2000:]
    seen = json.loads(out)
    assert seen["errors"] == [] and seen["empty"] == 0, seen
    state = _state(data_dir)
    assert _orphans(state) == [] and state["stray_folders"] == []
    assert state["counts"]["default"] > 0  # type: ignore[index]


def test_four_different_files_into_one_bank(tmp_path: Path) -> None:
    """Writers take turns: each report is true when printed, the last build is what remains."""
    data_dir = tmp_path / "data"
    files = []
    for i in range(4):
        path = tmp_path / f"bank-{i}.md"
        path.write_text(
            "".join(
                f"Q: What does part {i}-{j} of model {i} do?\nA: It does job {j} for model {i}.\n"
                for j in range(3 + i)
            ),
            encoding="utf-8",
        )
        files.append(path)
    writers = [
        subprocess.Popen(
            _ingest(data_dir, path, bank="b"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
            cwd=ROOT,
        )
        for path in files
    ]
    results = [w.communicate(timeout=CHILD_TIMEOUT_S) for w in writers]
    for i, (writer, (stdout, stderr)) in enumerate(zip(writers, results, strict=True)):
        assert writer.returncode == 0, stderr[-2000:]
        assert f"b: {3 + i}" in stdout
    state = _state(data_dir)
    assert _orphans(state) == [] and state["stray_folders"] == []
    bot = InterviewBot(load_settings(data_dir=data_dir))
    manifest = bot.store.manifest("b")
    assert manifest is not None
    (source,) = manifest.files
    assert len(bot.questions("b")) == manifest.questions == source.questions


def test_a_second_ingest_that_will_not_wait_is_told_clearly(seeded: Path, tmp_path: Path) -> None:
    import filelock

    from interview_bot.errors import StoreError

    data_dir = _copy(seeded, tmp_path / "data")
    bot = InterviewBot(load_settings(data_dir=data_dir))
    (data_dir / "ingest.owner").write_text("pid 4242, since 12:00:00", encoding="utf-8")
    with filelock.FileLock(str(data_dir / "ingest.lock")), pytest.raises(StoreError) as caught:
        _in_thread(lambda: bot.ingest([JSON_QA], wait=0))
    assert "another ingest is running on" in str(caught.value)
    assert "pid 4242" in str(caught.value)
    assert bot.ingest([JSON_QA], wait=0).unchanged  # the lock is free again


def _in_thread(call: object) -> None:
    """filelock is re-entrant within a thread; another thread stands for another process."""
    import threading

    failure: list[BaseException] = []

    def run() -> None:
        try:
            call()  # type: ignore[operator]
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
