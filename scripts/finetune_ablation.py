"""Ablation of the m3e-medical recipe: τ ∈ {0.05, 0.1, 0.2} × mined negatives on / off.

    python scripts/finetune_ablation.py [--out reports/finetune-ablation] [--threads 2]
        [--taus 0.05 0.1 0.2] [--set lr=1e-4 epochs=5 batch_size=16]

Writes one recipe per variant (the supervised stage's temperature changed, its negatives
block kept or removed; everything else as suites/recipes/m3e-medical.yaml) and a suite that
judges the base model and all variants on the fixture test split, runs it through the normal
runner (leak guard, cache: the shared domain-adaptation stage trains once, cached variants do
not retrain), and prints tuned-minus-base ΔRR@10 (= MRR@10) and ΔnDCG@10 per variant, on all
queries and on the medical ones, with seeded randomisation p-values (Holm over the table)
and bootstrap 95 % CIs.
"""
from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path
from typing import Any

import yaml

from embedgate.suite import load_suite
from embedgate.infra.errors import EmbedgateError
from embedgate.recipes.delta import Delta, deltas, query_slices, to_markdown
from embedgate.run.runner import run_suite

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "suites" / "recipes" / "m3e-medical.yaml"
FIXTURE = ROOT / "fixtures" / "domain"


def variants(raw: dict[str, Any], taus: list[float],
             overrides: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """Variant id → recipe dict (data path made absolute so the copy can live anywhere)."""
    out: dict[str, dict[str, Any]] = {}
    suffix = "".join(f"-{k}{v}" for k, v in (overrides or {}).items())
    for tau in taus:
        for mined in (True, False):
            recipe = copy.deepcopy(raw)
            recipe["data"]["beir"] = str((RECIPE.parent / raw["data"]["beir"]).resolve())
            stage = next(s for s in recipe["stages"] if s["kind"] == "supervised")
            stage["temperature"] = tau
            stage.update(overrides or {})
            if not mined:
                stage.pop("negatives", None)
            vid = f"tau{tau:g}-{'mined' if mined else 'inbatch'}{suffix}"
            recipe["name"] = f"m3e-medical-{vid}"
            out[vid] = recipe
    return out


def write_suite(work: Path, recipes: dict[str, dict[str, Any]]) -> Path:
    embedders: list[dict[str, Any]] = [{"id": "m3e-small", "kind": "sentence-transformers",
                                        "model": "packaged:m3e-small", "max_seq_length": 256,
                                        "batch_size": 64}]
    for vid, recipe in recipes.items():
        path = work / f"{vid}.yaml"
        path.write_text(yaml.safe_dump(recipe, allow_unicode=True, sort_keys=False), "utf-8")
        embedders.append({"id": vid, "kind": "recipe", "recipe": path.name,
                          "max_seq_length": 256, "batch_size": 64})
    suite = {"name": "finetune-ablation", "seed": 13, "embedders": embedders,
             "datasets": [{"id": "domain", "format": "beir", "path": str(FIXTURE), "split": "test"}],
             "tiers": {"retrieval": {"metrics": ["nDCG@10", "RR@10"], "top_k": 100}}}
    path = work / "suite.yaml"
    path.write_text(yaml.safe_dump(suite, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "reports" / "finetune-ablation"))
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--taus", type=float, nargs="+", default=[0.05, 0.1, 0.2])
    parser.add_argument("--set", nargs="+", default=[], metavar="KEY=VALUE",
                        help="override supervised-stage settings, e.g. lr=1e-4 epochs=5")
    args = parser.parse_args(argv)
    overrides = {k: yaml.safe_load(v) for k, v in (item.split("=", 1) for item in args.set)}
    out = Path(args.out)
    work = out / "recipes"
    work.mkdir(parents=True, exist_ok=True)
    recipes = variants(yaml.safe_load(RECIPE.read_text("utf-8")), args.taus, overrides)
    try:
        result, _ = run_suite(load_suite(write_suite(work, recipes)), out=out,
                              threads=args.threads, progress=False)
    except EmbedgateError as exc:
        print(f"finetune_ablation: error: {exc}", file=sys.stderr)
        return exc.exit_code
    medical = {"medical": query_slices(FIXTURE / "queries.jsonl")["medical"]}
    rows: list[Delta] = []
    labels: list[str] = []
    for vid in recipes:
        vrows = deltas(result, "m3e-small", vid, "domain", ["RR@10", "nDCG@10"], medical)
        rows += vrows
        labels += [vid] * len(vrows)
    print(to_markdown(rows, labels))
    print("\n(p (Holm) is adjusted within each variant's four rows.)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
