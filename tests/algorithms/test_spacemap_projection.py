"""PCA projection and silhouettes: hand-computed values, sign fixing, reproducibility."""
from __future__ import annotations

import numpy as np
import pytest

from embedgate.algorithms.projection import pca_2d, project, silhouette, umap_available


def test_pca_of_points_on_a_line_by_hand() -> None:
    # Centred: (-2,0), (0,0), (2,0). First component (1,0) (its largest loading made
    # positive), so x = -2, 0, 2; nothing varies along the second, so y = 0.
    proj = pca_2d(np.array([[0.0, 5.0], [2.0, 5.0], [4.0, 5.0]]))
    assert np.allclose(proj.coords[:, 0], [-2.0, 0.0, 2.0])
    assert np.allclose(proj.coords[:, 1], 0.0)
    assert proj.explained_variance_ratio == pytest.approx([1.0, 0.0])


def test_pca_sign_is_fixed_whatever_the_row_order() -> None:
    """A permutation of the rows gives the same point for every item (no sign flips)."""
    x = np.random.default_rng(0).normal(size=(40, 16))
    perm = np.random.default_rng(1).permutation(40)
    a = pca_2d(x).coords
    b = pca_2d(x[perm]).coords
    assert np.allclose(a[perm], b, atol=1e-9)


def test_pca_one_point_per_row_and_reproducible() -> None:
    x = np.random.default_rng(2).normal(size=(25, 8)).astype(np.float32)
    first, second = project(x, "pca", seed=1), project(x, "pca", seed=99)
    assert first.coords.shape == (25, 2) and np.array_equal(first.coords, second.coords)


def test_pca_of_a_single_column_still_gives_two_coordinates() -> None:
    assert pca_2d(np.array([[0.0], [1.0], [3.0]])).coords.shape == (3, 2)


def test_cosine_silhouette_by_hand() -> None:
    """a1 (1,0), a2 (.8,.6) vs b1 (0,1), b2 (-.6,.8). Cosine distances: a1-a2 .2, b1-b2 .2,
    a1-b1 1, a1-b2 1.6, a2-b1 .4, a2-b2 1. s(a1) = (1.3-.2)/1.3, s(a2) = (.7-.2)/.7, and
    b1, b2 mirror a2, a1."""
    x = np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0], [-0.6, 0.8]])
    result = silhouette(x, ["a", "a", "b", "b"])
    assert result is not None
    mean, per_item = result
    expected = [1.1 / 1.3, 0.5 / 0.7, 0.5 / 0.7, 1.1 / 1.3]
    assert per_item.tolist() == pytest.approx(expected)
    assert mean == pytest.approx(sum(expected) / 4)


def test_silhouette_undefined_cases() -> None:
    x = np.eye(3)
    assert silhouette(x, ["a", "a", "a"]) is None  # one label
    assert silhouette(x, ["a", "b", "c"]) is None  # every item its own label


@pytest.mark.skipif(not umap_available(), reason="umap-learn (the umap extra) is not installed")
def test_umap_is_seeded() -> None:
    x = np.random.default_rng(3).normal(size=(60, 8)).astype(np.float32)
    first, second = project(x, "umap", seed=4), project(x, "umap", seed=4)
    assert first.coords.shape == (60, 2) and np.allclose(first.coords, second.coords)
