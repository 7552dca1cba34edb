"""What a bank build is made of: the manifest in the registry, the ingest report, and
the fingerprint that makes re-ingesting unchanged files free."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from interview_bot.knowledge.bank import display_path
from interview_bot.knowledge.models import FileStats, MergeDecision
from interview_bot.knowledge.parsers import read_bank_bytes

BUILD_VERSION = "9"  # bump when parsing, merging or key points change what a build produces


class Manifest(BaseModel):
    """What a bank's current collection was built from."""

    bank: str
    collection: str
    fingerprint: str
    built_at: float
    files: list[FileStats]
    merges: list[MergeDecision]
    questions: int
    needing_reference: list[str]
    build_version: str = ""  # BUILD_VERSION of the code that built it ("" before version 5)


@dataclass(frozen=True)
class IngestReport:
    bank: str
    unchanged: bool
    questions: int
    embedded_texts: int
    seconds: float
    manifest: Manifest


def fingerprint(paths: list[Path], max_bytes: int) -> str:
    """One hash over every file's name and bytes (each read with the size cap)."""
    digest = hashlib.sha256(f"build {BUILD_VERSION}\n".encode())
    for path in paths:
        data = read_bank_bytes(path, display_path(path), max_bytes)
        digest.update(f"{display_path(path)}\0{hashlib.sha256(data).hexdigest()}\n".encode())
    return digest.hexdigest()


def outdated_copy_of(manifest: Manifest, files: list[Path], max_bytes: int) -> bool:
    """Whether ``manifest`` is a build of exactly ``files`` (same names and bytes) made by an
    older version of the build: rebuilding it from them loses nothing and brings the
    current parsing, key points and merging."""
    if manifest.build_version == BUILD_VERSION:
        return False
    built = sorted((Path(f.path).name, f.sha256) for f in manifest.files)
    present = []
    for path in files:
        data = read_bank_bytes(path, display_path(path), max_bytes)
        present.append((path.name, hashlib.sha256(data).hexdigest()))
    return built == sorted(present)
