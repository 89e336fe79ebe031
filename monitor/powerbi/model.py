"""The Power BI semantic model over the reporting views, written as TMDL.

Columns are never typed by hand: `view_columns()` builds the warehouse in a scratch DuckDB file from the
committed migrations and reads each view's columns and types from its catalog, so the model follows the
view definitions. Lineage tags are UUIDs derived from names, so re-exporting changes nothing unless a view
or measure changed.
"""

from __future__ import annotations

import re
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from warehouse.engine import create_engine
from warehouse.migrate import migrate

NAMESPACE = uuid.UUID("6d1b5f0e-9a51-4d0e-9d0c-5b1f4a3c2e77")
SCORE_STAGES = '{"cleansed", "star"}'


@dataclass(frozen=True)
class Measure:
    name: str
    dax: str
    format_string: str
    description: str


@dataclass(frozen=True)
class ModelTable:
    name: str
    view: str
    description: str
    measures: tuple[Measure, ...] = ()
    date_table: bool = False


@dataclass(frozen=True)
class Relationship:
    from_table: str
    from_column: str
    to_table: str = "Date"
    to_column: str = "date_key"
    active: bool = True


def _kpi(name: str, kpi: str, snapshot: bool, fmt: str = "0.0%", amount: bool = False) -> Measure:
    """A KPI measure over the long-format KPI table: snapshot KPIs take the latest month end in context."""
    part = "numerator" if amount else None
    if snapshot:
        dax = (f'VAR d = CALCULATE(MAX(KPI[date_key]), KPI[kpi_name] = "{kpi}") '
               f'RETURN DIVIDE(CALCULATE(SUM(KPI[numerator]), KPI[kpi_name] = "{kpi}", KPI[date_key] = d), '
               f'CALCULATE(SUM(KPI[denominator]), KPI[kpi_name] = "{kpi}", KPI[date_key] = d))')
    elif part:
        dax = f'CALCULATE(SUM(KPI[numerator]), KPI[kpi_name] = "{kpi}")'
    else:
        dax = (f'DIVIDE(CALCULATE(SUM(KPI[numerator]), KPI[kpi_name] = "{kpi}"), '
               f'CALCULATE(SUM(KPI[denominator]), KPI[kpi_name] = "{kpi}"))')
    kind = "state at the latest month end in the selection" if snapshot else "sum over the selected days"
    return Measure(name, dax, fmt, f"{kpi} ({kind}).")


TABLES: tuple[ModelTable, ...] = (
    ModelTable("Date", "v_pbi_date", "Calendar; marked as the model's date table.", date_table=True),
    ModelTable("DQ Score", "v_pbi_dq_score", "Daily score inputs by dataset, source, stage and DAMA dimension.", (
        Measure("Overall score",
                f"DIVIDE(CALCULATE(SUM('DQ Score'[weighted_score_sum]), 'DQ Score'[stage] IN {SCORE_STAGES}), "
                f"CALCULATE(SUM('DQ Score'[weight_sum]), 'DQ Score'[stage] IN {SCORE_STAGES}))",
                "0.0%", "Severity-weighted pass rate of the cleansed and star data, re-aggregated from sums."),
        Measure("Score previous month", "CALCULATE([Overall score], DATEADD('Date'[full_date], -1, MONTH))",
                "0.0%", "Overall score one month earlier."),
        Measure("Score change vs previous period", "[Overall score] - [Score previous month]", "+0.0%;-0.0%;0.0%",
                "Overall score minus the score of the previous month (percentage points)."),
        Measure("Raw score",
                "DIVIDE(CALCULATE(SUM('DQ Score'[weighted_score_sum]), 'DQ Score'[stage] = \"raw\"), "
                "CALCULATE(SUM('DQ Score'[weight_sum]), 'DQ Score'[stage] = \"raw\"))",
                "0.0%", "Score of the data as delivered."),
        Measure("Failed checks", "SUM('DQ Score'[checks_failed])", "#,0", "Check results that failed."),
    )),
    ModelTable("DQ Improvement", "v_pbi_dq_improvement", "What cleansing improved, as sums.", (
        Measure("Improvement from cleansing",
                "DIVIDE(SUM('DQ Improvement'[cleansed_weighted_score_sum]), SUM('DQ Improvement'[cleansed_weight_sum]))"
                " - DIVIDE(SUM('DQ Improvement'[raw_weighted_score_sum]), SUM('DQ Improvement'[raw_weight_sum]))",
                "+0.0%;-0.0%;0.0%", "Cleansed score minus raw score."),
    )),
    ModelTable("Check Results", "v_pbi_check_result", "Latest result per check, batch and stage, with rule version.", (
        Measure("Check failures", "CALCULATE(COUNTROWS('Check Results'), 'Check Results'[status] = \"fail\")", "#,0",
                "Check results with status fail."),
    )),
    ModelTable("Incidents", "v_pbi_incident", "Incidents, by the day they were opened.", (
        Measure("Open incidents", "CALCULATE(COUNTROWS(Incidents), Incidents[is_open] = 1, REMOVEFILTERS('Date'))",
                "#,0", "Incidents not resolved now, whatever the date selection."),
        Measure("Mean hours to resolve",
                "AVERAGEX(FILTER(Incidents, NOT ISBLANK(Incidents[resolved_at])), "
                "DATEDIFF(Incidents[opened_at], Incidents[resolved_at], MINUTE) / 60)",
                "0.0", "Mean time from opening to resolving, in hours."),
    )),
    ModelTable("KPI", "v_pbi_kpi", "Business KPIs data quality drives (long format: numerator, denominator).", (
        _kpi("Contactability", "contactability", snapshot=True),
        _kpi("Duplicate customer rate", "duplicate_customer_rate", snapshot=True),
        _kpi("GIS-CIS link coverage", "gis_link_coverage", snapshot=True),
        _kpi("AMI read completeness", "ami_read_completeness", snapshot=False),
        _kpi("Bills estimated", "bills_estimated_rate", snapshot=False),
        _kpi("Unapplied cash", "unapplied_cash", snapshot=False, fmt="$#,0.00", amount=True),
    )),
)

RELATIONSHIPS: tuple[Relationship, ...] = (
    Relationship("DQ Score", "date_key"),
    Relationship("DQ Improvement", "date_key"),
    Relationship("Check Results", "date_key"),
    Relationship("Incidents", "opened_date_key"),
    Relationship("Incidents", "resolved_date_key", active=False),
    Relationship("KPI", "date_key"),
)

_TYPES = {
    "BIGINT": "int64", "INTEGER": "int64", "SMALLINT": "int64", "HUGEINT": "int64", "TINYINT": "int64",
    "DOUBLE": "double", "FLOAT": "double", "BOOLEAN": "boolean", "VARCHAR": "string", "DATE": "dateTime",
    "TIMESTAMP": "dateTime",
}


def tmdl_type(sql_type: str) -> str:
    """TMDL dataType for a DuckDB column type."""
    base = sql_type.upper().split("(")[0]
    if base == "DECIMAL":
        return "double"
    try:
        return _TYPES[base]
    except KeyError:
        raise ValueError(f"no TMDL type for view column type {sql_type!r}; add it to monitor.powerbi.model") from None


def view_columns(views: list[str]) -> dict[str, list[tuple[str, str]]]:
    """view -> [(column, DuckDB type)] as the committed migrations define them."""
    with tempfile.TemporaryDirectory(prefix="uf-pbi-") as tmp:
        engine = create_engine(f"duckdb:///{Path(tmp) / 'schema.duckdb'}")
        try:
            migrate(engine)
            with engine.connect() as conn:
                out = {}
                for view in views:
                    rows = conn.execute(sa.text(
                        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = :v "
                        "ORDER BY ordinal_position"), {"v": view}).all()
                    if not rows:
                        raise ValueError(f"view {view} is not defined by the migrations")
                    out[view] = [(str(n), str(t)) for n, t in rows]
        finally:
            engine.dispose()
    return out


def quote(name: str) -> str:
    """A TMDL object name, quoted when it is not a plain identifier."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        return name
    return "'" + name.replace("'", "''") + "'"


def lineage(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


def table_tmdl(table: ModelTable, columns: list[tuple[str, str]], schema: str) -> str:
    """One table file: measures, columns typed from the view, and an import partition reading the view."""
    t = "\t"
    lines = [f"/// {table.description}", f"table {quote(table.name)}", f"{t}lineageTag: {lineage(table.name)}"]
    if table.date_table:
        lines.append(f"{t}dataCategory: Time")
    for m in table.measures:
        lines += ["", f"{t}/// {m.description}", f"{t}measure {quote(m.name)} = {m.dax}",
                  f"{t}{t}formatString: {m.format_string}", f"{t}{t}lineageTag: {lineage(table.name, 'm', m.name)}"]
    for name, sql_type in columns:
        dtype = tmdl_type(sql_type)
        lines += ["", f"{t}column {quote(name)}", f"{t}{t}dataType: {dtype}"]
        if table.date_table and name == "full_date":
            lines += [f"{t}{t}isKey", f"{t}{t}formatString: yyyy-mm-dd"]
        elif dtype == "dateTime":
            lines.append(f"{t}{t}formatString: General Date")
        if name.endswith("date_key") and not table.date_table:
            lines.append(f"{t}{t}isHidden")  # a relationship key: slice by the Date table instead
        lines += [f"{t}{t}lineageTag: {lineage(table.name, 'c', name)}",
                  f"{t}{t}summarizeBy: {'sum' if dtype in ('int64', 'double') and _additive(name) else 'none'}",
                  f"{t}{t}sourceColumn: {name}"]
    lines += ["", f"{t}partition {quote(table.name)} = m", f"{t}{t}mode: import", f"{t}{t}source ="]
    m_lines = ["let", f"{t}Source = Sql.Database(Server, Database),",
               f'{t}Data = Source{{[Schema = "{schema}", Item = "{table.view}"]}}[Data]', "in", f"{t}Data"]
    lines += [f"{t}{t}{t}{t}{ln}" for ln in m_lines]
    return "\n".join(lines) + "\n"


def _additive(column: str) -> bool:
    return column.endswith(("_sum", "checks", "_failed", "_warned", "_errored", "_evaluated", "numerator",
                            "denominator", "failing_runs")) and not column.endswith("_key")


def expressions_tmdl(server: str, database: str) -> str:
    """The Server and Database parameters every partition reads."""
    out = []
    for name, value, doc in (("Server", server, "Synapse SQL endpoint (or SQL Server host)."),
                             ("Database", database, "Warehouse database holding the UtilityFlow views.")):
        literal = value.replace('"', '""')
        out += [f"/// {doc}",
                f'expression {name} = "{literal}" meta [IsParameterQuery=true, Type="Text", '
                f"IsParameterQueryRequired=true]",
                f"\tlineageTag: {lineage('expression', name)}", "", "\tannotation PBI_ResultType = Text", ""]
    return "\n".join(out)


def relationships_tmdl() -> str:
    out = []
    for r in RELATIONSHIPS:
        out += [f"relationship {lineage('rel', r.from_table, r.from_column)}"]
        if not r.active:
            out.append("\tisActive: false")
        out += [f"\tfromColumn: {quote(r.from_table)}.{quote(r.from_column)}",
                f"\ttoColumn: {quote(r.to_table)}.{quote(r.to_column)}", ""]
    return "\n".join(out)


def model_tmdl() -> str:
    lines = ["model Model", "\tculture: en-US", "\tdefaultPowerBIDataSourceVersion: powerBI_V3",
             "\tdiscourageImplicitMeasures", "\tsourceQueryCulture: en-US", ""]
    lines += [f"ref table {quote(t.name)}" for t in TABLES]
    lines.append("")
    return "\n".join(lines)


def database_tmdl() -> str:
    return "database\n\tcompatibilityLevel: 1567\n"
