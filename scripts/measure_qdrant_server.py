"""Measure `kind: qdrant` through a server (`url:`, qdrant-client over REST and over gRPC) against
the same engine in-process, on a suite's dataset: equal quality, and what each round trip costs.

    export PYTHONPATH=$PWD/bench HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
    python scripts/measure_qdrant_server.py                       # the domain fixtures
    python scripts/measure_qdrant_server.py --data ../shared/datasets/scifact --split test \
        --model packaged:all-MiniLM-L6-v2

Starts the project's loopback Qdrant server (`embedgate serve-qdrant`: Qdrant's REST shapes and
its gRPC API in front of the engine, qdrant-edge) with an API key, then runs one suite with the
same settings in-process and through the server (load: suite, REST and gRPC), and a load:
existing system over a collection the script deploys first as production would (UUID point
ids, document id in the payload).
Prints one line per system: nDCG@10 and its delta vs exact, ANN-recall@10, p50 search ms,
build seconds.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import uuid
from pathlib import Path

SUITE = """name: qdrant-server-vs-in-process
seed: 13
embedders:
  - {{id: model, kind: sentence-transformers, model: {model}, max_seq_length: 256,
     batch_size: 64}}
  - {{id: inproc, kind: qdrant, from: model, m: 16, ef_construct: 100, hnsw_ef: {efs},
     latency_queries: 8}}
  - {{id: server, kind: qdrant, from: model, url: "{url}", api_key_env: QDRANT_MEASURE_KEY,
     m: 16, ef_construct: 100, hnsw_ef: {efs}, latency_queries: 8}}
  - {{id: server-grpc, kind: qdrant, from: model, url: "{url}", api_key_env: QDRANT_MEASURE_KEY,
     grpc_port: {grpc_port}, m: 16, ef_construct: 100, hnsw_ef: {efs}, latency_queries: 8}}
  - {{id: deployed, kind: qdrant, from: model, url: "{url}", api_key_env: QDRANT_MEASURE_KEY,
     load: existing, collection: prod, id_payload_key: doc_id, hnsw_ef: {efs},
     latency_queries: 8}}
datasets:
  - {{id: data, path: {data}, split: {split}}}
tiers:
  retrieval: {{datasets: [data], metrics: [nDCG@10, R@100], top_k: 100}}
"""


def deploy(url: str, key: str, suite_path: Path, data: Path, split: str) -> None:
    """Write collection `prod` as a team's ingest job would (the suite model's vectors)."""
    from qdrant_client import QdrantClient
    from qdrant_client import models as m

    from embedgate.embedders.registry import BuildEnv
    from embedgate.inputs.beir import load_beir
    from embedgate.run.catalog import build
    from embedgate.suite import load_suite

    spec = next(e for e in load_suite(suite_path).suite.embedders if e.id == "model")
    model = build(spec, BuildEnv(where="deploy", base_dir=suite_path.parent))
    coll = load_beir("data", data, split)
    vecs = model.encode(coll.doc_texts, "passage")
    client = QdrantClient(url=url, api_key=key, check_compatibility=False)
    client.create_collection("prod", vectors_config=m.VectorParams(
        size=int(vecs.shape[1]), distance=m.Distance.DOT),
        hnsw_config=m.HnswConfigDiff(m=16, ef_construct=100, full_scan_threshold=1),
        optimizers_config=m.OptimizersConfigDiff(indexing_threshold=1))
    for start in range(0, len(coll.doc_ids), 1024):
        ids = coll.doc_ids[start:start + 1024]
        client.upsert("prod", points=m.Batch(
            ids=[str(uuid.uuid5(uuid.NAMESPACE_URL, d)) for d in ids],
            vectors=vecs[start:start + 1024].tolist(), payloads=[{"doc_id": d} for d in ids]),
            wait=True)


def main(argv: list[str] | None = None) -> int:
    root = Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=root / "fixtures" / "domain")
    parser.add_argument("--split", default="test")
    parser.add_argument("--model", default="packaged:m3e-small")
    parser.add_argument("--ef", type=int, nargs="+", default=[16, 128])
    parser.add_argument("--out", type=Path, default=Path(tempfile.mkdtemp(prefix="qds-")))
    args = parser.parse_args(argv)

    from embedgate.benchmarks.common import report_systems
    from embedgate.cli.entry import main as embedgate
    from embedgate.retrievers.serve_qdrant import QdrantServer

    key = uuid.uuid4().hex
    os.environ["QDRANT_MEASURE_KEY"] = key
    args.out.mkdir(parents=True, exist_ok=True)
    suite_path = args.out / "suite.yaml"
    with QdrantServer(api_key=key, grpc_port=0) as server:
        suite_path.write_text(SUITE.format(model=args.model, efs=args.ef, url=server.url,
                                           grpc_port=server.grpc_port,
                                           data=args.data.resolve(), split=args.split),
                              encoding="utf-8")
        deploy(server.url, key, suite_path, args.data, args.split)
        code = embedgate(["run", str(suite_path), "--out", str(args.out / "run"), "-q"])
    return report_systems(code, args.out / "run", "data")


if __name__ == "__main__":
    sys.exit(main())
