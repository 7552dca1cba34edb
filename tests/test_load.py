"""Many interviews at once in one real ``interview-bot serve``, driven over its HTTP API.

Eight simulated browsers (one ``gradio_client.Client`` each, so each has its own Gradio
session and ``gr.State``) start an interview and answer three questions at the same moment;
every answer carries a marker unique to its browser. Nothing may fail, no browser may see
another's marker, and the progress database must hold every answer once, graded, in the
session of the browser that sent it. Latency is printed, never asserted (that is
``evals/bench_load.py``'s job).
"""

from __future__ import annotations

import re
import statistics
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from test_browser import Server

from interview_bot.practice.progress import ProgressStore

pytestmark = pytest.mark.slow

SESSIONS = 8
ANSWERS = 3
MARKER = re.compile(r"\bmk[0-9a-f]{12}\b")
TEXTS = [
    "Attention weighs every token's value by query-key similarity, so context flows "
    "across the whole sequence in one step.",
    "Residual connections keep gradients flowing and layer normalization keeps the "
    "activations in a stable range, which stabilises training.",
    "Attention alone is permutation invariant, so positional encodings add word order "
    "to the token embeddings.",
]


def shown(history: list[dict[str, Any]]) -> str:
    """The chat as text, whichever message format the client hands back."""
    parts = []
    for message in history:
        content = message.get("content")
        items = content if isinstance(content, list) else [content]
        for item in items:
            parts.append(str(item.get("text", "")) if isinstance(item, dict) else str(item))
    return "\n".join(parts)


def test_many_interviews_at_once_keep_to_themselves(tmp_path: Path) -> None:
    from gradio_client import Client

    server = Server(tmp_path / "data")
    try:
        url = server.wait()
        clients = [Client(url, verbose=False) for _ in range(SESSIONS)]
        markers = [f"mk{uuid.uuid4().hex[:12]}" for _ in range(SESSIONS)]
        histories: list[str] = [""] * SESSIONS
        latencies: list[float] = []
        errors: list[str] = []
        together = threading.Barrier(SESSIONS)

        def browser(i: int) -> None:
            try:
                client, marker = clients[i], markers[i]
                out = client.predict([], "any", "Fixed length", ANSWERS, [], api_name="/start")
                history = out[0]
                together.wait(60)  # every browser answers at the same moment
                for k in range(ANSWERS):
                    started = time.perf_counter()
                    out = client.predict(
                        f"{TEXTS[k]} ({marker} answer {k})", history, api_name="/send"
                    )
                    latencies.append(time.perf_counter() - started)
                    history = out[0]
                histories[i] = shown(history)
            except Exception as exc:  # reported below, in the test's own thread
                errors.append(f"browser {i}: {type(exc).__name__}: {exc}")

        started = time.perf_counter()
        threads = [threading.Thread(target=browser, args=(i,)) for i in range(SESSIONS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(240)
        wall = time.perf_counter() - started
    finally:
        server.stop()
    print(
        f"\n{SESSIONS} browsers x {ANSWERS} answers in {wall:.1f} s; answer-to-grade "
        f"p50 {statistics.median(latencies or [0]):.2f} s, max {max(latencies or [0]):.2f} s"
    )
    assert errors == []
    assert "Traceback" not in "".join(server.lines)

    for marker, text in zip(markers, histories, strict=True):
        assert set(MARKER.findall(text)) == {marker}  # its own answers, nobody else's
        assert text.count(marker) == ANSWERS
        assert text.count("graded by the offline grader") == ANSWERS
        # no warning but the card's note that a bare question borrowed its reference
        warnings = [line for line in text.splitlines() if "⚠️" in line]
        assert all("borrowed from" in line for line in warnings), warnings

    progress = ProgressStore(tmp_path / "data" / "progress.db")
    sessions = progress.sessions()
    assert len(sessions) == SESSIONS
    owners: dict[int, str] = {}
    for session in sessions:
        attempts = progress.attempts(session.id, kinds=("answer", "followup"))
        assert len(attempts) == ANSWERS
        found = {m for a in attempts for m in MARKER.findall(a.answer)}
        assert len(found) == 1, f"session {session.id} holds answers of {sorted(found)}"
        owners[session.id] = found.pop()
        for attempt in attempts:
            assert attempt.grade is not None and attempt.grade.answer == attempt.answer
            assert attempt.grader == "offline" and attempt.score is not None
    assert sorted(owners.values()) == sorted(markers)  # one session per browser
