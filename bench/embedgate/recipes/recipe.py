"""The recipe YAML schema (pydantic, extra="forbid") and its loader with file:line errors.

A recipe names a base embedder, its training data and an ordered list of stages:

- ``domain_adaptation``: unsupervised SimCSE on the data's passages (dropout makes two views
  of one text the positive pair; other texts in the batch are the negatives);
- ``supervised``: query → relevant passage pairs with InfoNCE (temperature τ, in-batch plus
  optionally mined hard negatives) or a triplet loss with a margin;
- ``distillation``: a student (the current model with fewer layers, or another model) learns
  the current model's embeddings with MSE.

Errors reuse the suite machinery (yamlsrc line map, suite.loading.explain), so a bad recipe gets
the same one-line ``file:line: what; how to fix`` message as a bad suite.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, Field, field_validator, model_validator

from embedgate.suite import Ident, PairSource, Seed, Spec, load_mapping, validate
from embedgate.infra.errors import InputError, did_you_mean, unknown
from embedgate.infra.textio import resolve_under
from embedgate.suite.yamlsrc import Loc, YamlDoc


class DataSpec(Spec):
    """Training data: a BEIR folder's split (qrels give the pairs) or a pairs TSV."""

    beir: Path | None = None
    split: str = "train"
    min_relevance: int = Field(default=1, ge=1, le=1_000_000)
    # Keep only queries (and mining / adaptation passages) whose metadata match, e.g.
    # {domain: medical}; judged positives are always kept in the passage pool.
    where: dict[str, str] = Field(default_factory=dict)
    pairs: Path | None = None  # TSV: query<TAB>positive passage, optional header "query positive"
    # Labelled utterances (the intent tier's CSV / JSONL with a split column): the `split` rows
    # train loss batch_triplet; the intent tier then scores the other split.
    intents: Path | None = None
    # Synonym / translation groups (an intrinsic-tier pair source: cilin, cedict or tsv): each
    # (anchor, positive candidate) is a training pair. `exclude_pairs` lists the pair sets the
    # suite judges on (same type, sample and seed): any group sharing a text with them is left
    # out, so the intrinsic tier measures held-apart groups.
    lexicon: PairSource | None = None
    exclude_pairs: list[PairSource] = Field(default_factory=list)
    # Query ids of the BEIR split never to train on, e.g. claims that a public collection's
    # train and test splits share verbatim (the leak guard names them).
    exclude_queries: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_source(self) -> DataSpec:
        if sum(x is not None for x in (self.beir, self.pairs, self.intents, self.lexicon)) != 1:
            raise ValueError("give exactly one of beir (a BEIR folder), pairs (a TSV file), "
                             "intents (a labelled-utterance file) or lexicon (a pair source)")
        if self.exclude_pairs and self.lexicon is None:
            raise ValueError("exclude_pairs holds pair sets apart from lexicon data; add "
                             "lexicon or remove exclude_pairs")
        if self.beir is None and (self.where or self.exclude_queries):
            raise ValueError("where and exclude_queries select BEIR queries; this data source "
                             "has none, remove them (or delete those rows from the file)")
        return self


class SemanticMining(Spec):
    """Nearest passages by embedding, taken from a window of the non-positive ranking."""

    rank_window: tuple[int, int] = (1, 30)  # 1-based, inclusive, over non-positive passages
    per_query: int = Field(default=2, ge=1, le=100)

    @field_validator("rank_window")
    @classmethod
    def _window(cls, value: tuple[int, int]) -> tuple[int, int]:
        if not 1 <= value[0] <= value[1]:
            raise ValueError("rank_window must be [first, last] with 1 <= first <= last")
        return value


class LexicalMining(Spec):
    """BM25 look-alikes (bm25s; Chinese tokenised as character unigrams + bigrams)."""

    top_k: int = Field(default=30, ge=1, le=1000)
    per_query: int = Field(default=1, ge=1, le=100)


class BoundaryMining(Spec):
    """Passages whose cosine lies within `margin` of the positive's cosine."""

    margin: float = Field(default=0.05, gt=0, le=2)
    per_query: int = Field(default=1, ge=1, le=100)


class MiningSpec(Spec):
    """Hard-negative strategies and the false-negative guard shared by all of them."""

    semantic: SemanticMining | None = None
    lexical: LexicalMining | None = None
    boundary: BoundaryMining | None = None
    # Drop a candidate whose cosine to the query exceeds this fraction of the positive's:
    # it is more likely an unjudged relevant passage than a negative.
    false_negative_ratio: float = Field(default=0.95, gt=0, le=2)
    sample_size: int = Field(default=5, ge=0, le=100)

    @model_validator(mode="after")
    def _some_strategy(self) -> MiningSpec:
        if not (self.semantic or self.lexical or self.boundary):
            raise ValueError("negatives names no strategy; add semantic, lexical or boundary, "
                             "or remove negatives to train with in-batch negatives only")
        return self


class _Stage(Spec):
    """Hyper-parameters every stage has."""

    name: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$", max_length=80)
    lr: float = Field(default=2e-5, gt=0, le=1)
    batch_size: int = Field(default=32, ge=2, le=4096)
    epochs: int = Field(default=1, ge=1, le=100)
    gradient_accumulation: int = Field(default=1, ge=1, le=1024)
    warmup_ratio: float = Field(default=0.1, ge=0, lt=1)
    max_seq_length: int = Field(default=128, ge=8, le=8192)
    weight_decay: float = Field(default=0.01, ge=0, le=1)


def _positive_temperature(value: float) -> float:
    if not value > 0:
        raise ValueError(f"temperature τ must be > 0 (scale = 1/τ), got {value}; "
                         "typical values are 0.05–0.3")
    return value


Temperature = Annotated[float, AfterValidator(_positive_temperature)]


class DomainAdaptationStage(_Stage):
    """Unsupervised SimCSE on the data's passages (identical pair, dropout as noise)."""

    kind: Literal["domain_adaptation"]
    method: Literal["simcse"] = "simcse"
    temperature: Temperature = 0.05
    max_texts: int | None = Field(default=None, ge=2)


class SupervisedStage(_Stage):
    """Query → positive pairs; InfoNCE (scale = 1/τ) or triplet with a cosine margin."""

    kind: Literal["supervised"]
    # batch_triplet: BatchAllTripletLoss on labelled utterances (data.intents), cosine distance,
    # batches grouped by label (every batch holds >= 2 utterances of several labels).
    loss: Literal["infonce", "triplet", "batch_triplet"] = "infonce"
    temperature: Temperature = 0.1
    margin: float = Field(default=0.1, gt=0, le=2)
    negatives: MiningSpec | None = None
    # GradCache (CachedMultipleNegativesRankingLoss): a step holds batch_size rows but encodes
    # them mini_batch_size at a time, so a large in-batch-negative pool fits in CPU memory.
    mini_batch_size: int | None = Field(default=None, ge=1, le=4096)
    # Learnable τ (CLIP): log(1/τ) is a trained parameter that starts at 1/temperature and
    # has its own learning rate (the encoder's lr would barely move it in a few hundred steps).
    learnable_temperature: bool = False
    temperature_lr: float = Field(default=1e-2, gt=0, le=10)
    # Matryoshka: the loss is summed over these leading-dimension prefixes (largest first is
    # the model's own dimension), so a truncated embedding still retrieves well.
    matryoshka_dims: list[int] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _triplet_needs_negatives(self) -> SupervisedStage:
        if self.loss == "triplet" and self.negatives is None:
            raise ValueError("loss triplet needs mined negatives; add a negatives block")
        if self.loss != "infonce" and (self.mini_batch_size or self.learnable_temperature):
            raise ValueError("mini_batch_size and learnable_temperature apply to loss infonce; "
                             "remove them or use loss: infonce")
        if self.loss == "batch_triplet" and (self.negatives or self.matryoshka_dims):
            raise ValueError("loss batch_triplet mines its triplets inside each batch; remove "
                             "negatives and matryoshka_dims")
        if self.loss == "batch_triplet" and self.batch_size % 2:
            raise ValueError(f"loss batch_triplet needs an even batch_size (pairs per label), "
                             f"got {self.batch_size}")
        if self.mini_batch_size is not None and self.mini_batch_size > self.batch_size:
            raise ValueError(f"mini_batch_size {self.mini_batch_size} exceeds batch_size "
                             f"{self.batch_size}; it must be at most the batch size")
        dims = self.matryoshka_dims
        if dims is not None and (sorted(set(dims), reverse=True) != dims or dims[-1] < 1):
            raise ValueError("matryoshka_dims must be distinct positive dimensions, largest "
                             "first, e.g. [384, 256, 128, 64]")
        return self


class DistillationStage(_Stage):
    """MSE from the current model (teacher) to a smaller student."""

    kind: Literal["distillation"]
    student_layers: list[int] | None = None  # keep these transformer layers of the teacher
    student: str | None = None  # or another model (dir / packaged alias)

    @model_validator(mode="after")
    def _one_student(self) -> DistillationStage:
        if (self.student_layers is None) == (self.student is None):
            raise ValueError("give exactly one of student_layers (e.g. [0, 2]) or student "
                             "(a model directory or packaged alias)")
        if self.student_layers is not None and (
                not self.student_layers or sorted(set(self.student_layers)) != self.student_layers
                or self.student_layers[0] < 0):
            raise ValueError("student_layers must be a non-empty, increasing list of layer "
                             "indices (0-based), e.g. [0, 2]")
        return self


class CrossEncoderStage(_Stage):
    """A reranker: the current model's transformer with a new one-logit head, trained with
    binary cross-entropy on (query, positive) = 1 and (query, mined negative) = 0 pairs.

    Negatives are mined with the entering model and BM25 (`negatives`, with the false-negative
    guard); it is the last stage of its recipe (its output is a cross-encoder, which no
    embedding stage can continue from) and is used by `kind: rerank`, not `kind: recipe`.
    """

    kind: Literal["cross_encoder"]
    loss: Literal["bce"] = "bce"
    negatives: MiningSpec
    batch_size: int = Field(default=16, ge=2, le=4096)
    max_seq_length: int = Field(default=256, ge=8, le=8192)


Stage = Annotated[DomainAdaptationStage | SupervisedStage | DistillationStage | CrossEncoderStage,
                  Field(discriminator="kind")]
STAGE_KINDS: tuple[str, ...] = tuple(
    get_args(cls.model_fields["kind"].annotation)[0] for cls in get_args(get_args(Stage)[0]))


class Recipe(Spec):
    """A validated recipe."""

    name: str = Ident
    description: str = ""
    base: str  # a sentence-transformers model directory or packaged alias
    seed: Seed = 0
    data: DataSpec
    stages: list[Stage] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_stage_names(self) -> Recipe:
        names = self.stage_names()
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f'two stages are named "{name}"; give them distinct name: keys')
        return self

    @model_validator(mode="after")
    def _loss_fits_data(self) -> Recipe:
        labelled = self.data.intents is not None
        for stage in self.stages:
            if isinstance(stage, SupervisedStage) and labelled != (stage.loss == "batch_triplet"):
                raise ValueError("labelled utterances (data.intents) train with loss "
                                 "batch_triplet, and batch_triplet needs data.intents; "
                                 "change the loss or the data")
        return self

    @model_validator(mode="after")
    def _cross_encoder_last(self) -> Recipe:
        kinds = [s.kind for s in self.stages]
        if "cross_encoder" in kinds[:-1]:
            raise ValueError("a cross_encoder stage must be the recipe's last stage: it turns "
                             "the model into a reranker, which no later stage can train on")
        return self

    @property
    def is_reranker(self) -> bool:
        """Whether the recipe ends in a cross-encoder (a `kind: rerank` model)."""
        return self.stages[-1].kind == "cross_encoder"

    def stage_names(self) -> list[str]:
        return [s.name or s.kind for s in self.stages]


@dataclass(frozen=True)
class LoadedRecipe:
    """A Recipe plus its file, hash and line map (for errors raised after validation)."""

    recipe: Recipe
    doc: YamlDoc
    sha256: str

    @property
    def path(self) -> Path:
        return self.doc.path

    def where(self, loc: Loc) -> str:
        return self.doc.where(loc)

    def resolve(self, path: Path) -> Path:
        return resolve_under(self.doc.path.parent, path)

    def stage_index(self, name: str | None, where: str) -> int:
        """Index of the stage called `name` (None: the last one)."""
        names = self.recipe.stage_names()
        if name is None:
            return len(names) - 1
        if name not in names:
            raise InputError(f'{where}: recipe {self.path} has no stage "{name}"'
                             f"{did_you_mean(name, names)}; stages: {', '.join(names)}")
        return names.index(name)


def load_recipe(path: Path) -> LoadedRecipe:
    """Load and validate a recipe file; every problem becomes one InputError line."""
    doc = load_mapping(path, "recipe", "name:, base:, data: and stages:")
    _check_stage_kinds(doc)
    recipe = validate(Recipe, doc)
    return LoadedRecipe(recipe, doc, hashlib.sha256(path.read_bytes()).hexdigest())


def _check_stage_kinds(doc: YamlDoc) -> None:
    """Unknown stage kinds get the list of known ones (pydantic's union message is opaque)."""
    stages = doc.data.get("stages")
    for i, item in enumerate(stages if isinstance(stages, list) else []):
        if isinstance(item, dict) and item.get("kind") not in STAGE_KINDS:
            kind = str(item.get("kind"))
            loc: Loc = ("stages", i, "kind") if "kind" in item else ("stages", i)
            raise InputError(f"{doc.where(loc)}: "
                             + unknown("stage kind", kind, STAGE_KINDS, "available"))
