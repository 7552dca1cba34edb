"""Hostile inputs of issue 13, each run through the real CLI in a child process.

For every case: exit code, wall time, peak RSS (the child's own ``ru_maxrss``) and the last
line it printed. A case that runs past ``--timeout`` or above ``--max-rss-mb`` is killed and
reported as such. ``--checkout PATH`` runs another checkout's code with this venv (how the
"before" column of evals/results/hostile-inputs.md was measured); ``--render A.json B.json``
writes that table from two runs. Timing belongs here, not in tests.

    python evals/bench_hostile.py --label after --json /tmp/after.json
    python evals/bench_hostile.py --render /tmp/before.json /tmp/after.json
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "evals" / "results" / "hostile-inputs.md"
QA = "Q: What is attention?\nA: A weighted average of values, weighted by query-key similarity.\n"


@dataclass
class Outcome:
    case: str
    exit: str
    seconds: float
    peak_rss_mb: float
    message: str
    cpu_s: float = 0.0


def run_child(
    argv: list[str],
    env: dict[str, str],
    timeout: float,
    max_rss_mb: float,
    stdin: bytes | None = None,
) -> tuple[str, float, float, str, float]:
    # `python -m` puts the working folder first on sys.path: run in the checkout measured.
    cwd = env.get("PYTHONPATH", str(ROOT))
    """Run ``argv``; (exit, seconds, peak RSS MB, last output line). Killed when too slow/big."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        try:
            child = subprocess.Popen(
                argv,
                env=env,
                cwd=cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            )
        except OSError as exc:
            return "exec failed", 0.0, 0.0, f"{exc.strerror} (the shell cannot even start it)", 0.0
        if stdin is not None and child.stdin is not None:
            try:
                child.stdin.write(stdin)
                child.stdin.close()
            except BrokenPipeError:
                pass
        killed = ""
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            # The CPU limit bounds work on a shared, loaded machine; the wall limit (ten times
            # it) catches what blocks without working, such as a read from a named pipe.
            elapsed = time.perf_counter() - started
            rss, cpu = _rss_mb(child.pid), _cpu_s(child.pid)
            over = (
                f"killed at {timeout:.0f} CPU-s"
                if cpu > timeout
                else f"killed at {10 * timeout:.0f} s"
                if elapsed > 10 * timeout
                else f"killed at {rss:.0f} MB"
                if rss > max_rss_mb
                else ""
            )
            if over and not killed:
                killed = over
                os.kill(child.pid, signal.SIGKILL)
            time.sleep(0.05)
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        out.seek(0)
        text = out.read().decode("utf-8", "backslashreplace")
    lines = [line.strip(" │╭╮╰╯─") for line in text.splitlines()]
    lines = [line for line in lines if any(c.isalnum() for c in line)]
    last = lines[-1] if lines else ""
    exit_ = killed or str(child.returncode)
    return exit_, seconds, usage.ru_maxrss / 1024, last[:300], usage.ru_utime + usage.ru_stime


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


class Runner:
    def __init__(self, checkout: Path, work: Path, timeout: float, max_rss_mb: float) -> None:
        self.checkout = checkout
        self.work = work
        self.timeout = timeout
        self.max_rss_mb = max_rss_mb
        self.outcomes: list[Outcome] = []
        self.bank_folder = ROOT / "knowledge"

    def env(self, data: Path) -> dict[str, str]:
        return {
            **os.environ,
            "PYTHONPATH": str(self.checkout),
            "INTERVIEW_BOT_DATA_DIR": str(data),
            "HF_HUB_OFFLINE": "1",
            "TOKENIZERS_PARALLELISM": "false",
            "COLUMNS": "200",
        }

    def cli(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "interview_bot", *args]

    def data(self, name: str) -> Path:
        path = self.work / "data" / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def case(
        self,
        name: str,
        argv: list[str],
        data: Path | None = None,
        stdin: bytes | None = None,
        timeout: float | None = None,
        check: Callable[[str], str] | None = None,
    ) -> Outcome:
        exit_, seconds, rss, last, cpu = run_child(
            argv,
            self.env(data or self.data(name.replace(" ", "-"))),
            timeout or self.timeout,
            self.max_rss_mb,
            stdin,
        )
        if check is not None:
            last = check(last)
        outcome = Outcome(name, exit_, round(seconds, 1), round(rss), last, round(cpu, 1))
        self.outcomes.append(outcome)
        print(f"{name:<36} {exit_:>14} {seconds:6.1f} s {cpu:6.1f} cpu-s {rss:5.0f} MB {last[:80]}")
        return outcome

    def file(self, name: str, data: bytes) -> Path:
        path = self.work / "files" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path


def bank_file_cases(r: Runner) -> None:
    deep = "questions:\n- question: " + "[" * 50_000 + "]" * 50_000 + "\n"
    files = {
        "YAML nested 50k deep": ("deep.yaml", deep.encode()),
        "YAML 5,000-digit integer": (
            "bigint.yaml",
            ("questions:\n- question: What is x?\n  answer: " + "9" * 5000 + "\n").encode(),
        ),
        "JSON 5,000-digit integer": (
            "bigint.json",
            ('[{"question": "What is x?", "answer": ' + "9" * 5000 + "}]").encode(),
        ),
        "JSON NaN question": ("nan.json", b'[{"question": NaN, "answer": "a number"}]'),
        "JSON number as question": ("num.json", b'[{"question": 12345, "answer": "a number"}]'),
        "UTF-16 with BOM": ("utf16.md", QA.encode("utf-16")),
        "UTF-32 with BOM": ("utf32.md", QA.encode("utf-32")),
        "100k headings (1.4 MB)": (
            "headings.md",
            "".join(f"## What is x{i}?\n" for i in range(100_000)).encode(),
        ),
        "answer of 1.9 MB": ("long.md", ("Q: What is x?\nA: " + "word " * 380_000).encode()),
    }
    for name, (file, data) in files.items():
        path = r.file(file, data)
        r.case(f"validate: {name}", r.cli("bank", "validate", str(path)))
        if name.startswith("100k"):
            r.case(f"ingest: {name}", r.cli("ingest", "--bank", "h", str(path)))
    folder = r.work / "files" / "folder"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "a.md").write_text(QA, encoding="utf-8")
    (folder / "b.md").write_text(QA.replace("attention", "a transformer"), encoding="utf-8")
    r.case("bank validate FOLDER", r.cli("bank", "validate", str(folder)))

    fifo = r.work / "files" / "pipe.md"
    if not fifo.exists():
        os.mkfifo(fifo)
    r.case("validate: named pipe", r.cli("bank", "validate", str(fifo)), timeout=20)
    r.case("ingest: named pipe", r.cli("ingest", "--bank", "p", str(fifo)), timeout=20)
    r.case("ingest: /dev/zero", r.cli("ingest", "--bank", "z", "/dev/zero"), timeout=30)
    sparse = r.work / "files" / "sparse.md"
    with open(sparse, "wb") as handle:
        handle.truncate(3 * 1024**3)
    r.case("ingest: 3 GB sparse file", r.cli("ingest", "--bank", "s", str(sparse)), timeout=60)
    sparse.unlink()

    tiny = r.work / "files" / "tiny"
    tiny.mkdir(exist_ok=True)
    for i in range(5000):
        (tiny / f"{i:05d}.md").write_text(
            f"Q: What is the role of attention head {i % 50} in layer {i % 7}?\n"
            f"A: It mixes token {i} information.\n",
            encoding="utf-8",
        )
    r.case("ingest: folder of 5,000 tiny files", r.cli("ingest", "--bank", "t", str(tiny)))


def full_disk_case(r: Runner) -> None:
    knowledge = str(r.bank_folder)
    mount = r.work / "full"
    mount.mkdir(exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], capture_output=True
    )
    if mounted.returncode != 0:
        print("full disk: cannot mount a tmpfs here, skipped", flush=True)
        return
    try:
        free = os.statvfs(mount).f_bavail * os.statvfs(mount).f_frsize
        (mount / "filler").write_bytes(b"\0" * max(free - 256 * 1024, 0))  # 256 KB stay free
        r.case("ingest on a full disk", r.cli("ingest", knowledge), data=mount)
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def grade_cases(r: Runner) -> None:
    base = ["grade", "-q", "What is attention?", "-r", "Weights values by similarity."]
    big = "attention " * 20_000  # 200 KB: over Linux's 128 KiB limit on one argument
    r.case("grade -a with a 200 KB answer", r.cli(*base, "-a", big, "--json"))
    r.case(
        "grade --answer-file 200 KB",
        r.cli(*base, "--answer-file", str(r.file("answer.txt", big.encode())), "--json"),
    )
    r.case("grade -a - (stdin)", r.cli(*base, "-a", "-", "--json"), stdin=big.encode())
    latin1 = os.fsdecode(b"caf\xe9 weights values")

    def valid_json(_last: str) -> str:
        raw = (r.work / "grade.out").read_bytes()
        try:
            json.loads(raw.decode("utf-8"))
            return "stdout is valid UTF-8 JSON"
        except (UnicodeDecodeError, ValueError) as exc:
            return f"stdout is not valid UTF-8 JSON: {exc}"[:200]

    argv = [*r.cli(*base, "-a", latin1, "--json")]
    script = (
        "import subprocess,sys; out=open(sys.argv[1],'wb'); "
        "sys.exit(subprocess.call(sys.argv[2:], stdout=out))"
    )
    r.case(
        "grade --json, Latin-1 byte in -a",
        [sys.executable, "-c", script, str(r.work / "grade.out"), *argv],
        check=valid_json,
    )


KILLED_INGEST = textwrap.dedent(
    """
    import os, signal, sys
    import langchain_chroma
    real = langchain_chroma.Chroma.add_texts
    def add_then_die(self, *a, **k):
        real(self, *a, **k)
        os.kill(os.getpid(), signal.SIGKILL)
    langchain_chroma.Chroma.add_texts = add_then_die
    from interview_bot.cli import main
    sys.argv = ["interview-bot", "ingest", "--force", sys.argv[1]]
    main()
    """
)


def store_cases(r: Runner) -> None:
    knowledge = str(r.bank_folder)
    data = r.data("killed")
    r.case("ingest (first)", r.cli("ingest", knowledge), data=data)
    r.case(
        "ingest --force, SIGKILL mid-write",
        [sys.executable, "-c", KILLED_INGEST, knowledge],
        data=data,
    )

    def hits(last: str) -> str:
        return f"{last}  [last line of search --json]"

    r.case("search after the kill", r.cli("search", "attention", "--json"), data=data, check=hits)
    r.case("plain ingest after the kill", r.cli("ingest", knowledge), data=data)

    # Four ingests of the same data at once, then four different files into one bank.
    for label, make in (
        ("4 ingests --force, same data", lambda i: [knowledge]),
        ("4 ingests, different files, one bank", lambda i: [str(_one_file(r, i))]),
    ):
        data = r.data(label.replace(" ", "-").replace(",", ""))
        started = time.perf_counter()
        children = [
            subprocess.Popen(
                r.cli("ingest", "--force", "--bank", "b", *make(i)),
                env=r.env(data),
                cwd=r.checkout,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            for i in range(4)
        ]
        outs = [c.communicate(timeout=600)[0].decode("utf-8", "replace") for c in children]
        codes = [c.returncode for c in children]
        seconds = time.perf_counter() - started
        final = _bank_state(r, data)
        said = [o.strip().splitlines()[-1][:80] if o.strip() else "" for o in outs]
        message = f"exits {codes}; printed {said[0]!r}...; store: {final}"
        r.outcomes.append(Outcome(label, str(max(codes)), round(seconds, 1), 0, message))
        print(f"{label:<40} {codes} {seconds:.1f} s  {message[:200]}", flush=True)

    reader_case(r, knowledge)


def _one_file(r: Runner, i: int) -> Path:
    text = "".join(
        f"Q: What does component {i}-{j} of the model do?\nA: It does job {j} for part {i}.\n"
        for j in range(20)
    )
    return r.file(f"four-{i}.md", text.encode())


STATE = textwrap.dedent(
    """
    import json, sys, chromadb
    from pathlib import Path
    from chromadb.config import Settings
    store = Path(sys.argv[1]) / "store"
    client = chromadb.PersistentClient(str(store), settings=Settings(anonymized_telemetry=False))
    names = [c.name for c in client.list_collections()]
    registry = client.get_collection("interview_bot_registry")
    live = {m["collection"] for m in registry.get(include=["metadatas"])["metadatas"]}
    counts = {n: client.get_collection(n).count() for n in live if n in names}
    folders = [p for p in store.iterdir() if p.is_dir()]
    orphans = [n for n in names if n not in live and n != "interview_bot_registry"]
    print(json.dumps({"live_counts": list(counts.values()), "orphan_collections": len(orphans),
                      "index_folders": len(folders)}))
    """
)


def _bank_state(r: Runner, data: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-c", STATE, str(data)],
        env=r.env(data),
        cwd=r.checkout,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.stdout.strip() or done.stderr.strip().splitlines()[-1][:200]


READER = textwrap.dedent(
    """
    import json, sys, time
    from interview_bot.bot import InterviewBot
    from interview_bot.settings import load_settings
    bot = InterviewBot(load_settings())
    bot.search("attention", k=1)
    ok = empty = failed = 0
    errors = set()
    stop = time.time() + float(sys.argv[1])
    while time.time() < stop:
        try:
            hits = bot.search("why scale attention by sqrt d_k", k=3)
            ok += bool(hits)
            empty += not hits
        except Exception as exc:
            failed += 1
            errors.add(f"{type(exc).__name__}: {exc}"[:120])
        time.sleep(0.05)
    print(json.dumps({"ok": ok, "empty": empty, "failed": failed, "errors": sorted(errors)[:3]}))
    """
)


def reader_case(r: Runner, knowledge: str) -> None:
    data = r.data("reader")
    subprocess.run(r.cli("ingest", knowledge), env=r.env(data), cwd=r.checkout, capture_output=True)
    started = time.perf_counter()
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, "90"],
        env=r.env(data),
        cwd=r.checkout,
        stdout=subprocess.PIPE,
    )
    time.sleep(15)  # the reader is up and reading
    codes = []
    for _ in range(3):
        done = subprocess.run(
            r.cli("ingest", "--force", knowledge),
            env=r.env(data),
            cwd=r.checkout,
            capture_output=True,
        )
        codes.append(done.returncode)
    out = reader.communicate(timeout=300)[0].decode().strip().splitlines()
    seconds = time.perf_counter() - started
    state = _bank_state(r, data)
    message = f"ingests {codes}; reader {out[-1] if out else '?'}; store: {state}"
    r.outcomes.append(
        Outcome("reader during 3 re-ingests", str(max(codes)), round(seconds, 1), 0, message)
    )
    print(message, flush=True)


def render(before_file: Path, after_file: Path) -> str:
    before = {o["case"]: o for o in json.loads(before_file.read_text())["outcomes"]}
    after_run = json.loads(after_file.read_text())
    rows = [
        "| input | before: exit, s, MB | before: message | after: exit, s, MB | after: message |",
        "|---|---|---|---|---|",
    ]

    def cell(o: dict[str, object] | None) -> tuple[str, str]:
        if o is None:
            return "(not run)", ""
        cpu = f" ({o['cpu_s']} s CPU)" if o.get("cpu_s") else ""
        figures = f"{o['exit']}, {o['seconds']} s{cpu}, {o['peak_rss_mb']} MB"
        return figures, str(o["message"]).replace("|", "\\|")

    for o in after_run["outcomes"]:
        b_fig, b_msg = cell(before.get(o["case"]))
        a_fig, a_msg = cell(o)
        rows.append(f"| {o['case']} | {b_fig} | {b_msg} | {a_fig} | {a_msg} |")
    return "\n".join(rows) + "\n"


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checkout", type=Path, default=ROOT)
    parser.add_argument("--label", default="after")
    parser.add_argument("--json", type=Path, help="write the outcomes here")
    parser.add_argument("--timeout", type=float, default=120.0, help="CPU seconds per case")
    parser.add_argument("--max-rss-mb", type=float, default=4096.0)
    parser.add_argument("--only", default="files,disk,grade,store")
    parser.add_argument(
        "--bank-folder", type=Path, help="the bank the store cases ingest (default: knowledge/)"
    )
    parser.add_argument("--render", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    args = parser.parse_args()
    if args.render:
        print(render(*args.render), end="")
        return
    with tempfile.TemporaryDirectory(prefix="hostile-") as work:
        runner = Runner(args.checkout.resolve(), Path(work), args.timeout, args.max_rss_mb)
        if args.bank_folder:
            runner.bank_folder = args.bank_folder.resolve()
        sections = {
            "files": bank_file_cases,
            "disk": full_disk_case,
            "grade": grade_cases,
            "store": store_cases,
        }
        for name in args.only.split(","):
            sections[name](runner)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "label": args.label,
                    "checkout": str(args.checkout),
                    "load": os.getloadavg(),
                    "outcomes": [asdict(o) for o in runner.outcomes],
                },
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
