from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp

from checks.metrics import Metric, metric
from checks.registry import EvalContext, register
from checks.results import Evaluation

# Anything that writes, changes the session or reads files is refused, wherever it sits in the tree.
_FORBIDDEN = (
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Merge,
    exp.Create,
    exp.Drop,
    exp.Alter,
    exp.Command,
    exp.Into,
    exp.Set,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
    exp.Copy,
    exp.Use,
    exp.Pragma,
    exp.Grant,
)


def parse_select(sql: str, dialect: str | None = None) -> exp.Query:
    """Parse `sql` as exactly one read-only SELECT; ValueError saying why otherwise."""
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except sqlglot.errors.ParseError as e:
        raise ValueError(f"custom_sql does not parse: {str(e).splitlines()[0]}") from None
    if len(statements) != 1:
        raise ValueError(f"custom_sql must be a single SELECT, found {len(statements)} statements")
    tree = statements[0]
    if not isinstance(tree, exp.Query):
        raise ValueError(f"custom_sql must be a SELECT, found {tree.key.upper()}")
    for node in tree.walk():
        if isinstance(node, _FORBIDDEN):
            raise ValueError(f"custom_sql may only read: {node.key.upper()} is not allowed")
        if isinstance(node, exp.Table) and not isinstance(node.this, exp.Identifier):
            raise ValueError("custom_sql may only read tables and views, not table functions")
    return tree


@register("custom_sql", dimension="validity", table_level=True)
@dataclass(frozen=True)
class CustomSql:
    """Every row `sql` returns is a failure. `sql` must be one SELECT (parsed and checked; it runs
    read-only). It may use the batch parameter `:batch_id`.

    Example: `{id: cis.bill.rebill_without_cancel, type: custom_sql, sql: "SELECT bill_id FROM stg_cis_bill
      WHERE bill_type = 'R' AND original_bill_id IS NULL"}`
    """

    sql: str

    def columns(self) -> tuple[str, ...]:
        return ()

    def problems(self) -> list[str]:
        try:
            parse_select(self.sql)
        except ValueError as e:
            return [str(e)]
        return []

    def metrics(self) -> dict[str, Metric]:
        return {"failed": metric("custom_sql", "custom_sql.failed_rows", sql=self.sql)}

    def evaluate(self, values: Mapping[str, Any], ctx: EvalContext) -> Evaluation:
        n = int(values["failed"] or 0)
        return Evaluation(
            rows_failed=n,
            observed=n,
            passed=n == 0,
            metrics={"rows_failed": n},
            message=f"query returned {n} failing rows",
        )
