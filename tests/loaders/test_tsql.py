"""The loader's set-based SQL renders to T-SQL for Synapse: every statement a load issues transpiles."""

from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa
import sqlglot
from sqlalchemy.engine import Engine

from loaders.run import load_directory
from warehouse.engine import create_engine
from warehouse.migrate import migrate


def test_every_statement_of_a_load_transpiles_to_tsql(tmp_path: Path, delivery: Path) -> None:
    engine: Engine = create_engine(f"duckdb:///{tmp_path / 'w.duckdb'}")
    migrate(engine)
    seen: list[str] = []

    @sa.event.listens_for(engine, "before_cursor_execute")
    def record(conn, cursor, statement, params, context, executemany) -> None:  # noqa: ANN001
        seen.append(statement)

    load_directory(engine, delivery)
    statements = list(dict.fromkeys(s for s in seen if re.match(r"\s*(INSERT|UPDATE|DELETE|CREATE TEMP|SELECT)", s)))
    assert len(statements) > 80  # staging, cleansed, SCD2, facts, matching
    for statement in statements:
        tsql = sqlglot.transpile(statement, read="duckdb", write="tsql", unsupported_level=sqlglot.ErrorLevel.RAISE)
        assert tsql and tsql[0].strip()
