"""Stage → sentence-transformers loss, with the temperature wiring made explicit.

InfoNCE is MultipleNegativesRankingLoss: cross-entropy over cosine similarities multiplied by
`scale`, i.e. divided by a temperature τ, so scale = 1/τ (τ = 0.05 is the library's default
scale 20). Every other passage in the batch, and any mined negatives in extra columns, are
the negatives. SimCSE uses the same loss on (text, text) pairs: dropout makes the two views
differ. The triplet loss uses cosine distance, max(0, d(a, p) - d(a, n) + margin), so its
margin is on the same 0–2 scale as cosines. Distillation is MSE to the teacher's embeddings.
"""
from __future__ import annotations

from typing import Any

from torch import nn

from embedgate.recipes.recipe import DistillationStage, DomainAdaptationStage, SupervisedStage


def infonce(model: Any, temperature: float) -> nn.Module:
    """MultipleNegativesRankingLoss with scale = 1/τ (cosine similarity)."""
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    return MultipleNegativesRankingLoss(model, scale=1.0 / temperature)


def triplet(model: Any, margin: float) -> nn.Module:
    from sentence_transformers.sentence_transformer.losses import (
        TripletDistanceMetric,
        TripletLoss,
    )

    return TripletLoss(model, distance_metric=TripletDistanceMetric.COSINE, triplet_margin=margin)


def distillation(model: Any) -> nn.Module:
    from sentence_transformers.sentence_transformer.losses import MSELoss

    return MSELoss(model)


def build_loss(stage: DomainAdaptationStage | SupervisedStage | DistillationStage,
               model: Any) -> nn.Module:
    """The loss a stage trains with."""
    if isinstance(stage, DomainAdaptationStage):
        return infonce(model, stage.temperature)
    if isinstance(stage, SupervisedStage):
        return infonce(model, stage.temperature) if stage.loss == "infonce" else triplet(
            model, stage.margin)
    return distillation(model)


def describe(loss: nn.Module) -> dict[str, Any]:
    """What the constructed loss really uses (read back from the object, for results)."""
    out: dict[str, Any] = {"class": type(loss).__name__}
    scale = getattr(loss, "scale", None)
    if scale is not None:
        out.update(scale=float(scale), temperature=1.0 / float(scale))
    margin = getattr(loss, "triplet_margin", None)
    if margin is not None:
        out.update(margin=float(margin), distance="cosine")
    return out
