"""Broken and malicious suite files: each is refused with one clear message naming the file, the line and
what to do (exit 2, no traceback), or runs read-only — and the warehouse is unchanged, on DuckDB and on the
real PostgreSQL. Identifiers are validated against the catalogue and quoted; custom_sql is one read-only
SELECT, rolled back, with a statement timeout on PostgreSQL."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from checks.errors import SuiteError
from checks.results import Outcome
from checks.suite import load_suite, parse_suite
from monitor.runner import run_suite

from .conftest import cli, table_hashes

HEAD = "dataset: stg_cis_customer\nstage: raw\nkeys: [source_row_number]\nchecks:\n"

# (id, suite text, expected fragment of the message, line named)
REFUSED_SUITES: list[tuple[str, str, str, int]] = [
    ("yaml_syntax_error", HEAD + "  - {id: a, type: not_null, column: email\n  - {id: b}\n", "not valid YAML", 6),
    ("unknown_check_type", HEAD + "  - {id: a, type: not_nul, column: email}\n",
     "did you mean 'not_null'", 5),
    ("unknown_column", HEAD + "  - {id: a, type: not_null, column: emial}\n", "unknown column 'emial'", 5),
    ("sql_injection_column", HEAD + "  - {id: a, type: not_null, column: '\"; DROP TABLE stg_cis_customer; --'}\n",
     "column", 5),
    ("sql_injection_dataset", 'dataset: "stg_cis_customer; DROP TABLE dim_batch"\nstage: raw\nchecks:\n'
     "  - {id: a, type: row_count, min: 1}\n", "not a plain table name", 1),
    ("custom_sql_delete", HEAD + "  - {id: a, type: custom_sql, sql: 'DELETE FROM stg_cis_customer'}\n",
     "custom_sql must be a SELECT", 5),
    ("custom_sql_two_statements", HEAD
     + "  - {id: a, type: custom_sql, sql: 'SELECT 1; DROP TABLE stg_cis_customer'}\n", "single SELECT", 5),
    ("custom_sql_select_into", HEAD
     + "  - {id: a, type: custom_sql, sql: 'SELECT * INTO stolen FROM stg_cis_customer'}\n", "may only read", 5),
    ("custom_sql_cte_delete", HEAD + "  - {id: a, type: custom_sql, sql: 'WITH d AS (DELETE FROM stg_cis_customer "
     "RETURNING *) SELECT * FROM d'}\n", "may only read", 5),
    ("custom_sql_table_function", HEAD
     + "  - {id: a, type: custom_sql, sql: \"SELECT * FROM read_csv('/etc/passwd')\"}\n", "table functions", 5),
    ("unknown_key_in_check", HEAD + "  - {id: a, type: not_null, column: email, severty: critical}\n",
     "did you mean 'severity'", 5),
]


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.yml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("case", "text", "fragment", "line"), REFUSED_SUITES, ids=[c[0] for c in REFUSED_SUITES])
def test_bad_suite_is_refused_with_file_line_and_nothing_changes(loaded_copy: str, tmp_path: Path, case: str,
                                                                 text: str, fragment: str, line: int) -> None:
    from warehouse.engine import create_engine

    engine = create_engine(loaded_copy)
    before = table_hashes(engine)
    engine.dispose()
    path = _write(tmp_path, case, text)
    run = cli("check", "--suite", str(path), "--warehouse", loaded_copy)
    assert run.code == 2, run.text
    assert "Traceback" not in run.text and run.out == ""
    assert fragment in run.err, run.err
    assert f"{path}:{line}:" in run.err, run.err
    engine = create_engine(loaded_copy)
    assert table_hashes(engine) == before  # nothing stored, nothing dropped
    engine.dispose()


# custom_sql that gets past the parser (plain SELECTs) but would change state through a function: the
# statement runs in a transaction that is rolled back (and READ ONLY on PostgreSQL), so nothing persists.
SIDE_EFFECT_SELECTS = {
    "duckdb": ["SELECT nextval('uf_evil_seq') AS n FROM stg_cis_customer",
               "SELECT setval('uf_evil_seq', 1000) AS n"],
    "postgresql": ["SELECT nextval('uf_evil_seq') AS n FROM stg_cis_customer",
                   "SELECT setval('uf_evil_seq', 1000) AS n",
                   "SELECT lo_create(0) AS n",
                   "SELECT set_config('search_path', 'public', false) AS n"],
}


def _stage_table(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE stg_cis_customer (source_row_number INTEGER, batch_id INTEGER, "
                             "full_name TEXT, email TEXT)")
        conn.exec_driver_sql("INSERT INTO stg_cis_customer VALUES (1, 1, 'SMITH JOHN', 'j@x.com'), "
                             "(2, 1, 'DOE JANE', NULL)")
        conn.exec_driver_sql("CREATE SEQUENCE uf_evil_seq START 1")


def _sequence_value(engine: Engine) -> int:
    """The value the sequence hands out next (taking it: call once, at the end)."""
    with engine.begin() as conn:
        return int(conn.exec_driver_sql("SELECT nextval('uf_evil_seq')").scalar_one())


def test_malicious_suite_cannot_modify_data(warehouse: Engine) -> None:
    """Every write form is refused before it reaches the database; SELECTs with side-effecting functions run
    and are rolled back. Table contents and the sequence are exactly as before."""
    _stage_table(warehouse)
    dialect = warehouse.dialect.name
    before = _dump(warehouse)
    for case, text, _, _ in REFUSED_SUITES:
        if case.startswith(("custom_sql", "sql_injection")):
            try:
                suite = parse_suite(text, file=f"{case}.yml")
            except SuiteError:
                continue
            with pytest.raises(SuiteError):  # parsed, but its columns are checked against the catalogue
                run_suite(warehouse, suite, batch_id=1)
    checks = "".join(f"  - {{id: s{i}, type: custom_sql, sql: \"{sql}\"}}\n"
                     for i, sql in enumerate(SIDE_EFFECT_SELECTS[dialect]))
    suite = parse_suite(HEAD + checks, file="side_effects.yml")
    run = run_suite(warehouse, suite, batch_id=1)
    assert run.results and all(r.status in (Outcome.ERROR, Outcome.FAIL, Outcome.PASS) for r in run.results)
    if dialect == "postgresql":  # READ ONLY: the database itself refuses the sequence writes
        for r in run.results[:2]:
            assert r.status == Outcome.ERROR and "read-only transaction" in (r.message or ""), r.message
    assert _dump(warehouse) == before
    # the sequence did not move: a rolled-back (or refused) nextval/setval leaves it where it was
    assert _sequence_value(warehouse) == 1


def _dump(engine: Engine) -> list[tuple]:
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(sa.text("SELECT * FROM stg_cis_customer ORDER BY 1"))]
        if engine.dialect.name == "postgresql":
            rows.append((conn.exec_driver_sql("SELECT count(*) FROM pg_largeobject_metadata").scalar_one(),))
            rows.append((conn.exec_driver_sql("SHOW search_path").scalar_one(),))
    return rows


@pytest.mark.postgres
def test_custom_sql_has_a_statement_timeout_on_postgres(pg_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    import monitor.runner as runner

    _stage_table(pg_engine)
    monkeypatch.setattr(runner, "CUSTOM_SQL_TIMEOUT_MS", 300)
    suite = parse_suite(HEAD + "  - {id: slow, type: custom_sql, sql: 'SELECT pg_sleep(5) AS s'}\n", file="s.yml")
    (result,) = run_suite(pg_engine, suite, batch_id=1).results
    assert result.status == Outcome.ERROR and "statement timeout" in (result.message or ""), result.message


def test_identifiers_reach_sql_quoted(duckdb_engine: Engine, tmp_path: Path) -> None:
    """A real column whose name needs quoting (a space, a quote, SQL keywords) is checked correctly, not
    interpreted: identifiers are validated against the catalogue, then quoted."""
    with duckdb_engine.begin() as conn:
        conn.exec_driver_sql('CREATE TABLE odd (source_row_number INTEGER, "select" TEXT, "drop table" TEXT)')
        conn.exec_driver_sql("INSERT INTO odd VALUES (1, 'a', NULL), (2, NULL, 'b')")
    path = _write(tmp_path, "odd", textwrap.dedent("""\
        dataset: odd
        stage: raw
        keys: [source_row_number]
        checks:
          - {id: odd.select, type: not_null, column: select}
        """))
    (result,) = run_suite(duckdb_engine, load_suite(path)).results
    assert result.status == Outcome.FAIL and result.rows_failed == 1
