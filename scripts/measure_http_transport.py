"""Measure the HTTP transport: embedgate's urllib client vs httpx, against a loopback server.

Re-measure (httpx lives in a throwaway venv, never the project's):
    /work/main/.venv/bin/python -m venv /tmp/hx-venv && /tmp/hx-venv/bin/pip install httpx
    PYTHONPATH=$PWD/bench:$PWD /work/main/.venv/bin/python scripts/measure_http_transport.py \
        --httpx-python /tmp/hx-venv/bin/python

Both clients POST the same small embeddings request N times in a sequential loop to the
package's own OpenAI embeddings server (HTTP/1.1, keep-alive capable), in separate processes.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

HTTPX_LOOP = """
import httpx, json, sys, time
url, n = sys.argv[1], int(sys.argv[2])
payload = {"model": "hash-16", "input": ["a short query"]}
with httpx.Client(timeout=10) as c:
    c.post(url, json=payload).raise_for_status()
    t0 = time.perf_counter()
    for _ in range(n):
        c.post(url, json=payload).json()
    print(json.dumps({"rps": n / (time.perf_counter() - t0)}))
"""


def urllib_rps(base_url: str, n: int) -> float:
    from embedgate.infra.http_client import ClientConfig, JsonHttpClient

    client = JsonHttpClient(ClientConfig(base_url=base_url))
    payload = {"model": "hash-16", "input": ["a short query"]}
    client.post_json("embeddings", payload)
    t0 = time.perf_counter()
    for _ in range(n):
        client.post_json("embeddings", payload)
    return n / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--httpx-python", required=True)
    parser.add_argument("-n", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--nodelay", action="store_true",
                        help="server sets TCP_NODELAY (the package's server does not)")
    args = parser.parse_args()
    from embedgate.embedders import serve
    from tests.fakes.servers.openai_embeddings import FaultyServer, hashed_encoder

    # Without it a keep-alive client meets Nagle + delayed ACK (~40 ms per request on Linux).
    serve._Handler.disable_nagle_algorithm = args.nodelay

    with FaultyServer(hashed_encoder(16), 16, "hash-16") as server:
        url = server.base_url.rstrip("/") + "/embeddings"
        for r in range(args.rounds):
            ours = urllib_rps(server.base_url, args.n)
            out = subprocess.run([args.httpx_python, "-c", HTTPX_LOOP, url, str(args.n)],
                                 check=True, capture_output=True, text=True).stdout
            theirs = json.loads(out)["rps"]
            print(f"round {r + 1}: urllib (new connection per request) {ours:7.0f} req/s; "
                  f"httpx.Client (keep-alive) {theirs:7.0f} req/s", flush=True)


if __name__ == "__main__":
    sys.exit(main())
