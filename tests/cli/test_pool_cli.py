"""`embedgate pool` round trip: pool the holes of a real BM25 bake-off on the domain fixture,
label them, merge them back with `qrels_extra:` and score on both qrels side by side; bad
judging files are one file:line error and exit 2."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from embedgate.cli.entry import main
from embedgate.inputs.beir import load_beir
from embedgate.inputs.judgments import read_judgments

from tests.conftest import FIXTURES

SUITE = """
name: pool-roundtrip
seed: 3
embedders:
  - {id: bm25, kind: bm25, k1: 0.9, b: 0.4}
  - {id: bm25-flat, kind: bm25, k1: 2.0, b: 0.0}
datasets:
  - {id: domain, format: beir, path: FIXTURES/domain, split: test EXTRA}
tiers:
  retrieval: {datasets: [domain], metrics: [P@10, nDCG@10], top_k: 20}
"""


def _suite(root: Path, extra: Path | None = None) -> Path:
    text = SUITE.replace("FIXTURES", str(FIXTURES))
    text = text.replace(" EXTRA", f", qrels_extra: [{extra}]" if extra else "")
    path = root / ("suite-extra.yaml" if extra else "suite.yaml")
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def pooled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    root = tmp_path_factory.mktemp("pool")
    assert main(["run", str(_suite(root)), "--out", str(root / "base"), "-q", "--no-gates"]) == 0
    return root, root / "base" / "results.json", str(root / "pool.jsonl")


def test_pool_labels_merge_back_side_by_side(pooled: tuple[Path, Path, str],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    root, results, pool = pooled
    capsys.readouterr()
    assert main(["pool", str(results), "--depth", "10", "--out", pool]) == 0
    said = capsys.readouterr().out
    lines = [json.loads(t) for t in Path(pool).read_text(encoding="utf-8").splitlines()]
    assert f"domain: {len(lines)} judgments would close the holes in the top 10 of 2 " in said
    assert (root / "pool.tsv").read_text(encoding="utf-8").count("\n") == len(lines) + 1
    data = load_beir("domain", FIXTURES / "domain", "test")
    assert all(r["doc_id"] not in data.qrels[r["query_id"]] for r in lines)  # only holes
    assert all(r["query"] == data.queries[r["query_id"]] and r["doc"] for r in lines)
    for r in lines:  # a labeller: same domain prefix as the query -> 1, else 0
        r.update(grade=int(r["doc_id"][:3] == r["query_id"][:3]), who="tester", when="2026-12-06")
    labelled = root / "labelled.jsonl"
    labelled.write_text("".join(json.dumps(r) + "\n" for r in lines), encoding="utf-8")
    out = root / "judged"
    assert main(["run", str(_suite(root, labelled)), "--out", str(out), "-q", "--no-gates"]) == 0
    after = json.loads((out / "results.json").read_text(encoding="utf-8"))
    before = json.loads(results.read_text(encoding="utf-8"))
    info = after["datasets"]["domain+judged"]
    assert (info["n_extra_judgments"], info["judged_by"]) == (len(lines), ["tester"])
    rows = {(r["embedder"], r["dataset"], r["metric"]): r for r in after["metrics"]}
    for r in before["metrics"]:  # the original qrels' figures are untouched
        assert rows[r["embedder"], "domain", r["metric"]]["value"] == r["value"]
    for emb in ("bm25", "bm25-flat"):
        holes = after["details"][f"retrieval/{emb}/domain+judged"]["holes"]
        # no holes left; Judged@10 < 1 only where BM25 matched fewer than 10 documents
        assert holes["unjudged@10"] == 0 and holes["judged@10"] > 0.99
        p10 = rows[emb, "domain+judged", "P@10"]
        assert p10["bounds"]["unjudged_relevant"] == pytest.approx(p10["value"])  # no holes
        assert p10["value"] > rows[emb, "domain", "P@10"]["value"]  # new relevant found
    assert after["params"]["tiers"]["retrieval"]["datasets"] == ["domain"]  # as written
    compare_md = (out / "compare.md").read_text(encoding="utf-8")
    assert "retrieval · domain+judged · P@10" in compare_md


def test_tsv_judging_file_reads_back(pooled: tuple[Path, Path, str], tmp_path: Path) -> None:
    _, results, _ = pooled
    pool = tmp_path / "p.jsonl"
    assert main(["pool", str(results), "--depth", "2", "--out", str(pool)]) == 0
    head, *body = (tmp_path / "p.tsv").read_text(encoding="utf-8").splitlines()
    cols = head.split("\t")
    labelled = []
    for line in body:
        cells = line.split("\t")
        cells[cols.index("grade")], cells[cols.index("who")], cells[cols.index("when")] = \
            "1", "ann", "today"
        labelled.append("\t".join(cells))
    path = tmp_path / "l.tsv"
    path.write_text("\n".join([head, *labelled]) + "\n", encoding="utf-8")
    got, blank = read_judgments(path, load_beir("domain", FIXTURES / "domain", "test"), 2)
    assert (len(got), blank) == (len(body), 0) and got[0].where == f"{path}:2"


GOOD = {"dataset": "domain", "query_id": "med-q-test-001", "doc_id": "fin-0002", "grade": 1,
        "who": "x", "when": "y"}


@pytest.mark.parametrize(("bad", "message"), [
    ({"query_id": "nope"}, 'unknown query id "nope"'),
    ({"doc_id": "nope"}, 'unknown document id "nope"'),
    ({"grade": 7}, "grade 7 is out of range; this dataset's grades run from 0 to 2"),
    ({"grade": "high"}, "grade 'high' is not a whole number"),
    ({"doc_id": "med-0001"}, "is already judged in the dataset's qrels"),
    ({"who": ""}, "a judgment needs who judged it and when"),
    (None, "duplicate judgment of (med-q-test-001, fin-0002); first at "),
])
def test_bad_judging_file_is_one_file_line_error(pooled: tuple[Path, Path, str], tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str],
                                                 bad: dict[str, object] | None,
                                                 message: str) -> None:
    second = dict(GOOD) if bad is None else {**GOOD, "doc_id": "fin-0003", **bad}
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(GOOD) + "\n\n" + json.dumps(second) + "\n", encoding="utf-8")
    data = load_beir("domain", FIXTURES / "domain", "test")
    assert "med-0001" in data.qrels["med-q-test-001"]
    capsys.readouterr()
    assert main(["run", str(_suite(tmp_path, path)), "--out", str(tmp_path / "o"), "-q",
                 "--no-gates"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"{path}:3: " in err and message in err
    assert not (tmp_path / "o" / "results.json").exists()


def test_a_judging_file_of_another_dataset_only_is_refused(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]
                                                           ) -> None:
    path = tmp_path / "other.jsonl"
    path.write_text(json.dumps({**GOOD, "dataset": "scifact"}) + "\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["run", str(_suite(tmp_path, path)), "--out", str(tmp_path / "o"), "-q",
                 "--no-gates"]) == 2
    err = capsys.readouterr().err.strip()
    assert f'{path}: no line is for dataset "domain" (its lines name scifact)' in err


def test_pool_dataset_override_and_bad_arguments(pooled: tuple[Path, Path, str], tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    _, results, _ = pooled
    out = str(tmp_path / "p.jsonl")
    assert main(["pool", str(results), "--out", out, "--dataset",
                 f"domain={FIXTURES / 'domain'}"]) == 0
    capsys.readouterr()
    for args, message in [(["--dataset", "domain"], "expected ID=PATH"),
                          (["--dataset", f"domain={tmp_path / 'gone'}"],
                           "pass --dataset domain=PATH if it moved"),
                          (["--out", str(tmp_path / "p.tsv")], "name the JSONL file")]:
        argv = ["pool", str(results), "--out", out, *args]
        assert main(argv) == 2, args
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and message in err, err
