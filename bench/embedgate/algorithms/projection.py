"""2-D projections of embeddings (PCA, or UMAP when installed) and silhouette scores.

PCA is computed with numpy's SVD and every component's sign is fixed (its largest-magnitude
loading is made positive), so the same vectors always give the same picture, whatever the
row order and whichever LAPACK build is underneath. Silhouettes are computed in the full
embedding space with cosine distance — the projection is only a picture of it.
"""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass

import numpy as np

from embedgate.infra.errors import InputError


@dataclass(frozen=True)
class Projection:
    coords: np.ndarray  # (n, 2) float64
    method: str
    explained_variance_ratio: list[float] | None = None  # PCA only


def umap_available() -> bool:
    return importlib.util.find_spec("umap") is not None


def require_method(method: str, where: str) -> None:
    """Fail before any model runs when UMAP is asked for but not installed."""
    if method == "umap" and not umap_available():
        raise InputError(f"{where}: method umap needs the umap-learn package; install the extra "
                         "(pip install 'embedgate[umap]') or use method: pca")


def pca_2d(x: np.ndarray) -> Projection:
    """The first two principal components, sign-fixed; one point per row.

    >>> pca_2d(np.array([[0., 0.], [2., 0.], [4., 1.]])).coords.shape
    (3, 2)
    """
    x = np.asarray(x, dtype=np.float64)
    centred = x - x.mean(axis=0, keepdims=True)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    comps = vt[:2]
    signs = np.sign(comps[np.arange(comps.shape[0]), np.argmax(np.abs(comps), axis=1)])
    comps = comps * np.where(signs == 0, 1.0, signs)[:, None]
    coords = centred @ comps.T
    if coords.shape[1] < 2:  # one-dimensional input: pad so every point still has (x, y)
        coords = np.pad(coords, ((0, 0), (0, 2 - coords.shape[1])))
    var = s**2
    ratio = (var[:2] / var.sum()).tolist() if var.sum() > 0 else [0.0, 0.0]
    return Projection(coords=coords, method="pca", explained_variance_ratio=ratio)


def umap_2d(x: np.ndarray, seed: int) -> Projection:
    """UMAP with cosine metric and a fixed random_state (which also makes it single-threaded)."""
    import umap

    n_neighbors = max(2, min(15, x.shape[0] - 1))
    reducer = umap.UMAP(n_components=2, n_neighbors=n_neighbors, metric="cosine",
                        random_state=seed, n_jobs=1,  # a seed makes UMAP single-threaded anyway
                        init="spectral" if x.shape[0] > 3 else "random")
    return Projection(coords=np.asarray(reducer.fit_transform(x), dtype=np.float64), method="umap")


def project(x: np.ndarray, method: str, seed: int) -> Projection:
    return umap_2d(x, seed) if method == "umap" else pca_2d(x)


def silhouette(x: np.ndarray, labels: list[str]) -> tuple[float, np.ndarray] | None:
    """Mean and per-item cosine silhouette in the full space; None when undefined.

    Undefined (scikit-learn raises) unless 2 <= number of labels <= n - 1.
    """
    from sklearn.metrics import silhouette_samples

    n_labels = len(set(labels))
    if not 2 <= n_labels <= len(labels) - 1:
        return None
    per_item = silhouette_samples(np.asarray(x, dtype=np.float64), np.asarray(labels),
                                  metric="cosine")
    return float(per_item.mean()), per_item
