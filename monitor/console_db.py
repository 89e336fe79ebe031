"""How the console talks to the warehouse: one cached read-only engine per URL, short-lived connections,
and a bounded retry when DuckDB's single writer holds the file.

DuckDB lets one process write a file at a time and refuses even read-only opens while a writer holds it.
A load can take minutes, so the console must not crash: `read()` retries a few times with backoff and
then raises `WarehouseBusy`, which the dashboard shows as "warehouse busy, retrying" and re-runs later.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from warehouse.engine import create_engine, is_lock_error, masked, parse_url
from warehouse.errors import WarehouseUnavailable

RETRY_DELAYS = (0.2, 0.5, 1.0)  # seconds between attempts before giving up with WarehouseBusy

_ENGINES: dict[str, Engine] = {}
_ENGINES_LOCK = threading.Lock()
_LOCAL = threading.local()  # the current thread's read session (Streamlit runs each page render in a thread)


class WarehouseBusy(WarehouseUnavailable):
    """Another process holds the DuckDB write lock (a load is running): retry shortly."""

    code = "warehouse_busy"


def engine_for(url: str) -> Engine:
    """The console's engine for `url`, created once per URL (DuckDB read-only, no pooled connections)."""
    with _ENGINES_LOCK:
        engine = _ENGINES.get(url)
        if engine is None:
            engine = create_engine(url, read_only=True)
            _ENGINES[url] = engine
        return engine


def dispose_engines() -> None:
    """Close every cached engine (tests, and a server shutting down)."""
    with _ENGINES_LOCK:
        for engine in _ENGINES.values():
            engine.dispose()
        _ENGINES.clear()


@contextmanager
def session(url: str) -> Iterator[None]:
    """Share one read-only connection among the reads of `url` inside the block (one page render), closed
    when the block ends: opening a DuckDB file costs more than most console queries, and a render must
    still not hold the file longer than it takes."""
    previous = getattr(_LOCAL, "session", None)
    _LOCAL.session = {"url": url, "conn": None}
    try:
        yield
    finally:
        _close_session()
        _LOCAL.session = previous


def _close_session() -> None:
    current = getattr(_LOCAL, "session", None)
    if current and current["conn"] is not None:
        current["conn"].close()
        current["conn"] = None


def _is_busy(error: BaseException) -> bool:
    # The second message: this process holds the same file open read-write (an incident write in another
    # session thread) while we open it read-only; it clears as soon as that short write finishes.
    return is_lock_error(error) or "different configuration" in str(error)


def _with_retry(url: str, work: Callable[[sa.Connection], Any], engine: Engine | None = None,
                delays: tuple[float, ...] = RETRY_DELAYS) -> Any:
    eng = engine or engine_for(url)
    shared = getattr(_LOCAL, "session", None) if engine is None else None
    if shared is not None and shared["url"] != url:
        shared = None
    for attempt in range(len(delays) + 1):
        try:
            if shared is not None:
                if shared["conn"] is None:
                    shared["conn"] = eng.connect()
                return work(shared["conn"])
            with eng.connect() as conn:
                return work(conn)
        except WarehouseUnavailable:
            raise
        except Exception as e:
            if not _is_busy(e):
                if isinstance(e, sa.exc.OperationalError | sa.exc.InterfaceError) and attempt == 0:
                    raise WarehouseUnavailable(
                        f"cannot read warehouse {masked(url)}: {str(getattr(e, 'orig', e)).splitlines()[0]}. "
                        "Check that it is running and the URL is right."
                    ) from None
                raise
            if attempt == len(delays):
                raise WarehouseBusy(
                    f"warehouse {masked(url)} is busy: another process holds the DuckDB write lock "
                    "(a load or check run). The console retries on its own."
                ) from None
            time.sleep(delays[attempt])
    raise AssertionError("unreachable")


def read(url: str, sql: str, params: Mapping[str, Any] | None = None, *, limit: int | None = None) -> pd.DataFrame:
    """Run one SELECT on a short-lived read-only connection and return its rows as a DataFrame.

    `limit` fetches at most that many rows (portable: no LIMIT/TOP in the SQL text).
    """

    def work(conn: sa.Connection) -> pd.DataFrame:
        result = conn.execute(sa.text(sql), dict(params or {}))
        rows = result.fetchmany(limit) if limit is not None else result.fetchall()
        return _numeric(pd.DataFrame([tuple(r) for r in rows], columns=list(result.keys())))

    return _with_retry(url, work)  # type: ignore[no-any-return]


def write(url: str, action: Callable[[Engine], Any], delays: tuple[float, ...] = RETRY_DELAYS) -> Any:
    """Run `action` with a short-lived read-write engine (the console's only writes: incident actions,
    through the monitor's API). Retries like `read` while another process holds the DuckDB lock."""
    _close_session()  # this process must not hold the file read-only while it opens it to write
    engine = create_engine(url)
    try:
        for attempt in range(len(delays) + 1):
            try:
                return action(engine)
            except Exception as e:
                if not _is_busy(e):
                    raise
                if attempt == len(delays):
                    raise WarehouseBusy(
                        f"warehouse {masked(url)} is busy: another process holds the DuckDB write lock. "
                        "Nothing was saved; try again in a moment."
                    ) from None
                time.sleep(delays[attempt])
    finally:
        engine.dispose()
    raise AssertionError("unreachable")


def _numeric(df: pd.DataFrame) -> pd.DataFrame:
    """PostgreSQL returns SUM(bigint) as NUMERIC (Decimal): make such columns plain numbers for charts."""
    for col in df.columns:
        if df[col].dtype == object:
            first = df[col].dropna()
            if not first.empty and isinstance(first.iloc[0], Decimal):
                df[col] = pd.to_numeric(df[col].map(lambda v: None if v is None else float(v)))
    return df


WarehouseStateName = Literal["no_file", "no_schema", "empty", "ready"]


@dataclass(frozen=True)
class WarehouseState:
    """What the console found: whether there is anything to show and, if not, what to run."""

    state: WarehouseStateName
    message: str

    @property
    def ready(self) -> bool:
        return self.state == "ready"


def warehouse_state(url: str) -> WarehouseState:
    """Is the warehouse there, migrated, and holding check results? Never creates anything."""
    u = parse_url(url)
    is_file = u.get_backend_name() == "duckdb" and u.database not in (None, "", ":memory:")
    if is_file and not Path(str(u.database)).expanduser().exists():
        return WarehouseState(
            "no_file",
            f"No warehouse file at {u.database}. Run `utilityflow demo` for a sample warehouse, or "
            f"`utilityflow init --warehouse {masked(u)}` and load your first batch.",
        )

    def probe(conn: sa.Connection) -> WarehouseState:
        views = set(sa.inspect(conn).get_view_names())
        if not {"v_dq_console_daily", "v_dq_result_latest"} <= views:
            return WarehouseState(
                "no_schema",
                f"The warehouse {masked(u)} has no data-quality mart (or an older one). Run "
                f"`utilityflow init --warehouse {masked(u)}` to create or upgrade it.",
            )
        has_results = conn.execute(sa.text("SELECT COUNT(*) FROM fact_data_quality")).scalar_one()
        if not has_results:
            return WarehouseState(
                "empty",
                "No check results yet. Run `utilityflow demo` to generate, load and check a sample of the six "
                "sources, or load a batch and run its checks; this page fills in as soon as results land.",
            )
        return WarehouseState("ready", "")

    return _with_retry(url, probe)  # type: ignore[no-any-return]
