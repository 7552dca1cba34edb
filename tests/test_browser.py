"""The real app in headless Chromium: ``interview-bot serve`` on a free loopback port.

One walk through everything a user does: answer, grade card, hint, skip, end and summary
chart, a broken and a good bank upload, practice from the new bank, and an HTML answer that
must stay text. Timings are printed (and saved next to the screenshots), never asserted.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT as PROJECT_ROOT

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
]
SHOTS = PROJECT_ROOT / "artifacts" / "screenshots"
XSS = "<img src=x onerror=alert(1)>"
# the console script's own code, with the serve command registered explicitly
SERVE = "import interview_bot.cli.practice_commands; from interview_bot.cli import main; main()"


def serve_command() -> list[str]:
    """``interview-bot serve`` itself once the CLI registers it, else the same code via -c."""
    script = Path(sys.executable).with_name("interview-bot")
    cli = (PROJECT_ROOT / "interview_bot" / "cli" / "__init__.py").read_text(encoding="utf-8")
    if script.exists() and "practice_commands" in cli:
        return [str(script), "serve"]
    return [sys.executable, "-c", SERVE, "serve"]


BROKEN = (
    '[\n  {"question": "What is RoPE?", "answer": "Rotary."},\n  {"answer": "no question"}\n]\n'
)
GOOD = (
    "## What is a KV cache?\nDuring generation the keys and values of past tokens are stored, "
    "so each new token computes only its own key and value and attends to the cache.\n\n"
    "## What is RoPE?\nRotary position embeddings rotate queries and keys by angles that "
    "depend on position, so attention scores depend on relative position.\n"
)
ANSWERS = [
    "Multiple heads let the model attend to different representation subspaces in parallel.",
    "Positional encodings add order information because attention is permutation invariant.",
    "Layer normalization normalizes activations per token, which stabilizes training.",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``interview-bot serve`` in a subprocess; ``url`` once it printed that it is running."""

    def __init__(self, data_dir: Path) -> None:
        self.port = free_port()
        self.started = time.perf_counter()
        env = {**os.environ, "INTERVIEW_BOT_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1"}
        self.process = subprocess.Popen(
            [*serve_command(), "--port", str(self.port)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)
            if "running at http://" in line:
                self.ready.set()

    def wait(self, timeout: float = 150) -> str:
        if not self.ready.wait(timeout):
            self.stop()
            raise AssertionError("server did not start:\n" + "".join(self.lines[-40:]))
        return f"http://127.0.0.1:{self.port}/"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    running = Server(tmp_path / "data")
    yield running
    running.stop()


@pytest.mark.xfail(
    reason="issue 12, open: after the people change the summary chart did not appear within "
    "120 s in this walkthrough on a loaded machine; not yet diagnosed"
)
def test_mock_interview_in_the_browser(server: Server, tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed - run `make system-deps`")
    from playwright.sync_api import Dialog, Page, sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    url = server.wait()
    dialogs: list[str] = []
    latencies: list[float] = []

    def on_dialog(dialog: Dialog) -> None:  # an alert() would mean an answer ran as script
        dialogs.append(dialog.message)
        dialog.dismiss()

    def grade_cards(page: Page) -> int:
        return page.locator("#chat h3", has_text="Score:").count()

    def submit(page: Page, text: str) -> None:
        before = grade_cards(page)
        page.locator("#answer textarea").fill(text)
        clicked = time.perf_counter()
        page.locator("#submit").click()
        page.wait_for_function(
            f"document.querySelectorAll('#chat h3').length > {before}", timeout=60_000
        )
        page.locator("#chat h3", has_text="Score:").nth(before).wait_for()
        latencies.append(time.perf_counter() - clicked)

    def messages(page: Page) -> int:
        return page.locator("#chat .message").count()

    def press(page: Page, button: str) -> None:
        before = messages(page)
        page.locator(f"#cmd-{button}").click()
        page.wait_for_function(
            f"document.querySelectorAll('#chat .message').length > {before}", timeout=30_000
        )

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 1100})
        page.set_default_timeout(120_000)  # a shared machine can be slow; nothing here is timed
        page.on("dialog", on_dialog)
        page.goto(url)
        page.locator("#start").click()
        page.locator("#chat").get_by_text("Question 1 of 5").wait_for(timeout=30_000)
        first_question_s = time.perf_counter() - server.started
        assert "chosen because" in page.locator("#status").inner_text()

        press(page, "hint")
        page.locator("#chat").get_by_text("Hint 1/").wait_for()
        submit(page, f"{XSS} Attention uses queries, keys and values.")
        chat = page.locator("#chat")
        chat.get_by_text("Key points").first.wait_for()
        assert chat.get_by_text(XSS).count() >= 1  # shown as text ...
        assert page.locator("#chat img[src='x']").count() == 0  # ... and never an element
        page.screenshot(path=str(SHOTS / "1-grade-card.png"), full_page=True)

        press(page, "skip")
        for answer in ANSWERS:
            submit(page, answer)
        page.screenshot(path=str(SHOTS / "2-more-answers.png"), full_page=True)
        page.locator("#cmd-end").click()
        page.locator("#summary").get_by_text("Interview summary").wait_for()
        page.locator("#summary-plot canvas, #summary-plot svg").first.wait_for(timeout=120_000)
        page.locator("#summary").scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "3-summary.png"), full_page=True)

        page.get_by_role("tab", name="Progress").click()
        page.locator("#mastery").get_by_text("mean %").wait_for()
        page.screenshot(path=str(SHOTS / "4-progress.png"), full_page=True)

        page.get_by_role("tab", name="Banks").click()
        broken = tmp_path / "broken.json"
        broken.write_text(BROKEN, encoding="utf-8")
        page.locator("#upload input[type=file]").set_input_files(str(broken))
        page.locator("#bank-message").get_by_text("broken.json:3: question has no text").wait_for()
        page.screenshot(path=str(SHOTS / "5-broken-bank.png"), full_page=True)
        page.locator("#upload button[aria-label='Clear']").click()
        good = tmp_path / "good.md"
        good.write_text(GOOD, encoding="utf-8")
        page.locator("#upload input[type=file]").set_input_files(str(good))
        page.locator("#bank-message").get_by_text("2 questions").wait_for()
        page.locator("#bank-name textarea, #bank-name input").first.fill("mine")
        page.locator("#ingest").click()
        page.locator("#bank-message").get_by_text("into your bank mine").wait_for(timeout=60_000)
        page.screenshot(path=str(SHOTS / "6-good-bank.png"), full_page=True)

        page.get_by_role("tab", name="Interview").click()
        page.locator("#start").click()
        page.locator("#chat").get_by_text("Question 1 of 2").wait_for()
        asked = page.locator("#chat").inner_text()
        assert "What is a KV cache?" in asked or "What is RoPE?" in asked
        submit(page, "Keys and values of earlier tokens are cached so they are not recomputed.")
        page.screenshot(path=str(SHOTS / "7-own-bank.png"), full_page=True)
        browser.close()

    assert dialogs == [], f"a script ran: {dialogs}"
    timings = {
        "process_start_to_first_question_s": round(first_question_s, 2),
        "answer_latencies_s": [round(x, 3) for x in latencies],
        "first_answer_s": round(latencies[0], 3),
        "median_answer_s": round(statistics.median(latencies[1:]), 3),
    }
    (SHOTS / "timings.json").write_text(json.dumps(timings, indent=2), encoding="utf-8")
    print(f"\nbrowser timings: {json.dumps(timings)}")
