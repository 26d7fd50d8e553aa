"""Train a recipe's stages in order, each cached by content key (see store.py).

`ensure_trained` returns the model folder after a requested stage, training only the stages
that are not cached yet; each stage starts from the previous stage's saved model. Training
runs sentence-transformers' trainer on CPU with the recipe seed given to the trainer and to
its batch sampler. The trainer seeds Python's, numpy's and torch's global generators, so each
stage runs inside `isolated_rng()`, which restores them afterwards: nothing leaks into the
tiers that run after training. Trainer chatter goes to stderr (stdout stays for results).
"""
from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from embedgate.infra.errors import InputError
from embedgate.infra.hashing import weights_sha256
from embedgate.embedders.registry import BuildEnv
from embedgate.recipes import examples as ex
from embedgate.recipes import store
from embedgate.recipes.data import TrainingData, load_training_data
from embedgate.recipes.losses import build_loss, describe, learning_rates
from embedgate.recipes.mining import mine
from embedgate.recipes import cross_encoder
from embedgate.recipes.recipe import (
    CrossEncoderStage, DistillationStage, DomainAdaptationStage, LoadedRecipe, SupervisedStage,
)
from embedgate.recipes.students import check_student_layers, make_student
from embedgate.embedders.st import check_model_dir, model_path
from embedgate.infra import atomic
from embedgate.embedders.base import l2_normalise

log = logging.getLogger("embedgate")

StageSpec = DomainAdaptationStage | SupervisedStage | DistillationStage  # embedding stages


@dataclass(frozen=True)
class TrainedModel:
    path: Path  # the sentence-transformers model folder after `stage`
    stage: str
    key: str
    records: list[dict[str, Any]]  # one per stage up to `stage`, as stored beside each model
    trained: list[str]  # stages trained by this call; the others came from the cache
    data: TrainingData


def ensure_trained(loaded: LoadedRecipe, stage: str | None = None, progress: bool = True,
                   where: str | None = None) -> TrainedModel:
    """Train (or fetch from the cache) the recipe up to `stage` (default: its last stage)."""
    recipe = loaded.recipe
    last = loaded.stage_index(stage, where or str(loaded.path))
    base = model_dir(loaded, recipe.base, ("base",))
    data = load_training_data(loaded)
    check_student_layers(loaded, base)
    keys = store.stage_keys(recipe, data.sha256, weights_sha256(base), _student_hashes(loaded))
    start = next((i for i in range(last, -1, -1) if store.lookup(keys[i])), -1)
    current = base if start < 0 else store.stage_dir(keys[start]) / store.MODEL
    trained: list[str] = []
    for i in range(start + 1, last + 1):
        name = recipe.stage_names()[i]
        log.info("recipe %s: training stage %d/%d %s", recipe.name, i + 1, len(keys), name)
        with store.publishing(keys[i]) as tmp:
            record = run_stage(loaded, i, current, data, tmp / store.MODEL, progress)
            _write_record(tmp / store.RECORD, {**record, "key": keys[i]})
        current = store.stage_dir(keys[i]) / store.MODEL
        trained.append(name)
    records = [store.read_record(store.stage_dir(k)) for k in keys[:last + 1]]
    return TrainedModel(path=current, stage=recipe.stage_names()[last], key=keys[last],
                        records=records, trained=trained, data=data)


def model_dir(loaded: LoadedRecipe, ref: str, loc: tuple[str | int, ...]) -> Path:
    """Resolve a model reference of the recipe (packaged alias or path relative to it)."""
    where = loaded.where(loc)
    env = BuildEnv(where=where, progress=False, base_dir=loaded.path.parent)
    try:
        path = model_path(ref, env)
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None
    check_model_dir(path, where)
    return path


def _student_hashes(loaded: LoadedRecipe) -> dict[int, str]:
    """Weights of students given by reference are part of their stage's key."""
    return {i: weights_sha256(model_dir(loaded, s.student, ("stages", i, "student")))
            for i, s in enumerate(loaded.recipe.stages)
            if isinstance(s, DistillationStage) and s.student is not None}


def _write_record(path: Path, record: dict[str, Any]) -> None:
    atomic.write_json(path, record)


def run_stage(loaded: LoadedRecipe, index: int, model_path: Path, data: TrainingData,
              out: Path, progress: bool) -> dict[str, Any]:
    """Train one stage from `model_path`, save the result to `out`, return its record."""
    stage = loaded.recipe.stages[index]
    seed = loaded.recipe.seed + index  # a distinct, reproducible stream per stage
    started = time.perf_counter()
    if isinstance(stage, CrossEncoderStage):
        with isolated_rng(seed), contextlib.redirect_stdout(sys.stderr):
            encoder = ModelEncoder(_load(model_path, stage.max_seq_length))
            record = cross_encoder.train(stage, model_path, encoder, data, out, seed, progress,
                                         [eta_callback()])
        return {"stage": loaded.recipe.stage_names()[index], "kind": stage.kind,
                "params": stage.model_dump(mode="json"), **record,
                "seconds": round(time.perf_counter() - started, 2)}
    with isolated_rng(seed), contextlib.redirect_stdout(sys.stderr):
        model = _load(model_path, stage.max_seq_length)
        model, examples, extra = _prepare(loaded, index, stage, model, data, seed)
        loss = build_loss(stage, model)
        fit = fit_stage(model, loss, examples, stage, seed, progress)
        model.save(str(out), create_model_card=False)
    return {"stage": loaded.recipe.stage_names()[index], "kind": stage.kind,
            "params": stage.model_dump(mode="json"), "loss": describe(loss),
            "examples": {**examples.notes, "rows": len(examples)}, **extra, **fit,
            "seconds": round(time.perf_counter() - started, 2)}


def _load(path: Path, max_seq_length: int) -> Any:
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(path), device="cpu")
    model.max_seq_length = max_seq_length
    model.model_card_data.generate_widget_examples = False  # model-card extras: not needed
    return model


def _prepare(loaded: LoadedRecipe, index: int, stage: StageSpec, model: Any,
             data: TrainingData, seed: int) -> tuple[Any, ex.Examples, dict[str, Any]]:
    """The model to train (a new student for distillation), its examples, extra record fields."""
    if isinstance(stage, DomainAdaptationStage):
        return model, ex.simcse(data, stage.max_texts, seed), {}
    if isinstance(stage, SupervisedStage):
        return (model, *_supervised(stage, model, data, seed))
    student_ref = (model_dir(loaded, stage.student, ("stages", index, "student"))
                   if stage.student is not None else None)
    return _distillation(stage, model, student_ref, data)


def _supervised(stage: SupervisedStage, model: Any, data: TrainingData,
                seed: int) -> tuple[ex.Examples, dict[str, Any]]:
    """Pairs (in-batch negatives only), or rows with negatives mined by the entering model."""
    if stage.loss == "batch_triplet":
        return ex.labelled(data), {}
    if stage.negatives is None:
        return ex.pairs(data), {}
    log.info("mining hard negatives: encoding %d passages and %d queries with the entering "
             "model", len(data.doc_ids), len(data.queries))
    mined = mine(data, ModelEncoder(model), stage.negatives, seed)
    rows = ex.tuples if stage.loss == "infonce" else ex.triplets
    return rows(data, mined, seed), {"mining": mined.to_dict()}


def _distillation(stage: DistillationStage, teacher: Any, student_ref: Path | None,
                  data: TrainingData) -> tuple[Any, ex.Examples, dict[str, Any]]:
    """A student and the teacher's (raw, unnormalised) embeddings as its MSE targets."""
    texts = ex.distillation_texts(data)
    targets = ModelEncoder(teacher).raw(texts)
    student, notes = make_student(teacher, stage, student_ref, texts, targets)
    columns = {"text": texts, "label": list(targets)}
    return student, ex.Examples(columns, {"texts": len(texts)}), {"student": notes}


class ModelEncoder:
    """A SentenceTransformer seen as an Encoder (L2-normalised float32, eval mode)."""

    def __init__(self, model: Any, batch_size: int = 64) -> None:
        self.model = model
        self.batch_size = batch_size

    def raw(self, texts: list[str]) -> Any:
        import numpy as np

        vecs = self.model.encode(texts, batch_size=self.batch_size, convert_to_numpy=True,
                                 show_progress_bar=False)
        return np.asarray(vecs, dtype=np.float32)

    def encode(self, texts: Any, role: str) -> Any:
        return l2_normalise(self.raw(list(texts)))


def fit_stage(model: Any, loss: Any, examples: ex.Examples, stage: StageSpec, seed: int,
              progress: bool) -> dict[str, Any]:
    """Run the trainer; training-set loss is measured (eval mode) before and after."""
    import tempfile

    from datasets import Dataset
    from sentence_transformers import SentenceTransformerTrainer
    from transformers.trainer_callback import PrinterCallback

    dataset = Dataset.from_dict(examples.columns)
    with tempfile.TemporaryDirectory(prefix="embedgate-train-") as tmp:
        trainer = SentenceTransformerTrainer(model=model, args=_args(stage, seed, progress, tmp),
                                             train_dataset=dataset, loss=loss)
        trainer.remove_callback(PrinterCallback)  # it prints every metrics dict; we record them
        trainer.add_callback(eta_callback())
        before = trainer.evaluate(eval_dataset=dataset)["eval_loss"]
        output = trainer.train()
        after = trainer.evaluate(eval_dataset=dataset)["eval_loss"]
    return {"train_set_loss_before": float(before), "train_set_loss_after": float(after),
            "mean_training_loss": float(output.training_loss), "steps": int(output.global_step)}


def eta_callback(every: float = 0.1) -> Any:
    """Logs step, elapsed time and ETA about every `every` of the run (tqdm is a TTY's only)."""
    from transformers import TrainerCallback

    class EtaLog(TrainerCallback):  # type: ignore[misc]
        def on_train_begin(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            self.started, self.next = time.perf_counter(), every

        def on_step_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            done = state.global_step / max(state.max_steps, 1)
            if done + 1e-9 < self.next and state.global_step != state.max_steps:
                return
            self.next = (int(done / every) + 1) * every
            elapsed = time.perf_counter() - self.started
            log.info("training: step %d/%d (%.0f %%), %s elapsed, ETA %s", state.global_step,
                     state.max_steps, 100 * done, _clock(elapsed),
                     _clock(elapsed / done - elapsed if done else 0.0))

    return EtaLog()


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}m{secs:02d}s"


def _args(stage: StageSpec, seed: int, progress: bool, out: str) -> Any:
    from sentence_transformers import SentenceTransformerTrainingArguments
    from sentence_transformers.base.sampler import BatchSamplers

    return SentenceTransformerTrainingArguments(
        output_dir=out, num_train_epochs=stage.epochs, learning_rate=stage.lr,
        per_device_train_batch_size=stage.batch_size, per_device_eval_batch_size=stage.batch_size,
        gradient_accumulation_steps=stage.gradient_accumulation,
        warmup_steps=stage.warmup_ratio,  # a float < 1 is a ratio of the total steps
        weight_decay=stage.weight_decay, seed=seed, data_seed=seed, use_cpu=True,
        learning_rate_mapping=learning_rates(stage) or None,
        report_to="none", save_strategy="no", logging_strategy="no", disable_tqdm=not progress,
        dataloader_num_workers=0,
        batch_sampler=_sampler(stage, BatchSamplers))


def _sampler(stage: StageSpec, samplers: Any) -> Any:
    """In-batch-negative losses must not see one text twice in a batch (a false negative);
    batch triplet losses need several utterances of each of several labels per batch."""
    loss = stage.loss if isinstance(stage, SupervisedStage) else None
    if loss == "batch_triplet":
        return samplers.GROUP_BY_LABEL
    if isinstance(stage, DistillationStage) or loss == "triplet":
        return samplers.BATCH_SAMPLER
    return samplers.NO_DUPLICATES


@contextlib.contextmanager
def isolated_rng(seed: int) -> Iterator[None]:
    """Seed Python, numpy and torch for one stage, then restore their previous states."""
    import random

    import numpy as np
    import torch

    saved = (random.getstate(), np.random.get_state(), torch.get_rng_state())
    try:
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)
        yield
    finally:
        random.setstate(saved[0])
        np.random.set_state(saved[1])
        torch.set_rng_state(saved[2])
