"""Language-bias tier: detection on hand examples, the matrices on a hand-made run, and an
end-to-end run with the keyword embedder on fixtures/domain."""
from __future__ import annotations

from pathlib import Path

import pytest

from embedgate.algorithms.language_bias import language_bias
from embedgate.run.runner import load_datasets
from embedgate.suite import load_suite
from embedgate.tiers.context import RunContext
from embedgate.tiers.language_bias import tier as lb
from embedgate.tiers.language_bias.langs import detect_lang
from embedgate.tiers.language_bias.mixed import Part, bounded, merge
from embedgate.suite.tiers_language import MixedPart, MixedSource

from tests.conftest import ROOT
from tests.fakes.keyword_embedder import KeywordEmbedder


@pytest.mark.parametrize("text, lang", [
    ("心肌缺血有哪些典型症状？", "zh"),
    ("ST段抬高型心肌梗死行直接PCI时", "zh"),  # 14 CJK, 5 Latin: share 0.74
    ("What does force majeure (不可抗力) cover?", "en"),  # 4 CJK, 24 Latin: 0.14
    ("How long is the warfarin course?", "en"),
    ("2024-05-01 12:00", "und"),
])
def test_detect_lang(text: str, lang: str) -> None:
    assert detect_lang(text) == lang


def test_matrices_by_hand() -> None:
    docs = {"z1": "zh", "z2": "zh", "z3": "zh", "e1": "en"}  # corpus: zh 0.75, en 0.25
    queries = {"qa": "zh", "qb": "zh", "qc": "en"}
    qrels = {"qa": {"z1": 1}, "qb": {"e1": 2, "z3": 0}, "qc": {"e1": 1}}
    ranked = {"qa": ["z1", "z2", "z3"], "qb": ["z2", "e1"], "qc": ["z1", "e1"]}
    b = language_bias(queries, docs, ranked, qrels, {"qa": 1.0, "qb": 0.6, "qc": 0.3}, k=2)
    assert b.langs == ["en", "zh"]
    assert b.quality["zh"] == pytest.approx({"all": 0.8, "zh": 1.0, "en": 0.6})
    assert b.quality_n["zh"] == {"all": 2, "zh": 1, "en": 1}
    assert b.quality["en"] == pytest.approx({"all": 0.3, "en": 0.3})
    assert b.topk_share["zh"] == pytest.approx({"zh": 0.75, "en": 0.25})  # (1 + .5) / 2
    assert b.topk_share["en"] == pytest.approx({"zh": 0.5, "en": 0.5})
    assert b.corpus_share == pytest.approx({"zh": 0.75, "en": 0.25})
    assert b.relevant_share["zh"] == pytest.approx({"zh": 0.5, "en": 0.5})  # grade 0 ignored
    assert b.relevant_share["en"] == pytest.approx({"zh": 0.0, "en": 1.0})
    assert b.preference_values["zh"] == pytest.approx({"qa": 0.25, "qb": -0.25})
    assert b.preference == pytest.approx({"zh": 0.0, "en": 0.25})


def test_mixed_parts_keep_relevant_docs_and_prefix_ids() -> None:
    part = Part([f"d{i}" for i in range(10)], [f"text {i}" for i in range(10)],
                {f"q{i}": f"query {i}" for i in range(5)},
                {f"q{i}": {f"d{2 * i}": 1} for i in range(5)}, "0" * 64)
    spec = MixedPart(prefix="a", format="beir", path=Path("x"), max_queries=2, max_docs=3)
    cut = bounded(part, spec, seed=1)
    assert len(cut.queries) == 2 and len(cut.doc_ids) == 3
    assert all(d in cut.doc_ids for j in cut.qrels.values() for d in j)
    assert cut == bounded(part, spec, seed=1)  # seeded
    other = MixedPart(prefix="b", format="squad", path=Path("y"))
    merged = merge(MixedSource(id="m", parts=[spec, other]), [cut, part], Path("."))
    assert len(merged.doc_ids) == 13 and len(merged.queries) == 7
    assert all(q.startswith(("a:", "b:")) for q in merged.qrels)
    assert all(d in merged.doc_ids for j in merged.qrels.values() for d in j)


def test_end_to_end_on_the_domain_fixtures(tmp_path: Path) -> None:
    suite = tmp_path / "suite.yaml"
    suite.write_text(f"""name: lb
embedders:
  - {{id: keyword, kind: sentence-transformers, model: packaged:all-MiniLM-L6-v2}}
datasets:
  - {{id: domain, format: beir, path: {ROOT / 'fixtures/domain'}, split: test}}
tiers:
  language_bias: {{}}
""", encoding="utf-8")
    loaded = load_suite(suite)
    params = loaded.suite.tiers.language_bias
    assert params is not None
    [(did, data)] = lb.prepare(params, loaded, load_datasets(loaded))
    result = lb.run(KeywordEmbedder(dim=4096), data, params, RunContext(progress=False))
    rows = {r.metric: r for r in result.metrics}
    d = result.details
    assert did == "domain" and set(d["langs"]) == {"en", "zh"}
    assert d["n_docs_lang_detected"] == 0  # the fixtures carry metadata.lang
    assert rows["nDCG@10[q=zh]"].higher_is_better
    assert not rows["same_lang_pref@10[q=zh]"].higher_is_better
    # cross-lingual queries exist in both directions in the fixtures
    assert "nDCG@10[q=zh,d=en]" in rows and "nDCG@10[q=en,d=zh]" in rows
    n = sum(rows[f"nDCG@10[q={q}]"].n_queries for q in ("zh", "en"))
    assert n == d["n_queries"]
    for ql in ("zh", "en"):
        assert sum(d["topk_share"][ql].values()) == pytest.approx(1.0)
    # a bag-of-words embedder cannot match across scripts: it prefers the query's language
    assert d["same_lang_pref"]["zh"] > 0 and d["same_lang_pref"]["en"] > 0
    pq = {p.metric: p.values for p in result.per_query}
    assert len(pq["same_lang_pref@10[q=en]"]) == rows["nDCG@10[q=en]"].n_queries
