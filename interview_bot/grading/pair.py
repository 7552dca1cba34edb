"""The pair model: the bundled MiniLM reading the reference and the answer together.

A bi-encoder compares two texts only through their vectors, so an answer that uses the
reference's words with a false claim ("BERT is decoder-only") looks close to it. Here the
question with its reference and the answer go through the model as one input, every token
attending to both, and a trained head reads how much of the reference the answer states.

The model is the bundled all-MiniLM-L6-v2 with a small adapter (``pair_adapter.npz``, made
by ``evals/train_grader.py``): low-rank updates (LoRA) of its top layers, merged into the
weights at load time, and a linear head over the pooled output. Nothing is downloaded.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from interview_bot.errors import InterviewBotError
from interview_bot.knowledge.embeddings import model_path

ADAPTER_PATH = Path(__file__).with_name("pair_adapter.npz")
MAX_TOKENS = 256  # question + reference + answer, in word pieces
MAX_ANSWER_TOKENS = 128  # the answer's share; the reference is cut to fit the rest
BATCH = 16


@dataclass(frozen=True)
class PairInput:
    """One (question, reference, answer) as the pair model reads it."""

    question: str
    reference: str
    answer: str


def tokenize(tokenizer: Any, rows: Sequence[PairInput]) -> list[dict[str, list[int]]]:
    """Word pieces of each row: ``[CLS] question reference [SEP] answer [SEP]``, the answer
    kept up to MAX_ANSWER_TOKENS and the question with its reference cut to fit."""
    out = []
    for row in rows:
        answer = tokenizer.encode(row.answer, add_special_tokens=False)[:MAX_ANSWER_TOKENS]
        room = MAX_TOKENS - len(answer) - 3
        first = tokenizer.encode(f"{row.question}\n{row.reference}", add_special_tokens=False)
        first = first[:room]
        ids = [tokenizer.cls_token_id, *first, tokenizer.sep_token_id, *answer]
        ids.append(tokenizer.sep_token_id)
        types = [0] * (len(first) + 2) + [1] * (len(answer) + 1)
        out.append({"input_ids": ids, "token_type_ids": types})
    return out


def pad(encoded: Sequence[dict[str, list[int]]]) -> dict[str, Any]:
    """A padded batch of tensors from :func:`tokenize` output."""
    import torch

    width = max(len(e["input_ids"]) for e in encoded)
    ids = torch.zeros((len(encoded), width), dtype=torch.long)
    types = torch.zeros_like(ids)
    mask = torch.zeros_like(ids)
    for i, e in enumerate(encoded):
        n = len(e["input_ids"])
        ids[i, :n] = torch.tensor(e["input_ids"])
        types[i, :n] = torch.tensor(e["token_type_ids"])
        mask[i, :n] = 1
    return {"input_ids": ids, "token_type_ids": types, "attention_mask": mask}


def pool(hidden: Any, mask: Any) -> Any:
    """[CLS] vector beside the mean of the token vectors: what the head reads."""
    import torch

    weights = mask.unsqueeze(-1).to(hidden.dtype)
    mean = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)
    return torch.cat([hidden[:, 0], mean], dim=-1)


class PairModel:
    """Scores (question, reference, answer) rows on 0..1: how much of the reference the
    answer states, with false claims scoring low. Thread-safe; batches internally."""

    def __init__(self, adapter: Path = ADAPTER_PATH) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        try:
            data = np.load(adapter)
            meta = json.loads(str(data["meta"]))
        except (OSError, ValueError, KeyError) as exc:
            raise InterviewBotError(
                f"{adapter}: cannot load the pair model's adapter ({exc}); "
                "rerun `python evals/train_grader.py --write`"
            ) from None
        self.version: str = meta["version"]
        self.tokenizer = AutoTokenizer.from_pretrained(str(model_path()))
        self.model = AutoModel.from_pretrained(str(model_path())).eval()
        params = dict(self.model.named_parameters())
        with torch.no_grad():
            for name in meta["lora"]:
                a, b = data[f"{name}.lora_a"], data[f"{name}.lora_b"]
                delta = (b.astype(np.float32) @ a.astype(np.float32)) * meta["scale"]
                params[f"{name}.weight"] += torch.from_numpy(delta)
            for name in meta["tuned"]:
                params[name].copy_(torch.from_numpy(data[name].astype(np.float32)))
        self.head_w = torch.from_numpy(data["head.weight"].astype(np.float32))
        self.head_b = torch.from_numpy(data["head.bias"].astype(np.float32))
        self._lock = threading.Lock()

    def score(self, rows: Sequence[PairInput]) -> np.ndarray:
        """Scores on 0..1, in the order of ``rows``; similar lengths are batched together."""
        import torch

        if not rows:
            return np.zeros(0)
        encoded = tokenize(self.tokenizer, rows)
        order = sorted(range(len(rows)), key=lambda i: len(encoded[i]["input_ids"]))
        out = np.zeros(len(rows))
        with self._lock, torch.inference_mode():
            for start in range(0, len(order), BATCH):
                chunk = order[start : start + BATCH]
                batch = pad([encoded[i] for i in chunk])
                hidden = self.model(**batch).last_hidden_state
                logits = pool(hidden, batch["attention_mask"]) @ self.head_w + self.head_b
                out[chunk] = torch.sigmoid(logits).numpy()
        return out


@lru_cache(maxsize=2)
def load_pair_model(adapter: Path = ADAPTER_PATH) -> PairModel:
    """The pair model, loaded once per process."""
    return PairModel(adapter)
