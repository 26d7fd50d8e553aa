"""Classification on embeddings: cosine kNN voting, a logistic-regression probe, their scores.

Labels are integer codes into a sorted list of names, so "smallest code" means "first label
name alphabetically" — the last-resort tie-break, which keeps every prediction deterministic.
Inputs are L2-normalised rows, so a dot product is the cosine.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Fold = tuple[np.ndarray, np.ndarray]  # (train indices, test indices)


def knn_predict(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, k: int,
                n_classes: int) -> np.ndarray:
    """Majority vote of the k most cosine-similar train rows.

    Neighbour ties (equal similarity) go to the earlier train row; vote ties go to the label
    with the larger summed similarity, then to the smaller label code.
    """
    sims = test_x @ train_x.T
    k_eff = min(k, train_x.shape[0])
    order = np.argsort(-sims, axis=1, kind="stable")[:, :k_eff]
    rows = np.arange(test_x.shape[0])[:, None]
    labels = train_y[order]
    counts = np.zeros((test_x.shape[0], n_classes))
    weight = np.zeros((test_x.shape[0], n_classes))
    np.add.at(counts, (rows, labels), 1.0)
    np.add.at(weight, (rows, labels), sims[rows, order])
    leading = counts == counts.max(axis=1, keepdims=True)
    return np.argmax(np.where(leading, weight, -np.inf), axis=1)  # argmax: first = smallest code


@dataclass
class ProbeFit:
    """Predictions of one probe fit plus whether the solver converged."""

    predicted: np.ndarray
    converged: bool
    n_iter: int


def probe_predict(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, c: float,
                  max_iter: int, seed: int, standardize: bool) -> ProbeFit:
    """Fit a (multinomial) logistic regression on train rows and predict test rows.

    Raw unit vectors are the default (as in MTEB's classification tasks); `standardize`
    rescales features first, which can help when all vectors share one dominant direction
    but makes lbfgs take many more iterations.
    """
    # sklearn takes ~0.7 s to import: only the intent tier pays it, when it runs
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = LogisticRegression(C=c, max_iter=max_iter, random_state=seed)
    pipe = make_pipeline(StandardScaler(), model) if standardize else make_pipeline(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # reported as data, not noise
        pipe.fit(train_x, train_y)
    n_iter = int(np.max(model.n_iter_))
    return ProbeFit(predicted=pipe.predict(test_x).astype(int), converged=n_iter < max_iter,
                    n_iter=n_iter)


def make_folds(labels: np.ndarray, splits: list[str | None], folds: int, seed: int) -> list[Fold]:
    """The given train/test split as one fold, else seeded stratified k-fold."""
    from sklearn.model_selection import StratifiedKFold

    if splits and splits[0] is not None:
        idx = np.arange(len(splits))
        is_train = np.array([s == "train" for s in splits])
        return [(idx[is_train], idx[~is_train])]
    skf = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return [(tr, te) for tr, te in skf.split(np.zeros(len(labels)), labels)]


@dataclass(frozen=True)
class ClassReport:
    """Accuracy, macro-F1, per-class precision / recall / F1 / support, confusion matrix."""

    accuracy: float
    macro_f1: float
    per_class: dict[str, dict[str, float | int]]
    confusion: list[list[int]]  # rows: true label, columns: predicted, in `labels` order
    labels: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"accuracy": self.accuracy, "macro_f1": self.macro_f1, "per_class": self.per_class,
                "confusion": {"labels": self.labels, "rows": "true", "columns": "predicted",
                              "matrix": self.confusion}}


def score(y_true: np.ndarray, y_pred: np.ndarray, names: list[str]) -> ClassReport:
    """Scores of predictions; macro-F1 averages the labels that occur in truth or prediction.

    A label absent from both (e.g. a train-only label never predicted) would add a
    meaningless 0 to the average, so it is left out, as scikit-learn does by default.
    """
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    codes = list(range(len(names)))
    present = sorted(set(y_true.tolist()) | set(y_pred.tolist()))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=present, zero_division=0)
    per_class = {names[c]: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]),
                            "support": int(s[i])} for i, c in enumerate(present)}
    matrix = confusion_matrix(y_true, y_pred, labels=codes)
    return ClassReport(accuracy=float(np.mean(y_true == y_pred)), macro_f1=float(np.mean(f)),
                       per_class=per_class, confusion=matrix.tolist(), labels=list(names))
