"""Real training of m3e-small on a few pairs: weights move, training-set loss falls, the cache
serves re-runs, the seed makes it reproducible, and no global RNG state leaks out.
"""
from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from embedgate.cli.entry import main
from embedgate.recipes import store
from embedgate.recipes.recipe import load_recipe
from embedgate.recipes.train import TrainedModel, ensure_trained

from tests.conftest import write_beir

pytestmark = pytest.mark.slow

PAIRS = [("心肌缺血有哪些症状", "冠状动脉供血不足时常见胸骨后压榨样疼痛，可放射至左肩"),
         ("中风后多久可以溶栓", "急性缺血性脑卒中发病4.5小时内可行静脉溶栓治疗"),
         ("高血压患者怎么用药", "原发性高血压的药物治疗包括利尿剂、钙通道阻滞剂和ACEI"),
         ("糖尿病人饮食注意什么", "2型糖尿病患者应控制总热量，限制精制糖和饱和脂肪摄入"),
         ("感冒发烧吃什么药", "上呼吸道感染发热可使用对乙酰氨基酚退热，注意多饮水"),
         ("骨折后多久能愈合", "成人长骨骨折一般需要6到12周达到骨性愈合"),
         ("哮喘急性发作怎么办", "支气管哮喘急性发作时应立即吸入短效β2受体激动剂"),
         ("胃溃疡的典型症状", "消化性溃疡表现为周期性、节律性上腹痛，与进食相关")]
DISTRACTORS = ["病毒性心肌炎多见于青少年，常有前驱感染史", "脑出血患者禁用溶栓药物",
               "低血压患者应避免突然站立", "社区获得性肺炎首选β内酰胺类抗生素"]

RECIPE = """name: tiny-medical
base: packaged:m3e-small
seed: 7
data: {beir: data, split: train}
stages:
  - kind: domain_adaptation
    lr: 5.0e-5
    batch_size: 4
    max_seq_length: 64
    warmup_ratio: 0
  - kind: supervised
    temperature: 0.1
    lr: 1.0e-4
    batch_size: 4
    epochs: 1
    warmup_ratio: 0
    max_seq_length: 64
    negatives:
      semantic: {rank_window: [1, 5], per_query: 1}
      lexical: {top_k: 5, per_query: 1}
  - kind: distillation
    student_layers: [0, 2]
    lr: 1.0e-4
    batch_size: 4
    warmup_ratio: 0
    max_seq_length: 64
"""


def write_recipe(root: Path) -> Path:
    corpus = [{"_id": f"p{i}", "text": t} for i, (_, t) in enumerate(PAIRS)]
    corpus += [{"_id": f"x{i}", "text": t} for i, t in enumerate(DISTRACTORS)]
    queries = [{"_id": f"q{i}", "text": q} for i, (q, _) in enumerate(PAIRS)]
    queries.append({"_id": "t0", "text": "心绞痛发作时怎么办"})
    write_beir(root / "data", corpus, queries, [(f"q{i}", f"p{i}", 1) for i in range(len(PAIRS))],
               "train")
    write_beir(root / "data", corpus, queries, [("t0", "p0", 1)], "test")
    path = root / "recipe.yaml"
    path.write_text(RECIPE, encoding="utf-8")
    return path


def _rng_states() -> tuple[object, ...]:
    return (random.getstate(), np.random.get_state()[1].tobytes(), torch.get_rng_state())


class Trained:
    def __init__(self, cache: Path, recipe: Path, first: TrainedModel, leaked: bool) -> None:
        self.cache, self.recipe, self.first, self.rng_leaked = cache, recipe, first, leaked


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trained]:
    root = tmp_path_factory.mktemp("recipe")
    cache = root / "cache"
    recipe = write_recipe(root)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("EMBEDGATE_CACHE_DIR", str(cache))
        before = _rng_states()
        first = ensure_trained(load_recipe(recipe), "supervised", progress=False)
        after = _rng_states()
    leaked = not (before[0] == after[0] and before[1] == after[1]
                  and torch.equal(before[2], after[2]))  # type: ignore[arg-type]
    yield Trained(cache, recipe, first, leaked)


def _state(path: Path) -> dict[str, torch.Tensor]:
    from sentence_transformers import SentenceTransformer

    return {k: v.clone() for k, v in SentenceTransformer(str(path), device="cpu").state_dict().items()}


def test_training_moves_weights_and_lowers_training_loss(trained: Trained) -> None:
    from embedgate.infra.packaged import resolve

    assert trained.first.trained == ["domain_adaptation", "supervised"]
    sup = trained.first.records[-1]
    assert sup["steps"] >= 2 and sup["loss"]["temperature"] == pytest.approx(0.1)
    assert sup["train_set_loss_after"] < sup["train_set_loss_before"]
    assert sup["mining"]["per_strategy"]["semantic"]["kept"] > 0
    base, tuned = _state(resolve("packaged:m3e-small")), _state(trained.first.path)
    assert base.keys() == tuned.keys()
    moved = max(float((base[k] - tuned[k]).abs().max()) for k in base)
    assert moved > 1e-5


def test_training_leaves_global_rng_state_alone(trained: Trained) -> None:
    assert not trained.rng_leaked


def test_a_rerun_is_served_from_the_cache(trained: Trained, monkeypatch) -> None:
    monkeypatch.setenv("EMBEDGATE_CACHE_DIR", str(trained.cache))
    again = ensure_trained(load_recipe(trained.recipe), "supervised", progress=False)
    assert again.trained == [] and again.path == trained.first.path
    assert again.records == trained.first.records
    assert not list(store.cache_root().glob(".*.tmp"))  # no half-published folders


def test_same_seed_same_weights(trained: Trained, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("EMBEDGATE_CACHE_DIR", str(tmp_path / "other-cache"))
    loaded = load_recipe(trained.recipe)
    again = ensure_trained(loaded, "domain_adaptation", progress=False)
    first_da = store.stage_dir(trained.first.records[0]["key"]) / store.MODEL
    a, b = _state(first_da), _state(again.path)
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_distillation_into_fewer_layers(trained: Trained, monkeypatch, capsys) -> None:
    monkeypatch.setenv("EMBEDGATE_CACHE_DIR", str(trained.cache))
    assert main(["finetune", str(trained.recipe), "-q"]) == 0
    out = capsys.readouterr().out
    assert "stage supervised [supervised, cached]" in out
    assert "stage distillation [distillation, trained] MSELoss" in out
    model_dir = Path(out.strip().splitlines()[-1].removeprefix("model: "))
    rec = store.read_record(model_dir.parent)
    assert rec["student"]["kept_layers"] == [0, 2] and rec["student"]["dim"] == 512
    assert rec["train_set_loss_after"] < rec["train_set_loss_before"]
    config = json.loads((model_dir / "config.json").read_text())
    assert config["num_hidden_layers"] == 2


def test_recipe_embedder_in_a_suite(trained: Trained, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("EMBEDGATE_CACHE_DIR", str(trained.cache))
    suite = trained.recipe.parent / "suite.yaml"
    suite.write_text(f"""name: tiny-finetune
seed: 1
embedders:
  - id: base
    kind: sentence-transformers
    model: packaged:m3e-small
  - id: tuned
    kind: recipe
    recipe: {trained.recipe.name}
    stage: supervised
datasets:
  - id: ds
    path: data
    split: test
tiers:
  retrieval:
    metrics: [nDCG@10, RR@10]
""", encoding="utf-8")
    assert main(["run", str(suite), "--out", str(tmp_path / "out"), "-q"]) == 0
    result = json.loads((tmp_path / "out" / "results.json").read_text())
    info = result["embedders"]["tuned"]
    assert info["kind"] == "recipe" and info["name"] == "tiny-medical@supervised"
    assert info["extra"]["recipe"]["trained_this_run"] == []
    assert [s["stage"] for s in info["extra"]["recipe"]["stages"]] == ["domain_adaptation",
                                                                      "supervised"]
    assert info["weights_sha256"] != result["embedders"]["base"]["weights_sha256"]


def test_distillation_into_another_model_keeps_the_teacher_dim(trained: Trained, monkeypatch,
                                                                tmp_path: Path) -> None:
    from sentence_transformers import SentenceTransformer

    monkeypatch.setenv("EMBEDGATE_CACHE_DIR", str(tmp_path / "cache"))
    recipe = trained.recipe.parent / "distil.yaml"
    recipe.write_text("""name: distil
base: packaged:m3e-small
data: {beir: data, split: train}
stages:
  - {kind: distillation, student: packaged:all-MiniLM-L6-v2, lr: 3.0e-6, batch_size: 4,
     max_seq_length: 32}
""", encoding="utf-8")
    done = ensure_trained(load_recipe(recipe), progress=False)
    notes = done.records[0]["student"]
    assert (notes["student_dim"], notes["teacher_dim"]) == (384, 512)
    student = SentenceTransformer(str(done.path), device="cpu")
    assert student.encode(["心肌缺血"]).shape == (1, 512)
