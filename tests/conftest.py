"""Shared fixtures: an in-memory DuckDB engine, a PostgreSQL engine on a throw-away schema, and a helper
that builds a small table. PostgreSQL unreachable: skipped locally, a loud failure when CI is set."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
import sqlalchemy as sa

PG_URL = os.environ.get("UTILITYFLOW_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
_TYPES = {
    "text": sa.Text,
    "int": sa.BigInteger,
    "float": sa.Float,
    "ts": sa.DateTime,
    "date": sa.Date,
    "bool": sa.Boolean,
}


def make_table(engine: sa.Engine, name: str, columns: dict[str, str], rows: Sequence[Sequence[Any]]) -> None:
    """(Re)create `name` with `columns` (name -> text|int|float|ts|date|bool) and insert `rows`."""
    md = sa.MetaData()
    table = sa.Table(name, md, *(sa.Column(c, _TYPES[t]()) for c, t in columns.items()))
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP TABLE IF EXISTS "{name}"'))
        md.create_all(conn, checkfirst=False)
        if rows:
            conn.execute(table.insert(), [dict(zip(columns, r, strict=True)) for r in rows])


@pytest.fixture(scope="session")
def duck() -> Iterator[sa.Engine]:
    engine = sa.create_engine("duckdb:///:memory:", poolclass=sa.pool.StaticPool)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def pg() -> Iterator[sa.Engine]:
    from warehouse.engine import create_engine

    probe = sa.create_engine(PG_URL)
    try:
        with probe.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as e:  # noqa: BLE001
        probe.dispose()
        msg = f"PostgreSQL at {PG_URL} unreachable: {type(e).__name__}"
        if os.environ.get("CI"):
            pytest.fail(msg + " (CI is set: the PostgreSQL tests must run)")
        pytest.skip(msg)
    schema = f"uf_test_{uuid.uuid4().hex[:10]}"
    with probe.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine = create_engine(PG_URL, schema=schema)
    try:
        yield engine
    finally:
        engine.dispose()
        with probe.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        probe.dispose()


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> sa.Engine:
    """Each execution test runs on DuckDB and on PostgreSQL."""
    return request.getfixturevalue("duck" if request.param == "duckdb" else "pg")
