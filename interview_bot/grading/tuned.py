"""The grader's own MiniLM: the bundled model with small low-rank updates (LoRA) trained so
that, among the answers to one question, an answer's closeness to the reference follows its
grade: correct answers pulled toward the reference, fluent but wrong ones pushed away.

The updates (``grader_adapter.npz``, about 0.7 MB, made by ``evals/train_contrastive.py``)
are merged into a second copy of the bundled model when the offline grader first needs it.
Only grading evidence reads this model; search and the store keep the bundled one.
Nothing is downloaded.
"""

from __future__ import annotations

import json
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from interview_bot.errors import InterviewBotError
from interview_bot.knowledge.embeddings import Embedder, model_path

ADAPTER_PATH = Path(__file__).with_name("grader_adapter.npz")


def read_adapter(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The adapter's metadata and its arrays; a clear error when the file is unusable."""
    try:
        with np.load(path) as data:
            arrays = {k: data[k] for k in data.files}
        meta = json.loads(str(arrays.pop("meta")))
        missing = {"version", "scale", "modules"} - set(meta)
        if missing:
            raise KeyError(", ".join(sorted(missing)))
    except (OSError, ValueError, KeyError) as exc:
        raise InterviewBotError(
            f"{path}: cannot load the offline grader's model adapter ({exc}); "
            "rerun `python evals/train_contrastive.py --write`"
        ) from None
    return meta, arrays


def merge_adapter(bert: Any, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """Add each module's low-rank update (B @ A, scaled) to its weight, in place."""
    import torch

    params = dict(bert.named_parameters())
    with torch.no_grad():
        for name in meta["modules"]:
            a = arrays[f"{name}.lora_a"].astype(np.float32)
            b = arrays[f"{name}.lora_b"].astype(np.float32)
            params[f"{name}.weight"] += torch.from_numpy((b @ a) * float(meta["scale"]))


class TunedEmbedder(Embedder):
    """An :class:`Embedder` over the tuned model. Its vectors are cached under keys of their
    own (the adapter's version), never mixed with the bundled model's."""

    def __init__(self, adapter: Path = ADAPTER_PATH) -> None:
        super().__init__(None)
        self._meta, self._arrays = read_adapter(adapter)
        self.version: str = self._meta["version"]
        self.weights = self.version
        self._tuned: Any = None
        self._load_lock = threading.Lock()

    @property
    def model(self) -> Any:
        with self._load_lock:
            if self._tuned is None:
                from sentence_transformers import SentenceTransformer

                model = SentenceTransformer(str(model_path()), device="cpu")
                merge_adapter(model[0].auto_model, self._meta, self._arrays)
                self._tuned = model
            return self._tuned


@lru_cache(maxsize=2)
def load_tuned_embedder(adapter: Path = ADAPTER_PATH) -> TunedEmbedder:
    """The tuned model's embedder, one per process."""
    return TunedEmbedder(adapter)
