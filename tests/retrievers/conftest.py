"""Session fixtures of the retrieval-system tests: one cache folder for the slow ones (the
fixtures' cross-encoder recipe is trained once per session), and one embedded PostgreSQL."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def pipelines_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pipelines-cache")


@pytest.fixture(scope="session")
def pg_dsn() -> Iterator[str]:
    """The run's embedded PostgreSQL (started by embedgate's own code), once per session: every
    pgvector system of every test shares it, as the systems of one run do."""
    from embedgate.retrievers.pg_server import embedded_dsn, stop_embedded

    yield embedded_dsn()
    stop_embedded()
