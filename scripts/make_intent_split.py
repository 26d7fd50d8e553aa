"""Write fixtures/intent/finance_zh_split.csv: finance_zh.csv with a seeded, stratified split
column (half of each label's utterances train, half test), for judging an intent recipe that
trains on the train rows against its base on the test rows.

    python scripts/make_intent_split.py [--seed 13] [--test-fraction 0.5]

Rows keep the source file's order; the split is a function of the seed and the file only.
"""
from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "fixtures" / "intent" / "finance_zh.csv"
TARGET = ROOT / "fixtures" / "intent" / "finance_zh_split.csv"


def split_rows(rows: list[dict[str, str]], seed: int, test_fraction: float) -> list[str]:
    """'train' / 'test' per row: within each label, a seeded shuffle's first share is test."""
    rng = random.Random(seed)
    split = ["train"] * len(rows)
    for label in sorted({r["label"] for r in rows}):
        members = [i for i, r in enumerate(rows) if r["label"] == label]
        rng.shuffle(members)
        for i in members[:round(len(members) * test_fraction)]:
            split[i] = "test"
    return split


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--test-fraction", type=float, default=0.5)
    args = parser.parse_args()
    with SOURCE.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    with TARGET.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["text", "label", "split"])
        for row, part in zip(rows, split_rows(rows, args.seed, args.test_fraction)):
            writer.writerow([row["text"], row["label"], part])
    print(f"{TARGET}: {len(rows)} rows")


if __name__ == "__main__":
    main()
