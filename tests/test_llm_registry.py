from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_llm import FakeChatModel
from langchain_core.language_models import BaseChatModel
from pydantic import SecretStr

from interview_bot.errors import LLMError
from interview_bot.grading import plugins
from interview_bot.grading.llm import Backend, backends, endpoint, make_chat_model, parse_spec
from interview_bot.settings import Settings


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return Settings(data_dir=tmp_path, llm_timeout=12.5)


def make_fake(target: str, settings: Settings, max_tokens: int | None) -> BaseChatModel:
    return FakeChatModel()


@pytest.fixture
def plugin() -> Iterator[None]:
    plugins.register(
        Backend("fake", make_fake, endpoint=lambda target, _s: f"memory://{target}", hint="try")
    )
    yield
    del plugins._plugins["fake"]


def test_builtin_graders_are_entry_point_plugins() -> None:
    assert {"offline", "openai", "ollama", "llamacpp"} <= set(plugins.plugins())
    assert {"openai", "ollama", "llamacpp"} == set(backends())


def test_parse_spec() -> None:
    assert parse_spec("ollama:llama3:8b") == ("ollama", "llama3:8b")
    assert parse_spec(" openai:gpt-4o-mini ") == ("openai", "gpt-4o-mini")
    with pytest.raises(LLMError, match="names no model: write ollama:MODEL"):
        parse_spec("ollama:")


def test_unknown_prefix_lists_the_known_ones() -> None:
    with pytest.raises(
        LLMError,
        match=r"Unknown LLM spec 'gemini:pro': known backends are "
        r"llamacpp:, ollama:, openai:",
    ):
        parse_spec("gemini:pro")


def test_a_plugin_registers_like_the_builtins(plugin: None, settings: Settings) -> None:
    assert isinstance(make_chat_model("fake:x", settings), FakeChatModel)
    assert endpoint("fake:x", settings) == "memory://x"
    assert backends()["fake"].hint == "try"


def test_openai_with_base_url_needs_no_key(settings: Settings) -> None:
    from langchain_openai import ChatOpenAI

    model = make_chat_model(
        "openai:smollm2", settings.with_overrides(base_url="http://h:1/v1"), max_tokens=300
    )
    assert isinstance(model, ChatOpenAI)
    assert model.model_name == "smollm2"
    assert model.openai_api_base == "http://h:1/v1"
    assert isinstance(model.openai_api_key, SecretStr)
    assert model.openai_api_key.get_secret_value() == "not-needed"
    assert model.temperature == 0
    assert model.request_timeout == 12.5
    assert model.max_retries == 0
    assert model.max_tokens == 300


def test_openai_base_url_from_environment(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://env:2/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    model = make_chat_model("openai:gpt-4o-mini", settings)
    assert getattr(model, "openai_api_base", None) == "http://env:2/v1"
    assert endpoint("openai:gpt-4o-mini", settings) == "http://env:2/v1"


def test_openai_without_key_or_url_says_what_to_do(settings: Settings) -> None:
    with pytest.raises(LLMError, match="OPENAI_API_KEY is not set"):
        make_chat_model("openai:gpt-4o-mini", settings)
    assert endpoint("openai:gpt-4o-mini", settings) == "https://api.openai.com/v1"


def test_ollama_defaults(settings: Settings) -> None:
    from langchain_ollama import ChatOllama

    model = make_chat_model("ollama:llama3", settings)
    assert isinstance(model, ChatOllama)
    assert model.model == "llama3"
    assert model.base_url == "http://127.0.0.1:11434"
    assert model.temperature == 0
    assert endpoint("ollama:llama3", settings) == "http://127.0.0.1:11434"


def test_llamacpp_needs_an_existing_file(settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(LLMError, match="GGUF model file not found"):
        make_chat_model(f"llamacpp:{tmp_path}/none.gguf", settings)
    assert endpoint(f"llamacpp:{tmp_path}/none.gguf", settings) == f"{tmp_path}/none.gguf"
