"""The intrinsic tier on hand-placed vectors (exact answers) and on the real packaged models."""
from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from embedgate.algorithms import geometry as im
from embedgate.cli.entry import main
from embedgate.suite import IntrinsicTier
from embedgate.tiers.context import RunContext
from embedgate.embedders.base import EmbedderInfo, Role
from embedgate.inputs.pairs import Candidate, PairGroup, PairSet
from embedgate.results.schema import RunResult
from embedgate.tiers import intrinsic

from tests.conftest import FIXTURES

# Unit vectors placed by hand: cos(a, syn-a) = 0.8, cos(a, rel-a) = 0.6, cos(b, rel-a) = 0.8 ...
VECTORS = {"a": [1.0, 0.0], "syn-a": [0.8, 0.6], "rel-a": [0.6, 0.8], "unr-a": [0.0, 1.0],
           "b": [0.0, 1.0]}


class TableEmbedder:
    """Looks vectors up in a table and records every call (to check that texts are deduped)."""

    def __init__(self) -> None:
        self.info = EmbedderInfo(id="table", kind="table", name="table", backend="numpy",
                                 precision="fp32", dim=2, max_seq_length=None,
                                 weights_sha256="0" * 64)
        self.calls: list[tuple[list[str], Role]] = []

    def encode(self, texts: Sequence[str], role: Role) -> np.ndarray:
        self.calls.append((list(texts), role))
        return np.array([VECTORS[t] for t in texts], dtype=np.float32)


def _pair_set() -> PairSet:
    g1 = PairGroup("g1", "a", "medical", "zh", (Candidate("syn-a", "synonym"),
                                                Candidate("rel-a", "related"),
                                                Candidate("unr-a", "unrelated")))
    # b's translation (0.8) loses to a related candidate identical to b (1.0): a failure
    g2 = PairGroup("g2", "b", "legal", "zh-en", (Candidate("rel-a", "translation"),
                                                 Candidate("unr-a", "related"),
                                                 Candidate("a", "unrelated")))
    return PairSet(id="hand", groups=(g1, g2))


@pytest.fixture
def result() -> tuple[TableEmbedder, dict[str, float], dict]:
    emb = TableEmbedder()
    params = IntrinsicTier(pairs=[{"id": "hand", "type": "tsv", "path": "x.tsv"}])
    res = intrinsic.run(emb, _pair_set(), params, RunContext(seed=0))
    return emb, {r.metric: r.value for r in res.metrics}, res.model_dump()


def test_each_text_encoded_once_as_query(result) -> None:
    emb, _, _ = result
    assert emb.calls == [(["a", "syn-a", "rel-a", "unr-a", "b"], "query")]


def test_whole_set_metrics_hand_computed(result) -> None:
    _, m, _ = result
    # g1: best positive 0.8 beats 0.6 and 0 -> rank 1, margin 0.2; g2: 0.8 < 1.0 -> rank 2, -0.2
    assert (m["top1"], m["mrr"], m["margin"]) == pytest.approx((0.5, 0.75, 0.0))
    # positives [0.8, 0.8] vs negatives [0.6, 0, 1, 0]: each positive beats 3 of 4
    assert m["auc"] == pytest.approx(0.75)
    assert m["auc_hard"] == pytest.approx(0.5)  # vs related [0.6, 1.0]
    assert m["ks"] == pytest.approx(0.75)  # at 0.6: F_pos 0, F_neg 0.75
    assert (m["cos_pos_mean"], m["cos_neg_mean"]) == pytest.approx((0.8, 0.4))
    assert m["alignment"] == pytest.approx(0.4)  # ||x - y||^2 = 2 - 2 * 0.8 for both pairs
    space = np.array(list(VECTORS.values()))
    assert m["uniformity"] == pytest.approx(im.uniformity(space))


def test_slices_named_domain_language(result) -> None:
    _, m, dump = result
    assert m["top1[medical/zh]"] == 1.0 and m["top1[legal/zh-en]"] == 0.0
    assert m["auc[medical/zh]"] == 1.0 and m["margin[legal/zh-en]"] == pytest.approx(-0.2)
    rows = {r["metric"]: r for r in dump["metrics"]}
    assert rows["auc"]["n_queries"] == 6 and rows["top1"]["n_queries"] == 2
    assert rows["anisotropy"]["higher_is_better"] is False and rows["auc"]["higher_is_better"]
    assert set(dump["details"]["slices"]) == {"all", "medical/zh", "legal/zh-en"}
    pq = {p["metric"]: p["values"] for p in dump["per_query"]}
    assert pq["top1"] == {"g1": 1.0, "g2": 0.0} and pq["mrr[legal/zh-en]"] == {"g2": 0.5}


def test_failures_list_both_cosines(result) -> None:
    _, _, dump = result
    fails = dump["details"]["failures"]
    assert fails["count"] == 1 and fails["anchors"] == 1
    item = fails["items"][0]
    assert (item["group"], item["anchor"], item["positive"], item["negative"]) == \
        ("g2", "b", "rel-a", "unr-a")
    assert item["positive_cos"] == pytest.approx(0.8) and item["negative_cos"] == pytest.approx(1.0)
    assert item["negative_label"] == "related" and item["negatives_at_or_above"] == 1


def test_distributions_in_details(result) -> None:
    _, _, dump = result
    cos = dump["details"]["slices"]["all"]["cosines"]
    assert cos["positive"]["mean"] == pytest.approx(0.8) and cos["negative"]["n"] == 4
    assert cos["related"]["mean"] == pytest.approx(0.8)  # (0.6 + 1.0) / 2
    hist = dump["details"]["slices"]["all"]["histogram"]
    assert sum(hist["positive"]) == 2 and sum(hist["negative"]) == 4
    json.dumps(dump["details"], allow_nan=False)


@pytest.mark.slow
def test_m3e_beats_minilm_on_medical_synonyms(tmp_path: Path) -> None:
    """MiniLM is English-only; a Chinese model must rank zh medical synonyms better."""
    lines = (FIXTURES / "pairs" / "domain_pairs.tsv").read_text(encoding="utf-8").splitlines()
    medical = tmp_path / "medical.tsv"  # the medical rows only: half the encoding time
    medical.write_text("\n".join([lines[0]] + [ln for ln in lines if "\tmedical\t" in ln]) + "\n",
                       encoding="utf-8")
    suite = tmp_path / "suite.yaml"
    suite.write_text(f"""name: intrinsic-e2e
seed: 5
embedders:
  - {{id: m3e, kind: sentence-transformers, model: "packaged:m3e-small", batch_size: 64}}
  - {{id: minilm, kind: sentence-transformers, model: "packaged:all-MiniLM-L6-v2", batch_size: 64}}
tiers:
  intrinsic:
    pairs:
      - {{id: domain, type: tsv, path: "{medical}"}}
""", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(suite), "--out", str(out), "-q", "--threads", "2"]) == 0
    json.loads((out / "results.json").read_text(encoding="utf-8"),
               parse_constant=lambda c: pytest.fail(f"{c} in results.json"))
    result = RunResult.load(out / "results.json")

    def value(emb: str, metric: str) -> float:
        row = result.metric(emb, "intrinsic", "domain", metric)
        assert row is not None, metric
        return row.value

    for metric in ("top1[medical/zh]", "auc[medical/zh]"):
        assert value("m3e", metric) > value("minilm", metric), metric
    assert value("m3e", "top1[medical/zh]") >= value("minilm", "top1[medical/zh]") + 0.2
    assert result.metric("m3e", "intrinsic", "domain", "top1[medical/zh]").n_queries >= 40
    details = result.details["intrinsic/minilm/domain"]
    assert details["failures"]["count"] > 0 and details["n_groups"] >= 40
    assert len(result.values("m3e", "intrinsic", "domain", "mrr")) == details["n_groups"]
