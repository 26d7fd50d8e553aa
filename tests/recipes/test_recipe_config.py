"""Recipe files: bad input is one line with file:line and exit 2; τ reaches the loss as 1/τ."""
from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from embedgate.cli.entry import main
from embedgate.infra.errors import InputError
from embedgate.recipes.losses import build_loss, describe
from embedgate.recipes.recipe import DomainAdaptationStage, SupervisedStage, load_recipe

from tests.conftest import write_beir

RECIPE = """name: tiny
base: packaged:m3e-small
seed: 1
data:
  beir: data
  split: train
stages:
  - kind: supervised
    loss: infonce
    temperature: {tau}
{extra}"""


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    corpus = [{"_id": f"d{i}", "text": f"passage {i}", "metadata": {"domain": "medical"}}
              for i in range(4)]
    queries = [{"_id": f"q{i}", "text": f"query {i}", "metadata": {"domain": "medical"}}
               for i in range(2)]
    return write_beir(tmp_path / "data", corpus, queries, [("q0", "d0", 1), ("q1", "d1", 2)],
                      split="train")


def _write(tmp_path: Path, tau: str = "0.1", extra: str = "", text: str | None = None) -> Path:
    path = tmp_path / "recipe.yaml"
    path.write_text(text if text is not None else RECIPE.format(tau=tau, extra=extra),
                    encoding="utf-8")
    return path


def _finetune(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["finetune", str(path), "-q"])
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.startswith("embedgate: error:")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return code, lines[0]


def test_a_valid_recipe_loads(tmp_path: Path, data_dir: Path) -> None:
    loaded = load_recipe(_write(tmp_path))
    assert loaded.recipe.stage_names() == ["supervised"]
    assert loaded.resolve(loaded.recipe.data.beir) == data_dir.resolve()


def test_unknown_stage_kind(tmp_path: Path, data_dir: Path, capsys) -> None:
    path = _write(tmp_path, extra="  - kind: distilation\n    student_layers: [0]\n")
    code, line = _finetune(path, capsys)
    assert code == 2
    assert f"{path}:11" in line and 'unknown stage kind "distilation"' in line
    assert 'did you mean "distillation"' in line


@pytest.mark.parametrize("tau", ["0", "-0.1"])
def test_temperature_must_be_positive(tmp_path: Path, data_dir: Path, capsys, tau: str) -> None:
    path = _write(tmp_path, tau=tau)
    code, line = _finetune(path, capsys)
    assert code == 2 and f"{path}:10" in line and "temperature τ must be > 0" in line


def test_empty_training_set(tmp_path: Path, data_dir: Path, capsys) -> None:
    text = RECIPE.format(tau="0.1", extra="").replace("  split: train\n",
                                                      "  split: train\n  where: {domain: legal}\n")
    path = _write(tmp_path, text=text)
    code, line = _finetune(path, capsys)
    assert code == 2 and f"{path}:5" in line and "training set is empty" in line
    assert "queries matching where: 0" in line


def test_empty_pairs_file(tmp_path: Path, capsys) -> None:
    (tmp_path / "pairs.tsv").write_text("query\tpositive\n", encoding="utf-8")
    text = RECIPE.format(tau="0.1", extra="").replace("  beir: data\n  split: train\n",
                                                      "  pairs: pairs.tsv\n")
    code, line = _finetune(_write(tmp_path, text=text), capsys)
    assert code == 2 and "training set is empty" in line


def test_unknown_key_suggests(tmp_path: Path, data_dir: Path, capsys) -> None:
    text = RECIPE.format(tau="0.1", extra="").replace("temperature: 0.1", "temprature: 0.1")
    path = _write(tmp_path, text=text)
    code, line = _finetune(path, capsys)
    assert code == 2 and '"temprature"' in line and 'did you mean "temperature"' in line


def test_triplet_needs_negatives(tmp_path: Path, data_dir: Path, capsys) -> None:
    path = _write(tmp_path, text=RECIPE.format(tau="0.1", extra="").replace("infonce", "triplet"))
    code, line = _finetune(path, capsys)
    assert code == 2 and "needs mined negatives" in line


def test_unknown_stage_name_for_embedder(tmp_path: Path, data_dir: Path) -> None:
    loaded = load_recipe(_write(tmp_path))
    with pytest.raises(InputError, match='no stage "supervise".*did you mean "supervised"'):
        loaded.stage_index("supervise", "suite.yaml:3")


def _cos_infonce(q: torch.Tensor, d: torch.Tensor, tau: float) -> float:
    """Cross-entropy of cosine / τ with the diagonal as targets, by hand."""
    qn, dn = q / q.norm(dim=1, keepdim=True), d / d.norm(dim=1, keepdim=True)
    logits = (qn @ dn.T).tolist()
    total = 0.0
    for i, row in enumerate(logits):
        scaled = [v / tau for v in row]
        total += -scaled[i] + math.log(sum(math.exp(v) for v in scaled))
    return total / len(logits)


@pytest.mark.parametrize("tau", [0.05, 0.1, 0.2])
def test_infonce_scale_is_one_over_tau(tau: float) -> None:
    stage = SupervisedStage(kind="supervised", temperature=tau)
    loss = build_loss(stage, model=None)
    assert loss.scale == pytest.approx(1 / tau)
    assert describe(loss)["temperature"] == pytest.approx(tau)
    q = torch.tensor([[1.0, 0.0], [0.3, 0.9], [0.5, 0.5]])
    d = torch.tensor([[0.9, 0.1], [0.0, 1.0], [0.2, 0.7]])
    got = float(loss.compute_loss_from_embeddings([q, d], labels=None))
    assert got == pytest.approx(_cos_infonce(q, d, tau), rel=1e-5)


def test_simcse_and_triplet_wiring() -> None:
    simcse = build_loss(DomainAdaptationStage(kind="domain_adaptation", temperature=0.05), None)
    assert simcse.scale == pytest.approx(20.0)
    triplet = build_loss(SupervisedStage(kind="supervised", loss="triplet", margin=0.3,
                                         negatives={"semantic": {}}), None)
    assert describe(triplet) == {"class": "TripletLoss", "margin": 0.3, "distance": "cosine"}
