"""A tiny OpenAI-compatible chat server on 127.0.0.1 (stdlib http.server in a thread).

For the cases a real model server cannot be made to show on demand: a verdict (as JSON text
when the request carries a ``response_format``, else as a function call), garbage, HTTP 429, a 401 that echoes the key, a reply slower than the timeout. It
records each request's ``Authorization`` header, its body, and what ``OPENAI_API_KEY`` held
in this process at that moment (to prove keys never pass through the environment).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from interview_bot.grading.rubric import load_rubric
from interview_bot.resources import bundled

MODES = ("verdict", "garbage", "429", "slow", "echo401")


def verdict_args(level: int = 4) -> dict[str, Any]:
    """A valid verdict for the bundled rubric: ``level`` on every criterion, no key points."""
    args: dict[str, Any] = {"key_points_covered": [], "key_points_missed": []}
    for name in load_rubric(bundled("prompts")).names:
        args[name] = {"rationale": "Stub verdict.", "level": level}
    args["feedback"] = "Stub feedback."
    args["model_answer"] = "Stub model answer."
    return args


def completion(message: dict[str, Any], finish: str = "stop") -> str:
    return json.dumps(
        {
            "id": "stub",
            "object": "chat.completion",
            "created": 0,
            "model": "stub",
            "choices": [{"index": 0, "finish_reason": finish, "message": message}],
        }
    )


def verdict_completion(request: dict[str, Any], args: dict[str, Any] | None = None) -> str:
    """A verdict the way ``request`` asked for it: JSON text, or a function call."""
    arguments = json.dumps(verdict_args() if args is None else args)
    if "response_format" in request or "tools" not in request:
        return completion({"role": "assistant", "content": arguments})
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "LLMVerdict", "arguments": arguments},
    }
    message = {"role": "assistant", "content": None, "tool_calls": [call]}
    return completion(message, "tool_calls")


@dataclass
class Seen:
    """One request as the server saw it."""

    authorization: str
    body: str
    env_key: str | None


@dataclass
class StubLLM:
    """The server's behaviour (``mode``, ``delay_s`` for ``slow``) and what it saw."""

    url: str = ""
    mode: str = "verdict"
    delay_s: float = 0.0
    requests: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def posts(self) -> int:
        with self.lock:
            return len(self.requests)


def _handler(stub: StubLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            auth = self.headers.get("Authorization", "")
            with stub.lock:
                stub.requests.append(Seen(auth, body, os.environ.get("OPENAI_API_KEY")))
            if stub.mode == "429":
                self._send(429, json.dumps({"error": {"message": "slow down", "type": "rate"}}))
            elif stub.mode == "garbage":
                self._send(200, "<html>this is not json")
            elif stub.mode == "echo401":
                key = auth.removeprefix("Bearer ")
                message = f"Incorrect API key provided: {key}"
                self._send(401, json.dumps({"error": {"message": message, "type": "auth"}}))
            else:
                if stub.mode == "slow":
                    time.sleep(stub.delay_s)
                self._send(200, verdict_completion(json.loads(body or "{}")))

        def _send(self, status: int, body: str) -> None:
            data = body.encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
                pass

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def stub_llm(mode: str = "verdict", delay_s: float = 0.0) -> Iterator[StubLLM]:
    """A running stub on a free loopback port; ``stub.url`` is its ``/v1`` base URL."""
    assert mode in MODES, mode
    stub = StubLLM(mode=mode, delay_s=delay_s)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(stub))
    httpd.daemon_threads = True
    stub.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        httpd.shutdown()
        httpd.server_close()
