"""Shared fixtures: warehouses to test against.

PostgreSQL is a real server (127.0.0.1:5432, trust auth, database `test`, or UTILITYFLOW_TEST_PG_URL).
Each test session works in a schema of its own, dropped at the end. When the server is unreachable the
tests that need it FAIL, in CI and locally alike; set UTILITYFLOW_TEST_SKIP_PG=1 to skip them on purpose.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from warehouse.engine import create_engine

PG_URL = os.environ.get("UTILITYFLOW_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
_TYPES = {
    "text": sa.Text,
    "int": sa.BigInteger,
    "float": sa.Float,
    "ts": sa.DateTime,
    "date": sa.Date,
    "bool": sa.Boolean,
}


def make_table(engine: Engine, name: str, columns: dict[str, str], rows: Sequence[Sequence[Any]]) -> None:
    """(Re)create `name` with `columns` (name -> text|int|float|ts|date|bool) and insert `rows`."""
    md = sa.MetaData()
    table = sa.Table(name, md, *(sa.Column(c, _TYPES[t]()) for c, t in columns.items()))
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP TABLE IF EXISTS "{name}"'))
        md.create_all(conn, checkfirst=False)
        if rows:
            conn.execute(table.insert(), [dict(zip(columns, r, strict=True)) for r in rows])


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[Engine]:
    """An engine on the PostgreSQL test database (public schema), checked to be reachable."""
    if os.environ.get("UTILITYFLOW_TEST_SKIP_PG") == "1":
        pytest.skip("UTILITYFLOW_TEST_SKIP_PG=1: PostgreSQL tests skipped on purpose")
    engine = create_engine(PG_URL)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as e:  # fail loudly: CI must have the server
        pytest.fail(
            f"PostgreSQL is not reachable at {PG_URL} ({type(e).__name__}). Start it "
            "(pg_ctlcluster <version> main start) or set UTILITYFLOW_TEST_SKIP_PG=1 to skip on purpose.",
            pytrace=False,
        )
    yield engine
    engine.dispose()


@pytest.fixture
def pg_schema(pg_admin: Engine) -> Iterator[str]:
    """A fresh, empty PostgreSQL schema, dropped after the test."""
    name = f"uf_test_{uuid.uuid4().hex[:10]}"
    with pg_admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {name}")
    yield name
    with pg_admin.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA {name} CASCADE")


@pytest.fixture
def pg_engine(pg_schema: str) -> Iterator[Engine]:
    """An engine whose search_path is a fresh schema."""
    engine = create_engine(PG_URL, schema=pg_schema)
    yield engine
    engine.dispose()


@pytest.fixture
def duckdb_url(tmp_path: Path) -> str:
    return f"duckdb:///{tmp_path / 'warehouse.duckdb'}"


@pytest.fixture
def duckdb_engine(duckdb_url: str) -> Iterator[Engine]:
    engine = create_engine(duckdb_url)
    yield engine
    engine.dispose()


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse(request: pytest.FixtureRequest) -> Engine:
    """The same test on an embedded DuckDB file and on the real PostgreSQL server."""
    name = "duckdb_engine" if request.param == "duckdb" else "pg_engine"
    return request.getfixturevalue(name)


# --- small-table fixtures for the check engine: one in-memory DuckDB and one PostgreSQL schema per
# session (tables are re-created by make_table, so tests stay independent and fast) ------------------


@pytest.fixture(scope="session")
def duck() -> Iterator[Engine]:
    engine = sa.create_engine("duckdb:///:memory:", poolclass=sa.pool.StaticPool)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def pg(pg_admin: Engine) -> Iterator[Engine]:
    name = f"uf_test_{uuid.uuid4().hex[:10]}"
    with pg_admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {name}")
    engine = create_engine(PG_URL, schema=name)
    try:
        yield engine
    finally:
        engine.dispose()
        with pg_admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {name} CASCADE")


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Engine:
    """Each execution test runs on in-memory DuckDB and on PostgreSQL."""
    return request.getfixturevalue("duck" if request.param == "duckdb" else "pg")
