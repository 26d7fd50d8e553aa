"""Names and places of the encode stage that the CLI needs before anything heavy is imported.

Kept free of numpy and the models so that `embedgate validate` and `--help` stay fast.
"""
from __future__ import annotations

import os
from pathlib import Path

DB_NAME = "embeddings.sqlite3"
ENV_DIR = "EMBEDGATE_CACHE_DIR"
LOCAL_RAY = "local"  # `--ray` with no address: start a local cluster


def default_dir() -> Path:
    """`$EMBEDGATE_CACHE_DIR`, else `<user cache dir>/embedgate/embeddings` (platformdirs)."""
    env = os.environ.get(ENV_DIR)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("embedgate")) / "embeddings"
