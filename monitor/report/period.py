"""Reporting periods: a calendar month, an explicit date range, or everything on record."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from monitor.errors import EXIT_USAGE, MonitorError

PeriodKind = Literal["month", "range", "all"]


@dataclass(frozen=True)
class Period:
    """A closed date interval [start, end] with a label for people."""

    start: date
    end: date
    kind: PeriodKind

    @property
    def label(self) -> str:
        if self.kind == "month":
            return self.start.strftime("%B %Y")
        return f"{self.start.isoformat()} to {self.end.isoformat()}"

    @property
    def start_key(self) -> int:
        return date_key(self.start)

    @property
    def end_key(self) -> int:
        return date_key(self.end)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period just before: the previous month, or a range of the same length ending the day before."""
        if self.kind == "month":
            return month(self.start - timedelta(days=1))
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1), "range")

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def date_key(day: date) -> int:
    """YYYYMMDD, as in dim_date."""
    return day.year * 10000 + day.month * 100 + day.day


def from_key(key: int) -> date:
    """The date of a YYYYMMDD key."""
    return date(key // 10000, key // 100 % 100, key % 100)


def month(day: date) -> Period:
    """The calendar month containing `day`."""
    last = calendar.monthrange(day.year, day.month)[1]
    return Period(date(day.year, day.month, 1), date(day.year, day.month, last), "month")


def parse_period(period: str | None, start: str | None, end: str | None) -> Period | None:
    """`--period YYYY-MM` or `--from D --to D` (ISO dates); None for everything on record.

    Raises a usage error naming the option and the expected form.
    """
    if period and (start or end):
        raise ReportUsageError("give either --period or --from/--to, not both.")
    if period:
        m = re.fullmatch(r"(\d{4})-(\d{2})", period.strip())
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise ReportUsageError(f"--period {period!r}: expected a month as YYYY-MM, e.g. 2026-10.")
        return month(date(int(m.group(1)), int(m.group(2)), 1))
    if start or end:
        if not (start and end):
            raise ReportUsageError("--from and --to go together: give both dates (YYYY-MM-DD).")
        first, last = _iso(start, "--from"), _iso(end, "--to")
        if last < first:
            raise ReportUsageError(f"--to {end} is before --from {start}; swap them.")
        return Period(first, last, "range")
    return None


def _iso(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ReportUsageError(f"{option} {text!r}: expected a date as YYYY-MM-DD.") from None


class ReportUsageError(MonitorError):
    """A report option is wrong: the user can fix it."""

    code = "report_usage"
    exit_code = EXIT_USAGE
