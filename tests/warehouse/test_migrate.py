"""Migrations apply, re-apply as no-ops, and leave a schema whose views work on an empty mart."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from warehouse.dialects import DUCKDB
from warehouse.migrate import LEDGER, migrate, migration_files
from warehouse.schema import all_tables, migrations


def test_migrations_apply_then_reapply_as_noop(warehouse: Engine) -> None:
    first = migrate(warehouse)
    assert [o.status for o in first] == ["applied"] * len(migrations())
    second = migrate(warehouse)
    assert [o.status for o in second] == ["already_applied"] * len(migrations())
    with warehouse.connect() as conn:
        ledger = conn.execute(sa.text(f"SELECT version FROM {LEDGER} ORDER BY version")).scalars().all()
        tables = set(sa.inspect(conn).get_table_names())
    assert ledger == [m.number for m in migrations()]
    assert set(all_tables()) <= tables


def test_every_view_selects_on_an_empty_mart(warehouse: Engine) -> None:
    migrate(warehouse)
    views = [v for m in migrations() for v in m.views]
    assert len(views) >= 10
    with warehouse.connect() as conn:
        for view in views:
            result = conn.execute(sa.text(f"SELECT * FROM {view.name}"))
            assert result.keys(), view.name
            result.all()


def test_reference_rows_are_seeded_once(warehouse: Engine) -> None:
    migrate(warehouse)
    migrate(warehouse)
    with warehouse.connect() as conn:
        dims = conn.execute(sa.text("SELECT dimension_name FROM dim_dq_dimension ORDER BY dimension_key"))
        assert dims.scalars().all() == [
            "completeness",
            "uniqueness",
            "validity",
            "accuracy",
            "consistency",
            "timeliness",
        ]
        row = conn.execute(
            sa.text("SELECT year_month, day_of_week, is_weekend FROM dim_date WHERE date_key = 20261129")
        ).one()
        assert tuple(row) == ("2026-11", 7, True)  # a Sunday
        assert conn.execute(sa.text("SELECT COUNT(*) FROM dim_date")).scalar_one() == 9497


def test_a_failing_migration_rolls_back_and_names_the_statement(duckdb_engine: Engine, tmp_path) -> None:
    ddl = tmp_path / "ddl" / "duckdb"
    ddl.mkdir(parents=True)
    (ddl / "001_ok.sql").write_text("CREATE TABLE IF NOT EXISTS t_ok (a INTEGER);\n")
    (ddl / "002_bad.sql").write_text("CREATE TABLE IF NOT EXISTS t_half (a INTEGER);\n\nCREATE TABLE broken (;\n")
    import pytest

    from warehouse.errors import MigrationError

    with pytest.raises(MigrationError, match=r"002_bad.sql: statement 2 .*rolled back"):
        migrate(duckdb_engine, ddl_dir=tmp_path / "ddl")
    with duckdb_engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
        versions = conn.execute(sa.text(f"SELECT version FROM {LEDGER}")).scalars().all()
    assert "t_ok" in tables and "t_half" not in tables
    assert versions == [1]


def test_an_edited_applied_migration_is_reported(duckdb_engine: Engine, tmp_path) -> None:
    ddl = tmp_path / "ddl" / "duckdb"
    ddl.mkdir(parents=True)
    path = ddl / "001_one.sql"
    path.write_text("CREATE TABLE IF NOT EXISTS t1 (a INTEGER);\n")
    migrate(duckdb_engine, ddl_dir=tmp_path / "ddl")
    path.write_text("CREATE TABLE IF NOT EXISTS t1 (a INTEGER, b INTEGER);\n")
    [outcome] = migrate(duckdb_engine, ddl_dir=tmp_path / "ddl")
    assert outcome.status == "changed_since_applied"


def test_migration_files_are_numbered_and_ordered() -> None:
    files = migration_files(DUCKDB)
    assert [f.version for f in files] == sorted(f.version for f in files)
    assert [f.path.name for f in files] == [m.filename for m in migrations()]


def _primary_keys(conn: sa.Connection) -> set[str]:
    return {str(t) for t in conn.execute(sa.text(
        "SELECT table_name FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY'")).scalars()}


def test_duckdb_star_tables_lose_their_enforced_keys_and_keep_their_rows(duckdb_engine: Engine, tmp_path) -> None:
    """Migration 009 on a DuckDB warehouse migrated (and loaded) before it: the large star tables keep every row,
    column default and NOT NULL, and no longer carry an enforced key; the small ones keep theirs."""
    from warehouse.schema.star import KEYED_BY_CONSTRUCTION

    before = tmp_path / "ddl" / "duckdb"
    before.mkdir(parents=True)
    for f in migration_files(DUCKDB):
        if f.version < 9:
            (before / f.path.name).write_text(f.sql)
    migrate(duckdb_engine, ddl_dir=tmp_path / "ddl")
    star = {t.name for t in KEYED_BY_CONSTRUCTION}
    with duckdb_engine.begin() as conn:
        assert star <= _primary_keys(conn)
        conn.execute(sa.text("INSERT INTO dim_premise (premise_id, row_hash, effective_from, is_current) "
                             "VALUES ('0000000001', 'h', TIMESTAMP '2026-01-05', TRUE)"))
    [outcome] = [o for o in migrate(duckdb_engine) if o.version == 9]
    assert outcome.status == "applied"
    with duckdb_engine.begin() as conn:
        keyed = _primary_keys(conn)
        assert not keyed & star and {"dim_date", "dim_tariff", "dim_batch"} <= keyed
        # the sequence still numbers new versions after the old ones; the defaults and NOT NULLs are there
        conn.execute(sa.text("INSERT INTO dim_premise (premise_id, row_hash, effective_from, is_current) "
                             "VALUES ('0000000002', 'h', TIMESTAMP '2026-01-06', TRUE)"))
        rows = conn.execute(sa.text("SELECT premise_sk, premise_id, is_inferred FROM dim_premise ORDER BY 1")).all()
        assert [tuple(r) for r in rows] == [(1, "0000000001", False), (2, "0000000002", False)]
        import pytest

        with pytest.raises(sa.exc.DBAPIError, match="NOT NULL"):
            conn.execute(sa.text("INSERT INTO dim_premise (premise_id, effective_from, is_current) "
                                 "VALUES ('0000000003', TIMESTAMP '2026-01-06', TRUE)"))
    with duckdb_engine.connect() as conn:  # views over the rebuilt tables still bind
        for view in (v for m in migrations() for v in m.views):
            conn.execute(sa.text(f"SELECT * FROM {view.name}")).all()
