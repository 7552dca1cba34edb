"""Ingest of hostile-shaped banks: many near-duplicate questions, one file per question.

Two figures (issue 13):
- the merge step alone (``duplicate_groups``) at 500, 1,500, 5,000 and 10,000 questions, on
  vectors shaped like the worst case (clusters of 500 questions spread along an arc, each in
  its own file, so that complete linkage keeps refusing large merges); ``--checkout PATH``
  times another checkout's merge step on the same vectors (the "before" figures), each size
  in a child killed after ``--timeout``;
- a whole ingest (parse, merge, embed, store) of 1,500 and 10,000 such questions with real
  texts, against the time the model takes to embed the same texts (raw, no cache).

Timing belongs here, not in tests; the load average is printed with the figures.

    python evals/bench_ingest.py                      # merge step and ingest, this checkout
    python evals/bench_ingest.py --merge-only --checkout /tmp/before --timeout 300
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
MERGE_SIZES = (500, 1_500, 5_000, 10_000)
INGEST_SIZES = (1_500, 10_000)
CLUSTER = 500

MERGE_CHILD = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    from interview_bot.knowledge.dedupe import duplicate_groups
    from interview_bot.knowledge.models import Question, SourceRef

    # Clusters of questions spread along an arc: each is above the merge threshold with its
    # near neighbours but not with the far end of its cluster, so complete linkage keeps
    # refusing merges of large groups (the shape that made the old merge step quadratic).
    n, cluster = int(sys.argv[1]), int(sys.argv[2])
    rng = np.random.default_rng(13)
    a, b = rng.normal(size=(2, n // cluster + 1, 384))
    t = rng.uniform(0, 2.0, size=n)[:, None]
    k = np.arange(n) // cluster
    vectors = np.cos(t) * a[k] * 4 + np.sin(t) * b[k] * 4 + rng.normal(size=(n, 384)) * 0.5
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    questions = [
        Question(id=f"q{i}", question=f"What is thing {i}?",
                 source=SourceRef(file=f"{i}.md", line=1), format="qa-lines")
        for i in range(n)
    ]
    cpu, started = time.process_time(), time.perf_counter()
    groups = duplicate_groups(questions, vectors)
    print(f"{time.perf_counter() - started:.2f} {time.process_time() - cpu:.2f} {len(groups)}")
    """
)


def merge_timings(checkout: Path, timeout: float) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for n in MERGE_SIZES:
        try:
            done = subprocess.run(
                [sys.executable, "-c", MERGE_CHILD, str(n), str(CLUSTER)],
                capture_output=True,
                text=True,
                timeout=timeout,
                cwd=checkout,
                env={**os.environ, "PYTHONPATH": str(checkout)},
            )
            seconds, cpu, groups = done.stdout.split()
            row: dict[str, object] = {
                "questions": n,
                "seconds": float(seconds),
                "cpu_s": float(cpu),
                "groups": int(groups),
            }
        except subprocess.TimeoutExpired:
            row = {"questions": n, "seconds": f"> {timeout:.0f} (stopped)", "groups": None}
        except ValueError:
            row = {"questions": n, "seconds": "failed", "groups": done.stderr[-300:]}
        rows.append(row)
        print(
            f"merge step, {n:>6,} questions: {row['seconds']} s "
            f"({row.get('cpu_s', '?')} CPU-s), {row['groups']} groups",
            flush=True,
        )
        if isinstance(row["seconds"], str):  # larger sizes would only take longer
            rows.extend(
                {"questions": m, "seconds": "not run", "groups": None} for m in MERGE_SIZES if m > n
            )
            break
    return rows


TOPICS = [
    "attention",
    "layer normalization",
    "positional encoding",
    "the KV cache",
    "dropout",
    "beam search",
    "tokenization",
    "the softmax temperature",
    "weight decay",
    "gradient clipping",
]
OPENERS = ["What is", "What's", "Explain", "Describe", "Define", "Can you explain", "Tell me about"]
TAILS = [
    "",
    " in transformers",
    " in an LLM",
    " briefly",
    " in simple terms",
    " and why it matters",
]


def hostile_texts(n: int) -> list[tuple[str, str]]:
    """``n`` questions, mostly near-duplicates of a few, each with a one-sentence answer."""
    rng = random.Random(13)
    out = []
    for i in range(n):
        topic = TOPICS[i % len(TOPICS)]
        question = f"{rng.choice(OPENERS)} {topic}{rng.choice(TAILS)} (case {i})?"
        answer = f"It is how a model handles {topic} for input number {i} during training."
        out.append((question, answer))
    return out


def ingest_timing(n: int) -> dict[str, object]:
    from interview_bot.bot import InterviewBot
    from interview_bot.knowledge import embeddings
    from interview_bot.knowledge.embeddings import Embedder
    from interview_bot.settings import load_settings

    texts = hostile_texts(n)
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as work:
        folder = Path(work) / "bank"
        folder.mkdir()
        for i, (question, answer) in enumerate(texts):
            (folder / f"{i:05d}.md").write_text(f"Q: {question}\nA: {answer}\n", encoding="utf-8")
        embedder = Embedder(None)
        embedder.encode_raw(["warm the model up"])
        cpu, started = time.process_time(), time.perf_counter()
        embedder.encode_raw([t for pair in texts for t in pair])
        embed_s, embed_cpu = time.perf_counter() - started, time.process_time() - cpu
        embeddings._memory.clear()  # the ingest starts cold, as a first ingest does
        bot = InterviewBot(load_settings(data_dir=Path(work) / "data"))
        cpu, started = time.process_time(), time.perf_counter()
        report = bot.ingest([folder], wait=0)
        ingest_s, ingest_cpu = time.perf_counter() - started, time.process_time() - cpu
    row: dict[str, object] = {
        "questions": n,
        "canonical": report.questions,
        "ingest_s": round(ingest_s, 1),
        "embed_same_texts_s": round(embed_s, 1),
        "ratio": round(ingest_s / embed_s, 2),
        "ingest_cpu_s": round(ingest_cpu, 1),
        "embed_cpu_s": round(embed_cpu, 1),
        "cpu_ratio": round(ingest_cpu / embed_cpu, 2),
    }
    print(
        f"ingest, {n:>6,} questions in {n:,} files: {ingest_s:.1f} s "
        f"({report.questions:,} canonical); embedding the same texts: {embed_s:.1f} s; "
        f"ratio {ingest_s / embed_s:.2f} (CPU: {ingest_cpu:.1f} s vs {embed_cpu:.1f} s, "
        f"ratio {ingest_cpu / embed_cpu:.2f})",
        flush=True,
    )
    return row


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checkout", type=Path, default=ROOT)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--merge-only", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}", flush=True)
    result: dict[str, object] = {"merge": merge_timings(args.checkout.resolve(), args.timeout)}
    if not args.merge_only:
        sys.path.insert(0, str(ROOT))
        result["ingest"] = [ingest_timing(n) for n in INGEST_SIZES]
    result["load_after"] = os.getloadavg()
    print(f"load average after: {result['load_after']}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
