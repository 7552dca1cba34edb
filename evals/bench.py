"""Benchmarks: ingest, retrieval, grading, cold start and memory, each a median of repeated runs.

``make bench`` runs the full set (a generated 10,000-question bank); ``--quick`` uses smaller
sizes. Ratios are measured side by side in the same run (ingest against the raw model on the
same texts). Prints a table and one JSON object, and writes ``evals/results/bench-latest.json``.
Timing belongs here, never in pass/fail tests: the figures depend on the machine and its load,
which the report records (``os.getloadavg`` before and after).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import numpy as np  # noqa: E402

from interview_bot.bot import InterviewBot  # noqa: E402
from interview_bot.evaluation.cases import load_cases  # noqa: E402
from interview_bot.evaluation.runner import run_eval  # noqa: E402
from interview_bot.knowledge import embeddings  # noqa: E402
from interview_bot.knowledge.embeddings import Embedder  # noqa: E402
from interview_bot.knowledge.models import Question  # noqa: E402
from interview_bot.knowledge.parsers import parse_bank_file  # noqa: E402
from interview_bot.resources import bundled  # noqa: E402
from interview_bot.settings import Settings, load_settings  # noqa: E402

RESULTS = ROOT / "evals" / "results" / "bench-latest.json"
PER_FILE = 2_000  # generated questions per bank file
MOHLER = ROOT / "evals" / "datasets" / "mohler2011.jsonl"
BIN = Path(sys.executable).parent
TARGETS = {  # name: (figure, comparison, threshold, unit)
    "ingest_vs_raw_encode": ("ingest.synthetic_large.ratio_to_raw_encode", ">=", 0.8, "x"),
    "search_p95_large_ms": ("retrieval.large.p95_ms", "<=", 50.0, "ms"),
    "eval_cases_per_s": ("grading.eval_mohler.cases_per_s", ">=", 50.0, "cases/s"),
}
STOPWORDS = frozenset(
    "about above after again against also because been before being below between both cannot "
    "could does doing down during each every from further have having here into itself just more "
    "most much must only other over same should since some such than that their them then there "
    "these they this those through under until very what when where which while whom will with "
    "would your yours what's it's used uses using like make makes made well even many where's "
    "answer question questions".split()
)
QUESTION_TEMPLATES = [
    "What is the role of {a} in {b}?",
    "How does {a} interact with {b} during training?",
    "Why would an engineer choose {a} over {b}?",
    "Explain how {a} affects {b} at inference time.",
    "What goes wrong with {b} when {a} is removed?",
    "Compare {a} and {b} in a production language model.",
    "When is {a} a better fit than {b}?",
    "How would you debug a problem with {a} that shows up as {b}?",
    "What trade-off links {a} to {b}?",
    "Describe the failure modes of {a} under heavy {b}.",
]
ANSWER_TEMPLATES = [
    "{A} shapes {b} because it changes how information flows through every layer. "
    "Tuning {a} trades the stability of {b} against speed and memory.",
    "Without {a} the model cannot keep {b} consistent across long sequences. "
    "Engineers measure {b} before and after changing {a} to confirm the effect.",
    "{A} and {b} solve different problems: the first controls capacity, the second controls "
    "generalisation. Most systems need both and tune them together.",
]
QUERY_TEMPLATES = [
    "tell me about {a} and {b}",
    "{a} vs {b}?",
    "how is {a} related to {b}",
    "explain {a} with {b}",
    "why does {a} matter for {b}",
]


# -- small helpers ---------------------------------------------------------------------------
def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=float), q)) if values else float("nan")


def rss_peak_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def children_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def proc_peak_mb(pid: int) -> float | None:
    """VmHWM (peak RSS) of a running process, where /proc has it."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"VmHWM:\s+(\d+) kB", text)
    return int(found.group(1)) / 1024 if found else None


def forget_vectors() -> None:
    """Empty the process-wide vector memories, so a run embeds as a fresh process would."""
    embeddings._memory.clear()
    embeddings._token_memory.clear()


def torch_threads() -> int:
    import torch

    return int(torch.get_num_threads())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bench_settings(data_dir: Path) -> Settings:
    # The generated bank is large: lift the upload size limit, not the point measured.
    return load_settings(data_dir=data_dir, max_upload_bytes=100_000_000)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- synthetic data ------------------------------------------------------------------------
def seed_vocabulary(folder: Path = bundled("knowledge")) -> list[str]:
    """Technical words of the bundled bank, the vocabulary of the generated one."""
    counts: dict[str, int] = {}
    for path in sorted(folder.iterdir()):
        for word in re.findall(r"[A-Za-z][A-Za-z-]{4,}", path.read_text(encoding="utf-8")):
            word = word.lower().strip("-")
            if word not in STOPWORDS and "--" not in word:
                counts[word] = counts.get(word, 0) + 1
    return sorted(w for w, c in counts.items() if c >= 2)


def synthetic_questions(n: int, seed: int = 0) -> list[dict[str, str]]:
    """``n`` distinct question/answer records from templates over the seed vocabulary."""
    rng = random.Random(seed)
    vocabulary = seed_vocabulary()
    seen: set[str] = set()
    records: list[dict[str, str]] = []
    while len(records) < n:
        a, b = rng.sample(vocabulary, 2)
        question = rng.choice(QUESTION_TEMPLATES).format(a=a, b=b)
        if question in seen:
            continue
        seen.add(question)
        answer = rng.choice(ANSWER_TEMPLATES).format(a=a, b=b, A=a.capitalize())
        records.append({"question": question, "answer": answer, "topic": f"Topic {a[:1].upper()}"})
    return records


def write_bank(records: list[dict[str, str]], path: Path) -> Path:
    """A JSONL bank: one file at ``path.jsonl``, or a folder ``path`` of files of at most
    ``PER_FILE`` questions when there are more (a bank file holds at most 5,000)."""
    if len(records) <= PER_FILE:
        path = path.with_suffix(".jsonl")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
        return path
    path.mkdir(parents=True, exist_ok=True)
    for start in range(0, len(records), PER_FILE):
        chunk = records[start : start + PER_FILE]
        part = path / f"part-{start // PER_FILE:03d}.jsonl"
        part.write_text("".join(json.dumps(r) + "\n" for r in chunk), encoding="utf-8")
    return path


def read_bank(path: Path) -> list[Question]:
    """The parsed questions of a bank written by :func:`write_bank`, in order."""
    files = sorted(path.iterdir()) if path.is_dir() else [path]
    return [q for f in files for q in parse_bank_file(f, max_bytes=10**9).questions]


def synthetic_queries(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    vocabulary = seed_vocabulary()
    queries: set[str] = set()
    while len(queries) < n:
        a, b = rng.sample(vocabulary, 2)
        queries.add(rng.choice(QUERY_TEMPLATES).format(a=a, b=b))
    return sorted(queries)


STAGES = ("parse_s", "embed_questions_and_dedupe_s", "references_topics_key_points_s", "store_s")


# -- ingest ----------------------------------------------------------------------------------
class RecordingEmbedder:
    """Wraps an Embedder's ``encode_raw`` to keep every text the model really ran on."""

    def __init__(self, embedder: Embedder) -> None:
        self.texts: list[str] = []
        self.raw = embedder.encode_raw

        def record(texts: Sequence[str]) -> np.ndarray:
            self.texts.extend(texts)
            return self.raw(texts)

        embedder.encode_raw = record  # type: ignore[method-assign]


def bench_bundled_ingest(reps: int, work: Path) -> tuple[dict[str, Any], Path]:
    """knowledge/ into a fresh data folder (cold), then again unchanged."""
    cold, again, texts = [], [], []
    data = work
    for rep in range(reps):
        data = work / f"bundled-{rep}"
        forget_vectors()
        bot = InterviewBot(bench_settings(data))
        started = time.perf_counter()
        report = bot.ingest()
        cold.append(time.perf_counter() - started)
        texts.append(report.embedded_texts)
        started = time.perf_counter()
        unchanged = bot.ingest()
        again.append(time.perf_counter() - started)
        assert unchanged.unchanged and unchanged.embedded_texts == 0
    return {
        "questions": report.questions,
        "cold_s": median(cold),
        "cold_runs_s": cold,
        "texts_embedded": median(texts),
        "reingest_unchanged_ms": median(again) * 1000,
    }, data


def bench_synthetic_ingest(n: int, reps: int, work: Path) -> tuple[dict[str, Any], Path, Path]:
    """A generated bank of ``n`` questions, cold, against the raw model on the same texts."""
    bank = write_bank(synthetic_questions(n), work / f"synthetic-{n}")
    runs: list[dict[str, float]] = []
    data = work
    for rep in range(reps):
        data = work / f"synthetic-{n}-{rep}"
        forget_vectors()
        bot = InterviewBot(bench_settings(data))
        recorder = RecordingEmbedder(bot.embedder)
        stamps: dict[str, float] = {}

        def progress(stage: str, done: int, total: int, stamps: dict[str, float] = stamps) -> None:
            if done == total:
                stamps.setdefault(stage, time.perf_counter())

        started = time.perf_counter()
        report = bot.ingest([bank], progress=progress)
        seconds = time.perf_counter() - started
        forget_vectors()
        raw_started = time.perf_counter()
        recorder.raw(recorder.texts)
        raw_seconds = time.perf_counter() - raw_started
        marks = [started] + [stamps[s] for s in ("parsed", "merged", "key points", "stored")]
        runs.append(
            {
                "seconds": seconds,
                "questions_per_s": report.questions / seconds,
                "texts_per_s": len(recorder.texts) / seconds,
                "raw_texts_per_s": len(recorder.texts) / raw_seconds,
                "ratio": raw_seconds / seconds,
                "texts": len(recorder.texts),
                "parse_s": marks[1] - marks[0],
                "embed_questions_and_dedupe_s": marks[2] - marks[1],
                "references_topics_key_points_s": marks[3] - marks[2],
                "store_s": marks[4] - marks[3],
            }
        )
        log(f"ingest {n}: run {rep + 1}/{reps} {seconds:.1f} s, raw {raw_seconds:.1f} s")
    figures = {key: median([r[key] for r in runs]) for key in runs[0]}
    return (
        {
            "questions": n,
            "seconds": figures["seconds"],
            "questions_per_s": figures["questions_per_s"],
            "texts_embedded": figures["texts"],
            "texts_per_s": figures["texts_per_s"],
            "raw_encode_texts_per_s": figures["raw_texts_per_s"],
            "ratio_to_raw_encode": figures["ratio"],
            "stages_s": {k[: -len("_s")]: figures[k] for k in STAGES},
            "runs_s": [r["seconds"] for r in runs],
        },
        bank,
        data,
    )


# Timed once plainly, then once under tracemalloc (numpy's buffers included) for its memory.
DEDUPE_CHILD = """
import json, sys, time, tracemalloc
import numpy as np
from interview_bot.knowledge.dedupe import DEFAULT_THRESHOLD, duplicate_groups
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from bench import read_bank
questions = read_bank(Path(sys.argv[1]))
vectors = np.load(sys.argv[2])
started = time.perf_counter()
groups = duplicate_groups(questions, vectors)
seconds = time.perf_counter() - started
tracemalloc.start()
duplicate_groups(questions, vectors)
peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
sims = vectors @ vectors.T
pairs = int(((sims >= DEFAULT_THRESHOLD).sum() - len(questions)) // 2)
print(json.dumps({"seconds": seconds, "groups": len(groups), "pairs_over_threshold": pairs,
                  "peak_mb": peak / 2**20}))
"""


def bench_dedupe(bank: Path, reps: int, work: Path, data: Path) -> dict[str, Any]:
    """duplicate_groups alone on the bank's question vectors (cached in ``data``), in a child."""
    questions = read_bank(bank)
    vectors_path = work / f"{bank.stem}-vectors.npy"
    embedder = InterviewBot(bench_settings(data)).embedder
    np.save(vectors_path, embedder.encode([q.question for q in questions]))
    runs = []
    for _ in range(reps):
        done = subprocess.run(
            [sys.executable, "-c", DEDUPE_CHILD, str(bank), str(vectors_path), str(HERE)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
        )
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return {
        "questions": len(questions),
        "seconds": median([r["seconds"] for r in runs]),
        "peak_allocated_mb": median([r["peak_mb"] for r in runs]),
        "similarity_matrix_mb": len(questions) ** 2 * 4 / 2**20,
        "pairs_over_threshold": runs[0]["pairs_over_threshold"],
        "groups": runs[0]["groups"],
    }


# -- retrieval -----------------------------------------------------------------------------
def bench_search(
    bot: InterviewBot, bank: str, queries_per_run: int, reps: int, seed: int
) -> dict[str, Any]:
    """store.search latency on fresh queries (query embedding included), p50/p95 per run."""
    bot.store.search("warm-up query", k=5, bank=bank)
    queries = synthetic_queries(queries_per_run * reps, seed)
    rng = random.Random(seed)
    rng.shuffle(queries)
    p50, p95, embed = [], [], []
    for rep in range(reps):
        latencies = []
        for query in queries[rep * queries_per_run : (rep + 1) * queries_per_run]:
            started = time.perf_counter()
            bot.store.search(query, k=5, bank=bank)
            latencies.append((time.perf_counter() - started) * 1000)
        p50.append(percentile(latencies, 50))
        p95.append(percentile(latencies, 95))
        sample = queries[rep * queries_per_run : rep * queries_per_run + 20]
        timings = []
        for query in sample:
            started = time.perf_counter()
            bot.embedder.encode_raw([query + " (probe)"])
            timings.append((time.perf_counter() - started) * 1000)
        embed.append(percentile(timings, 50))
    return {
        "questions": len(bot.store.questions(bank)),
        "queries": queries_per_run,
        "p50_ms": median(p50),
        "p95_ms": median(p95),
        "query_embedding_p50_ms": median(embed),
    }


# -- grading -------------------------------------------------------------------------------
def bench_grading(bot: InterviewBot, grades_per_run: int, reps: int) -> dict[str, Any]:
    """bot.grade with a question id, a different answer every call, after one warm-up."""
    questions = bot.gradable()
    rng = random.Random(1)
    bot.grade("A warm-up answer about attention.", question_id=questions[0].id)
    p50, p95 = [], []
    call = 0
    for _ in range(reps):
        latencies = []
        for _ in range(grades_per_run):
            question = questions[call % len(questions)]
            sentences = re.split(r"(?<=[.!?])\s+", question.reference_text or question.question)
            picked = rng.sample(sentences, k=max(1, len(sentences) // 2))
            answer = f"{' '.join(picked)} (Attempt {call}: I think this covers it.)"
            call += 1
            started = time.perf_counter()
            bot.grade(answer, question_id=question.id)
            latencies.append((time.perf_counter() - started) * 1000)
        p50.append(percentile(latencies, 50))
        p95.append(percentile(latencies, 95))
    return {"grades_per_run": grades_per_run, "p50_ms": median(p50), "p95_ms": median(p95)}


def bench_eval(bot: InterviewBot, cases_limit: int | None, reps: int) -> dict[str, Any]:
    """run_eval on Mohler 2011 with empty vector memories each run, as a fresh process."""
    cases = load_cases(MOHLER)[:cases_limit]
    rates, seconds = [], []
    for _ in range(reps):
        forget_vectors()
        started = time.perf_counter()
        report = run_eval(bot, cases, file=str(MOHLER))
        seconds.append(time.perf_counter() - started)
        rates.append(len(cases) / seconds[-1])
    return {
        "cases": len(cases),
        "failed": report.n_failed,
        "seconds": median(seconds),
        "cases_per_s": median(rates),
        "pearson": round(report.metrics.pearson, 3),
    }


# -- cold start ------------------------------------------------------------------------------
def serve_available() -> bool:
    done = subprocess.run([str(BIN / "interview-bot"), "serve", "--help"], capture_output=True)
    return done.returncode == 0


def first_question_over_http(url: str) -> str:
    """Start an interview through the web app's ``/start`` endpoint; the first question text.

    The app engineer owns this contract: if the app's endpoint changes, change it here.
    """
    from gradio_client import Client

    history = Client(url, verbose=False).predict(api_name="/start")[0]
    content = history[-1]["content"]
    return content[0]["text"] if isinstance(content, list) else str(content)


def bench_cold_start(reps: int, work: Path) -> dict[str, Any]:
    """`interview-bot serve` from process start to answering HTTP, and to the first question.

    First run: an empty data folder (the bank is built from knowledge/). Restart: the same
    folder again, as every later start.
    """
    if not serve_available():
        return {"error": "`interview-bot serve` is not available"}
    runs: dict[str, list[dict[str, float]]] = {"first_run": [], "restart": []}
    for rep in range(reps):
        data = work / f"serve-{rep}"
        for kind in ("first_run", "restart"):
            runs[kind].append(_serve_once(data))
            log(f"serve {kind} {rep + 1}/{reps}: {runs[kind][-1]}")
    out: dict[str, Any] = {}
    for kind, results in runs.items():
        out[kind] = {key: median([r[key] for r in results]) for key in results[0]}
    return out


def _serve_once(data: Path, limit_s: float = 300) -> dict[str, float]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    env = dict(os.environ, INTERVIEW_BOT_DATA_DIR=str(data))
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(BIN / "interview-bot"), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        import httpx

        while True:
            if process.poll() is not None:
                raise RuntimeError(f"interview-bot serve exited with {process.returncode}")
            if time.perf_counter() - started > limit_s:
                raise RuntimeError(f"interview-bot serve did not answer within {limit_s} s")
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        http_s = time.perf_counter() - started
        question = first_question_over_http(url)
        first_s = time.perf_counter() - started
        assert "Question 1" in question, question
        return {
            "http_s": http_s,
            "first_question_s": first_s,
            "serve_peak_rss_mb": proc_peak_mb(process.pid) or float("nan"),
        }
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# -- report ----------------------------------------------------------------------------------
def lookup(results: dict[str, Any], dotted: str) -> Any:
    value: Any = results
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def check_targets(results: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, dict[str, Any]] = {}
    for name, (figure, op, threshold, unit) in TARGETS.items():
        value = lookup(results, figure)
        if not isinstance(value, int | float) or value != value:
            out[name] = {"figure": figure, "target": f"{op} {threshold} {unit}", "met": None}
            continue
        met = value >= threshold if op == ">=" else value <= threshold
        margin = (value - threshold) if op == ">=" else (threshold - value)
        out[name] = {
            "figure": figure,
            "value": round(value, 3),
            "target": f"{op} {threshold} {unit}",
            "met": met,
            "margin": round(margin, 3),
            "margin_pct": round(100 * margin / threshold, 1),
        }
    return out


def rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 3 if abs(value) < 100 else 1)
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [rounded(v) for v in value]
    return value


def table(results: dict[str, Any]) -> str:
    rows: list[tuple[str, str]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else key, inner)
        elif not isinstance(value, list):
            rows.append((prefix, f"{value:,.3f}" if isinstance(value, float) else str(value)))

    for section in ("ingest", "dedupe", "retrieval", "grading", "cold_start", "memory"):
        walk(section, results.get(section, {}))
    width = max(len(name) for name, _ in rows)
    lines = [f"{'figure'.ljust(width)}  value", f"{'-' * width}  -----"]
    lines += [f"{name.ljust(width)}  {value}" for name, value in rows]
    lines.append("")
    for name, check in results["targets"].items():
        if check["met"] is None:
            lines.append(f"{name}: not measured ({check['figure']})")
            continue
        verdict = "MET" if check["met"] else "MISSED"
        lines.append(
            f"{name}: {verdict} - {check['value']} vs target {check['target']} "
            f"({check['margin']:+} , {check['margin_pct']:+}%)"
        )
    return "\n".join(lines)


def timed(name: str, step: Callable[[], Any]) -> Any:
    log(f"{name} ...")
    started = time.perf_counter()
    out = step()
    log(f"{name} done in {time.perf_counter() - started:.1f} s (peak RSS {rss_peak_mb():.0f} MB)")
    return out


SECTIONS = ("bundled", "grading", "eval", "serve", "large", "dedupe", "search")


def finish(results: dict[str, Any], meta: dict[str, Any], out: Path, done: bool) -> dict[str, Any]:
    """Targets, run details and the JSON file; written after every section, so a run that is
    stopped half-way still leaves what it measured."""
    final = dict(results)
    final["memory"] = {
        "bench_process_peak_rss_mb": rss_peak_mb(),
        "largest_child_peak_rss_mb": children_peak_mb(),
    }
    final["targets"] = check_targets(final)
    final["run"] = {k: v for k, v in meta.items() if k != "started"} | {
        "complete": done,
        "seconds": time.perf_counter() - meta["started"],
        "when": time.strftime("%Y-%m-%d %H:%M:%S %z"),
    }
    final["run"]["machine"]["load_after"] = os.getloadavg()
    final = rounded(final)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(final, indent=1) + "\n", encoding="utf-8")
    return final


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Smaller sizes, for a quick check.")
    parser.add_argument("--reps", type=int, default=3, help="Runs per figure (median taken).")
    parser.add_argument(
        "--large-reps",
        type=int,
        default=None,
        help="Runs of the large ingest, the slowest figure (default: --reps).",
    )
    parser.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help=f"Comma-separated sections to run, of: {', '.join(SECTIONS)}.",
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="Where to write the JSON.")
    args = parser.parse_args(argv)
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    if only - set(SECTIONS):
        parser.error(f"unknown section(s): {', '.join(sorted(only - set(SECTIONS)))}")
    large = 1_000 if args.quick else 10_000
    small = 100
    reps = max(1, args.reps)
    large_reps = max(1, args.large_reps or reps)
    meta: dict[str, Any] = {
        "quick": args.quick,
        "sections": [name for name in SECTIONS if name in only],
        "reps": reps,
        "large_reps": large_reps,
        "large": large,
        "small": small,
        "started": time.perf_counter(),
        "torch_threads": torch_threads(),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_before": os.getloadavg(),
        },
    }
    work = Path(tempfile.mkdtemp(prefix="interview-bot-bench-"))
    results: dict[str, Any] = {}
    ingest: dict[str, Any] = {}

    def save() -> None:
        if ingest:
            results["ingest"] = ingest
        finish(results, meta, args.out, done=False)

    try:
        model_started = time.perf_counter()
        embeddings.shared_model()
        ingest["model_load_s"] = time.perf_counter() - model_started
        if only & {"bundled", "grading", "eval"}:
            bundled, bundled_data = timed(
                "ingest knowledge/", lambda: bench_bundled_ingest(reps, work)
            )
            if "bundled" in only:
                ingest["bundled"] = bundled
            save()
            grade_bot = InterviewBot(bench_settings(bundled_data))
            grading: dict[str, Any] = results.setdefault("grading", {})
            if "grading" in only:
                grading["warm"] = timed("grade", lambda: bench_grading(grade_bot, 40, reps))
                save()
            if "eval" in only:
                cases = 500 if args.quick else None
                grading["eval_mohler"] = timed("eval", lambda: bench_eval(grade_bot, cases, reps))
                save()
        if "serve" in only:
            results["cold_start"] = timed("cold start", lambda: bench_cold_start(reps, work))
            save()
        if only & {"large", "dedupe", "search"}:
            synthetic, bank, large_data = timed(
                f"ingest {large}",
                lambda: bench_synthetic_ingest(large, large_reps if "large" in only else 1, work),
            )
            if "large" in only:
                ingest["synthetic_large"] = synthetic
            save()
            if "dedupe" in only:
                results["dedupe"] = timed(
                    "dedupe", lambda: bench_dedupe(bank, reps, work, large_data)
                )
                save()
            if "search" in only:
                small_bank = write_bank(
                    synthetic_questions(large)[:small], work / f"synthetic-{small}"
                )
                search_bot = InterviewBot(bench_settings(large_data))
                search_bot.ingest([small_bank], bank="small")
                results["retrieval"] = {
                    "small": timed(
                        "search small", lambda: bench_search(search_bot, "small", 100, reps, 7)
                    ),
                    "large": timed(
                        "search large", lambda: bench_search(search_bot, "default", 100, reps, 11)
                    ),
                }
                save()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    final = finish(results, meta, args.out, done=True)
    print(table(final))
    print(json.dumps(final, indent=1))
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
