"""The Gradio app: layout and wiring only; the handlers and the session do the work.

``build_app(bot, settings)`` returns the Blocks (tests drive it or its handlers);
``launch(settings)`` refuses to listen beyond this machine without a password, then serves.
"""

from __future__ import annotations

import ipaddress
import os
import threading
import time
from collections.abc import Callable
from typing import Any, get_args

import gradio as gr

from interview_bot.errors import InterviewBotError
from interview_bot.grading.choice import OFFLINE, GraderChoice
from interview_bot.knowledge.models import Difficulty
from interview_bot.practice.progress import ProgressStore
from interview_bot.practice.view import command_words
from interview_bot.settings import Settings
from interview_bot.web.banks import BankHandlers, default_name
from interview_bot.web.interview import ADAPTIVE, ANY, FIXED, ChatOutputs, InterviewHandlers
from interview_bot.web.progress_tab import MASTERY_COLUMNS, ProgressHandlers
from interview_bot.web.render import status_text
from interview_bot.web.state import UserState, check_grader, save_grader

PROGRESS = gr.Progress()  # Gradio finds progress bars by this default value
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}
BANK_TYPES = [".md", ".markdown", ".txt", ".json", ".jsonl", ".csv", ".yaml", ".yml"]
ANSWER_HELP = (
    f"Type your answer (Markdown and code blocks welcome), or a command: {command_words()} "
    "- or ask your own: “ask me about RoPE”, “what is a KV cache?”"
)


class UnsafeListenError(InterviewBotError):
    """Listening beyond this machine without a password, or a malformed --auth."""


def parse_auth(text: str | None) -> tuple[str, str] | None:
    if not text:
        return None
    user, sep, password = text.partition(":")
    if not sep or not user or not password:
        raise UnsafeListenError("--auth must look like USER:PASS (both parts non-empty)")
    return user, password


def check_listen(host: str, auth: tuple[str, str] | None) -> None:
    """Loopback needs nothing; any other address needs a user and password."""
    try:
        loopback = host in LOOPBACK_NAMES or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback and auth is None:
        raise UnsafeListenError(f"Refusing to listen on {host} without --auth USER:PASS")


def build_app(bot: Any, settings: Settings, progress: ProgressStore | None = None) -> gr.Blocks:
    """The whole app for one bot; every user value lives in the browser's gr.State."""
    progress = progress or ProgressStore(settings.progress_path)
    chat_h = InterviewHandlers(bot, settings, progress)
    bank_h = BankHandlers(bot, settings)
    prog_h = ProgressHandlers(bot, progress)
    initial = UserState(
        bank=settings.bank, grader=GraderChoice(spec=settings.llm, base_url=settings.base_url)
    )

    with gr.Blocks(title="interview-bot", analytics_enabled=False) as demo:
        user = gr.State(initial)
        gr.Markdown("## interview-bot · mock interviews for ML/LLM roles")
        with gr.Tab("Interview"):
            with gr.Row():
                topics = gr.Dropdown(
                    chat_h.topics(settings.bank),
                    multiselect=True,
                    label="Topics (none = all)",
                    elem_id="topics",
                    scale=3,
                )
                difficulty = gr.Dropdown(
                    [ANY, *get_args(Difficulty)],
                    value=ANY,
                    label="Difficulty",
                    elem_id="difficulty",
                )
                mode = gr.Radio([FIXED, ADAPTIVE], value=FIXED, label="Mode", elem_id="mode")
                length = gr.Slider(1, 30, value=5, step=1, label="Questions", elem_id="length")
            with gr.Row():
                start = gr.Button("Start", variant="primary", elem_id="start")
                resume = gr.Button("Resume last interview", elem_id="resume")
            status = gr.Markdown(status_text(None), elem_id="status")
            chat = gr.Chatbot(
                label="Interview",
                height=560,
                elem_id="chat",
                sanitize_html=True,
                allow_tags=False,
                render_markdown=True,
                feedback_options=None,
                group_consecutive_messages=False,
            )
            answer = gr.Textbox(
                label="Your answer", lines=4, placeholder=ANSWER_HELP, elem_id="answer"
            )
            with gr.Row():
                submit = gr.Button("Submit answer", variant="primary", elem_id="submit")
                buttons = {
                    name: gr.Button(label, elem_id=f"cmd-{name}", size="sm")
                    for name, label in (
                        ("hint", "Hint"),
                        ("skip", "Skip"),
                        ("show_answer", "Show answer"),
                        ("repeat", "Repeat"),
                        ("end", "End"),
                    )
                }
            with gr.Column(visible=False, elem_id="summary-box") as summary_box:
                summary = gr.Markdown(elem_id="summary")
                summary_plot = gr.BarPlot(
                    x="topic",
                    y="score",
                    y_lim=[0, 100],
                    height=300,
                    title="Mean score per topic (%)",
                    elem_id="summary-plot",
                )
        with gr.Tab("Progress") as progress_tab:
            refresh = gr.Button("Refresh", elem_id="refresh")
            progress_note = gr.Markdown()
            over_time = gr.LinePlot(
                x="time",
                y="score",
                y_lim=[0, 100],
                height=300,
                title="Score over time (%)",
                x_axis_format="%b %d %H:%M",
                elem_id="score-plot",
            )
            mastery = gr.Dataframe(
                headers=MASTERY_COLUMNS,
                interactive=False,
                label="Mastery per topic",
                elem_id="mastery",
            )
            export = gr.Button("Export this interview (Markdown and JSON)", elem_id="export")
            with gr.Row():
                md_file = gr.File(label="Markdown", interactive=False)
                json_file = gr.File(label="JSON", interactive=False)
        with gr.Tab("Banks"):
            with gr.Row():
                bank_choice = gr.Dropdown(
                    bank_h.banks(), value=settings.bank, label="Bank", elem_id="bank-choice"
                )
                use_bank = gr.Button("Use this bank", elem_id="use-bank")
            upload = gr.File(
                label=f"Upload a bank file (at most {settings.max_upload_bytes:,} bytes)",
                file_types=BANK_TYPES,
                type="filepath",
                elem_id="upload",
            )
            bank_name = gr.Textbox(label="New bank name", elem_id="bank-name")
            ingest = gr.Button("Ingest", variant="primary", elem_id="ingest")
            bank_message = gr.Markdown(elem_id="bank-message")
        with gr.Tab("Settings"):
            grader_mode = gr.Radio(
                [OFFLINE, "LLM"],
                label="Grader",
                elem_id="grader-mode",
                value=OFFLINE if initial.grader.offline else "LLM",
            )
            spec = gr.Textbox(
                label="LLM spec",
                value="" if initial.grader.offline else initial.grader.spec,
                placeholder="openai:gpt-4o-mini · ollama:llama3 · llamacpp:/path/model.gguf",
            )
            base_url = gr.Textbox(
                label="Base URL",
                value=initial.grader.base_url or "",
                placeholder="http://127.0.0.1:8080/v1",
            )
            api_key = gr.Textbox(
                label="API key (kept for this browser session only)",
                type="password",
                elem_id="api-key",
            )
            with gr.Row():
                save = gr.Button("Save", elem_id="save-grader")
                test = gr.Button("Test connection", elem_id="test-grader")
            grader_status = gr.Markdown(initial.public(), elem_id="grader-status")

        # Named endpoints (``/start``, ``/send``, ``/command_hint``...) are the app's HTTP API
        # (gradio_client, load tests, benchmarks); each client keeps its own gr.State.
        chat_out = [chat, user, status, summary, summary_plot, summary_box, answer]
        start.click(
            chat_h.start, [topics, difficulty, mode, length, user, chat], chat_out, api_name="start"
        )
        resume.click(chat_h.resume, [user, chat], chat_out, api_name="resume")
        submit.click(chat_h.send, [answer, user, chat], chat_out, api_name="send")
        for name, button in buttons.items():
            button.click(_command(chat_h, name), [user, chat], chat_out, api_name=f"command_{name}")

        def refresh_all(u: UserState) -> tuple[Any, Any, str]:
            return prog_h.refresh(u)

        refresh.click(refresh_all, [user], [over_time, mastery, progress_note], api_name="refresh")
        progress_tab.select(
            refresh_all, [user], [over_time, mastery, progress_note], api_visibility="private"
        )
        export.click(prog_h.export, [user], [md_file, json_file, progress_note], api_name="export")

        def topics_of(u: UserState) -> Any:
            return gr.update(choices=chat_h.topics(u.bank), value=[])

        def ingest_upload(
            f: str | None, name: str, u: UserState, progress: gr.Progress = PROGRESS
        ) -> tuple[str, Any, UserState]:
            return bank_h.ingest(f, name, u, progress)

        upload.upload(
            lambda f: (bank_h.check(f), default_name(f)), [upload], [bank_message, bank_name]
        )
        ingest.click(
            ingest_upload, [upload, bank_name, user], [bank_message, bank_choice, user]
        ).then(topics_of, [user], [topics])
        use_bank.click(bank_h.switch, [bank_choice, user], [bank_message, user]).then(
            topics_of, [user], [topics]
        )
        save.click(
            save_grader,
            [user, grader_mode, spec, base_url, api_key],
            [user, grader_status, api_key],
            api_name="save_grader",
        )
        test.click(
            save_grader,
            [user, grader_mode, spec, base_url, api_key],
            [user, grader_status, api_key],
            api_visibility="private",
        ).then(
            lambda u: check_grader(settings, u), [user], [grader_status], api_name="check_grader"
        )
    return demo


def _command(handlers: InterviewHandlers, name: str) -> Callable[..., ChatOutputs]:
    def run(user: UserState, history: list[Any]) -> ChatOutputs:
        return handlers.command(name, user, history)

    run.__name__ = f"command_{name}"
    return run


def _warm_up(bot: Any) -> None:
    started = time.perf_counter()
    bot.warm_up()
    print(f"grader warmed up in {time.perf_counter() - started:.1f} s", flush=True)


def launch(settings: Settings, block: bool = True) -> gr.Blocks:
    """Check the address, make sure the bank is ingested, build and serve the app."""
    auth = parse_auth(settings.auth)
    check_listen(settings.host, auth)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    # Gradio summarises its log of the last 10,000 events in a DataFrame after every event,
    # for a monitoring page this app does not open: once per 1,000 events is plenty.
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "1000")
    from interview_bot.bot import InterviewBot

    bot = InterviewBot(settings)
    if bot.store.manifest(settings.bank) is None:
        print(
            f"Building bank '{settings.bank}' from {settings.knowledge_dir} (first run only)...",
            flush=True,
        )
    bot.ensure_bank()
    demo = build_app(bot, settings)
    # Handlers are plain functions: Gradio runs them in worker threads, never on the event
    # loop. Up to ``concurrency`` calls of each kind (answers, starts...) run at once and the
    # rest wait in the queue; concurrent offline gradings share one batched model pass.
    demo.queue(default_concurrency_limit=settings.concurrency)
    demo.launch(
        server_name=settings.host,
        server_port=settings.port,
        max_threads=max(40, 2 * settings.concurrency),
        auth=auth,
        prevent_thread_lock=True,
        max_file_size=settings.max_upload_bytes,
        ssr_mode=False,
        quiet=True,
        show_error=False,
        footer_links=[],
    )
    # load the embedding model and every question's vectors while the page loads, not on the
    # first answers
    threading.Thread(target=_warm_up, args=(bot,), name="warm-up", daemon=True).start()
    if block:
        print(f"interview-bot is running at {demo.local_url}  (Ctrl+C to stop)", flush=True)
        demo.block_thread()
    return demo
