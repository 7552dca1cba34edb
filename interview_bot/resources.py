"""Files that ship with the package: the bundled bank, the prompts and the eval datasets.

A wheel carries them under ``interview_bot/data/`` (see ``force-include`` in
pyproject.toml); a source checkout keeps them at the top of the repository, where people
read and edit them. Settings can point each one elsewhere.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Literal

Bundled = Literal["knowledge", "prompts", "datasets"]
_CHECKOUT = {"knowledge": "knowledge", "prompts": "prompts", "datasets": "evals/datasets"}


def bundled(name: Bundled) -> Path:
    """The folder ``name`` from the installed package, or from the checkout in development."""
    packaged = Path(str(files("interview_bot") / "data" / name))
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / _CHECKOUT[name]
