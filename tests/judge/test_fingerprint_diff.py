"""What differs between two fingerprints, and the attribution rules, on hand-made inputs."""
from __future__ import annotations

import numpy as np

from embedgate.judge.explain import SEPARATE, attribute
from embedgate.judge.fingerprint_diff import DataDiff, EmbedderDiff, diff_embedder, environment_diff
from embedgate.results.probes import decode_b64, encode_b64, vectors_hash


def _probe(vectors: np.ndarray) -> dict:
    return {"set": "probes-v1", "n": len(vectors), "dim": vectors.shape[1],
            "sha256_rounded": vectors_hash(vectors), "float16_b64": encode_b64(vectors)}


def test_rounded_hash_ignores_bit_noise_and_float16_round_trips() -> None:
    rng = np.random.default_rng(0)
    v = rng.normal(size=(8, 16)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    assert np.abs(decode_b64(encode_b64(v), 16) - v).max() < 1e-3
    nudged = v.copy()
    nudged[0, 0] = np.nextafter(v[0, 0], np.float32(9))  # one ulp
    assert vectors_hash(v) == vectors_hash(nudged)
    assert vectors_hash(v) != vectors_hash(v * 0.9)


def test_environment_diff_names_libraries_isa_flags_and_threads() -> None:
    base = {"packages": {"torch": "2.13.0", "ranx": "1"}, "hardware": {"isa_flags": ["avx2"]},
            "threads": 2}
    cur = {"packages": {"torch": "2.14.0", "ranx": "2"}, "hardware": {"isa_flags": ["avx2",
           "avx512f"]}, "threads": 2}
    assert environment_diff(base, cur) == {"torch": ("2.13.0", "2.14.0"), "isa_flags": ("", "+avx512f")}


def test_same_weights_other_vectors_is_the_environment_with_the_factor() -> None:
    rng = np.random.default_rng(1)
    a = rng.normal(size=(4, 8)).astype(np.float32)
    b = a + rng.normal(scale=0.5, size=a.shape).astype(np.float32)
    fa = {"factors": {"weights_sha256": "w", "dtype": "fp32"}, "probe": _probe(a)}
    fb = {"factors": {"weights_sha256": "w", "dtype": "bf16"}, "probe": _probe(b)}
    diff = diff_embedder("e", fa, fb, {}, {})
    assert diff.vectors_changed and not diff.weights_changed
    cause, why = attribute(DataDiff("d"), diff, None, moved=True)
    assert cause == "environment" and "dtype fp32 -> bf16" in why
    same = diff_embedder("e", fa, {**fa, "factors": {**fa["factors"], "batch_size": 8}}, {}, {})
    assert same.cos_min == 1.0 and not same.vectors_changed


def test_data_and_model_both_changed_cannot_be_told_apart() -> None:
    data = DataDiff("d", qrels_changed=3)
    model = EmbedderDiff("e", weights_changed=True, weights=("a" * 64, "b" * 64))
    cause, why = attribute(data, model, None, moved=True)
    assert cause == "data+model" and "cannot be told apart" in why and SEPARATE in why
    assert attribute(data, EmbedderDiff("e"), None, moved=True)[0] == "data"
    assert attribute(DataDiff("d"), model, None, moved=True)[0] == "model"
    assert attribute(DataDiff("d"), EmbedderDiff("e"), "retrieval", moved=True)[0] == "settings"
    assert attribute(DataDiff("d"), EmbedderDiff("e"), None, moved=True)[0] == "unexplained"
    assert attribute(DataDiff("d"), EmbedderDiff("e"), None, moved=False)[0] == "noise"
