"""User satisfaction in the QA tier: ratings loaded and checked, NPS / alpha / rho rows attached."""
from __future__ import annotations

from pathlib import Path

import pytest

from embedgate.cli.entry import main
from embedgate.infra.errors import InputError
from embedgate.inputs.ratings import load_ratings
from embedgate.results.schema import TierResult
from embedgate.suite import load_suite
from embedgate.tiers.context import RunContext
from embedgate.tiers.qa import tier as qa
from embedgate.tiers.qa.satisfaction import attach

from tests.fakes.keyword_embedder import KeywordEmbedder
from tests.helpers.qa import toy_suite

# kw/extractive answers q1 right, misses q2 (retrieval) and q3 (reader): see tests/helpers/qa.py
RATINGS = """question_id,system,rating,rater
q1,kw/extractive,10,ann
q1,kw/extractive,9,bob
q1,kw/extractive,9,cy
q2,kw/extractive,2,ann
q2,kw/extractive,4,bob
q2,kw/extractive,3,cy
q3,kw/extractive,7,ann
q3,kw/extractive,6,bob
q3,kw/extractive,8,cy
"""


def _suite(tmp_path: Path, ratings: str = RATINGS) -> Path:
    suite = toy_suite(tmp_path)
    (tmp_path / "ratings.csv").write_text(ratings, encoding="utf-8")
    suite.write_text(suite.read_text(encoding="utf-8") + "    ratings: ratings.csv\n",
                     encoding="utf-8")
    return suite


def test_satisfaction_rows_per_system(tmp_path: Path) -> None:
    loaded = load_suite(_suite(tmp_path))
    params = loaded.suite.tiers.qa
    assert params is not None
    [(_, unit)] = qa.prepare(params, loaded, {})
    result = qa.run(KeywordEmbedder(id="kw", dim=4096), unit, params, RunContext(progress=False))
    rows = {r.metric: r for r in result.metrics}
    # 9 ratings: promoters 10, 9, 9 (3), detractors 2, 4, 3, 6 (4) -> (3 - 4) / 9
    assert rows["extractive:NPS"].value == pytest.approx(100 * (3 - 4) / 9)
    assert rows["extractive:rating"].value == pytest.approx(58 / 9)
    assert all(rows[m].higher_is_better for m in ("extractive:NPS", "extractive:rater_alpha",
                                                  "extractive:rating_rho_accuracy"))
    # only q1 is correct and it has the top mean rating; q3 (7.0) > q2 (3.0): rho on ranks
    # accuracy (1, 0, 0) vs ratings (9.33, 3, 7): ranks (3, 1.5, 1.5) vs (3, 1, 2) -> sqrt(3)/2
    assert rows["extractive:rating_rho_accuracy"].value == pytest.approx(3 ** 0.5 / 2)
    assert rows["extractive:rating_rho_accuracy"].n_queries == 3
    assert rows["extractive:rater_alpha"].value > 0.8  # raters agree closely here
    pq = {p.metric: p.values for p in result.per_query}
    assert pq["extractive:rating"]["q2"] == pytest.approx(3.0)
    sat = result.details["satisfaction"]["systems"]["kw/extractive"]
    assert sat["raters"] == ["ann", "bob", "cy"] and sat["n_ratings"] == 9
    assert sat["n_ratings_unused"] == 0 and result.details["satisfaction"]["ratings_unused"] == {}
    low, high = sat["nps_ci"]
    assert low <= rows["extractive:NPS"].value <= high
    assert set(sat["pairwise_spearman"]) == {"ann~bob", "ann~cy", "bob~cy"}


def test_ratings_of_questions_not_answered_are_counted(tmp_path: Path) -> None:
    path = tmp_path / "ratings.csv"
    path.write_text(RATINGS + "q1,kw/other,5,ann\n", encoding="utf-8")
    ratings = load_ratings(path, {"q1", "q2", "q3"}, ["kw/extractive", "kw/other"])
    empty = TierResult(tier="qa", embedder="kw", dataset="toy")
    # extractive answered q1 and q2 only (a sample); "other" answered nothing here
    result = attach(empty, ratings, {"extractive": ("q1", "q2"), "other": ()}, seed=0)
    sat = result.details["satisfaction"]
    assert sat["ratings_unused"] == {"kw/extractive": 3, "kw/other": 1}
    assert sat["systems"]["kw/extractive"]["n_ratings"] == 6
    assert sat["systems"]["kw/extractive"]["n_ratings_unused"] == 3
    assert "kw/other" not in sat["systems"]
    assert next(r for r in result.metrics if r.metric == "extractive:rating").n_queries == 2


@pytest.mark.parametrize("row, needle", [
    ("q1,kw/extractive,11,dan", "rating 11 is out of range"),
    ("q1,kw/extractive,-1,dan", "rating -1 is out of range"),
    ("q1,kw/extractive,great,dan", 'rating "great" is not a number'),
    ("q7,kw/extractive,5,dan", 'unknown question id "q7"'),
    ("q1,kw/extractiv,5,dan", 'unknown system "kw/extractiv" (did you mean "kw/extractive"?)'),
    ("q1,kw/extractive,5,ann", 'rater "ann" rates question "q1" of system "kw/extractive" '
                               "twice (first at line 2)"),
    ("q1,kw/extractive,5", "3 fields, header has 4"),
])
def test_bad_rows_name_file_and_line(tmp_path: Path, row: str, needle: str) -> None:
    path = tmp_path / "r.csv"
    path.write_text(RATINGS + row + "\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_ratings(path, {"q1", "q2", "q3"}, ["kw/extractive"])
    assert f"{path}:11: " in str(exc.value) and needle in str(exc.value)


def test_missing_column_and_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("question_id,system,score,rater\nq1,kw/extractive,5,a\n", encoding="utf-8")
    with pytest.raises(InputError, match=r'r\.csv:1: no "rating" column'):
        load_ratings(path, {"q1"}, ["kw/extractive"])
    jsonl = tmp_path / "r.jsonl"
    jsonl.write_text('{"question_id": "q1", "system": "kw/extractive", "rating": 8, "rater": "a"}'
                     '\n{"question_id": "q1", "system": "kw/extractive", "rater": "b"}\n',
                     encoding="utf-8")
    with pytest.raises(InputError, match=r'r\.jsonl:2: no "rating" key'):
        load_ratings(jsonl, {"q1"}, ["kw/extractive"])


def test_bad_ratings_fail_the_run_in_one_line(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    suite = _suite(tmp_path, RATINGS + "q2,kw/extractive,12,dan\n")
    code = main(["run", str(suite), "--out", str(tmp_path / "out"), "-q"])
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("embedgate:")]
    assert code == 2 and len(lines) == 1
    assert f"{tmp_path / 'ratings.csv'}:11: rating 12 is out of range" in lines[0]
    assert "(qa ratings at " in lines[0]


def test_project_fixture_matches_the_quickstart_systems() -> None:
    root = Path(__file__).resolve().parents[3]
    questions = {line.split('"')[3] for line in
                 (root / "fixtures/qa/domain_qa.jsonl").read_text(encoding="utf-8").splitlines()}
    systems = [f"{e}/{r}" for e in ("m3e-small", "minilm") for r in ("extractive", "smollm2")]
    ratings = load_ratings(root / "fixtures/qa/ratings.csv", questions, systems)
    assert {r.rater for r in ratings.ratings} == {"rater-a", "rater-b", "rater-c"}
    assert {r.system for r in ratings.ratings} == set(systems)
