"""Stage → sentence-transformers loss, with the temperature wiring made explicit.

InfoNCE is MultipleNegativesRankingLoss: cross-entropy over cosine similarities multiplied by
`scale`, i.e. divided by a temperature τ, so scale = 1/τ (τ = 0.05 is the library's default
scale 20). Every other passage in the batch, and any mined negatives in extra columns, are
the negatives. SimCSE uses the same loss on (text, text) pairs: dropout makes the two views
differ. The triplet loss uses cosine distance, max(0, d(a, p) - d(a, n) + margin), so its
margin is on the same 0–2 scale as cosines. Distillation is MSE to the teacher's embeddings.
"""
from __future__ import annotations

import functools
import math
from typing import Any

from torch import nn

from embedgate.recipes.recipe import DistillationStage, DomainAdaptationStage, SupervisedStage


def infonce(model: Any, temperature: float) -> nn.Module:
    """MultipleNegativesRankingLoss with scale = 1/τ (cosine similarity)."""
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    return MultipleNegativesRankingLoss(model, scale=1.0 / temperature)


MAX_SCALE = 100.0  # CLIP's clamp on a learnable 1/τ: τ never drops below 0.01


@functools.cache
def _learnable_class() -> type[nn.Module]:
    """MultipleNegativesRankingLoss whose scale is exp(log_scale), a trained parameter."""
    import torch
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    class LearnableTemperatureMNRL(MultipleNegativesRankingLoss):  # type: ignore[misc]
        # The parent multiplies similarities by self.scale; as a property it is a tensor
        # with a gradient. Its __init__ assigns the start value, which the setter stores.
        @property  # type: ignore[override]
        def scale(self) -> Any:
            return self.log_scale.exp().clamp(max=MAX_SCALE)

        @scale.setter
        def scale(self, value: float) -> None:
            self.log_scale = nn.Parameter(torch.tensor(math.log(float(value))))

        def get_config_dict(self) -> dict[str, Any]:
            return {**super().get_config_dict(), "scale": _scalar(self.scale)}

    return LearnableTemperatureMNRL


def _scalar(value: Any) -> float:
    """A float from a number or a (learnable, so detached first) 0-d tensor."""
    return float(value.detach()) if hasattr(value, "detach") else float(value)


def supervised_infonce(model: Any, stage: SupervisedStage) -> nn.Module:
    """InfoNCE as the stage asks: plain, GradCache, learnable τ, Matryoshka (composable)."""
    from sentence_transformers.sentence_transformer.losses import (
        CachedMultipleNegativesRankingLoss,
        MatryoshkaLoss,
    )

    scale = 1.0 / stage.temperature
    inner = (_learnable_class()(model, scale=scale) if stage.learnable_temperature
             else infonce(model, stage.temperature))
    loss: nn.Module = inner
    if stage.mini_batch_size is not None:
        loss = CachedMultipleNegativesRankingLoss(model, scale=scale,
                                                  mini_batch_size=stage.mini_batch_size)
        loss.loss = inner  # the cached loss delegates scale to its wrapped loss
    if stage.matryoshka_dims is not None:
        loss = MatryoshkaLoss(model, loss, matryoshka_dims=list(stage.matryoshka_dims))
    return loss


def learning_rates(stage: DomainAdaptationStage | SupervisedStage | DistillationStage
                   ) -> dict[str, float]:
    """Per-parameter learning rates (regex over the loss's parameter names) for the trainer."""
    if isinstance(stage, SupervisedStage) and stage.learnable_temperature:
        return {r"(^|\.)log_scale$": stage.temperature_lr}
    return {}


def triplet(model: Any, margin: float) -> nn.Module:
    from sentence_transformers.sentence_transformer.losses import (
        TripletDistanceMetric,
        TripletLoss,
    )

    return TripletLoss(model, distance_metric=TripletDistanceMetric.COSINE, triplet_margin=margin)


def batch_triplet(model: Any, margin: float) -> nn.Module:
    """BatchAllTripletLoss over (text, label) batches: every valid triplet, cosine distance."""
    from sentence_transformers.sentence_transformer.losses import (
        BatchAllTripletLoss,
        BatchHardTripletLossDistanceFunction,
    )

    return BatchAllTripletLoss(model, margin=margin,
                               distance_metric=BatchHardTripletLossDistanceFunction.cosine_distance)


def distillation(model: Any) -> nn.Module:
    from sentence_transformers.sentence_transformer.losses import MSELoss

    return MSELoss(model)


def build_loss(stage: DomainAdaptationStage | SupervisedStage | DistillationStage,
               model: Any) -> nn.Module:
    """The loss a stage trains with."""
    if isinstance(stage, DomainAdaptationStage):
        return infonce(model, stage.temperature)
    if isinstance(stage, SupervisedStage):
        if stage.loss == "batch_triplet":
            return batch_triplet(model, stage.margin)
        return supervised_infonce(model, stage) if stage.loss == "infonce" else triplet(
            model, stage.margin)
    return distillation(model)


def describe(loss: nn.Module) -> dict[str, Any]:
    """What the constructed loss really uses (read back from the object, for results)."""
    out: dict[str, Any] = {"class": type(loss).__name__}
    dims = getattr(loss, "matryoshka_dims", None)
    if dims is not None:
        out["matryoshka_dims"] = [int(d) for d in dims]
    inner = getattr(loss, "loss", None)
    if isinstance(inner, nn.Module):  # a wrapper (GradCache, Matryoshka): describe what it wraps
        out["wraps"] = describe(inner)
    if getattr(loss, "mini_batch_size", None) is not None:
        out["mini_batch_size"] = int(loss.mini_batch_size)
    if hasattr(loss, "log_scale"):
        out["learnable_temperature"] = True
    scale = getattr(loss, "scale", None)
    if scale is not None:
        scale = _scalar(scale)
        out.update(scale=scale, temperature=1.0 / scale)
    elif "temperature" in out.get("wraps", {}):  # Matryoshka has no scale of its own
        out.update(scale=out["wraps"]["scale"], temperature=out["wraps"]["temperature"])
    margin = getattr(loss, "triplet_margin", None)
    if margin is not None:
        out.update(margin=float(margin), distance="cosine")
    return out
