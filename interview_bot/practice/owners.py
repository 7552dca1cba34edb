"""Whose data is it: the owner names that keep one person's interviews apart from another's.

An owner is a plain string stored with every session, card and private bank:

- a logged-in web user, or a CLI ``--user``: the user name itself (``alice``);
- a web browser without a login: ``browser:<random id>``, an id the browser keeps;
- an API client without either: ``tab:<Gradio session id>``, for that connection only.

User names may not contain ``:``, so the prefixed kinds never collide with a user.
"""

from __future__ import annotations

import getpass
import hashlib
import re

from interview_bot.errors import InterviewBotError

BROWSER = "browser:"
TAB = "tab:"
USER_NAME = re.compile(r"^[^\s:,]{1,64}$")


class OwnerError(InterviewBotError):
    """A user name that cannot name a person (spaces, ``:`` or ``,``)."""


def check_user_name(name: str, where: str = "--user") -> str:
    """``name`` if it can name a person, else an :class:`OwnerError` saying why."""
    if not USER_NAME.match(name):
        raise OwnerError(
            f"{where}: user name {name!r} must be 1-64 characters without spaces, ':' or ','"
        )
    return name


def default_owner() -> str:
    """The OS user running this process: the CLI's default ``--user``, and the owner that
    progress recorded before owners existed is given when a database is migrated."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        name = ""
    return name if USER_NAME.match(name or "") else "local"


def browser_owner(browser_id: str) -> str:
    return BROWSER + browser_id


def tab_owner(session_hash: str) -> str:
    return TAB + session_hash


def is_person(owner: str) -> bool:
    """A named person (a login or a CLI user), as opposed to an anonymous browser or tab."""
    return not owner.startswith((BROWSER, TAB))


def owner_tag(owner: str) -> str:
    """A short stable tag naming an owner without revealing it (private bank names)."""
    return hashlib.sha256(owner.encode("utf-8")).hexdigest()[:10]
