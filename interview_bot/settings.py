"""Settings declared once: name, type, default and help.

Each setting is read from an explicit value (a CLI flag), then the environment variable
``INTERVIEW_BOT_<NAME>``, then its default. ``INTERVIEW_BOT_DATA_DIR`` moves everything the
bot writes (vector store, embedding cache, progress), so tests point it at a temporary folder.
"""

from __future__ import annotations

import os
from dataclasses import MISSING, Field, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import SecretStr

from interview_bot.resources import bundled

ENV_PREFIX = "INTERVIEW_BOT_"


def _default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "interview-bot"


def _default_knowledge_dir() -> Path:
    return bundled("knowledge")


def _default_prompts_dir() -> Path:
    return bundled("prompts")


def _default_datasets_dir() -> Path:
    return bundled("datasets")


@dataclass(frozen=True)
class Settings:
    """Every knob of the bot. Build one with :func:`load_settings`."""

    data_dir: Path = field(
        default_factory=_default_data_dir,
        metadata={
            "help": "Folder for the vector store, embedding cache and progress database.",
            "default": "~/.local/share/interview-bot",
        },
    )
    knowledge_dir: Path = field(
        default_factory=_default_knowledge_dir,
        metadata={
            "help": "Folder of bank files ingested into the default bank.",
            "default": "the bundled bank",
        },
    )
    prompts_dir: Path = field(
        default_factory=_default_prompts_dir,
        metadata={
            "help": "Folder holding rubric.yaml and the grading prompt templates.",
            "default": "the bundled prompts",
        },
    )
    datasets_dir: Path = field(
        default_factory=_default_datasets_dir,
        metadata={
            "help": "Folder of graded eval sets that `eval-all` runs.",
            "default": "the bundled eval sets",
        },
    )
    bank: str = field(default="default", metadata={"help": "Name of the question bank to use."})
    llm: str = field(
        default="offline",
        metadata={"help": "Grader spec: offline, openai:MODEL, ollama:MODEL, llamacpp:/path.gguf."},
    )
    base_url: str | None = field(
        default=None, metadata={"help": "Base URL of an OpenAI-compatible or Ollama server."}
    )
    llm_timeout: float = field(
        default=60.0, metadata={"help": "Seconds to wait for one LLM reply before giving up."}
    )
    llm_retries: int = field(
        default=2, metadata={"help": "Extra attempts when an LLM reply fails or is invalid."}
    )
    chroma_url: str | None = field(
        default=None,
        metadata={"help": "http://HOST:PORT of a Chroma server.", "default": "embedded Chroma"},
    )
    host: str = field(default="127.0.0.1", metadata={"help": "Address the web app listens on."})
    port: int = field(default=7860, metadata={"help": "Port the web app listens on."})
    auth: str | None = field(
        default=None,
        metadata={"help": "USER:PASS required to open the web app (several: comma-separated)."},
    )
    users_file: Path | None = field(
        default=None,
        metadata={"help": "File of USER:HASH lines (`interview-bot add-user`) for the web app."},
    )
    max_upload_bytes: int = field(
        default=2_000_000, metadata={"help": "Largest bank file accepted, in bytes."}
    )
    progress_db: Path | None = field(
        default=None,
        metadata={"help": "SQLite file of attempts.", "default": "DATA_DIR/progress.db"},
    )
    concurrency: int = field(
        default=32,
        metadata={"help": "Requests of one kind the web app works on at once; the rest queue."},
    )
    # Not a setting people set: the key one browser gave in the Settings tab, carried to the
    # LLM backend for that browser's grader only. Never read from the environment (the
    # backends read their own, e.g. OPENAI_API_KEY), never shown, never stored.
    api_key: SecretStr | None = field(default=None, repr=False, metadata={"secret": True})

    @property
    def store_dir(self) -> Path:
        return self.data_dir / "store"

    @property
    def progress_path(self) -> Path:
        return self.progress_db or self.data_dir / "progress.db"

    def with_overrides(self, **values: Any) -> Settings:
        """Return a copy with the given non-None values replaced."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})


def _coerce(kind: Any, raw: str) -> Any:
    text = str(kind)
    if "Path" in text:
        return Path(raw).expanduser()
    if "int" in text:
        return int(raw)
    if "float" in text:
        return float(raw)
    return raw


def load_settings(**overrides: Any) -> Settings:
    """Settings from ``overrides`` (None means unset), then the environment, then defaults."""
    values: dict[str, Any] = {}
    for f in fields(Settings):
        if f.metadata.get("secret"):
            if overrides.get(f.name) is not None:
                values[f.name] = SecretStr(str(_reveal(overrides[f.name])))
            continue
        if overrides.get(f.name) is not None:
            value = overrides[f.name]
            values[f.name] = (
                Path(value).expanduser()
                if isinstance(value, str) and "Path" in str(f.type)
                else value
            )
            continue
        raw = os.environ.get(ENV_PREFIX + f.name.upper())
        if raw not in (None, ""):
            values[f.name] = _coerce(f.type, raw)
    return Settings(**values)


class SettingDoc(NamedTuple):
    """One row of the settings table, as ``interview-bot settings`` and the README show it."""

    name: str
    env: str
    default: str
    help: str


def settings_table() -> list[SettingDoc]:
    """Every setting people set (never the API key): name, variable, default and help."""
    return [
        SettingDoc(
            f.name,
            ENV_PREFIX + f.name.upper(),
            _shown_default(f),
            str(f.metadata.get("help", "")),
        )
        for f in fields(Settings)
        if not f.metadata.get("secret")
    ]


def _shown_default(f: Field[Any]) -> str:
    """The default as documented: a described one (a path that depends on the install),
    else the value itself."""
    if "default" in f.metadata:
        return str(f.metadata["default"])
    if f.default is None:
        return "unset"
    if f.default is not MISSING:
        return str(f.default)
    return str(f.default_factory()) if callable(f.default_factory) else ""


def _reveal(value: Any) -> Any:
    return value.get_secret_value() if isinstance(value, SecretStr) else value
