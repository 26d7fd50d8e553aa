"""CLI pieces for encoding: `run --cache-dir/--no-cache/--ray` and `embedgate cache info|prune`."""
from __future__ import annotations

import argparse
import datetime as dt
from typing import TYPE_CHECKING, Any

from embedgate.infra import cli_args
from embedgate.encode.locations import DB_NAME, LOCAL_RAY, default_dir
from embedgate.infra.errors import InputError
from embedgate.infra.textio import check_name

if TYPE_CHECKING:  # the encode stage imports numpy: only the commands that encode pay for it
    from embedgate.encode.cache import EmbeddingCache
    from embedgate.encode.setup import EncodeOverrides


def add_run_arguments(run: argparse.ArgumentParser) -> None:
    """Options of `embedgate run` that change how texts are encoded (not what is measured)."""
    group = run.add_mutually_exclusive_group()
    group.add_argument("--cache-dir", help="embedding cache folder (default: $EMBEDGATE_CACHE_DIR, "
                       "suite cache.dir, or the user cache dir)")
    group.add_argument("--no-cache", action="store_true", help="do not read or write the cache")
    run.add_argument("--ray", nargs="?", const=LOCAL_RAY, metavar="ADDRESS",
                     help="shard encoding over a Ray cluster at ADDRESS (default: start a local "
                          "one); overrides the suite's scale.ray")


def run_overrides(args: argparse.Namespace) -> EncodeOverrides:
    from embedgate.encode.setup import EncodeOverrides

    cache_dir = check_name(args.cache_dir, "--cache-dir") if args.cache_dir else None
    return EncodeOverrides(cache_dir=cache_dir.expanduser() if cache_dir else None,
                           no_cache=bool(args.no_cache), ray=args.ray)


def add_parser(sub: Any) -> None:
    """`embedgate cache info` and `embedgate cache prune`."""
    cache = sub.add_parser("cache", help="inspect or prune the embedding cache")
    cache.add_argument("--cache-dir", help="cache folder (default: $EMBEDGATE_CACHE_DIR or the "
                       "user cache dir)")
    verbs = cache.add_subparsers(dest="verb", required=True)
    info = verbs.add_parser("info", help="size and entries per embedder fingerprint")
    info.set_defaults(func=_cmd_info)
    prune = verbs.add_parser("prune", help="delete cache entries")
    what = prune.add_mutually_exclusive_group(required=True)
    what.add_argument("--older-than", type=cli_args.days, metavar="DAYS",
                      help="entries written more than DAYS days ago")
    what.add_argument("--embedder", action="append", metavar="FINGERPRINT",
                      help="entries of a fingerprint (or its prefix, as `cache info` prints it)")
    what.add_argument("--all", action="store_true", help="everything")
    prune.set_defaults(func=_cmd_prune)


def _open(args: argparse.Namespace) -> EmbeddingCache:
    from embedgate.encode.cache import EmbeddingCache

    directory = check_name(args.cache_dir, "--cache-dir").expanduser() if args.cache_dir \
        else default_dir()
    if directory.exists() and not directory.is_dir():
        raise InputError(f"{directory}: is a file, not a cache folder; pass the folder "
                         "to --cache-dir")
    if not (directory / DB_NAME).is_file():
        raise InputError(f"{directory}: no embedding cache there (nothing cached yet); "
                         "pass --cache-dir or set EMBEDGATE_CACHE_DIR")
    cache = EmbeddingCache.open(directory)
    if cache is None:
        raise InputError(f"{directory}: the embedding cache cannot be opened (see the warning)")
    return cache


def _cmd_info(args: argparse.Namespace) -> int:
    cache = _open(args)
    info = cache.info()
    print(f"cache: {info.path}")
    print(f"size:  {info.file_bytes / (1 << 20):.1f} MiB, {info.entries} vectors, "
          f"{len(info.embedders)} embedder fingerprints")
    for e in info.embedders:
        d = e.description
        used = dt.datetime.fromtimestamp(e.last_used).isoformat(timespec="seconds")
        print(f"  {e.fingerprint[:16]}  {e.entries:>9} vectors {e.bytes / (1 << 20):>9.1f} MiB  "
              f"last used {used}  {d.get('id', '?')} ({d.get('name', '?')}, "
              f"{d.get('backend', '?')}/{d.get('precision', '?')}, max_seq_length "
              f"{d.get('max_seq_length')}, prefix {d.get('prefix', '')!r})")
    cache.close()
    return 0


def _cmd_prune(args: argparse.Namespace) -> int:
    cache = _open(args)
    if args.older_than is not None and args.older_than < 0:
        raise InputError(f"--older-than {args.older_than}: give a number of days >= 0")
    removed = cache.prune(older_than_days=args.older_than, fingerprints=args.embedder or (),
                          everything=args.all)
    print(f"removed {removed} vectors; {cache.info().entries} left in {cache.path}")
    cache.close()
    return 0
