"""Load-time checks of per-dataset query instructions (docs/embedders.md)."""
from __future__ import annotations

from typing import Any

from embedgate.infra.errors import InputError, did_you_mean
from embedgate.suite.yamlsrc import YamlDoc


def check_instructions(embedders: list[Any], datasets: list[str], doc: YamlDoc) -> None:
    """An embedder's `query_instructions` keys name datasets of the suite (file:line)."""
    for i, spec in enumerate(embedders):
        for name in getattr(spec, "query_instructions", None) or {}:
            if name not in datasets:
                where = doc.where(("embedders", i, "query_instructions", name))
                raise InputError(f'{where}: query_instructions: "{name}" is not a dataset of '
                                 f"this suite{did_you_mean(name, datasets)}; declared: "
                                 f"{', '.join(datasets) or 'none'}")
