"""embedgate metric names <-> MTEB score keys, and BEIR dataset ids <-> MTEB task names.

MTEB's retrieval scores are ``ndcg_at_10``, ``mrr_at_10``, ``recall_at_100``, ``map_at_100``,
``precision_at_5`` …; its retrieval tasks' main score is ``ndcg_at_10``. Only measures with a
cutoff and no other parameter map: ``P(rel=2)@5`` has no MTEB twin and is left out.

>>> mteb_key("nDCG@10"), mteb_key("RR@10"), mteb_key("Rprec")
('ndcg_at_10', 'mrr_at_10', None)
>>> embedgate_metric("recall_at_100")
'R@100'
"""
from __future__ import annotations

import re

_TO_MTEB = {"nDCG": "ndcg", "RR": "mrr", "R": "recall", "AP": "map", "P": "precision"}
_FROM_MTEB = {v: k for k, v in _TO_MTEB.items()}
_NAME = re.compile(r"^([A-Za-z]+)@([0-9]+)$")
_KEY = re.compile(r"^([a-z]+)_at_([0-9]+)$")
MAIN_SCORE = "ndcg_at_10"  # every MTEB retrieval task's main score
# BEIR folder names as MTEB spells the tasks; any other id needs --task ID=TaskName.
BEIR_TASKS = {"scifact": "SciFact", "nfcorpus": "NFCorpus", "fiqa": "FiQA2018",
              "arguana": "ArguAna", "scidocs": "SCIDOCS", "trec-covid": "TRECCOVID",
              "quora": "QuoraRetrieval", "nq": "NQ", "hotpotqa": "HotpotQA",
              "msmarco": "MSMARCO", "touche2020": "Touche2020", "dbpedia-entity": "DBPedia",
              "fever": "FEVER", "climate-fever": "ClimateFEVER"}


def mteb_key(metric: str) -> str | None:
    """The MTEB score key of an embedgate metric, or None when MTEB has no such score."""
    match = _NAME.match(metric)
    if not match or match.group(1) not in _TO_MTEB:
        return None
    return f"{_TO_MTEB[match.group(1)]}_at_{match.group(2)}"


def embedgate_metric(key: str) -> str | None:
    """The embedgate metric of an MTEB score key, or None for keys embedgate does not name."""
    match = _KEY.match(key)
    if not match or match.group(1) not in _FROM_MTEB:
        return None
    return f"{_FROM_MTEB[match.group(1)]}@{match.group(2)}"


def task_name(dataset: str, mapping: dict[str, str]) -> str:
    """The MTEB task a dataset is reported as: the user's mapping, a BEIR name, else its id."""
    return mapping.get(dataset) or BEIR_TASKS.get(dataset.lower()) or dataset
