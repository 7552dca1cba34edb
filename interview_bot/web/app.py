"""The Gradio app: layout and wiring only; the handlers and the session do the work.

``build_app(bot, settings)`` returns the Blocks (tests drive it or its handlers);
:mod:`interview_bot.web.serve` checks the address and serves it.

Whose data a browser sees is settled by every event (:func:`identify`): the login name with
``--auth``/a users file, else a private id this browser keeps in its local storage
(``gr.BrowserState``), else (an API client) its Gradio session. On page load the person's
unfinished interview comes back with its whole chat.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Callable
from typing import Any, get_args

import gradio as gr

from interview_bot.errors import InterviewBotError
from interview_bot.grading.choice import OFFLINE, GraderChoice
from interview_bot.knowledge.models import Difficulty
from interview_bot.practice.owners import browser_owner, tab_owner
from interview_bot.practice.progress import ProgressStore
from interview_bot.practice.view import command_words
from interview_bot.settings import Settings
from interview_bot.web.banks import FORMATS, BankHandlers, default_name
from interview_bot.web.interview import ADAPTIVE, ANY, FIXED, ChatOutputs, InterviewHandlers
from interview_bot.web.progress_tab import ProgressHandlers
from interview_bot.web.state import LLM, UserState, check_grader, save_grader

PROGRESS = gr.Progress()  # Gradio finds progress bars by this default value
BANK_TYPES = [".md", ".markdown", ".txt", ".json", ".jsonl", ".csv", ".yaml", ".yml"]
ANSWER_HELP = (
    f"Type your answer (Markdown and code blocks welcome), or a command: {command_words()} "
    "- or ask your own: “ask me about RoPE”, “why do we scale attention scores?”"
)
LOADING = "Loading your interview…"
BROWSER_ID = re.compile(r"^[0-9a-f]{32}$")
STORAGE_KEY = "interview-bot-browser"
# The chat fills the window below the status line, so after Start the page scrolls to the
# status line and the answer box is in view (1280x900 and 390x844 alike). Tables in cards
# scroll sideways on a phone instead of breaking words letter by letter.
CSS = """
#chat table { display: block; overflow-x: auto; max-width: 100%; }
#chat th, #chat td { word-break: normal; overflow-wrap: normal; hyphens: none; min-width: 3.5em; }
#chat td:last-child { min-width: 14em; }
#chat button[aria-label="Clear"], #chat button[title="Clear"] { display: none; }
#mastery table { display: block; overflow-x: auto; max-width: 100%; font-size: 0.9em; }
#mastery th, #mastery td { word-break: normal; overflow-wrap: normal; padding: 2px 6px; }
#mastery td:first-child { min-width: 9em; }
"""
# After every chat update: scroll the chat to its newest message (also when a <details> the
# user opened made it stop following).
FOLLOW_JS = """
() => {
  const chat = document.querySelector('#chat');
  if (!chat) return;
  const boxes = [chat, ...chat.querySelectorAll('*')].filter(
    (el) => el.scrollHeight > el.clientHeight + 4 &&
      ['auto', 'scroll'].includes(getComputedStyle(el).overflowY));
  requestAnimationFrame(() => boxes.forEach((el) => { el.scrollTop = el.scrollHeight; }));
}
"""
# After Start or a restored interview: bring the status line to the top of the window.
TO_CHAT_JS = """
() => {
  const status = document.querySelector('#status');
  if (status) status.scrollIntoView({block: 'start'});
}
"""


def identify(user: UserState, request: gr.Request | None) -> UserState:
    """``user`` with its owner settled: the login name always wins; without one, an owner set
    on page load (this browser's id) stays; an API client gets its Gradio session."""
    name = getattr(request, "username", None) if request is not None else None
    if name:
        owner = str(name)
    elif user.owner is not None:
        return user
    else:
        owner = tab_owner(getattr(request, "session_hash", None) or uuid.uuid4().hex)
    return user if owner == user.owner else user.model_copy(update={"owner": owner})


def browser_secret(settings: Settings) -> str:
    """The key that seals this app's browser ids in local storage, kept in the data folder so
    that a restarted server still reads them."""
    path = settings.data_dir / "browser-secret"
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        pass
    secret = secrets.token_urlsafe(24)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.write_text(secret, encoding="utf-8")
    return secret


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
        browser = gr.BrowserState(None, storage_key=STORAGE_KEY, secret=browser_secret(settings))
        gr.Markdown("## interview-bot · mock interviews for ML/LLM roles")
        with gr.Tab("Interview"):
            with gr.Row():
                topics = gr.Dropdown(
                    chat_h.topics(settings.bank),
                    multiselect=True,
                    label="Topics (none = all)",
                    elem_id="topics",
                    scale=3,
                    min_width=240,
                )
                difficulty = gr.Dropdown(
                    [ANY, *get_args(Difficulty)],
                    value=ANY,
                    label="Difficulty",
                    elem_id="difficulty",
                    min_width=140,
                )
                mode = gr.Radio(
                    [FIXED, ADAPTIVE], value=FIXED, label="Mode", elem_id="mode", min_width=240
                )
                length = gr.Slider(
                    1, 30, value=5, step=1, label="Questions", elem_id="length", min_width=160
                )
            with gr.Row():
                # enabled once the page has loaded this person's interview (see on_load), so
                # a Start clicked during the load cannot be overwritten by the restored chat
                start = gr.Button(
                    "Start", variant="primary", elem_id="start", min_width=120, interactive=False
                )
                resume = gr.Button(
                    "Resume last interview", elem_id="resume", min_width=120, interactive=False
                )
            status = gr.Markdown(LOADING, elem_id="status")
            chat = gr.Chatbot(
                show_label=False,
                height="calc(100dvh - 330px)",
                min_height=300,
                elem_id="chat",
                sanitize_html=True,
                allow_tags=False,
                render_markdown=True,
                feedback_options=None,
                group_consecutive_messages=False,
                buttons=["copy_all"],
            )
            answer = gr.Textbox(
                label="Your answer", lines=3, placeholder=ANSWER_HELP, elem_id="answer"
            )
            with gr.Row():
                submit = gr.Button(
                    "Submit answer", variant="primary", elem_id="submit", min_width=120
                )
                buttons = {
                    name: gr.Button(label, elem_id=f"cmd-{name}", size="sm", min_width=70)
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
                    x_label_angle=-25,  # topic names are long: slanted, they are not cut
                    height=300,
                    title="Mean score per topic (%)",
                    elem_id="summary-plot",
                )
        with gr.Tab("Progress") as progress_tab:
            refresh = gr.Button("Refresh", elem_id="refresh")
            progress_note = gr.Markdown(elem_id="progress-note")
            # a dot per scored answer: a line draws nothing for someone's first answer
            over_time = gr.ScatterPlot(
                x="time",
                y="score",
                y_lim=[0, 100],
                x_axis_format="%b %d %H:%M",  # the table's 24-hour clock, with the day
                height=300,
                title="Score of each answer over time (%)",
                elem_id="score-plot",
            )
            mastery = gr.Markdown(elem_id="mastery")
            export = gr.Button("Export this interview (Markdown and JSON)", elem_id="export")
            with gr.Row(visible=False) as files:  # shown once there is something to download
                md_file = gr.File(
                    label="Markdown", interactive=False, height=90, elem_id="export-md"
                )
                json_file = gr.File(
                    label="JSON", interactive=False, height=90, elem_id="export-json"
                )
        with gr.Tab("Banks"):
            with gr.Row():
                bank_choice = gr.Dropdown(
                    bank_h.banks(initial),
                    value=settings.bank,
                    label="Bank",
                    elem_id="bank-choice",
                )
                use_bank = gr.Button("Use this bank", elem_id="use-bank")
            gr.Markdown(FORMATS.format(limit=settings.max_upload_bytes), elem_id="bank-formats")
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
                [OFFLINE, LLM],
                label="Grader",
                elem_id="grader-mode",
                value=OFFLINE if initial.grader.offline else LLM,
            )
            spec = gr.Textbox(
                label="LLM spec",
                value="" if initial.grader.offline else initial.grader.spec,
                placeholder="openai:gpt-4o-mini · ollama:llama3 · llamacpp:/path/model.gguf",
                elem_id="llm-spec",
            )
            base_url = gr.Textbox(
                label="Base URL",
                value=initial.grader.base_url or "",
                placeholder="http://127.0.0.1:8080/v1",
                elem_id="base-url",
            )
            api_key = gr.Textbox(
                label="API key (kept for this browser session only)",
                type="password",
                elem_id="api-key",
            )
            with gr.Row():
                save = gr.Button("Save", elem_id="save-grader")
                test = gr.Button("Test connection", elem_id="test-grader")
            grader_status = gr.Markdown(
                initial.public() + ". A change applies from your next answer on.",
                elem_id="grader-status",
            )

        # Named endpoints (``/start``, ``/send``, ``/command_hint``...) are the app's HTTP API
        # (gradio_client, load tests, benchmarks); each client keeps its own gr.State.
        # Start and Resume set this browser's interview; answers and buttons never write the
        # user state, so a grader saved while an answer is being graded is not undone.
        tail = [status, summary, summary_plot, summary_box, answer]
        opened = [chat, user, *tail]
        answered = [chat, *tail]

        def on_load(browser_id: Any, u: UserState, request: gr.Request) -> tuple[Any, ...]:
            name = getattr(request, "username", None)
            if not name and not (isinstance(browser_id, str) and BROWSER_ID.match(browser_id)):
                browser_id = uuid.uuid4().hex
            owner = str(name) if name else browser_owner(str(browser_id))
            mine = u.model_copy(update={"owner": owner})
            try:
                restored = chat_h.restore(mine)
                mine = restored[1]
                banks, topic_names = bank_h.banks(mine), chat_h.topics(mine.bank)
            except InterviewBotError as exc:  # the page stays usable and says what is wrong
                restored = chat_h.failed([], mine, exc)
                banks, topic_names = [(mine.bank, mine.bank)], []
            return (
                browser_id,
                *restored,
                gr.update(choices=banks, value=mine.bank),
                gr.update(choices=topic_names),
                gr.update(interactive=True),
                gr.update(interactive=True),
            )

        demo.load(
            on_load,
            [browser, user],
            [browser, *opened, bank_choice, topics, start, resume],
            api_visibility="private",
        ).then(None, js=TO_CHAT_JS)

        def start_fn(
            t: list[str] | None,
            d: str,
            m: str,
            n: float,
            u: UserState,
            h: list[Any],
            request: gr.Request,
        ) -> ChatOutputs:
            return chat_h.start(t, d, m, n, identify(u, request), h)

        def resume_fn(u: UserState, h: list[Any], request: gr.Request) -> ChatOutputs:
            return chat_h.resume(identify(u, request), h)

        def send_fn(text: str, u: UserState, h: list[Any], request: gr.Request) -> tuple[Any, ...]:
            history, _u, *rest = chat_h.send(text, identify(u, request), h)
            return (history, *rest)

        start.click(
            start_fn, [topics, difficulty, mode, length, user, chat], opened, api_name="start"
        ).then(None, js=TO_CHAT_JS)
        resume.click(resume_fn, [user, chat], opened, api_name="resume").then(None, js=TO_CHAT_JS)
        submit.click(send_fn, [answer, user, chat], answered, api_name="send")
        for name, button in buttons.items():
            button.click(_command(chat_h, name), [user, chat], answered, api_name=f"command_{name}")
        chat.change(None, js=FOLLOW_JS)

        def refresh_all(u: UserState, request: gr.Request) -> tuple[Any, Any, str]:
            frame, table, note = prog_h.refresh(identify(u, request))
            return gr.ScatterPlot(value=frame, x_lim=prog_h.time_window(frame)), table, note

        def export_fn(u: UserState, request: gr.Request) -> tuple[Any, ...]:
            md, js, note = prog_h.export(identify(u, request))
            return md, js, note, gr.update(visible=md is not None)

        refresh.click(refresh_all, [user], [over_time, mastery, progress_note], api_name="refresh")
        progress_tab.select(
            refresh_all, [user], [over_time, mastery, progress_note], api_visibility="private"
        )
        export.click(
            export_fn, [user], [md_file, json_file, progress_note, files], api_name="export"
        )

        def topics_of(u: UserState) -> Any:
            return gr.update(choices=chat_h.topics(u.bank), value=[])

        def ingest_upload(
            f: str | None,
            name: str,
            u: UserState,
            request: gr.Request,
            progress: gr.Progress = PROGRESS,
        ) -> tuple[str, Any, UserState]:
            return bank_h.ingest(f, name, identify(u, request), progress)

        def switch_bank(bank: str | None, u: UserState, request: gr.Request) -> tuple[str, Any]:
            return bank_h.switch(bank, identify(u, request))

        upload.upload(
            lambda f: (bank_h.check(f), default_name(f)), [upload], [bank_message, bank_name]
        )
        ingest.click(
            ingest_upload, [upload, bank_name, user], [bank_message, bank_choice, user]
        ).then(topics_of, [user], [topics])
        use_bank.click(switch_bank, [bank_choice, user], [bank_message, user]).then(
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
            lambda u, m: check_grader(settings, u, m),
            [user, grader_mode],
            [grader_status],
            api_name="check_grader",
        )
    return demo


def _command(handlers: InterviewHandlers, name: str) -> Callable[..., tuple[Any, ...]]:
    def run(user: UserState, history: list[Any], request: gr.Request) -> tuple[Any, ...]:
        chat, _user, *rest = handlers.command(name, identify(user, request), history)
        return (chat, *rest)

    run.__name__ = f"command_{name}"
    return run
