"""Train the shipped offline grader: the bi-encoder tuned contrastively (option (c) of the
grader comparison), and the calibration over the evidence it gives.

    python evals/train_contrastive.py              # train, refit, report on the test split
    python evals/train_contrastive.py --write      # ... and write the shipped adapter + calibration
    python evals/train_contrastive.py --tiny --out DIR   # a few dozen rows, one epoch
    python evals/train_contrastive.py --point-cut-only --write   # refit the card's key-point cut

The bundled MiniLM gets LoRA updates on every layer, trained so that, among the answers to
one question, the cosine between the reference and an answer follows the human grade
(CoSENT loss: an answer graded higher must sit closer to the reference; fluent-wrong answers
are pushed away from it, correct ones pulled toward it). The evidence features are then
computed with the tuned model, the calibration refitted as in ``train_grader.py`` (same
rows, same split: no test-split question is seen), and both are reported side by side on
the test split and on Mohler with folds grouped by assignment.

``--contradictions answers`` (or ``all``) also trains the model on automatic contradictions
(``contradictions.py``: each correct training answer, and with ``all`` each reference, with
its claim reversed, "encoder" exchanged for "decoder", "divide" for "multiply", graded 0).
They teach the model only; the calibration is fitted on written answers. Measured on the
test split it lost agreement and did not lower fluent-wrong answers (README, "Evals"), so it
is off by default. ``--adapter FILE`` refits the calibration over an adapter already made.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import math
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch
import train_grader as tg
from contradictions import contradictions
from torch import nn

from interview_bot.bot import InterviewBot
from interview_bot.grading.calibration import CALIBRATION_PATH, Calibration
from interview_bot.grading.evidence import COVERED
from interview_bot.grading.offline import OfflineGrader
from interview_bot.grading.tuned import ADAPTER_PATH, TunedEmbedder
from interview_bot.knowledge.embeddings import model_path
from interview_bot.settings import load_settings

RANK, ALPHA = 8, 16
TARGETS = ("query", "key", "value", "attention.output.dense", "intermediate.dense", "output.dense")
EPOCHS, LR, SCALE_LAMBDA, MAX_TOKENS = 2, 5e-4, 20.0, 160
PER_BATCH = 24  # answers to one question per step, beside its reference


def add_lora(bert: Any) -> dict[str, tg.LoRALinear]:
    for p in bert.parameters():
        p.requires_grad_(False)
    wrapped: dict[str, tg.LoRALinear] = {}
    for i, layer in enumerate(bert.encoder.layer):
        for name, module in list(layer.named_modules()):
            if isinstance(module, nn.Linear) and name.endswith(TARGETS):
                parent = layer.get_submodule(name.rsplit(".", 1)[0]) if "." in name else layer
                lora = tg.LoRALinear(module, RANK, ALPHA)
                setattr(parent, name.rsplit(".", 1)[-1], lora)
                wrapped[f"encoder.layer.{i}.{name}"] = lora
    return wrapped


def embed(bert: Any, tokenizer: Any, texts: Sequence[str]) -> torch.Tensor:
    batch = tokenizer(
        list(texts), padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt"
    )
    hidden = bert(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
    return nn.functional.normalize(mean, dim=-1)


def cosent(cos: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
    """log(1 + sum over (i graded above j) of exp(lambda (cos_j - cos_i)))."""
    better = (label[:, None] - label[None, :]) > 0.05
    if not better.any():
        return cos.sum() * 0.0
    gaps = SCALE_LAMBDA * (cos[None, :] - cos[:, None])[better]
    return torch.logsumexp(torch.cat([torch.zeros(1), gaps]), dim=0)


def train(rows: Sequence[tg.Row], idx: Sequence[int], epochs: int) -> dict[str, tg.LoRALinear]:
    """LoRA factors for every layer of the bundled model, trained on ``idx`` (CoSENT)."""
    from sentence_transformers import SentenceTransformer

    torch.manual_seed(tg.SEED)
    rng = random.Random(tg.SEED)
    model = SentenceTransformer(str(model_path()), device="cpu")
    bert: Any = model[0].auto_model
    tokenizer = model[0].tokenizer
    wrapped = add_lora(bert)
    params = [p for m in wrapped.values() for p in (m.lora_a, m.lora_b)]
    optimiser = torch.optim.AdamW(params, lr=LR, weight_decay=0.01)
    by_question: dict[str, list[int]] = {}
    for i in idx:
        by_question.setdefault(rows[i].group, []).append(i)
    batches_per_epoch = sum(math.ceil(len(m) / PER_BATCH) for m in by_question.values())
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=LR, total_steps=epochs * batches_per_epoch, pct_start=0.06
    )
    started = time.perf_counter()
    bert.train()
    for epoch in range(epochs):
        batches = []
        for members in by_question.values():
            members = members[:]
            rng.shuffle(members)
            batches += [members[i : i + PER_BATCH] for i in range(0, len(members), PER_BATCH)]
        rng.shuffle(batches)
        total = 0.0
        for step, chunk in enumerate(batches):
            reference = rows[chunk[0]].pair.reference
            vectors = embed(bert, tokenizer, [reference] + [rows[i].pair.answer for i in chunk])
            cos = vectors[1:] @ vectors[0]
            label = torch.tensor([rows[i].label for i in chunk])
            weight = float(np.mean([rows[i].weight for i in chunk]))
            loss = weight * cosent(cos, label)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += float(loss.detach())
            if step % 100 == 0:
                print(
                    f"    epoch {epoch + 1} step {step}/{len(batches)} "
                    f"({time.perf_counter() - started:.0f} s)",
                    flush=True,
                )
        print(
            f"    epoch {epoch + 1}/{epochs}: loss {total / len(batches):.4f} "
            f"({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
    return wrapped


def save_adapter(wrapped: dict[str, tg.LoRALinear], path: Path) -> str:
    """The LoRA factors (float16) and their metadata, in the format the grader loads;
    returns the adapter's version."""
    arrays: dict[str, np.ndarray] = {}
    for name, lora in wrapped.items():
        arrays[f"{name}.lora_a"] = lora.lora_a.detach().numpy().astype(np.float16)
        arrays[f"{name}.lora_b"] = lora.lora_b.detach().numpy().astype(np.float16)
    digest = hashlib.sha256(b"".join(a.tobytes() for a in arrays.values())).hexdigest()[:8]
    version = f"tuned-minilm-{datetime.date.today().isoformat()}-{digest}"
    meta = {"version": version, "modules": sorted(wrapped), "scale": ALPHA / RANK, "rank": RANK}
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, meta=np.array(json.dumps(meta)), **cast("dict[str, Any]", arrays))
    return version


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write", action="store_true", help="write the shipped adapter")
    parser.add_argument("--out", type=Path, help="folder for the adapter and calibration")
    parser.add_argument("--tiny", action="store_true", help="a tiny run for tests")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--features", type=Path, help="cache of the untuned features (.npy)")
    parser.add_argument("--adapter", type=Path, help="refit over this adapter, no training")
    parser.add_argument(
        "--contradictions",
        choices=("none", "answers", "all"),
        default="none",
        help="also train on automatic contradictions of correct answers (all: and of the "
        "references); measured worse, so off by default",
    )
    parser.add_argument(
        "--point-cut-only",
        action="store_true",
        help="refit only the key-point cut for the adapter and calibration in --out (or shipped)",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    folder = args.out or (ADAPTER_PATH.parent if args.write else Path(tempfile.mkdtemp()))
    bot = InterviewBot(load_settings(data_dir=Path(tempfile.mkdtemp(prefix="contrastive-"))))
    rows = tg.load_rows(bot, every=60 if args.tiny else 1)
    rows += tg.negatives(rows, random.Random(tg.SEED))
    fit = [i for i, r in enumerate(rows) if r.split in ("train", "mohler")]
    test = [i for i, r in enumerate(rows) if r.split == "test"]
    y = np.array([r.label * 5 for r in rows])
    w = np.array([r.weight for r in rows])
    print(f"{len(rows)} rows: {len(fit)} to fit, {len(test)} test", flush=True)
    shipped = bot.graders.offline
    plain = OfflineGrader(shipped.embedder, shipped.rubric, calibration=None)
    if args.point_cut_only:
        path = folder / CALIBRATION_PATH.name
        saved = json.loads((path if path.exists() else CALIBRATION_PATH).read_text())
        adapter = folder / ADAPTER_PATH.name
        tuned = OfflineGrader(
            shipped.embedder,
            shipped.rubric,
            calibration=None,
            evidence_embedder=TunedEmbedder(adapter if adapter.exists() else ADAPTER_PATH),
        )
        print("bundled model, for comparison:", flush=True)
        fit_point_cut(plain, rows, fit)
        print("tuned model:", flush=True)
        saved["point_cut"] = fit_point_cut(tuned, rows, fit)
        if args.write or args.out:
            path.write_text(json.dumps(saved) + "\n")
            print(f"wrote {path}")
        print(f"done in {time.perf_counter() - started:.0f} s", flush=True)
        return
    X_plain = tg.features_for(plain, rows, args.features)
    # the contradictions teach the model only: the calibration is fitted on written answers,
    # since before tuning a contradiction's evidence is that of the answer it came from
    extra = []
    if args.contradictions != "none":
        extra = contradictions(rows, references=args.contradictions == "all")
        print(f"{len(extra)} automatic contradictions to train the model on", flush=True)
    taught = list(fit) + list(range(len(rows), len(rows) + len(extra)))
    if args.adapter:
        version = TunedEmbedder(args.adapter).version
        (folder / ADAPTER_PATH.name).write_bytes(args.adapter.read_bytes())
    else:
        wrapped = train([*rows, *extra], taught, 1 if args.tiny else args.epochs)
        version = save_adapter(wrapped, folder / ADAPTER_PATH.name)
    # the evidence the grader will see: from the saved (float16) adapter, loaded as it loads
    tuned = OfflineGrader(
        shipped.embedder,
        shipped.rubric,
        calibration=None,
        evidence_embedder=TunedEmbedder(folder / ADAPTER_PATH.name),
    )
    X_tuned = tg.features_for(tuned, rows, None)
    today = datetime.date.today().isoformat()
    print("test split (questions never fitted):", flush=True)
    results: dict[str, Any] = {}
    fitted: dict[str, dict[str, Any]] = {}
    for key, name, X in (
        ("a_features", "(a) features", X_plain),
        ("c_tuned_bi_encoder", "(c) tuned bi-encoder (shipped)", X_tuned),
    ):
        fitted[key] = tg.model_dict(
            X[fit], y[fit], f"{key}-{today}", sample_weight=w[fit], pair=False
        )
        predicted = Calibration.from_dict(fitted[key]).predict(X[test])
        results[key] = tg.report(name, rows, test, predicted)
    results["c_both_feature_sets"] = tg.report(
        "(c') both feature sets", rows, test, ridge_gbm(np.c_[X_plain, X_tuned], y, w, fit, test)
    )
    for key, X in (("a_features", X_plain), ("c_tuned_bi_encoder", X_tuned)):
        results[f"mohler_cv_{key}"] = tg.mohler_cv_features(rows, X, y, w)
        print(f"  ^ {key}", flush=True)
    calibration = fitted["c_tuned_bi_encoder"] | {
        "version": f"tuned-features-{today}",
        "embedder": version,
        "point_cut": fit_point_cut(tuned, rows, fit),
        "fitted_on": f"{len(fit)} answers: the interview training split, Mohler et al. 2011 "
        f"(weight {tg.MOHLER_WEIGHT}), automatic negatives"
        + ("" if args.contradictions == "none" else " and automatic contradictions")
        + f", evidence from {version}",
        "test_split": results,
    }
    (folder / CALIBRATION_PATH.name).write_text(json.dumps(calibration) + "\n")
    print(f"wrote {folder / ADAPTER_PATH.name} and {folder / CALIBRATION_PATH.name}")
    print(f"done in {time.perf_counter() - started:.0f} s", flush=True)


def fit_point_cut(grader: OfflineGrader, rows: Sequence[tg.Row], fit: Sequence[int]) -> float:
    """The coverage from which the grade card marks a key point covered, for the evidence of
    ``grader``'s model: on the training split, the cut that best separates the key points of
    complete answers from those of fluent-wrong and misconception answers (Youden's J)."""
    kinds = ("complete", "fluent_wrong", "misconception")
    idx = [i for i in fit if rows[i].target is not None and rows[i].kind in kinds]
    coverage: dict[str, list[float]] = {kind: [] for kind in kinds}
    for start in range(0, len(idx), 64):
        batch = [rows[i] for i in idx[start : start + 64]]
        targets = [r.target for r in batch if r.target is not None]
        for row, ev in zip(batch, grader.evidence(targets, [r.answer for r in batch]), strict=True):
            coverage[row.kind].extend(ev.keypoint_recall)
    right = np.array(coverage["complete"])
    wrong = np.array(coverage["fluent_wrong"] + coverage["misconception"])
    if not len(right) or not len(wrong):
        return COVERED
    cuts = np.round(np.arange(0.40, 0.96, 0.01), 2)
    gaps = [np.mean(right >= c) - np.mean(wrong >= c) for c in cuts]
    best = float(cuts[int(np.argmax(gaps))])
    print(
        f"key-point cut {best:.2f}: covers {np.mean(right >= best):.0%} of complete answers' "
        f"points, {np.mean(wrong >= best):.0%} of wrong ones' ({len(idx)} answers)",
        flush=True,
    )
    return best


def ridge_gbm(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, fit: list[int], test: list[int]
) -> np.ndarray:
    """The calibration's ridge + trees blend over any feature matrix."""
    from sklearn.ensemble import GradientBoostingRegressor
    from sklearn.linear_model import Ridge
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(X[fit])
    ridge = Ridge(alpha=tg.RIDGE_LAMBDA).fit(scaler.transform(X[fit]), y[fit], sample_weight=w[fit])
    trees = GradientBoostingRegressor(**tg.GBM).fit(X[fit], y[fit], sample_weight=w[fit])
    blend = (1 - tg.BLEND) * ridge.predict(scaler.transform(X[test]))
    return np.clip(blend + tg.BLEND * trees.predict(X[test]), 0.0, 5.0)


if __name__ == "__main__":
    main()
