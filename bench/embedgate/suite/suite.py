"""The top-level suite: datasets, output, cache, scale keys, `Suite` and `load_suite`."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, ValidationError, field_validator

from embedgate.infra.errors import InputError, check_known, did_you_mean, unknown
from embedgate.infra.plugins import load_factory, params_model, plugin_kinds
from embedgate.infra.textio import resolve_under
from embedgate.suite.base import Ident, Seed, Spec
from embedgate.suite.cost import CostSpec, check_cost
from embedgate.suite.instructions import check_instructions
from embedgate.suite.datasets import HfDatasetSpec, TableDatasetSpec, TrecDatasetSpec
from embedgate.suite.embedders import (EMBEDDER_KINDS, EmbedderSpec, HybridSpec, OnnxSpec,
                                       PluginSpec, RerankSpec, SentenceTransformersSpec,
                                       TruncateSpec)
from embedgate.suite.gates import GateSpec
from embedgate.suite.published import PublishedSpec
from embedgate.suite.loading import load_mapping, validate, yaml_loc
from embedgate.suite.retrievers_db import sweep_variants
from embedgate.suite.tiers import Tiers
from embedgate.suite.yamlsrc import Loc, YamlDoc


DATASET_FORMATS = ("beir", "table", "trec", "hf")  # see inputs/formats.py


class BeirDatasetSpec(Spec):
    """A BEIR-layout collection: corpus.jsonl, queries.jsonl, qrels/<split>.tsv."""

    id: str = Ident
    format: Literal["beir"] = "beir"
    path: Path
    split: str = "test"
    unknown_doc_qrels: Literal["error", "drop"] = "error"
    # What this dataset's queries ask for, given to embedders with a query_instruction_template.
    instruction: str | None = Field(default=None, min_length=1)

    @field_validator("format", mode="before")
    @classmethod
    def _known_format(cls, value: object) -> object:  # unknown formats are routed here
        if value != "beir":
            raise ValueError(f"unknown dataset format {value!r}; use one of "
                             f"{', '.join(DATASET_FORMATS)}")
        return value
    # labelled judging files (`embedgate pool`) merged as "<id>+judged", judged side by side
    qrels_extra: list[Path] = Field(default_factory=list)


def _dataset_tag(value: Any) -> str:
    """`format:` picks the spec; without it a dataset is a BEIR folder (as before formats)."""
    fmt = value.get("format") if isinstance(value, dict) else getattr(value, "format", None)
    return fmt if fmt in DATASET_FORMATS[1:] else "beir"


DatasetSpec = Annotated[
    Annotated[BeirDatasetSpec, Tag("beir")] | Annotated[TableDatasetSpec, Tag("table")]
    | Annotated[TrecDatasetSpec, Tag("trec")] | Annotated[HfDatasetSpec, Tag("hf")],
    Discriminator(_dataset_tag)]


class CacheSpec(Spec):
    """The embedding cache (embedgate.cache). Precedence for its folder: CLI --cache-dir,
    then $EMBEDGATE_CACHE_DIR, then `dir` here, then the user cache dir; --no-cache wins."""

    enabled: bool = True
    dir: Path | None = None
    commit_every: int = Field(default=2048, gt=0, le=1_000_000)  # texts per durable chunk


class RaySpec(Spec):
    """Shard encoding over a Ray cluster: `address` of a running one, or None for a local one."""

    address: str | None = None
    num_cpus: int | None = Field(default=None, gt=0, le=4096)  # workers, one CPU each


class ScaleSpec(Spec):
    """Big corpora and scale-out: where vectors stream to disk, and Ray."""

    memmap_min_mib: float = Field(default=1024.0, ge=0, le=1 << 30)  # larger go to a memmap
    scratch_dir: Path | None = None  # default: <output dir>/.scratch
    ray: RaySpec | None = None


class OutputSpec(Spec):
    dir: Path | None = None


class Suite(Spec):
    """A validated suite. `source` keeps line numbers for errors raised after validation."""

    name: str = Ident
    description: str = ""
    seed: Seed = 0
    threads: int | None = Field(default=None, gt=0, le=512)
    embedders: list[EmbedderSpec] = Field(min_length=1)
    datasets: list[DatasetSpec] = Field(default_factory=list)
    tiers: Tiers
    output: OutputSpec = Field(default_factory=OutputSpec)
    cache: CacheSpec = Field(default_factory=CacheSpec)
    scale: ScaleSpec = Field(default_factory=ScaleSpec)
    baseline: Path | None = None  # results.json the gates compare with (relative to this file)
    gates: list[GateSpec] = Field(default_factory=list)
    cost: CostSpec | None = None  # prices for cost per 1,000 queries (suite/cost.py)
    published: list[PublishedSpec] = Field(default_factory=list)  # bake-off reference rows


class LoadedSuite:
    """A Suite plus where it came from (file, hash, line map)."""

    def __init__(self, suite: Suite, doc: YamlDoc, sha256: str) -> None:
        self.suite = suite
        self.doc = doc
        self.sha256 = sha256
        self.base_dir = doc.path.parent

    def where(self, loc: Loc) -> str:
        return self.doc.where(loc)

    def resolve(self, path: Path) -> Path:
        return resolve_under(self.base_dir, path)  # a symlink loop: reported when opened

    def cache_root(self) -> Path | None:
        """The folder of the suite's small on-disk caches (reader answers, lexicon samples):
        $EMBEDGATE_CACHE_DIR, else `cache.dir`, else the user cache dir (platformdirs); None
        when `cache.enabled` is false."""
        spec = self.suite.cache
        if not spec.enabled:
            return None
        override = os.environ.get("EMBEDGATE_CACHE_DIR", "").strip()
        if override:
            return Path(override).expanduser()
        if spec.dir is not None:
            return self.resolve(spec.dir)
        import platformdirs

        return Path(platformdirs.user_cache_dir("embedgate"))


def load_suite(path: Path) -> LoadedSuite:
    """Load and validate a suite file; every problem becomes one InputError line."""
    doc = load_mapping(path, "suite", "name:, embedders: and tiers: (see suites/quickstart.yaml)")
    _check_kinds(doc)
    suite = validate(Suite, doc)
    _check_references(suite, doc)
    _check_gates(suite, doc)
    _check_plugin_params(suite, doc)
    _check_onnx_sources(suite, doc)
    _check_hybrids(suite, doc)
    check_instructions(suite.embedders, [d.id for d in suite.datasets], doc)
    check_cost(suite.cost, {e.id: e.kind for e in suite.embedders}, [d.id for d in suite.datasets],
               doc)
    return LoadedSuite(suite, doc, hashlib.sha256(path.read_bytes()).hexdigest())


def _check_references(suite: Suite, doc: YamlDoc) -> None:
    """Embedder and dataset ids are unique and tiers name declared ones (file:line of the
    offending item; a model validator could only point at the top of the file)."""
    declared = {"embedders": [e.id for e in suite.embedders],
                "datasets": [d.id for d in suite.datasets]}
    for key, ids in declared.items():
        for i, ident in enumerate(ids):
            if ident in ids[:i]:
                first = doc.lines.get((key, ids.index(ident), "id"), "?")
                raise InputError(f'{doc.where((key, i, "id"))}: duplicate {key[:-1]} id '
                                 f'"{ident}" (first at line {first}); ids must be unique')
    for name, tier in suite.tiers.enabled():
        for key in declared:
            known = declared[key]
            check_known(getattr(tier, key, None) or [], sorted(known), key[:-1],
                        lambda j, _: f"{doc.where(('tiers', name, key, j))}: tiers.{name}.{key}")


def _check_onnx_sources(suite: Suite, doc: YamlDoc) -> None:
    """`from:` of an ONNX embedder names a sentence-transformers embedder of the suite, and of a
    truncated view any embedder but another view (file:line), checked here so a typo fails
    before any model runs rather than when the embedder is built."""
    st_ids = sorted(e.id for e in suite.embedders if isinstance(e, SentenceTransformersSpec))
    full_ids = sorted(e.id for e in suite.embedders if not isinstance(e, TruncateSpec))
    for i, e in enumerate(suite.embedders):
        if isinstance(e, OnnxSpec) and e.from_ not in st_ids:
            _bad_source(doc, i, e.from_, "a sentence-transformers embedder", st_ids)
        if isinstance(e, TruncateSpec) and e.from_ not in full_ids:
            _bad_source(doc, i, e.from_, "an embedder of this suite (other than a truncate)",
                        full_ids)


def _check_hybrids(suite: Suite, doc: YamlDoc) -> None:
    """A hybrid fuses two other non-hybrid embedders of the suite and tunes its weight on a
    declared dataset that the retrieval tier does not also judge it on (file:line)."""
    inputs = sorted(e.id for e in suite.embedders if not isinstance(e, HybridSpec | RerankSpec))
    datasets = [d.id for d in suite.datasets]
    retrieval = suite.tiers.retrieval
    for i, e in enumerate(suite.embedders):
        if isinstance(e, RerankSpec):
            _check_first(suite, doc, i, e)
        if not isinstance(e, HybridSpec):
            continue
        for j, ref in enumerate(e.of):
            if ref not in inputs:
                raise InputError(f"{doc.where(('embedders', i, 'of', j))}: of: \"{ref}\" is not "
                                 f"an embedder of this suite other than a hybrid or rerank"
                                 f"{did_you_mean(ref, inputs)}; declared: {', '.join(inputs)}")
        if e.fusion == "convex" and (e.weight is None) == (e.tune is None):
            raise InputError(f"{doc.where(('embedders', i, 'fusion'))}: a convex hybrid needs "
                             "exactly one of `weight:` (fixed) or `tune:` (chosen on a dev set)")
        if e.tune is None:
            continue
        where = doc.where(("embedders", i, "tune", "dataset"))
        if e.tune.dataset not in datasets:
            raise InputError(f'{where}: tune.dataset "{e.tune.dataset}" is not a dataset of '
                             f"this suite{did_you_mean(e.tune.dataset, datasets)}")
        if retrieval is not None and e.tune.dataset in (retrieval.datasets or datasets):
            raise InputError(f'{where}: hybrid "{e.id}" would be judged on "{e.tune.dataset}", '
                             "the dataset its weight is tuned on; list the test datasets in "
                             "tiers.retrieval.datasets without it")


def _check_first(suite: Suite, doc: YamlDoc, index: int, spec: RerankSpec) -> None:
    """A reranker's first stage is another embedder of the suite that is not a reranker."""
    known = sorted(e.id for e in suite.embedders if not isinstance(e, RerankSpec))
    if spec.first not in known:
        raise InputError(f"{doc.where(('embedders', index, 'first'))}: first: \"{spec.first}\" "
                         f"is not an embedder of this suite other than a rerank"
                         f"{did_you_mean(spec.first, known)}; declared: {', '.join(known)}")


def _bad_source(doc: YamlDoc, index: int, ref: str, what: str, known: list[str]) -> None:
    raise InputError(f"{doc.where(('embedders', index, 'from'))}: from: \"{ref}\" is not "
                     f"{what}{did_you_mean(ref, known)}; declared: {', '.join(known) or 'none'}")


def _check_gates(suite: Suite, doc: YamlDoc) -> None:
    """Gates must name declared embedders and enabled tiers (file:line). Datasets are checked
    against the results, since tiers name their own sources (intent files, pair sets)."""
    # A gate may name one setting of a sweep (pg-hnsw@ef100): the release gate on what ships.
    embedders = {v.id for e in suite.embedders for v in sweep_variants(e)}
    tiers = {name for name, _ in suite.tiers.enabled()}
    seen: set[str] = set()
    for i, gate in enumerate(suite.gates):
        refs = [("embedder", gate.embedder, embedders), ("tier", gate.tier, tiers),
                ("versus", gate.versus, embedders)]
        for key, ref, known in refs:
            if ref is not None and ref not in known:
                what = "embedder" if key == "versus" else key
                raise InputError(f"{doc.where(('gates', i, key))}: gates[{i}].{key}: "
                                 + unknown(what, ref, sorted(known)))
        if gate.label in seen:
            raise InputError(f"{doc.where(('gates', i))}: duplicate gate name \"{gate.label}\"; "
                             "give each gate a distinct `name`")
        seen.add(gate.label)


def _check_kinds(doc: YamlDoc) -> None:
    """Unknown embedder kinds get the list of known ones, built-in and plugins (with hints)."""
    items = doc.data.get("embedders")
    if not isinstance(items, list):
        return  # pydantic reports the wrong type with file:line
    kinds = [it["kind"] for it in items if isinstance(it, dict) and "kind" in it]
    if all(k in EMBEDDER_KINDS for k in kinds):
        return  # no entry-point scan needed
    known = [*EMBEDDER_KINDS, *plugin_kinds(EMBEDDER_KINDS)]
    for i, item in enumerate(items):
        if isinstance(item, dict) and "kind" in item and item["kind"] not in known:
            kind = str(item["kind"])
            raise InputError(
                f"{doc.where(('embedders', i, 'kind'))}: "
                + unknown("embedder kind", kind, known, "available")
                + " (plugins register kinds under the entry-point group embedgate.embedders)")


def _check_plugin_params(suite: Suite, doc: YamlDoc) -> None:
    """Validate each plugin embedder's `params` with the plugin's own model, with file:line."""
    for i, spec in enumerate(suite.embedders):
        if not isinstance(spec, PluginSpec):
            continue
        model = params_model(load_factory(spec.kind, EMBEDDER_KINDS))
        if model is None:
            continue
        try:
            model.model_validate(spec.params)
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ("embedders", i, "params", *err["loc"])
            field = ".".join(str(p) for p in err["loc"]) or "params"
            raise InputError(f"{doc.where(yaml_loc(loc, doc))}: embedders[{i}] ({spec.kind} "
                             f"plugin) params {field}: "
                             f"{str(err['msg']).removeprefix('Value error, ')}") from None
