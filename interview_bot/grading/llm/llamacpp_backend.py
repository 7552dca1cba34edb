"""``llamacpp:/path/model.gguf``: a GGUF model run in this process by llama-cpp-python."""

from __future__ import annotations

import warnings
from pathlib import Path

from langchain_core.language_models import BaseChatModel

from interview_bot.errors import LLMError
from interview_bot.grading.llm.registry import Backend
from interview_bot.settings import Settings

CONTEXT_TOKENS = 4096


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
    return ChatLlamaCpp(
        model_path=str(path),
        temperature=0,
        max_tokens=max_tokens or 1024,
        n_ctx=CONTEXT_TOKENS,
        verbose=False,
    )


plugin = Backend("llamacpp", make_llamacpp, hint="check the model file, or pass --llm offline")
