"""Load benchmark: many interviews at once against one ``interview-bot serve`` process.

Each simulated browser has its own Gradio session (so its own ``gr.State``), starts an
interview and answers ``--answers`` questions back to back with no think time (the worst
case: every browser waits only for its grade; the target is checked on it). A "paced" run
adds a think time before each answer (``--think-s``, each pause 0.5 to 1.5 times it), still
far busier than people typing answers, to show what a team of that size would see.
Answers carry a marker unique to the browser; a reply that shows another browser's marker,
an error message or no grade card is an error. Reported for 1, 8 and 32 concurrent browsers
(and 32 paced), each the median of ``--reps`` runs:
sessions/s, answer-to-grade latency p50/p95 (HTTP request to grade, queue wait included),
the server's own processing time, and the server's peak RSS. The progress database is then
checked: every answer stored once, in the session of the browser that sent it.

The browsers are asyncio tasks over one ``httpx`` client speaking Gradio's queue protocol
(``/gradio_api/queue/join`` and the ``queue/data`` event stream), the protocol the page
itself uses: one thread and little CPU, so on a 2-core machine the load generator does not
take the cores it measures (``gradio_client`` spends about twice the server's CPU here). Its
own CPU time is reported too. Timing belongs here, never in pass/fail tests: figures depend
on the machine and its load, which the report records.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import resource
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "evals" / "results" / "bench-load-latest.json"
BIN = Path(sys.executable).parent
TARGET_SESSIONS = 32
TARGET_P95_S = 1.5
ANSWERS = [
    "Attention lets every token weigh all other tokens by query-key similarity and mixes "
    "their values, so context flows across the sequence in one step.",
    "It normalises and stabilises training: residual paths keep gradients flowing and the "
    "model learns a correction instead of a whole new representation.",
    "Without position information attention is permutation invariant, so positional "
    "encodings are added to the token embeddings to give the model word order.",
    "Several heads attend in parallel to different representation subspaces, each with its "
    "own projections, and their outputs are concatenated and projected back.",
]


def log(message: str) -> None:
    print(f"[bench-load {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (as numpy's default), without numpy."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    at = (len(ordered) - 1) * q / 100
    low = int(at)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (at - low)


def peak_rss_mb(pid: int) -> float | None:
    """Peak resident memory of a running process: psutil if installed, else /proc VmHWM."""
    try:
        import psutil

        info = psutil.Process(pid).memory_full_info()
        peak = getattr(info, "peak_wset", None) or getattr(info, "peak_rss", None)
        if peak:
            return float(peak) / 2**20
    except Exception:  # not installed, or no peak figure on this platform: read /proc
        pass
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"VmHWM:\s+(\d+) kB", text)
    return int(found.group(1)) / 1024 if found else None


def process_cpu_s(pid: int) -> float | None:
    """User plus system CPU seconds a process has used so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# -- the server ----------------------------------------------------------------------------
class Server:
    """``interview-bot serve`` on a free loopback port with its own data folder."""

    def __init__(self, data_dir: Path, extra_env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = data_dir
        env = {**os.environ, "INTERVIEW_BOT_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1"}
        env.update(extra_env or {})
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [str(BIN / "interview-bot"), "serve", "--port", str(self.port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self.ready = threading.Event()
        self.warm = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)
            if "running at http://" in line:
                self.ready.set()
            if "grader warmed up" in line:
                self.warm.set()

    def wait(self, timeout: float = 300) -> float:
        """Seconds from process start until it said it is running."""
        deadline = time.monotonic() + timeout
        while not self.ready.wait(0.2):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("server did not start:\n" + "".join(self.lines[-40:]))
        return time.perf_counter() - self.started

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# -- one simulated browser -----------------------------------------------------------------
@dataclass
class Api:
    """The app's named endpoints, read from its ``/config``."""

    url: str
    prefix: str
    endpoints: dict[str, dict[str, Any]]
    component_types: dict[int, str]

    @classmethod
    async def read(cls, http: httpx.AsyncClient, url: str) -> Api:
        config = (await http.get(f"{url}/config")).json()
        return cls(
            url=url,
            prefix=url + config.get("api_prefix", ""),
            endpoints={d["api_name"]: d for d in config["dependencies"] if d.get("api_name")},
            component_types={c["id"]: c["type"] for c in config["components"]},
        )


class AppError(Exception):
    """The app answered an event with an error instead of its outputs."""


@dataclass
class Browser:
    """One browser tab: its own session hash, so the server keeps its own gr.State for it."""

    http: httpx.AsyncClient
    api: Api
    marker: str
    session_hash: str = field(default_factory=lambda: uuid.uuid4().hex)

    async def call(self, api_name: str, *values: Any) -> tuple[list[Any], float]:
        """Run one event as the page does; its outputs and the server's processing seconds."""
        endpoint = self.api.endpoints[api_name]
        given = iter(values)
        data = [
            None if self.api.component_types.get(i) == "state" else next(given)
            for i in endpoint["inputs"]
        ]
        joined = await self.http.post(
            f"{self.api.prefix}/queue/join",
            json={
                "data": data,
                "fn_index": endpoint["id"],
                "session_hash": self.session_hash,
                "event_data": None,
                "trigger_id": None,
            },
        )
        joined.raise_for_status()
        event_id = joined.json()["event_id"]
        async with self.http.stream(
            "GET", f"{self.api.prefix}/queue/data", params={"session_hash": self.session_hash}
        ) as stream:
            async for line in stream.aiter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("event_id") != event_id:
                    continue
                if message["msg"] == "process_completed":
                    if not message.get("success"):
                        raise AppError(str(message.get("output", {}).get("error")))
                    output = message["output"]
                    return output["data"], float(output.get("duration") or 0.0)
        raise AppError(f"event stream closed before {api_name} completed")


def history_text(history: list[dict[str, Any]]) -> str:
    parts = []
    for message in history:
        content = message.get("content")
        if isinstance(content, list):
            parts += [str(c.get("text", "")) for c in content if isinstance(c, dict)]
        else:
            parts.append(str(content))
    return "\n".join(parts)


MARKER = re.compile(r"\bmk[0-9a-f]{12}\b")


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    server_s: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    sessions_done: int = 0


async def run_browser(
    browser: Browser, answers: int, outcome: Outcome, think_s: float = 0.0
) -> None:
    """Start an interview and answer ``answers`` questions; check every reply is ours."""
    pause = random.Random(browser.marker)
    try:
        outputs, _ = await browser.call("start", [], "any", "Fixed length", answers, [])
        history = outputs[0]
        for i in range(answers):
            if think_s:
                await asyncio.sleep(think_s * pause.uniform(0.5, 1.5))
            text = f"{ANSWERS[i % len(ANSWERS)]} ({browser.marker} answer {i})"
            started = time.perf_counter()
            outputs, server_s = await browser.call("send", text, history)
            outcome.latencies.append(time.perf_counter() - started)
            outcome.server_s.append(server_s)
            history = outputs[0]
            shown = history_text(history)
            foreign = set(MARKER.findall(shown)) - {browser.marker}
            if foreign:
                outcome.errors.append(f"{browser.marker} saw {sorted(foreign)}")
            if shown.count(browser.marker) != i + 1:
                outcome.errors.append(f"{browser.marker}: answer {i} missing from its history")
            last = history_text(history[-3:])
            if "graded by" not in last or "⚠️" in last:
                outcome.errors.append(f"{browser.marker}: no grade card for answer {i}")
        outcome.sessions_done += 1
    except Exception as exc:  # counted and reported; the other browsers go on
        outcome.errors.append(f"{browser.marker}: {type(exc).__name__}: {exc}")


async def run_level(
    url: str, sessions: int, answers: int, think_s: float = 0.0
) -> tuple[Outcome, float, list[str]]:
    """``sessions`` browsers at once; their outcome, the wall time and their markers."""
    limits = httpx.Limits(max_connections=4 * sessions + 8, max_keepalive_connections=None)
    timeout = httpx.Timeout(300.0, connect=30.0)
    async with httpx.AsyncClient(limits=limits, timeout=timeout) as http:
        api = await Api.read(http, url)
        browsers = [Browser(http, api, f"mk{uuid.uuid4().hex[:12]}") for _ in range(sessions)]
        outcome = Outcome()
        started = time.perf_counter()
        await asyncio.gather(*(run_browser(b, answers, outcome, think_s) for b in browsers))
        wall = time.perf_counter() - started
    return outcome, wall, [b.marker for b in browsers]


def check_database(path: Path, markers: list[str], answers: int) -> list[str]:
    """Every browser's answers stored, each once, all in one session that is only its own."""
    problems: list[str] = []
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            "SELECT session_id, answer, grade_json, kind FROM attempts WHERE kind != 'skip'"
        ).fetchall()
    by_marker: dict[str, list[tuple[int, str, str | None]]] = {m: [] for m in markers}
    for session_id, answer, grade_json, _kind in rows:
        found = MARKER.findall(answer)
        for marker in found:
            if marker in by_marker:
                by_marker[marker].append((session_id, answer, grade_json))
    sessions_of: dict[int, set[str]] = {}
    for marker, attempts in by_marker.items():
        if len(attempts) != answers:
            problems.append(f"{marker}: {len(attempts)} attempts stored, expected {answers}")
        if len({s for s, _, _ in attempts}) > 1:
            problems.append(f"{marker}: answers spread over several sessions")
        for session_id, answer, grade_json in attempts:
            sessions_of.setdefault(session_id, set()).add(marker)
            if not grade_json or json.loads(grade_json).get("answer") != answer:
                problems.append(f"{marker}: an attempt without its own grade")
    problems += [f"session {s} holds {sorted(m)}" for s, m in sessions_of.items() if len(m) > 1]
    return problems


# -- the benchmark -------------------------------------------------------------------------
def bench(
    url: str,
    pid: int,
    db: Path,
    levels: list[tuple[int, float]],
    answers: int,
    reps: int,
) -> dict[str, Any]:
    """Each (sessions, think time) level ``reps`` times; the median of each figure."""
    out: dict[str, Any] = {}
    for level, think_s in levels:
        runs: list[dict[str, Any]] = []
        for rep in range(reps):
            cpu_server, cpu_client = process_cpu_s(pid), own_cpu_s()
            outcome, wall, markers = asyncio.run(run_level(url, level, answers, think_s))
            server_cpu = (process_cpu_s(pid) or 0.0) - (cpu_server or 0.0)
            problems = outcome.errors + check_database(db, markers, answers)
            runs.append(
                {
                    "wall_s": wall,
                    "sessions_per_s": outcome.sessions_done / wall,
                    "answers_per_s": len(outcome.latencies) / wall,
                    "p50_s": percentile(outcome.latencies, 50),
                    "p95_s": percentile(outcome.latencies, 95),
                    "max_s": max(outcome.latencies, default=float("nan")),
                    "server_p50_s": percentile(outcome.server_s, 50),
                    "server_p95_s": percentile(outcome.server_s, 95),
                    "server_cpu_ms_per_answer": 1000 * server_cpu / max(len(outcome.latencies), 1),
                    "client_cpu_s": own_cpu_s() - cpu_client,
                    "errors": len(problems),
                    "error_examples": problems[:5],
                }
            )
            log(
                f"{level} sessions (think {think_s:g} s), run {rep + 1}/{reps}: {wall:.1f} s, "
                f"p50 {runs[-1]['p50_s']:.2f} s, p95 {runs[-1]['p95_s']:.2f} s, "
                f"{len(problems)} errors"
            )
        summary: dict[str, Any] = {
            key: statistics.median(r[key] for r in runs)
            for key in runs[0]
            if isinstance(runs[0][key], float)
        }
        summary["errors"] = sum(r["errors"] for r in runs)
        summary["error_examples"] = [e for r in runs for e in r["error_examples"]][:5]
        summary["runs"] = len(runs)
        summary["answers_per_session"] = answers
        summary["think_s"] = think_s
        summary["server_peak_rss_mb"] = peak_rss_mb(pid)
        out[f"{level} paced" if think_s else str(level)] = summary
    return out


def check_target(levels: dict[str, Any]) -> dict[str, Any]:
    at = levels.get(str(TARGET_SESSIONS))
    if at is None:
        return {"met": None, "target": f"{TARGET_SESSIONS} sessions not measured"}
    p95 = at["p95_s"]
    met = p95 <= TARGET_P95_S and at["errors"] == 0
    return {
        "target": f"{TARGET_SESSIONS} concurrent sessions: p95 <= {TARGET_P95_S} s, 0 errors",
        "p95_s": round(p95, 3),
        "errors": at["errors"],
        "met": met,
        "missed_by_s": round(max(p95 - TARGET_P95_S, 0.0), 3),
        "missed_by_x": round(p95 / TARGET_P95_S, 2),
    }


def table(results: dict[str, Any]) -> str:
    head = (
        f"{'sessions':>9}  {'sess/s':>7}  {'ans/s':>6}  {'p50 s':>6}  {'p95 s':>6}  "
        f"{'srv p50':>7}  {'srv p95':>7}  {'cpu ms/ans':>10}  {'errors':>6}  {'peak RSS MB':>11}"
    )
    lines = [head, "-" * len(head)]
    for level, r in results["levels"].items():
        lines.append(
            f"{level:>9}  {r['sessions_per_s']:>7.2f}  {r['answers_per_s']:>6.2f}  "
            f"{r['p50_s']:>6.2f}  {r['p95_s']:>6.2f}  {r['server_p50_s']:>7.2f}  "
            f"{r['server_p95_s']:>7.2f}  {r['server_cpu_ms_per_answer']:>10.0f}  "
            f"{r['errors']:>6}  {r['server_peak_rss_mb'] or float('nan'):>11.0f}"
        )
    target = results["target"]
    if target["met"] is None:
        lines.append(f"target: {target['target']}")
    else:
        verdict = "MET" if target["met"] else "MISSED"
        lines.append(
            f"target {target['target']}: {verdict} (p95 {target['p95_s']} s = "
            f"{target['missed_by_x']}x the target, {target['errors']} errors)"
        )
    machine = results["run"]["machine"]
    lines.append(
        f"load average before {machine['load_before']}, after {machine['load_after']} "
        f"on {machine['cpus']} CPUs"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="1,8,32", help="Concurrent sessions to measure.")
    parser.add_argument("--answers", type=int, default=3, help="Answers per session.")
    parser.add_argument(
        "--think-s",
        type=float,
        default=5.0,
        help="Mean think time before each answer of the paced run at the largest level "
        "(0: no paced run).",
    )
    parser.add_argument("--reps", type=int, default=3, help="Runs per level (median taken).")
    parser.add_argument("--quick", action="store_true", help="One run per level.")
    parser.add_argument("--out", type=Path, default=RESULTS, help="Where to write the JSON.")
    args = parser.parse_args(argv)
    sizes = [int(x) for x in args.levels.split(",") if x.strip()]
    levels = [(n, 0.0) for n in sizes]
    if args.think_s > 0 and sizes:
        levels.append((max(sizes), args.think_s))
    reps = 1 if args.quick else max(1, args.reps)
    load_before = os.getloadavg()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="interview-bot-bench-load-") as work:
        data = Path(work) / "data"
        server = Server(data)
        try:
            startup_s = server.wait()
            log(f"serve ready in {startup_s:.1f} s at {server.url}")
            # measure the steady state: after the background warm-up of every question
            server.warm.wait(300)
            warm_s = time.perf_counter() - server.started
            log(f"grader warm {warm_s:.1f} s after start")
            # one untimed interview loads the grader's caches as the first user would
            asyncio.run(run_level(server.url, 1, 1))
            rss_idle = peak_rss_mb(server.process.pid)
            figures = bench(
                server.url,
                server.process.pid,
                data / "progress.db",
                levels,
                args.answers,
                reps,
            )
        finally:
            server.stop()
    results: dict[str, Any] = {
        "levels": figures,
        "server": {
            "startup_s": startup_s,
            "warm_s": warm_s,
            "peak_rss_after_warm_up_mb": rss_idle,
        },
    }
    results["target"] = check_target(figures)
    results["run"] = {
        "reps": reps,
        "answers_per_session": args.answers,
        "think_time_s": {"burst": 0, "paced": args.think_s},
        "seconds": time.perf_counter() - started,
        "when": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in os.getloadavg()],
        },
    }
    results = json.loads(json.dumps(results), parse_float=lambda s: round(float(s), 3))
    print(table(results))
    print(json.dumps(results, indent=1))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    log(f"wrote {args.out}")
    errors = sum(level["errors"] for level in figures.values())
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
