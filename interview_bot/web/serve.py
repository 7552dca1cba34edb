"""Serving the app: ``launch(settings)`` refuses to listen beyond this machine without a
password, builds the bank on a first run, then serves with login throttling."""

from __future__ import annotations

import ipaddress
import os
import threading
import time
from typing import Any

import gradio as gr
from starlette.middleware import Middleware

from interview_bot.errors import InterviewBotError
from interview_bot.settings import Settings
from interview_bot.web.app import CSS, build_app
from interview_bot.web.users import (
    Accounts,
    AuthError,
    LoginThrottle,
    ThrottledLogin,
    load_accounts,
)
from interview_bot.web.users import parse_auth as parse_accounts

LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}


class UnsafeListenError(InterviewBotError):
    """Listening beyond this machine without a password, or a malformed --auth."""


def parse_auth(text: str | None) -> tuple[str, str] | None:
    """The first ``USER:PASS`` of ``--auth`` (None without one); see :func:`load_accounts`
    for several users and a users file."""
    try:
        pairs = parse_accounts(text)
    except AuthError as exc:
        raise UnsafeListenError(str(exc)) from exc
    return pairs[0] if pairs else None


def check_listen(host: str, auth: tuple[str, str] | Accounts | None) -> None:
    """Loopback needs nothing; any other address needs a user and password."""
    try:
        loopback = host in LOOPBACK_NAMES or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback and not auth:
        raise UnsafeListenError(f"Refusing to listen on {host} without --auth USER:PASS")


def _warm_up(bot: Any) -> None:
    started = time.perf_counter()
    bot.warm_up()
    print(f"grader warmed up in {time.perf_counter() - started:.1f} s", flush=True)


def launch(settings: Settings, block: bool = True) -> gr.Blocks:
    """Check the address, make sure the bank is ingested, build and serve the app."""
    try:
        accounts = load_accounts(settings.auth, settings.users_file)
    except AuthError as exc:
        raise UnsafeListenError(str(exc)) from exc
    check_listen(settings.host, accounts)
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
        auth=accounts.check if accounts else None,
        auth_message="Log in with your own account: your interviews and progress are yours. "
        "Repeated wrong passwords slow down, then lock that name out from your address for "
        "a minute.",
        # failed logins slow down and then lock out, per user and address
        app_kwargs={"middleware": [Middleware(ThrottledLogin, throttle=LoginThrottle())]},
        css=CSS,
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
