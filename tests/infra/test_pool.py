"""The pool a sweep's settings share an index through: built once per key, closed when its
owner is released or the run ends, and (without a pool) built and closed around one use."""
from __future__ import annotations

import pytest

from embedgate.infra.pool import ResourcePool, shared


def test_a_key_is_built_once_and_closed_when_its_owner_is_released() -> None:
    built: list[str] = []
    closed: list[str] = []
    pool = ResourcePool()

    def build(name: str) -> str:
        built.append(name)
        return name

    assert pool.get("sweep", "k1", lambda: build("a"), closed.append) == "a"
    assert pool.get("sweep", "k1", lambda: build("b"), closed.append) == "a"
    assert pool.get("other", "k2", lambda: build("c"), closed.append) == "c"
    assert built == ["a", "c"] and pool.reused == 1 and closed == []
    pool.release("sweep")
    assert closed == ["a"]
    pool.close()
    assert closed == ["a", "c"]
    pool.close()  # nothing left: closing twice closes nothing twice
    assert closed == ["a", "c"]


def test_a_close_that_fails_does_not_stop_the_others(caplog: pytest.LogCaptureFixture) -> None:
    closed: list[str] = []
    pool = ResourcePool()

    def failing(_: str) -> None:
        raise ConnectionError("server gone")

    pool.get("s", "k1", lambda: "x", failing)
    pool.get("s", "k2", lambda: "y", closed.append)
    pool.close()
    assert closed == ["y"] and "server gone" in caplog.text


def test_without_a_pool_the_handle_lives_for_one_use() -> None:
    closed: list[str] = []
    with pytest.raises(RuntimeError):
        with shared(None, "s", "k", lambda: "h", closed.append) as handle:
            assert handle == "h" and closed == []
            raise RuntimeError("search failed")
    assert closed == ["h"]
