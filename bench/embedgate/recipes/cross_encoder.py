"""The `cross_encoder` stage: train a reranker from the entering model's transformer.

Rows are (query, positive, 1) for every judged pair and (query, negative, 0) for every
negative mined by the entering model (semantic / lexical / boundary, false-negative guard),
shuffled by the stage seed. The model is sentence-transformers' CrossEncoder with a fresh
one-logit head (seeded by the stage's isolated RNG), trained with binary cross-entropy;
training-set loss is measured before and after, as for the embedding stages.
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from embedgate.recipes.data import TrainingData
from embedgate.recipes.mining import Encoder, MiningResult, mine
from embedgate.recipes.recipe import CrossEncoderStage


def rows(data: TrainingData, mined: MiningResult) -> dict[str, list[Any]]:
    """Columns query / passage / label, positives then negatives per query."""
    cols: dict[str, list[Any]] = {"query": [], "passage": [], "label": []}
    for qid, query in data.queries.items():
        pairs = [(d, 1.0) for d in data.positives[qid]]
        pairs += [(n.doc_id, 0.0) for n in mined.negatives.get(qid, [])]
        for doc_id, label in pairs:
            cols["query"].append(query)
            cols["passage"].append(data.text(doc_id))
            cols["label"].append(label)
    return cols


def train(stage: CrossEncoderStage, model_path: Path, encoder: Encoder, data: TrainingData,
          out: Path, seed: int, progress: bool, callbacks: list[Any]) -> dict[str, Any]:
    """Mine with `encoder`, train the cross-encoder, save it to `out`; the stage's record."""
    from datasets import Dataset
    from sentence_transformers.cross_encoder import (CrossEncoder, CrossEncoderTrainer,
                                                     CrossEncoderTrainingArguments)
    from sentence_transformers.cross_encoder.losses import BinaryCrossEntropyLoss
    from transformers.trainer_callback import PrinterCallback

    mined = mine(data, encoder, stage.negatives, seed)
    columns = rows(data, mined)
    dataset = Dataset.from_dict(columns).shuffle(seed=seed)
    model = CrossEncoder(str(model_path), num_labels=1, max_length=stage.max_seq_length,
                         device="cpu")
    loss = BinaryCrossEntropyLoss(model)
    with tempfile.TemporaryDirectory(prefix="embedgate-train-") as tmp:
        args = CrossEncoderTrainingArguments(
            output_dir=tmp, num_train_epochs=stage.epochs, learning_rate=stage.lr,
            per_device_train_batch_size=stage.batch_size,
            per_device_eval_batch_size=stage.batch_size,
            gradient_accumulation_steps=stage.gradient_accumulation,
            warmup_steps=stage.warmup_ratio, weight_decay=stage.weight_decay, seed=seed,
            data_seed=seed, use_cpu=True, report_to="none", save_strategy="no",
            logging_strategy="no", disable_tqdm=not progress, dataloader_num_workers=0)
        trainer = CrossEncoderTrainer(model=model, args=args, train_dataset=dataset, loss=loss)
        trainer.remove_callback(PrinterCallback)
        for cb in callbacks:
            trainer.add_callback(cb)
        before = trainer.evaluate(eval_dataset=dataset)["eval_loss"]
        output = trainer.train()
        after = trainer.evaluate(eval_dataset=dataset)["eval_loss"]
    model.save_pretrained(str(out))
    positives = sum(1 for v in columns["label"] if v > 0)
    return {"loss": {"class": "BinaryCrossEntropyLoss"},
            "examples": {"rows": len(columns["label"]), "positives": positives,
                         "negatives": len(columns["label"]) - positives},
            "mining": mined.to_dict(), "train_set_loss_before": float(before),
            "train_set_loss_after": float(after),
            "mean_training_loss": float(output.training_loss), "steps": int(output.global_step)}
