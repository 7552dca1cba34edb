"""Who may open the web app: accounts from ``--auth`` and a users file, and a login throttle.

Accounts come from ``--auth USER:PASS`` (several, comma-separated or the flag repeated) and
from a users file of ``USER:HASH`` lines made by ``interview-bot add-user``; the hash is
scrypt with a random salt, so the file never holds a password. Each account is its own
person in the app: their own interviews, progress, cards and banks.

:class:`LoginThrottle` slows down and then briefly locks out repeated failed logins for
one user name from one address, and one address trying many names. It sits in front of
Gradio's ``/login`` route as a small ASGI middleware (:class:`ThrottledLogin`).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from interview_bot.errors import InterviewBotError
from interview_bot.practice.owners import OwnerError, check_user_name

# scrypt cost: 2**14 x 8 x 1 takes about 50 ms and 16 MiB here, per login
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
PREFIX = "scrypt"


class AuthError(InterviewBotError):
    """A malformed --auth value or users file."""


def hash_password(password: str, salt: bytes | None = None) -> str:
    """``scrypt$N$r$p$SALT$HASH`` (base64) for ``password``; a fresh salt unless given."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    b64 = base64.b64encode
    return f"{PREFIX}${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches a :func:`hash_password` value (constant-time compare)."""
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != PREFIX:
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
            maxmem=128 * 1024 * 1024,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


def parse_auth(text: str | None) -> list[tuple[str, str]]:
    """``USER:PASS`` pairs from ``--auth`` (comma- or newline-separated; a password may hold
    ``:`` but not ``,`` - use a users file for such passwords)."""
    pairs: list[tuple[str, str]] = []
    for item in (text or "").replace("\n", ",").split(","):
        if not item.strip():
            continue
        user, sep, password = item.strip().partition(":")
        if not sep or not user or not password:
            raise AuthError("--auth must look like USER:PASS (both parts non-empty)")
        try:
            pairs.append((check_user_name(user, "--auth"), password))
        except OwnerError as exc:
            raise AuthError(str(exc)) from exc
    return pairs


@dataclass
class Accounts:
    """User name -> password (from --auth) or scrypt hash (from the users file)."""

    plain: dict[str, str] = field(default_factory=dict)
    hashed: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.plain or self.hashed)

    def __len__(self) -> int:
        return len(set(self.plain) | set(self.hashed))

    def check(self, user: str, password: str) -> bool:
        """Gradio's auth callable: True when ``user`` may log in with ``password``."""
        if user in self.plain:
            return hmac.compare_digest(self.plain[user].encode(), password.encode())
        if user in self.hashed:
            return verify_password(password, self.hashed[user])
        verify_password(password, _DUMMY)  # the same work for unknown names: no timing hint
        return False


_DUMMY = hash_password("no such user", salt=b"0" * 16)


def read_users_file(path: Path) -> dict[str, str]:
    """``USER:HASH`` lines (``#`` comments and blank lines ignored) as a dict."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise AuthError(f"Cannot read the users file {path}: {exc.strerror or exc}") from exc
    users: dict[str, str] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        user, sep, stored = line.strip().partition(":")
        if not sep or not stored.startswith(PREFIX + "$"):
            raise AuthError(
                f"{path}:{number}: expected USER:scrypt$... (make lines with "
                "`interview-bot add-user FILE USER`)"
            )
        try:
            users[check_user_name(user, f"{path}:{number}")] = stored
        except OwnerError as exc:
            raise AuthError(str(exc)) from exc
    return users


def load_accounts(auth: str | None, users_file: Path | None) -> Accounts:
    accounts = Accounts(plain=dict(parse_auth(auth)))
    if users_file is not None:
        accounts.hashed = read_users_file(users_file)
    return accounts


def add_user(path: Path, user: str, password: str) -> bool:
    """Write ``user``'s hashed password to the users file (replacing an old line); True if the
    user was new. The file is created readable by its owner only."""
    check_user_name(user, str(path))
    if not password:
        raise AuthError("the password must not be empty")
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    kept = [line for line in lines if line.partition(":")[0].strip() != user]
    kept.append(f"{user}:{hash_password(password)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return len(kept) > len(lines)


# -- throttling ---------------------------------------------------------------------------
@dataclass
class _Failures:
    count: int = 0
    last: float = 0.0
    locked_until: float = 0.0


class LoginThrottle:
    """Failed logins per (user, address) and per address. Each failure makes the next
    answer slower (0.5 s, 1 s, 2 s ... at most ``max_delay_s``); ``lock_after`` failures in a
    row lock that user at that address out for ``lockout_s`` (``address_lock_after`` for an
    address, whatever names it tries). A success clears the user's count; counts older than
    ``forget_s`` are forgotten."""

    def __init__(
        self,
        *,
        lock_after: int = 5,
        address_lock_after: int = 20,
        lockout_s: float = 60.0,
        max_delay_s: float = 4.0,
        forget_s: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.lock_after, self.address_lock_after = lock_after, address_lock_after
        self.lockout_s, self.max_delay_s, self.forget_s = lockout_s, max_delay_s, forget_s
        self.clock = clock
        self._lock = threading.Lock()
        self._failures: dict[tuple[str, str], _Failures] = {}

    def _get(self, key: tuple[str, str], now: float) -> _Failures:
        found = self._failures.get(key)
        if found is None or (now - found.last > self.forget_s and found.locked_until <= now):
            found = self._failures[key] = _Failures()
        return found

    def locked_for(self, user: str, address: str) -> float:
        """Seconds until ``user`` may try again from ``address`` (0: may try now)."""
        now = self.clock()
        with self._lock:
            waits = [self._get(k, now).locked_until - now for k in self._keys(user, address)]
        return max(0.0, *waits)

    def failed(self, user: str, address: str) -> float:
        """Count a failure; the delay (seconds) to hold the failed answer back."""
        now = self.clock()
        with self._lock:
            counts = []
            for key, limit in zip(
                self._keys(user, address), (self.lock_after, self.address_lock_after), strict=True
            ):
                entry = self._get(key, now)
                entry.count += 1
                entry.last = now
                if entry.count >= limit:
                    entry.locked_until = now + self.lockout_s
                    entry.count = 0
                counts.append(entry.count)
        # the delay grows with this name's failures from this address
        return 0.0 if counts[0] == 0 else min(self.max_delay_s, 0.5 * 2 ** (counts[0] - 1))

    def succeeded(self, user: str, address: str) -> None:
        with self._lock:
            self._failures.pop((user, address), None)

    @staticmethod
    def _keys(user: str, address: str) -> tuple[tuple[str, str], tuple[str, str]]:
        return (user, address), ("", address)


Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class ThrottledLogin:
    """ASGI middleware for Gradio's ``POST /login``: refuses a locked-out user at once (HTTP
    429 with the wait), and holds a failed answer back by the throttle's delay."""

    def __init__(self, app: ASGIApp, throttle: LoginThrottle) -> None:
        self.app, self.throttle = app, throttle

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", "")).rstrip("/")
        if scope["type"] != "http" or scope.get("method") != "POST" or not path.endswith("/login"):
            await self.app(scope, receive, send)
            return
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        fields = parse_qs(body.decode("utf-8", "replace"))
        user = (fields.get("username") or [""])[0].strip()
        client = scope.get("client")
        address = str(client[0]) if client else "?"
        wait = self.throttle.locked_for(user, address)
        if wait > 0:
            await _reply(send, 429, f"Too many failed logins - try again in {wait:.0f} s.")
            return
        replayed = False

        async def replay() -> MutableMapping[str, Any]:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        status = 0
        held: list[MutableMapping[str, Any]] = []

        async def watch(message: MutableMapping[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            if 400 <= status < 500 and status != 429:
                held.append(message)  # a failure: answered after the delay below
                return
            await send(message)

        await self.app(scope, replay, watch)
        if status == 200:
            self.throttle.succeeded(user, address)
        elif held:
            await asyncio.sleep(self.throttle.failed(user, address))
            for message in held:
                await send(message)


async def _reply(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"retry-after", b"60")],
        }
    )
    await send({"type": "http.response.body", "body": body})
