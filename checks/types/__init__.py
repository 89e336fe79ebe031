"""Built-in check types. Each module registers one type with `checks.registry.register`, exactly as a
user extension would; this package imports them explicitly (nothing registers on `import checks`)."""

from checks.types import (  # noqa: F401
    accepted_values,
    custom_sql,
    duplicate_interval,
    flat_line,
    freshness,
    interval_count,
    length,
    multiplier_unit,
    negative,
    not_null,
    pattern,
    range,
    reconciliation,
    references,
    rollover,
    row_count,
    schema,
    spike,
    sum_check,
    unique,
    zero_run,
)
