"""`embedgate finetune RECIPE`: train a recipe alone (or find it cached) and summarise it.

Prints one block per stage (cached or trained now, training-set loss before → after, steps,
the loss's temperature or margin, mining counts) and the model folder, which a suite can use
directly (`kind: sentence-transformers, model: <folder>`) or through `kind: recipe`.
"""
from __future__ import annotations

import argparse
from typing import Any

from embedgate.infra import cli_args
from embedgate.infra.textio import check_file


def add_parser(sub: Any) -> None:
    cmd = sub.add_parser("finetune", help="train a fine-tune recipe (cached by content hash)")
    cmd.add_argument("recipe", help="recipe YAML file")
    cmd.add_argument("--stage", help="stop after this stage (default: the last)")
    cmd.add_argument("--threads", type=cli_args.threads, help="CPU threads for training (default: all cores)")
    cmd.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    cmd.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    import os

    from embedgate.recipes.recipe import load_recipe
    from embedgate.recipes.train import ensure_trained

    _threads(args.threads or os.cpu_count() or 1)
    loaded = load_recipe(check_file(args.recipe, "recipe file"))
    trained = ensure_trained(loaded, args.stage, progress=not args.quiet)
    for line in summary(trained.records, trained.trained):
        print(line)
    print(f"model: {trained.path}")
    return 0


def _threads(n: int) -> None:
    import torch

    torch.set_num_threads(n)


def summary(records: list[dict[str, Any]], trained_now: list[str]) -> list[str]:
    """Human-readable lines for each stage record."""
    lines: list[str] = []
    for rec in records:
        how = "trained" if rec["stage"] in trained_now else "cached"
        loss = rec["loss"]
        knob = (f" τ={loss['temperature']:.3g} (scale {loss['scale']:.3g})" if "scale" in loss
                else f" margin={loss['margin']:.3g}" if "margin" in loss else "")
        lines.append(f"stage {rec['stage']} [{rec['kind']}, {how}] {loss['class']}{knob}: "
                     f"training-set loss {rec['train_set_loss_before']:.4f} → "
                     f"{rec['train_set_loss_after']:.4f}, {rec['steps']} steps on "
                     f"{rec['examples']['rows']} rows, {rec['seconds']:.0f} s")
        for name, st in (rec.get("mining") or {}).get("per_strategy", {}).items():
            lines.append(f"  mining {name:9s} mined {st['mined']:5d}  kept {st['kept']:4d}  "
                         f"dropped (false-negative guard) {st['dropped_false_negative']:4d}  "
                         f"duplicate {st['duplicate']:4d}")
    return lines
