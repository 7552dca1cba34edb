"""Client/server mode against a real ``chroma run`` on 127.0.0.1, restarted under a live bot.

The ``server`` tests start the ``chroma`` executable that the chromadb wheel installs next to
this interpreter, on a free loopback port and a temporary folder, and stop it afterwards.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from interview_bot.bot import InterviewBot
from interview_bot.errors import StoreError
from interview_bot.settings import load_settings
from tests.conftest import BUNDLED_QUESTIONS

STARTUP_TIMEOUT_S = 60
QUERY = "why do transformers need to know token order?"
ANSWER = (
    "Self-attention is permutation invariant, so the model adds positional encodings to the "
    "token embeddings to tell it where each token sits in the sequence."
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def chroma_executable() -> Path:
    path = Path(sys.executable).parent / "chroma"
    if not path.is_file():
        pytest.skip(f"no chroma executable next to {sys.executable}")
    return path


class ChromaServer:
    """``chroma run --path DIR --host 127.0.0.1 --port N``, stoppable and restartable."""

    def __init__(self, path: Path, log: Path) -> None:
        self.path = path
        self.log = log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    str(chroma_executable()),
                    "run",
                    "--path",
                    str(self.path),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"chroma run exited with {self.process.returncode}:\n{self.tail()}")
            try:
                if httpx.get(f"{self.url}/api/v2/heartbeat", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        pytest.fail(f"chroma run did not answer within {STARTUP_TIMEOUT_S} s:\n{self.tail()}")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[ChromaServer]:
    server = ChromaServer(tmp_path / "chroma", tmp_path / "chroma.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _works(bot: InterviewBot, question_id: str) -> None:
    hits = bot.search(QUERY, k=3)
    assert "positional encoding" in hits[0].question.question.lower()
    assert len(bot.questions()) == BUNDLED_QUESTIONS
    grade = bot.grade(ANSWER, question_id=question_id)
    assert grade.graded and 0 < grade.score <= grade.max_score


@pytest.mark.server
def test_bot_keeps_working_across_a_server_restart(
    chroma_server: ChromaServer, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    bot = InterviewBot(load_settings(data_dir=data, chroma_url=chroma_server.url))
    report = bot.ingest()
    assert report.questions == BUNDLED_QUESTIONS
    assert not (data / "store").exists()  # everything went to the server
    question_id = bot.search(QUERY, k=1)[0].question.id
    _works(bot, question_id)
    before = bot.store.manifest("default")

    chroma_server.restart()
    assert bot.store.manifest("default") == before
    _works(bot, question_id)

    chroma_server.stop()
    expected = f"No Chroma server reachable at {chroma_server.url} - start it with `chroma run`"
    with pytest.raises(StoreError, match=expected):
        bot.search(QUERY)
    with pytest.raises(StoreError, match=expected):
        bot.ingest()

    chroma_server.start()
    assert bot.ingest().unchanged
    _works(bot, question_id)
    assert bot.store.banks() == ["default"]


def test_no_server_is_a_clear_error(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    bot = InterviewBot(load_settings(data_dir=tmp_path / "data", chroma_url=url))
    with pytest.raises(StoreError) as caught:
        bot.search(QUERY)
    assert str(caught.value) == (
        f"No Chroma server reachable at {url} - start it with `chroma run` or unset --chroma-url"
    )
