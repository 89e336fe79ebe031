"""Engines from warehouse URLs: DuckDB (embedded default), PostgreSQL (psycopg 3), SQL Server/Synapse (pyodbc)."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url

from warehouse.dialects import Dialect, dialect_of_engine
from warehouse.errors import BadWarehouseURL, WarehouseUnavailable

SUPPORTED = "duckdb:///FILE, postgresql+psycopg://USER@HOST/DB or mssql+pyodbc://...?driver=ODBC+Driver+18+for+SQL+Server"


def masked(url: str | URL) -> str:
    """The URL with its password hidden, for messages and logs."""
    try:
        u = url if isinstance(url, URL) else make_url(url)
        return u.render_as_string(hide_password=True)
    except Exception:
        return "<unparseable URL>"


def parse_url(url: str) -> URL:
    """Parse and normalise a warehouse URL; raise BadWarehouseURL (password masked) if unusable."""
    try:
        u = make_url(url)
    except Exception:
        raise BadWarehouseURL(
            f"cannot parse warehouse URL {masked(url)!r}; expected {SUPPORTED}."
        ) from None
    backend = u.get_backend_name()
    if backend in ("postgres", "postgresql") and u.get_driver_name() in ("", "postgres", "psycopg2"):
        u = u.set(drivername="postgresql+psycopg")
    elif backend == "duckdb":
        pass
    elif backend == "mssql":
        if u.get_driver_name() != "pyodbc":
            u = u.set(drivername="mssql+pyodbc")
    elif backend != "postgresql":
        raise BadWarehouseURL(
            f"unsupported warehouse {backend!r} in {masked(u)!r}; expected {SUPPORTED}."
        )
    if backend == "duckdb" and u.database not in (None, "", ":memory:"):
        parent = Path(u.database).expanduser().resolve().parent
        if not parent.is_dir():
            raise BadWarehouseURL(
                f"DuckDB file {u.database!r}: folder {str(parent)!r} does not exist; create it or "
                "choose another path."
            )
    return u


def create_engine(
    url: str | URL,
    *,
    schema: str | None = None,
    read_only: bool = False,
    duckdb_memory_limit: str | None = None,
    **kwargs: Any,
) -> Engine:
    """An engine for the warehouse at `url`.

    - DuckDB: `read_only=True` opens the file without taking the writer lock (the console does this).
    - PostgreSQL: `schema` sets the search_path, so unqualified DDL and queries use that schema.
    - SQL Server/Synapse: `fast_executemany=True`, because Synapse rejects multi-row INSERT VALUES.
    - `duckdb_memory_limit` (e.g. "2GB") caps DuckDB's buffer pool, which otherwise takes up to 80% of RAM.
    """
    u = parse_url(url) if isinstance(url, str) else url
    backend = u.get_backend_name()
    connect_args: dict[str, Any] = dict(kwargs.pop("connect_args", {}))
    if backend == "duckdb":
        if read_only:
            connect_args["read_only"] = True
        # One process may write a DuckDB file at a time: don't keep idle connections holding it.
        kwargs.setdefault("poolclass", sa.pool.NullPool)
    elif backend == "postgresql":
        if schema:
            connect_args["options"] = f"-c search_path={schema}"
        kwargs.setdefault("pool_pre_ping", True)
    elif backend == "mssql":
        try:
            import pyodbc  # noqa: F401  (imported only for SQL Server URLs: it needs libodbc)
        except ImportError as e:
            raise WarehouseUnavailable(
                f"SQL Server/Synapse needs pyodbc and the unixODBC library ({e}); install the Debian "
                "package 'unixodbc' and Microsoft ODBC Driver 18."
            ) from None
        kwargs.setdefault("fast_executemany", True)
    engine = sa.create_engine(u, connect_args=connect_args, **kwargs)
    if backend == "duckdb" and duckdb_memory_limit:
        _limit_duckdb_memory(engine, duckdb_memory_limit)
    if backend == "duckdb" and not read_only:
        _wait_out_short_locks(engine)
    return engine


# A writer re-opens the file for every transaction (NullPool), so a console read that lands between two of a
# load's transactions holds the file for a few milliseconds: wait that out instead of failing the load.
_OPEN_RETRY_DELAYS = (0.02, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2)


def _wait_out_short_locks(engine: Engine) -> None:
    @sa.event.listens_for(engine, "do_connect")
    def _connect(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        for delay in (*_OPEN_RETRY_DELAYS, None):
            try:
                return dialect.connect(*cargs, **cparams)
            except Exception as e:
                if delay is None or not is_lock_error(e):
                    raise
                time.sleep(delay)
        return None  # unreachable: the last attempt returns or raises


def _limit_duckdb_memory(engine: Engine, limit: str) -> None:
    if not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", limit.strip(), re.IGNORECASE):
        raise BadWarehouseURL(f"DuckDB memory limit {limit!r} is not a size like '2GB' or '512MB'.")

    @sa.event.listens_for(engine, "connect")
    def _set_limit(dbapi_connection: Any, _record: Any) -> None:
        # A runtime SET, not connect-time config: DuckDB refuses a second connection to one file whose
        # config differs from the first, and the limit is the instance's anyway.
        cursor = dbapi_connection.cursor()
        cursor.execute(f"SET memory_limit = '{limit.strip()}'")
        cursor.close()


def dialect_of(engine: Engine) -> Dialect:
    """UtilityFlow's dialect record for an engine."""
    return dialect_of_engine(engine.dialect.name)


def is_lock_error(error: BaseException) -> bool:
    """True when DuckDB refused to open because another process holds the file's write lock."""
    text = str(error)
    return "Could not set lock on file" in text or "Conflicting lock is held" in text


def driver_connection(conn: sa.Connection) -> Any:
    """The driver's own connection under `conn` (DuckDB's, psycopg's), for what SQLAlchemy does not wrap:
    Arrow scans and registered frames on DuckDB, COPY on PostgreSQL."""
    raw = conn.connection.driver_connection
    if raw is None:
        raise RuntimeError("the connection is closed")
    return raw


def connect_checked(engine: Engine) -> sa.Connection:
    """Open a connection, turning 'cannot reach' and 'file is locked' into WarehouseUnavailable."""
    try:
        return engine.connect()
    except Exception as e:
        if is_lock_error(e):
            raise WarehouseUnavailable(
                f"warehouse {masked(engine.url)} is busy: another UtilityFlow process holds the DuckDB "
                "write lock. Wait for it to finish and retry."
            ) from None
        raise WarehouseUnavailable(
            f"cannot connect to warehouse {masked(engine.url)}: {type(e).__name__}: "
            f"{_first_line(e)}. Check that it is running and the URL is right."
        ) from None


def _first_line(e: BaseException) -> str:
    msg = str(getattr(e, "orig", None) or e).strip().splitlines()
    return msg[0] if msg else type(e).__name__
