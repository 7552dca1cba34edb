"""A LangChain chat model with a queue of canned replies, for tests (like llm's MockModel)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from pydantic import Field

_ids = itertools.count(1)


def tool_reply(args: dict[str, Any], name: str = "LLMVerdict") -> AIMessage:
    """A reply that calls function ``name`` with ``args``, as a function-calling model would."""
    return AIMessage(
        content="", tool_calls=[{"name": name, "args": args, "id": f"call_{next(_ids)}"}]
    )


def json_reply(args: dict[str, Any], finish: str = "stop") -> AIMessage:
    """A reply whose text is ``args`` as JSON, as a schema-constrained model writes it."""
    return AIMessage(content=json.dumps(args), response_metadata={"finish_reason": finish})


def text_reply(text: str) -> AIMessage:
    """A plain-text reply with no function call."""
    return AIMessage(content=text)


class FakeChatModel(BaseChatModel):
    """Replies with queued messages in order (or raises queued exceptions); records prompts."""

    replies: list[BaseMessage | Exception] = Field(default_factory=list)
    prompts: list[list[BaseMessage]] = Field(default_factory=list)
    call_kwargs: list[dict[str, Any]] = Field(default_factory=list)  # e.g. response_format
    bound_tools: list[Any] = Field(default_factory=list)

    def enqueue(self, *replies: BaseMessage | Exception) -> FakeChatModel:
        self.replies.extend(replies)
        return self

    @property
    def _llm_type(self) -> str:
        return "fake-queue"

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        self.bound_tools = list(tools)
        return self

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.prompts.append(list(messages))
        self.call_kwargs.append(dict(kwargs))
        if not self.replies:
            raise AssertionError("FakeChatModel: no reply queued")
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return ChatResult(generations=[ChatGeneration(message=reply)])
