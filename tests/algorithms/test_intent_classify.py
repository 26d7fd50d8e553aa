"""kNN voting, scores and folds on hand-made vectors with hand-computed answers."""
from __future__ import annotations

import numpy as np
import pytest

from embedgate.algorithms.classify import knn_predict, make_folds, probe_predict, score
from embedgate.embedders.base import l2_normalise

# Train: A at (1,0) and (.8,.6); B at (0,1) and (-.6,.8). Label codes: A=0, B=1.
TRAIN_X = np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0], [-0.6, 0.8]])
TRAIN_Y = np.array([0, 0, 1, 1])
# Test rows and their cosines to the train rows (worked out by hand):
#   t1 (.6,.8)   true A: .6 .96 .8 .28  -> nearest a2        -> A (right)
#   t2 (.28,.96) true B: .28 .8 .96 .6  -> nearest b1        -> B (right)
#   t3 (1,0)     true B: 1 .8 0 -.6     -> nearest a1        -> A (wrong)
#   t4 (-.8,.6)  true A: -.8 -.28 .6 .96 -> nearest b2       -> B (wrong)
#   t5 (0,1)     true B: 0 .6 1 .8      -> nearest b1        -> B (right)
TEST_X = np.array([[0.6, 0.8], [0.28, 0.96], [1.0, 0.0], [-0.8, 0.6], [0.0, 1.0]])
TEST_Y = np.array([0, 1, 1, 0, 1])


def test_knn_k1_predictions_by_hand() -> None:
    assert knn_predict(TRAIN_X, TRAIN_Y, TEST_X, k=1, n_classes=2).tolist() == [0, 1, 0, 1, 1]


def test_knn_k3_majority_by_hand() -> None:
    # t1: a2 .96, b1 .8, a1 .6 -> A 2:1;  t2: b1 .96, a2 .8, b2 .6 -> B 2:1;
    # t3: a1, a2, b1 -> A;  t4: b2 .96, b1 .6, a2 -.28 -> B;  t5: b1, b2, a2 -> B
    assert knn_predict(TRAIN_X, TRAIN_Y, TEST_X, k=3, n_classes=2).tolist() == [0, 1, 0, 1, 1]


def test_knn_ties_are_deterministic() -> None:
    """Equal cosines: the earlier train row wins a neighbour tie (B is listed first here);
    a 1:1 vote with equal summed similarity goes to the smaller code (A)."""
    train_x = np.array([[0.0, 1.0], [1.0, 0.0]])
    train_y = np.array([1, 0])
    query = l2_normalise(np.array([[1.0, 1.0]]))
    assert knn_predict(train_x, train_y, query, k=1, n_classes=2).tolist() == [1]
    assert knn_predict(train_x, train_y, query, k=2, n_classes=2).tolist() == [0]


def test_knn_vote_tie_goes_to_larger_similarity_sum() -> None:
    # Neighbours: B .96 (b2), A .8, then B .1 vs A .3: with k=4 the votes are 2:2 and the
    # sums are B 1.06, A 1.1 -> A.
    train_x = np.array([[0.96, 0.28], [0.8, 0.6], [0.1, 0.995], [0.3, 0.954]])
    train_y = np.array([1, 0, 1, 0])
    assert knn_predict(train_x, train_y, np.array([[1.0, 0.0]]), k=4, n_classes=2).tolist() == [0]
    assert knn_predict(train_x, train_y, np.array([[1.0, 0.0]]), k=1, n_classes=2).tolist() == [1]


def test_k_larger_than_train_uses_all_rows() -> None:
    assert knn_predict(TRAIN_X, TRAIN_Y, TEST_X[:1], k=50, n_classes=2).tolist() == [0]


def test_scores_by_hand() -> None:
    """Truth A B B A B, predicted A B A B B: accuracy 3/5. A: P=R=1/2; B: P=R=2/3."""
    report = score(TEST_Y, np.array([0, 1, 0, 1, 1]), ["A", "B"])
    assert report.accuracy == pytest.approx(0.6)
    assert report.per_class["A"] == pytest.approx(
        {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2})
    assert report.per_class["B"]["f1"] == pytest.approx(2 / 3)
    assert report.per_class["B"]["support"] == 3
    assert report.macro_f1 == pytest.approx((0.5 + 2 / 3) / 2)
    assert report.confusion == [[1, 1], [1, 2]]  # rows true A, B; columns predicted A, B


def test_macro_f1_skips_labels_absent_from_truth_and_prediction() -> None:
    # Label C (code 2) exists (e.g. train-only) but is neither true nor predicted here.
    report = score(np.array([0, 0, 1]), np.array([0, 1, 1]), ["A", "B", "C"])
    # A: P 1, R .5, F1 2/3; B: P .5, R 1, F1 2/3
    assert report.macro_f1 == pytest.approx(2 / 3)
    assert "C" not in report.per_class
    assert report.confusion == [[1, 1, 0], [0, 1, 0], [0, 0, 0]]


def test_macro_f1_counts_a_predicted_label_that_is_never_true() -> None:
    # B predicted once but never true: B's F1 is 0 and pulls the macro average down.
    report = score(np.array([0, 0]), np.array([0, 1]), ["A", "B"])
    assert report.macro_f1 == pytest.approx((2 / 3 + 0.0) / 2)


def test_probe_separable_and_seeded() -> None:
    fit1 = probe_predict(TRAIN_X, TRAIN_Y, TEST_X, c=10.0, max_iter=1000, seed=1, standardize=False)
    fit2 = probe_predict(TRAIN_X, TRAIN_Y, TEST_X, c=10.0, max_iter=1000, seed=1, standardize=False)
    assert fit1.converged and np.array_equal(fit1.predicted, fit2.predicted)
    # The train set is mirror-symmetric about the line y = 2x (a1 <-> b2, a2 <-> b1), so the
    # fitted boundary is that line: A iff y < 2x. t1 .8<1.2 A; t2 .96>.56 B; t3 A; t4, t5 B.
    assert fit1.predicted.tolist() == [0, 1, 0, 1, 1]


def test_folds_stratified_seeded_and_covering() -> None:
    labels = np.array([0] * 6 + [1] * 9)
    folds = make_folds(labels, [None] * 15, 3, seed=5)
    again = make_folds(labels, [None] * 15, 3, seed=5)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(folds, again, strict=True))
    tested = np.sort(np.concatenate([te for _, te in folds]))
    assert tested.tolist() == list(range(15))  # every item predicted exactly once
    assert [int((labels[te] == 0).sum()) for _, te in folds] == [2, 2, 2]
    other = make_folds(labels, [None] * 15, 3, seed=6)
    assert any(not np.array_equal(a[1], b[1]) for a, b in zip(folds, other, strict=True))


def test_given_split_is_one_fold() -> None:
    (train, test), = make_folds(np.array([0, 1, 0, 1]), ["train", "test", "test", "train"], 5, 0)
    assert train.tolist() == [0, 3] and test.tolist() == [1, 2]
