"""`embedgate explain` on real MiniLM runs: a max_seq_length change is the environment (named),
a qrels change is the data, an unchanged re-run is noise; other suites are one line, exit 2."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from embedgate.cli.entry import main
from embedgate.judge.explain import explain
from embedgate.results.schema import RunResult

from tests.helpers.small_data import small_domain


def _suite(tmp: Path, name: str, data: Path, max_seq_length: int, suite: str = "why") -> Path:
    path = tmp / f"{name}.yaml"
    path.write_text(f"""name: {suite}
embedders:
  - {{id: minilm, kind: sentence-transformers, model: "packaged:all-MiniLM-L6-v2",
      max_seq_length: {max_seq_length}, batch_size: 32}}
datasets:
  - {{id: domain, format: beir, path: "{data}", split: test}}
tiers:
  retrieval: {{metrics: [nDCG@10, RR@10], top_k: 20}}
""", encoding="utf-8")
    return path


def _run(tmp: Path, suite: Path, name: str) -> Path:
    out = tmp / name
    assert main(["run", str(suite), "--out", str(out), "-q", "--threads", "2",
                 "--cache-dir", str(tmp / "cache")]) == 0
    return out / "results.json"


def _rejudge(data: Path, tmp: Path) -> Path:
    """The same collection with the judgements of two queries moved to other documents."""
    copy = tmp / "domain-rejudged"
    copy.mkdir()
    for name in ("corpus.jsonl", "queries.jsonl"):
        (copy / name).write_bytes((data / name).read_bytes())
    (copy / "qrels").mkdir()
    rows = (data / "qrels" / "test.tsv").read_text(encoding="utf-8").splitlines()
    docs = [json.loads(x)["_id"] for x in (data / "corpus.jsonl").read_text().splitlines()]
    head, body = rows[0], rows[1:]
    for i in (0, 1):
        q, d, s = body[i].split("\t")
        body[i] = "\t".join([q, next(x for x in docs if x != d), s])
    (copy / "qrels" / "test.tsv").write_text("\n".join([head, *body]) + "\n", encoding="utf-8")
    return copy


@pytest.mark.slow
def test_explain_attributes_environment_data_and_noise(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMBEDGATE_CACHE_DIR", str(tmp_path / "cache"))  # the control run's too
    data = small_domain(tmp_path / "domain")
    base = _run(tmp_path, _suite(tmp_path, "base", data, 128), "base")
    again = _run(tmp_path, _suite(tmp_path, "base", data, 128), "again")
    short = _run(tmp_path, _suite(tmp_path, "short", data, 8), "short")
    rejudged = _run(tmp_path, _suite(tmp_path, "rej", _rejudge(data, tmp_path), 128), "rej")
    b = RunResult.load(base)
    assert b.fingerprint["embedders"]["minilm"]["probe"]["n"] == 64
    # an unchanged re-run (vectors from the cache, no model loaded): noise
    same = explain(RunResult.load(again), b)
    assert {m.cause for m in same.moves} == {"noise"} and same.summary().startswith("noise")
    assert RunResult.load(again).embedders["minilm"]["model_loaded"] is False
    # only max_seq_length changed: the same weights give other vectors, the factor is named
    env = explain(RunResult.load(short), b)
    assert {m.cause for m in env.moves} == {"environment"}
    assert "max_seq_length 128 -> 8" in env.moves[0].why
    assert env.embedders["minilm"].cos_min is not None and env.embedders["minilm"].cos_min < 0.99
    assert not env.embedders["minilm"].weights_changed
    # judgements of two queries changed: the data
    dat = explain(RunResult.load(rejudged), b)
    assert {m.cause for m in dat.moves} == {"data"}
    assert dat.data["domain"].qrels_changed == 2 and dat.data["domain"].added == 0
    assert main(["explain", str(short), "--baseline", str(base)]) == 0
    out = capsys.readouterr().out
    assert "differs: max_seq_length 128 -> 8" in out and "environment" in out
    _check_control(tmp_path, short, base, capsys)


def _check_control(tmp: Path, current: Path, base: Path,
                   capsys: pytest.CaptureFixture[str]) -> None:
    """`gate --control`: the baseline's spec re-encoded here reproduces the baseline (no
    environment effect), so the whole move is the current spec's."""
    gates = _suite(tmp, "gates", tmp / "domain", 8)
    gates.write_text(gates.read_text(encoding="utf-8") + f"""baseline: "{base}"
gates:
  - {{name: step, embedder: minilm, tier: retrieval, dataset: domain, metric: nDCG@10,
      max_drop: 0.5}}
""", encoding="utf-8")
    assert main(["gate", str(current), "--gates", str(gates), "--control",
                 "--control-out", str(tmp / "control")]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if "environment effect" in x)
    assert "environment effect (control − baseline) +0.0000" in line
    cur = RunResult.load(current).metric("minilm", "retrieval", "domain", "nDCG@10")
    ref = RunResult.load(base).metric("minilm", "retrieval", "domain", "nDCG@10")
    assert cur is not None and ref is not None
    assert f"model effect (current − control) {cur.value - ref.value:+.4f}" in line


def test_explain_refuses_two_suites_in_one_line(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    golden = Path(__file__).parents[1] / "golden" / "pass.json"
    raw = json.loads(golden.read_text(encoding="utf-8"))
    raw["suite"]["name"] = "another-suite"
    other = tmp_path / "other.json"
    other.write_text(json.dumps(raw), encoding="utf-8")
    assert main(["explain", str(other), "--baseline", str(golden)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "different suites" in err[0]


def test_explain_without_fingerprints_says_it_cannot_tell() -> None:
    golden = Path(__file__).parents[1] / "golden"
    result = explain(RunResult.load(golden / "regressed.json"), RunResult.load(golden / "baseline.json"))
    assert result.moves and {m.cause for m in result.moves} == {"unknown"}


def test_explain_moved_lists_only_figures_beyond_their_interval(
        capsys: pytest.CaptureFixture[str]) -> None:
    golden = Path(__file__).parents[1] / "golden"
    current, base = golden / "regressed.json", golden / "baseline.json"
    full = explain(RunResult.load(current), RunResult.load(base))
    moved = [m for m in full.moves if m.moved]
    assert moved and len(moved) < len(full.moves)
    assert main(["explain", str(current), "--baseline", str(base), "--moved"]) == 0
    out = capsys.readouterr().out
    shown = [x for x in out.splitlines() if x.startswith("  ") and ("moved: " in x
                                                                  or "its interval: " in x)]
    assert len(shown) == len(moved) and all(" moved: " in x for x in shown)
