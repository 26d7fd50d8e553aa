"""The suite schema's foundations: the Spec base model, shared field types and id checks."""
from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from embedgate.infra.errors import unknown
from embedgate.algorithms.ir import parse_metric


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


class TierSpec(Spec):
    """Common to every tier: which embedders it judges (default: all of them)."""

    embedders: list[str] | None = None


def require_unique(ids: list[str], what: str) -> None:
    """Ids within one list are unique (a model validator's ValueError, so pydantic adds the loc)."""
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise ValueError(f'duplicate {what} id "{i}"; ids must be unique')
        seen.add(i)


def require_known(refs: list[str] | None, known: set[str], what: str) -> None:
    """Every reference names a declared id, with a did-you-mean and the declared ones."""
    for ref in refs or []:
        if ref not in known:
            raise ValueError(unknown(what, ref, sorted(known)))
