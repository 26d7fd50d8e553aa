"""The chat judge's plumbing against a loopback fake: calibration (Cohen's kappa) before use,
only unjudged pooled pairs sent, a content-keyed cache, refusal below the floor, and exit 4
for an endpoint that is down, slow or off the scale."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from embedgate.cli.entry import main
from embedgate.inputs.beir import load_beir
from embedgate.labels.llm_judge import parse_grade, to_scale

from tests.conftest import FIXTURES
from tests.fakes.servers.judge_server import running

SUITE = f"""
name: judge-pool
embedders:
  - {{id: bm25, kind: bm25}}
datasets:
  - {{id: domain, format: beir, path: {FIXTURES}/domain, split: test}}
tiers:
  retrieval: {{metrics: [P@5], top_k: 10}}
"""


def test_parse_and_scale() -> None:
    assert [parse_grade(t) for t in ("##final score: 2", "3", "Final Score: **1**", "7",
                                     "maybe")] == [2, 3, 1, None, None]
    assert [to_scale(g, 1) for g in range(4)] == [0, 0, 1, 1]
    assert [to_scale(g, 2) for g in range(4)] == [0, 0, 1, 2]


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("judge")
    (root / "suite.yaml").write_text(SUITE, encoding="utf-8")
    assert main(["run", str(root / "suite.yaml"), "--out", str(root / "o"), "-q",
                 "--no-gates"]) == 0
    return root / "o" / "results.json"


def _oracle() -> tuple[dict[tuple[str, str], int], dict[str, str]]:
    """Grades by text: the qrels' grades, and for unjudged pairs a rule (same domain prefix)."""
    data = load_beir("domain", FIXTURES / "domain", "test")
    docs = dict(zip(data.doc_ids, data.doc_texts))
    known = {(data.queries[q], docs[d]): g for q, ds in data.qrels.items() for d, g in ds.items()}
    prefix = {**{t: q[:3] for q, t in data.queries.items()}, **{t: d[:3] for d, t in docs.items()}}
    return known, prefix


def _judge_file(path: Path, url: str, **extra: object) -> Path:
    opts = {"type": "openai-compatible", "base_url": url, "model": "fake-judge", "calibration": 30, "seed": 1, **extra}
    path.write_text("judge:\n" + "".join(f"  {k}: {v}\n" for k, v in opts.items()),
                    encoding="utf-8")
    return path


def test_accepted_judge_labels_only_pool_pairs_and_caches(
        results: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("EMBEDGATE_CACHE_DIR", str(tmp_path / "cache"))
    known, prefix = _oracle()

    def grade(q: str, p: str) -> str:
        g = known.get((q, p))
        return f"##final score: {3 if (g if g is not None else prefix[q] == prefix[p]) else 0}"

    with running(grade) as server:
        judge = _judge_file(tmp_path / "judge.yaml", server.base_url)
        out = tmp_path / "pool.jsonl"
        assert main(["pool", str(results), "--out", str(out), "--judge", str(judge)]) == 0
        first = len(server.requests)
        lines = [json.loads(t) for t in out.read_text(encoding="utf-8").splitlines()]
        said = capsys.readouterr().out
        calib = json.loads(out.with_suffix(".judge.json").read_text(encoding="utf-8"))
        cal = calib["datasets"]["domain"]
        # agrees on every judged pair; disagrees only where a random "presumed not relevant"
        # document is of the query's domain (the rule calls those relevant)
        disagree = [i for i in cal["items"] if (i["human"] > 0) != (i["judge"] > 0)]
        assert disagree and all(i["presumed"] for i in disagree)
        assert cal["kappa"] >= 0.4 and f"Cohen's kappa {cal['kappa']:.3f}" in said
        assert "accepted" in said
        n_cal = calib["datasets"]["domain"]["n_pairs"]
        assert first == n_cal + len(lines)  # calibration pairs, then only the pool's holes
        assert {r["who"] for r in lines} == {"judge:fake-judge"}
        # 3 on the judge's 0-3 scale is 2 on the fixture's 0-2 grades
        assert all(r["grade"] == 2 * (prefix[r["query"]] == prefix[r["doc"]]) for r in lines)
        assert main(["pool", str(results), "--out", str(out), "--judge", str(judge)]) == 0
        assert len(server.requests) == first  # every answer came from the cache


def test_judge_below_the_floor_is_refused_in_one_line(
        results: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("EMBEDGATE_CACHE_DIR", str(tmp_path / "cache"))
    with running(lambda q, p: "##final score: 3") as server:  # calls everything relevant
        judge = _judge_file(tmp_path / "judge.yaml", server.base_url)
        out = tmp_path / "pool.jsonl"
        assert main(["pool", str(results), "--out", str(out), "--judge", str(judge)]) == 3
    said = capsys.readouterr().out
    assert sum("refused: its labels are not used" in line for line in said.splitlines()) == 1
    assert "presumed not relevant" in said
    assert all(json.loads(t)["grade"] is None for t in out.read_text().splitlines())


@pytest.mark.parametrize("fault", ["off-scale", "slow", "down"])
def test_judge_down_slow_or_off_scale_is_exit_4(results: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str],
                                                fault: str) -> None:
    monkeypatch.setenv("EMBEDGATE_CACHE_DIR", str(tmp_path / "cache"))
    before = results.read_bytes()
    args = ["pool", str(results), "--out", str(tmp_path / "p.jsonl"), "--judge",
            str(tmp_path / "judge.yaml")]
    with running(lambda q, p: "##final score: 7" if fault == "off-scale" else "2") as server:
        server.delay = 1.0 if fault == "slow" else 0.0
        _judge_file(tmp_path / "judge.yaml", server.base_url, timeout_s=0.2, max_retries=0)
        code = None if fault == "down" else main(args)
    if fault == "down":  # the port the server listened on is closed now
        code = main(args)
    err = capsys.readouterr().err.strip()
    assert code == 4 and len(err.splitlines()) == 1, err
    assert not (tmp_path / "p.jsonl").exists() and results.read_bytes() == before


def test_rerank_judge_labels_by_threshold(results: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    from embedgate.retrievers.serve_rerank import RerankServer

    from tests.retrievers.test_rerank import overlap

    out = tmp_path / "pool.jsonl"
    with RerankServer(overlap, "overlap") as server:
        judge = tmp_path / "rerank.yaml"
        judge.write_text(f"judge:\n  type: rerank\n  threshold: 4\n  kappa_floor: -1\n"
                         f"  endpoint: {{base_url: '{server.base_url}', model: overlap}}\n",
                         encoding="utf-8")
        assert main(["pool", str(results), "--out", str(out), "--judge", str(judge)]) == 0
    lines = [json.loads(t) for t in out.read_text(encoding="utf-8").splitlines()]
    assert {r["who"] for r in lines} == {"judge:rerank:overlap"}
    # the top grade (2 on the fixture's scale) exactly where the overlap reaches the threshold
    assert [r["grade"] for r in lines] == [2 * (overlap(r["query"], [r["doc"]])[0] >= 4)
                                           for r in lines]
    assert 0 < sum(r["grade"] > 0 for r in lines) < len(lines)
    assert "judge:rerank:overlap: Cohen's kappa" in capsys.readouterr().out


def test_rerank_judge_needs_exactly_one_source(results: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    judge = tmp_path / "rerank.yaml"
    judge.write_text("judge:\n  type: rerank\n  threshold: 0.5\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["pool", str(results), "--out", str(tmp_path / "p.jsonl"), "--judge",
                 str(judge)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "exactly one of endpoint: or model:" in err
    assert f"{judge}:" in err
