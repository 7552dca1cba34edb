"""The real app in headless Chromium: ``interview-bot serve`` on a free loopback port.

One walk through everything a user does: answer, grade card, hint, skip, end and summary
chart, a broken and a good bank upload, practice from the new bank, and an HTML answer that
must stay text. Timings are printed (and saved next to the screenshots), never asserted.

Then people: two browsers (no login) and two logged-in users never see each other's
interviews; a reload keeps the running interview with its grade cards; a grader change
applies to the next answer; hinted answers are marked; the layout holds at 1280x900 and on a
390x844 phone; repeated wrong passwords are locked out.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from interview_bot.bot import InterviewBot
from tests.conftest import ROOT as PROJECT_ROOT

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

# a busy shared machine can take minutes to start a server and warm its grader
pytestmark = [pytest.mark.browser, pytest.mark.timeout(2400)]

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

    def __init__(self, data_dir: Path, *args: str) -> None:
        self.port = free_port()
        self.started = time.perf_counter()
        env = {**os.environ, "INTERVIEW_BOT_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1"}
        self.process = subprocess.Popen(
            [*serve_command(), "--port", str(self.port), *args],
            cwd=PROJECT_ROOT,
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

    def wait(self, timeout: float = 600) -> str:
        if not self.ready.wait(timeout):
            self.stop()
            raise AssertionError("server did not start:\n" + "".join(self.lines[-40:]))
        return f"http://127.0.0.1:{self.port}/"

    def wait_warm(self, timeout: float = 1500) -> str:
        """The URL once the grader finished warming up: the first answers then grade at
        once instead of waiting their turn behind the warm-up (minutes on a busy machine)."""
        url = self.wait()
        if not self.warm.wait(timeout):
            self.stop()
            raise AssertionError("grader did not warm up:\n" + "".join(self.lines[-40:]))
        return url

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


def test_mock_interview_in_the_browser(server: Server, tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed - run `make system-deps`")
    from playwright.sync_api import Dialog, sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    url = server.wait()
    dialogs: list[str] = []
    latencies: list[float] = []

    def on_dialog(dialog: Dialog) -> None:  # an alert() would mean an answer ran as script
        dialogs.append(dialog.message)
        dialog.dismiss()

    def submit(page: Page, text: str) -> None:
        sent = time.perf_counter()
        answer(page, text)
        latencies.append(time.perf_counter() - sent)

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
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(120_000)  # a shared machine can be slow; nothing here is timed
        page.on("dialog", on_dialog)
        page.goto(url)
        page.locator("#start").click()
        page.locator("#chat").get_by_text("Question 1 of 5").wait_for(timeout=30_000)
        first_question_s = time.perf_counter() - server.started
        assert "chosen because" in page.locator("#status").inner_text()
        assert in_view(page, "#answer textarea")  # no scrolling needed to answer
        assert not page.locator("#chat button[aria-label='Clear']").is_visible()  # no wipe
        page.screenshot(path=str(SHOTS / "0-started-1280x900.png"))

        press(page, "hint")
        page.locator("#chat").get_by_text("Hint 1/").wait_for()
        submit(page, f"{XSS} Attention uses queries, keys and values.")
        chat = page.locator("#chat")
        chat.get_by_text("Key points").first.wait_for()
        # the answer came after a hint: the card says so
        assert "after 1 hint" in chat.locator("h3", has_text="Score:").first.inner_text()
        assert chat.get_by_text("does not count as mastery").count() == 1
        assert chat.get_by_text(XSS).count() >= 1  # shown as text ...
        assert page.locator("#chat img[src='x']").count() == 0  # ... and never an element
        page.screenshot(path=str(SHOTS / "1-grade-card.png"), full_page=True)

        press(page, "skip")
        for text in ANSWERS:
            submit(page, text)
        page.screenshot(path=str(SHOTS / "2-more-answers.png"), full_page=True)
        page.locator("#cmd-end").click()
        page.locator("#summary").get_by_text("Interview summary").wait_for()
        page.locator("#summary-plot canvas, #summary-plot svg").first.wait_for(timeout=30_000)
        # the summary re-renders while its chart lays out: scroll by id, not by a handle
        page.evaluate("document.querySelector('#summary-plot').scrollIntoView()")
        page.screenshot(path=str(SHOTS / "3-summary.png"), full_page=True)

        page.get_by_role("tab", name="Progress").click()
        page.locator("#mastery").get_by_text("mean %").wait_for()
        assert not page.get_by_text("Markdown", exact=True).is_visible()  # no empty boxes
        page.locator("#export").click()
        page.locator("#progress-note").get_by_text("Exported interview 1").wait_for()
        page.screenshot(path=str(SHOTS / "4-progress.png"), full_page=True)
        page.locator("#export-md a[download='interview-1.md']").wait_for()
        page.locator("#export-json a[download='interview-1.json']").wait_for()

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


# -- people, reloads, graders, phones -----------------------------------------------------
WAIT_MS = 180_000  # generous: the machine may be shared; nothing here is timed


def in_view(page: Page, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    size = page.viewport_size
    return (
        box is not None
        and size is not None
        and box["y"] >= 0
        and (box["y"] + box["height"] <= size["height"])
    )


def loaded(page: Page) -> None:
    """Wait until the page has loaded this person's interview (Start is enabled then)."""
    page.wait_for_function(
        "() => { const s = document.querySelector('#status');"
        " return s !== null && s.innerText !== '' && !s.innerText.includes('Loading'); }",
        timeout=WAIT_MS,
    )


def cards(page: Page) -> int:
    return page.locator("#chat h3", has_text="Score:").count()


def start(page: Page, length: int = 3) -> None:
    loaded(page)
    page.get_by_role("tab", name="Interview").click()
    page.locator("#length input[type=number]").fill(str(length))
    page.locator("#length input[type=number]").press("Enter")
    page.locator("#start").click()
    page.locator("#chat").get_by_text(f"Question 1 of {length}").wait_for(timeout=WAIT_MS)


def desktop(browser: Browser) -> Page:
    """A page in a fresh browser context (its own storage: another person's browser)."""
    return browser.new_context(viewport={"width": 1280, "height": 900}).new_page()


def past_followup(page: Page) -> None:
    """Skip the follow-up a partial answer may get. Questions come in a random order, so
    whether an answer lands in the follow-up band differs from run to run."""
    if page.locator("#status").get_by_text("Follow-up on question").count():
        page.locator("#cmd-skip").click()
        page.locator("#status").get_by_text("chosen because").wait_for(timeout=WAIT_MS)


def sees_nothing(page: Page) -> None:
    """No running interview, nothing to resume, no progress: nobody else's data shows."""
    page.locator("#status").get_by_text("No interview running").wait_for(timeout=WAIT_MS)
    page.locator("#resume").click()
    page.locator("#chat").get_by_text("No unfinished interview").wait_for(timeout=WAIT_MS)
    page.get_by_role("tab", name="Progress").click()
    page.locator("#progress-note").get_by_text("No scored answers of yours").wait_for(
        timeout=WAIT_MS
    )


def answer(page: Page, text: str) -> None:
    before = cards(page)
    page.locator("#answer textarea").fill(text)
    page.locator("#submit").click()
    page.wait_for_function(
        "n => [...document.querySelectorAll('#chat h3')]"
        ".filter(h => h.textContent.includes('Score:')).length > n",
        arg=before,
        timeout=WAIT_MS,
    )


@pytest.fixture(scope="module")
def data_copy(seeded_bot: InterviewBot, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder holding the seeded bank, so a server starts without ingesting."""
    source = seeded_bot.settings.data_dir
    to = tmp_path_factory.mktemp("browser-data") / "data"
    to.mkdir()
    shutil.copytree(source / "store", to / "store")
    if (source / "embeddings.sqlite").exists():
        shutil.copy2(source / "embeddings.sqlite", to / "embeddings.sqlite")
    return to


@pytest.fixture(scope="module")
def shared_server(data_copy: Path) -> Iterator[Server]:
    running = Server(data_copy)
    try:
        running.wait_warm()
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed - run `make system-deps`")
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield browser
        browser.close()


def test_two_browsers_are_isolated_and_a_reload_keeps_the_cards(
    shared_server: Server, chromium: Browser
) -> None:
    url = shared_server.wait()
    first = desktop(chromium)
    first.goto(url)
    start(first)
    first.locator("#cmd-hint").click()
    first.locator("#chat").get_by_text("Hint 1/").wait_for(timeout=WAIT_MS)
    answer(first, "mkFIRST Attention compares queries with keys and mixes the values.")
    past_followup(first)
    first.locator("#cmd-skip").click()
    first.locator("#chat").get_by_text("Question 3 of 3").wait_for(timeout=WAIT_MS)
    status = first.locator("#status").inner_text()
    shown = cards(first)
    assert shown >= 1

    # a reload: the interview comes back with its cards, hint mark included
    first.reload()
    loaded(first)
    first.locator("#chat").get_by_text("Question 3 of 3").wait_for(timeout=WAIT_MS)
    assert cards(first) == shown
    assert first.locator("#status").inner_text() == status
    assert "after 1 hint" in first.locator("#chat h3", has_text="Score:").first.inner_text()
    assert first.locator("#chat").get_by_text("mkFIRST").count() == 1
    first.screenshot(path=str(SHOTS / "8-after-reload.png"))

    # another browser (its own storage, as another person's) sees none of it
    second = desktop(chromium)
    second.goto(url)
    loaded(second)
    sees_nothing(second)
    assert second.locator("#chat").get_by_text("mkFIRST").count() == 0
    start(second)
    answer(second, "mkSECOND Residual connections keep gradients flowing.")
    # ... and the first browser's interview is untouched by the second's
    first.reload()
    loaded(first)
    first.locator("#chat").get_by_text("Question 3 of 3").wait_for(timeout=WAIT_MS)
    assert first.locator("#chat").get_by_text("mkSECOND").count() == 0
    first.get_by_role("tab", name="Progress").click()
    first.locator("#progress-note").get_by_text("1 scored answer of yours").wait_for(
        timeout=WAIT_MS
    )


def test_a_grader_change_applies_to_the_next_answer(
    shared_server: Server, chromium: Browser
) -> None:
    url = shared_server.wait()
    page = desktop(chromium)
    page.goto(url)
    page.get_by_role("tab", name="Settings").click()
    page.locator("#grader-mode").get_by_text("LLM").click()
    page.locator("#llm-spec textarea, #llm-spec input").first.fill("openai:nobody")
    closed = f"http://127.0.0.1:{free_port()}/v1"
    page.locator("#base-url textarea, #base-url input").first.fill(closed)
    page.locator("#save-grader").click()
    page.locator("#grader-status").get_by_text("openai:nobody").wait_for(timeout=WAIT_MS)
    page.get_by_role("tab", name="Interview").click()
    start(page)
    answer(page, "Attention compares queries with keys and mixes the values.")
    chat = page.locator("#chat")
    assert chat.get_by_text("The LLM grader failed").count() == 1
    page.get_by_role("tab", name="Settings").click()
    page.locator("#grader-mode").get_by_text("offline").click()
    page.locator("#save-grader").click()
    page.locator("#grader-status").get_by_text("Grader: offline").wait_for(timeout=WAIT_MS)
    page.get_by_role("tab", name="Interview").click()
    if chat.get_by_text("Follow-up on question 1").count():
        answer(page, "Keys are compared with queries by a scaled dot product.")
    else:
        answer(page, "Residual connections keep gradients flowing in deep stacks.")
    # the second card names the grader that graded it, and no new LLM failure appeared
    last = chat.locator(".message", has=page.locator("h3", has_text="Score:")).last
    assert "graded by the offline grader" in last.inner_text()
    assert chat.get_by_text("The LLM grader failed").count() == 1
    page.screenshot(path=str(SHOTS / "9-grader-switched.png"))


def test_phone_width_layout(shared_server: Server, chromium: Browser) -> None:
    url = shared_server.wait()
    page = chromium.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    ).new_page()
    page.goto(url)
    start(page)
    assert in_view(page, "#answer textarea")
    page.screenshot(path=str(SHOTS / "10-phone-started.png"))
    answer(page, "Attention compares queries with keys; softmax weights mix the values.")
    table = page.locator("#chat table").first
    table.scroll_into_view_if_needed()
    # table cells keep their words whole: none is squeezed to a letter's width
    widths = page.eval_on_selector_all(
        "#chat table td", "cells => cells.map(c => c.getBoundingClientRect().width)"
    )
    assert widths and min(widths) >= 30, widths
    page.screenshot(path=str(SHOTS / "11-phone-card.png"))
    page.get_by_role("tab", name="Progress").click()
    page.locator("#mastery").get_by_text("mean %").wait_for(timeout=WAIT_MS)
    # the first answer is already a mark on the chart (a line plot drew nothing for one)
    page.locator("#score-plot svg .mark-symbol path").first.wait_for(timeout=WAIT_MS)
    headers = page.eval_on_selector_all(
        "#mastery th", "cells => cells.map(c => c.getBoundingClientRect().width)"
    )
    assert len(headers) == 7 and min(headers) >= 30, headers
    page.screenshot(path=str(SHOTS / "12-phone-progress.png"), full_page=True)


def log_in(page: Page, url: str, user: str, password: str) -> None:
    page.goto(url)
    page.locator("input[type=password]").wait_for(timeout=WAIT_MS)
    page.locator("input:not([type=password])").first.fill(user)
    page.locator("input[type=password]").fill(password)
    page.get_by_role("button", name="Login").click()
    loaded(page)


def test_two_users_are_isolated_and_wrong_passwords_lock_out(
    data_copy: Path, chromium: Browser, tmp_path: Path
) -> None:
    data = tmp_path / "auth-data"
    shutil.copytree(data_copy / "store", data / "store")
    server = Server(data, "--auth", "alice:pw-alice", "--auth", "bob:pw-bob")
    try:
        url = server.wait_warm()
        alice = desktop(chromium)
        log_in(alice, url, "alice", "pw-alice")
        start(alice)
        answer(alice, "mkALICE Attention compares queries with keys and mixes values.")
        # alice on another machine (a fresh browser): her interview and cards follow her
        again = desktop(chromium)
        log_in(again, url, "alice", "pw-alice")
        again.locator("#chat").get_by_text("mkALICE").wait_for(timeout=WAIT_MS)
        assert cards(again) == cards(alice)
        # bob sees nothing of hers
        bob = desktop(chromium)
        log_in(bob, url, "bob", "pw-bob")
        sees_nothing(bob)
        bob.screenshot(path=str(SHOTS / "13-bob-sees-nothing.png"))
        # wrong passwords: slower answers, then a short lockout (even for the right one)
        statuses = []
        for _ in range(5):
            reply = bob.request.post(url + "login", form={"username": "carol", "password": "wrong"})
            statuses.append(reply.status)
        assert statuses == [400] * 5
        locked = bob.request.post(url + "login", form={"username": "carol", "password": "x"})
        assert locked.status == 429 and "Too many failed logins" in locked.text()
        fine = bob.request.post(url + "login", form={"username": "bob", "password": "pw-bob"})
        assert fine.status == 200  # another name from the same address is not locked
    finally:
        server.stop()
