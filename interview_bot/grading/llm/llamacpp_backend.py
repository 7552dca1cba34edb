"""``llamacpp:/path/model.gguf``: a GGUF model run in this process by llama-cpp-python."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from langchain_core.language_models import BaseChatModel

from interview_bot.errors import LLMError
from interview_bot.grading.llm.registry import Backend, Mechanism
from interview_bot.settings import Settings

CONTEXT_TOKENS = 4096
BATCH_TOKENS = 512  # llama.cpp's own default; ChatLlamaCpp's 8 makes long prompts crawl


def make_llamacpp(target: str, settings: Settings, max_tokens: int | None) -> BaseChatModel:
    path = Path(target).expanduser()
    if not path.is_file():
        raise LLMError(f"GGUF model file not found: {path} - pass llamacpp:/path/to/model.gguf")
    try:
        with warnings.catch_warnings():
            # langchain-community announces its sunset on import; users cannot act on that.
            warnings.simplefilter("ignore", DeprecationWarning)
            from langchain_community.chat_models import ChatLlamaCpp
    except ImportError:
        raise LLMError(
            "llamacpp: needs llama-cpp-python and langchain-community - "
            "pip install 'interview-bot[llamacpp]'"
        ) from None
    # Half the logical CPUs (about the physical cores) for the prompt as well as for the
    # reply: leaves room for the app and the offline grader, and spares llama.cpp's spinning
    # thread barriers from waiting on threads the OS has parked.
    threads = max((os.cpu_count() or 2) // 2, 1)
    return ChatLlamaCpp(
        model_path=str(path),
        temperature=0,
        max_tokens=max_tokens or 1024,
        n_ctx=CONTEXT_TOKENS,
        n_batch=BATCH_TOKENS,
        n_threads=threads,
        model_kwargs={"n_threads_batch": threads},
        verbose=False,
    )


def output(_target: str, _settings: Settings) -> Mechanism:
    """llama-cpp-python samples under a grammar built from the verdict's JSON schema."""
    return "grammar"


plugin = Backend(
    "llamacpp",
    make_llamacpp,
    hint="check the model file, or pass --llm offline",
    output=output,
)
