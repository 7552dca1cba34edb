"""Which grader grades: one value carried from a door (flag, Settings tab) to the grader pool."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr

OFFLINE = "offline"


class GraderChoice(BaseModel):
    """A grader spec (``offline``, ``openai:MODEL``, ``ollama:MODEL`` ...), where its server
    is, and one person's own API key for it. The key is never shown, stored or logged."""

    model_config = ConfigDict(frozen=True)

    spec: str = OFFLINE
    base_url: str | None = None
    api_key: SecretStr | None = Field(default=None, repr=False)

    @classmethod
    def of(cls, value: GraderChoice | str | None) -> GraderChoice | None:
        """A choice from a choice, a bare spec or nothing (None: the configured default)."""
        if value is None or isinstance(value, GraderChoice):
            return value
        return cls(spec=value.strip() or OFFLINE)

    @property
    def offline(self) -> bool:
        return self.spec == OFFLINE

    def public(self) -> str:
        """The choice as it may be shown to its owner: never the key itself."""
        where = f" at {self.base_url}" if self.base_url else ""
        key = " (API key set, used for your grades only)" if self.api_key else ""
        return f"{self.spec}{where}{key}"

    def scrub(self, text: str) -> str:
        """``text`` with the key (if any) replaced, for messages that reach a person."""
        return redact(text, self.api_key)


def redact(text: str, secret: SecretStr | None) -> str:
    """``text`` with ``secret`` (an API key a server may echo in an error) replaced."""
    value = secret.get_secret_value() if secret is not None else ""
    return text.replace(value, "***") if len(value) >= 4 else text
