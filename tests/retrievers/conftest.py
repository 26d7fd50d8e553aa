"""One cache folder for this folder's slow tests, so the fixtures' cross-encoder recipe
(suites/recipes/m3e-rerank-medical.yaml) is trained once per session, not once per test."""
from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def pipelines_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pipelines-cache")
