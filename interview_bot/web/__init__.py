"""The browser door: a Gradio app over the interview session (``interview-bot serve``)."""

from __future__ import annotations

from interview_bot.web.app import build_app
from interview_bot.web.serve import UnsafeListenError, launch

__all__ = ["UnsafeListenError", "build_app", "launch"]
