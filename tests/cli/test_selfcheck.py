"""`embedgate selfcheck`: the table, the verdict's exit codes, bad input, and the SciFact
reproduction (slow; it is also the project's only run of the published MTEB figure)."""
from __future__ import annotations

from pathlib import Path

import pytest

from embedgate.algorithms import ir
from embedgate.cli import selfcheck as cli_selfcheck
from embedgate.cli.entry import main
from embedgate.inputs.beir import load_beir
from embedgate.run import selfcheck
from embedgate.suite import load_suite

from tests.conftest import FIXTURES, ROOT, SCIFACT


def test_quick_passes_and_prints_the_table(capsys) -> None:
    assert main(["selfcheck", "--quick"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["check", "expected", "got", "tolerance", "status",
                                           "seconds", "note"]
    for name in ("nDCG@10 = hand", "RR@10 = ranx", "R@2 = ranx", "AP@100 = hand",
                 "paired t-test p = ranx", "randomisation p = exact"):
        assert any(line.startswith(name) and " pass " in line for line in out.splitlines()), name
    assert "skipped: --quick" in out and "machine: " in out and "ranx 0." in out
    assert "selfcheck: pass (10 checks), but not reproduced" in out


def test_hand_values_are_what_embedgate_computes() -> None:
    ours = selfcheck.embedgate_values()
    for metric, values in selfcheck.HAND.items():
        assert ours[metric] == pytest.approx(values, abs=1e-12), metric


def test_a_broken_metric_fails_with_exit_1(monkeypatch, capsys) -> None:
    real = ir.per_query

    def off_by_a_bit(metrics, qrels, run):  # type: ignore[no-untyped-def]
        values = real(metrics, qrels, run)
        values["nDCG@10"] = {q: v + 1e-6 for q, v in values["nDCG@10"].items()}
        return values

    monkeypatch.setattr(ir, "per_query", off_by_a_bit)
    assert main(["selfcheck", "--quick"]) == 1
    lines = capsys.readouterr().out.splitlines()
    failed = [line.split()[0] + " " + line.split()[2] for line in lines if " fail " in line]
    assert failed == ["nDCG@10 hand", "nDCG@10 ranx"]
    assert lines[-1].startswith("selfcheck: FAIL (2 of 11: nDCG@10 = hand, nDCG@10 = ranx)")


def test_a_path_that_is_not_beir_is_one_line_exit_2(tmp_path: Path, capsys) -> None:
    assert main(["selfcheck", "--scifact", str(tmp_path)]) == 2
    err = capsys.readouterr()
    assert err.out == "" and len(err.err.strip().splitlines()) == 1
    assert err.err.startswith("embedgate: error: ") and "corpus.jsonl" in err.err


def test_missing_default_scifact_is_skipped_not_failed(tmp_path: Path, monkeypatch,
                                                        capsys) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli_selfcheck, "SCIFACT", tmp_path / "nowhere")
    assert main(["selfcheck"]) == 0
    out = capsys.readouterr().out
    want = tmp_path.parent / "shared" / "datasets" / "scifact"
    assert f"skipped: no SciFact at {want.resolve()}; pass --scifact PATH" in out
    assert "but not reproduced" in out


def test_selfcheck_runs_the_settings_of_the_published_suite(tmp_path: Path) -> None:
    """suites/scifact-minilm.yaml and the selfcheck's suite are the same configuration."""
    published = load_suite(ROOT / "suites" / "scifact-minilm.yaml").suite
    path = tmp_path / "selfcheck.yaml"
    path.write_text(selfcheck.suite_yaml(FIXTURES / "domain"), encoding="utf-8")
    ours = load_suite(path).suite
    (emb,), (pub_emb,) = ours.embedders, published.embedders
    assert (emb.model, emb.batch_size) == (pub_emb.model, pub_emb.batch_size)  # type: ignore[union-attr]
    assert ours.seed == published.seed and ours.datasets[0].split == published.datasets[0].split
    assert ours.tiers.retrieval.top_k == published.tiers.retrieval.top_k  # type: ignore[union-attr]
    assert "nDCG@10" in published.tiers.retrieval.metrics  # type: ignore[union-attr]
    assert not ours.cache.enabled  # the vectors are computed on the machine being checked
    load_beir("domain", FIXTURES / "domain", "test")


@pytest.mark.slow
@pytest.mark.skipif(not SCIFACT.is_dir(), reason="../shared/datasets/scifact is not present")
def test_full_selfcheck_reproduces_published_scifact_ndcg(capsys) -> None:
    """MTEB leaderboard: all-MiniLM-L6-v2 on SciFact test nDCG@10 = 0.6451 (the project's one
    4-minute SciFact run; tests/run/test_end_to_end.py no longer repeats it)."""
    assert main(["selfcheck", "--scifact", str(SCIFACT)]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("SciFact nDCG@10"))
    assert " pass " in row and "300 queries" in row
    got = float(row.split()[4])
    assert got == pytest.approx(0.6451, abs=0.005)
    assert "the published figure reproduced" in out.splitlines()[-1]
