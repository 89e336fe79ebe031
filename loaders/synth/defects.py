"""The defect classes, their default rates, and the log of every injected defect.

A rate is a probability per eligible unit (`unit`): a row, a meter-day, a lockbox batch, a delivery
day, ... It is multiplied by `--defect-rate-scale` and by the day's trend factor, then clipped to [0, 1].
World-level defects (drawn once, e.g. a stale transformer map) use day 1's factor.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from loaders.synth.params import GenerateParams

Values = Sequence[Any] | np.ndarray  # one entry per instance


@dataclass(frozen=True)
class DefectClass:
    """One kind of defect a source really has (DOMAIN.md), with its default rate."""

    name: str
    source: str
    rate: float
    unit: str
    repairable: bool
    description: str


def _d(name: str, rate: float, unit: str, repairable: bool, description: str) -> DefectClass:
    return DefectClass(name, name.split(".")[0], rate, unit, repairable, description)


DEFECTS: dict[str, DefectClass] = {
    d.name: d
    for d in (
        # S1 CIS / billing
        _d(
            "cis.stripped_leading_zeros",
            0.01,
            "account row",
            True,
            "partner_id or premise_id on an account row lost its leading zeros (spreadsheet round-trip)",
        ),
        _d(
            "cis.duplicate_customer",
            0.02,
            "person",
            False,
            "a second business partner created at move-in for a person who already is a customer; "
            "in deltas, the probability that a move-in by an existing customer creates one is 15x this",
        ),
        _d(
            "cis.multi_party_name",
            0.01,
            "customer row",
            True,
            "several parties or an estate in one name field (SMITH JOHN & MARY, ESTATE OF ...)",
        ),
        _d(
            "cis.placeholder_customer",
            0.01,
            "premise",
            False,
            "placeholder customer (OCCUPANT, VACANT UNIT) on a vacant premise: no real person",
        ),
        _d(
            "cis.fake_contact",
            0.02,
            "customer row",
            False,
            "fake email (none@none.com) or phone (000-000-0000); the clean value is null",
        ),
        _d(
            "cis.address_variant",
            0.03,
            "customer row",
            True,
            "mailing address written as a variant (123 NORTH MAIN STREET #4 for 123 N MAIN ST APT 4)",
        ),
        _d(
            "cis.cancel_rebill_double",
            0.0005,
            "earlier bill per day",
            True,
            "a rebill (R) issued without cancelling the original (no C), so the period is counted twice",
        ),
        _d(
            "cis.day_month_swap",
            0.01,
            "customer row",
            True,
            "move_in_date with day and month swapped (only where both are <= 12 and differ)",
        ),
        # S2 MDM / AMI
        _d(
            "mdm.gap",
            0.01,
            "meter-day",
            True,
            "1-8 consecutive intervals missing; back-filled two delivery days later (if in the run)",
        ),
        _d(
            "mdm.duplicate",
            0.005,
            "meter-day",
            True,
            "1-4 intervals re-sent later in the same file, half of them with a conflicting value",
        ),
        _d("mdm.spike", 0.003, "meter-day", True, "one interval 8-20x its true value (plus 1 unit)"),
        _d(
            "mdm.zero_run",
            0.002,
            "meter-day",
            True,
            "a whole day of zero intervals on an active electric service point (no outage)",
        ),
        _d(
            "mdm.negative",
            0.001,
            "meter-day",
            True,
            "one interval delivered negative on a delivered-energy channel",
        ),
        _d(
            "mdm.flat_line",
            0.002,
            "meter-day",
            True,
            "12 consecutive intervals repeat the same non-zero value",
        ),
        _d(
            "mdm.start_of_interval",
            0.002,
            "meter-day",
            True,
            "a meter-day stamped with interval starts instead of ends (every stamp one interval early)",
        ),
        _d(
            "mdm.unit_mixup",
            0.002,
            "meter-day",
            True,
            "values in Wh (electric), therms (gas) or gallons (water) while labelled kWh / CCF / CCF",
        ),
        _d(
            "mdm.wrong_multiplier",
            0.002,
            "register row",
            True,
            "register read delivered with a CT/PT multiplier that disagrees with the meter record",
        ),
        _d(
            "mdm.removed_meter_read",
            0.05,
            "removed-meter-day",
            False,
            "interval and register reads delivered for a meter CIS lists as removed",
        ),
        _d(
            "mdm.register_rollover",
            0.002,
            "meter",
            True,
            "register passes 10^dials during the run and reads go down (usage = 10^dials - prev + cur)",
        ),
        _d(
            "mdm.meter_exchange",
            0.0005,
            "meter-day",
            False,
            "meter exchanged mid-day: two serials on one service point in one day (CIS delta, reads, order)",
        ),
        # S3 CRM
        _d(
            "crm.unlinked_interaction",
            0.2,
            "interaction",
            True,
            "interaction with no account_text; the clean value is the true contract account",
        ),
        _d(
            "crm.account_format",
            0.1,
            "row with account_text",
            True,
            "account typed with dashes or without leading zeros; the clean value is the 12-digit account",
        ),
        _d("crm.contact_conflict", 0.05, "contact", False, "contact email or phone differs from CIS"),
        _d("crm.duplicate_signup", 0.03, "contact", False, "the same person signed up twice on the web"),
        _d(
            "crm.utc_timestamp",
            0.05,
            "interaction",
            True,
            "started_at delivered in UTC without an offset where local time is the convention",
        ),
        # S4 Payments
        _d(
            "payments.miskeyed_account",
            0.01,
            "payment",
            True,
            "account number mis-keyed (one digit) or transposed (two adjacent digits): unapplied cash",
        ),
        _d(
            "payments.file_redelivered",
            0.15,
            "delivery day",
            False,
            "the day's lockbox file delivered a second time, byte-identical, suffix _resend",
        ),
        _d(
            "payments.batch_total_mismatch",
            0.05,
            "lockbox batch",
            True,
            "batch total record (7) disagrees with the sum of its details",
        ),
        _d(
            "payments.cents_dollars",
            0.003,
            "payment",
            True,
            "amount keyed in dollars where cents are expected (lockbox) or cents where dollars are (card)",
        ),
        _d("payments.closed_account", 0.005, "payment", False, "payment to an account closed at move-out"),
        # S5 Work & outage
        _d(
            "workorders.late_bulk_completion",
            0.05,
            "completed order",
            True,
            "completion time keyed late in bulk (23:45 of a later day) instead of the real completion",
        ),
        _d(
            "workorders.old_meter",
            0.1,
            "order on an exchanged service point",
            True,
            "order points at the service point's old (removed) meter serial",
        ),
        _d(
            "workorders.missing_restore",
            0.05,
            "outage",
            True,
            "outage and its interruptions lack restored_at",
        ),
        _d(
            "workorders.stale_transformer_map",
            0.02,
            "service point",
            True,
            "interruptions built on a stale customer-to-transformer map (wrong and missed service points)",
        ),
        # S6 GIS
        _d(
            "gis.premise_only_in_cis",
            0.005,
            "premise",
            False,
            "premise in CIS but missing from the GIS export",
        ),
        _d("gis.premise_only_in_gis", 0.005, "premise", False, "premise in the GIS export unknown to CIS"),
        _d("gis.wrong_transformer", 0.01, "premise", True, "premise linked to the wrong transformer in GIS"),
        _d("gis.null_island", 0.002, "premise", True, "geometry at POINT (0 0)"),
        _d(
            "gis.swapped_coordinates",
            0.002,
            "premise",
            True,
            "latitude and longitude swapped in the WKT point",
        ),
        _d("gis.missing_unit", 0.05, "premise with a unit", True, "unit number missing in GIS"),
    )
}


def rate(params: GenerateParams, name: str, day_index: int = 0) -> float:
    """The effective rate of defect class `name` on day `day_index`: default x scale x trend, in [0, 1]."""
    r = DEFECTS[name].rate * params.defect_rate_scale * params.trend_factor(day_index)
    return float(min(max(r, 0.0), 1.0))


def _plain(values: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if isinstance(v, np.generic):
            v = v.item()
        elif isinstance(v, (list, tuple)):
            v = _plain(v)
        out.append(v)
    return out


@dataclass
class _Group:
    file: str
    feed: str
    column: str | None
    key_fields: tuple[str, ...]
    rows: list[Any] = field(default_factory=list)
    keys: list[Any] = field(default_factory=list)
    delivered: list[Any] = field(default_factory=list)
    clean: list[Any] = field(default_factory=list)
    extra: dict[str, list[Any]] = field(default_factory=dict)


class DefectLog:
    """Every injected defect, grouped by class and by (file, column), stored column-wise."""

    def __init__(self) -> None:
        self._groups: dict[str, dict[tuple[str, str | None], _Group]] = {name: {} for name in DEFECTS}

    def add(
        self,
        name: str,
        *,
        file: str,
        feed: str,
        key_fields: Sequence[str],
        rows: Values,
        keys: Values,
        column: str | None = None,
        delivered: Values | None = None,
        clean: Values | None = None,
        **extra: Values,
    ) -> None:
        """Record len(rows) instances of defect `name` in `file` (rows are 1-based source row numbers)."""
        if name not in DEFECTS:
            raise KeyError(f"unknown defect class {name!r}")
        n = len(rows)
        if n == 0:
            return
        if len(keys) != n:
            raise ValueError(f"{name}: {len(keys)} keys for {n} rows")
        g = self._groups[name].get((file, column))
        if g is None:
            g = _Group(file, feed, column, tuple(key_fields))
            self._groups[name][(file, column)] = g
        g.rows += _plain(rows)
        g.keys += _plain(keys)
        g.delivered += _plain(delivered) if delivered is not None else [None] * n
        g.clean += _plain(clean) if clean is not None else [None] * n
        for k, v in extra.items():
            g.extra.setdefault(k, []).extend(_plain(v))

    def count(self, name: str) -> int:
        """Number of instances of class `name` recorded so far."""
        return sum(len(g.rows) for g in self._groups[name].values())

    def to_manifest(self, params: GenerateParams) -> dict[str, Any]:
        """The `defects` section of the manifest (schema in MANIFEST.md)."""
        out: dict[str, Any] = {}
        for name, dc in DEFECTS.items():
            groups = []
            for g in self._groups[name].values():
                entry: dict[str, Any] = {
                    "file": g.file,
                    "feed": g.feed,
                    "column": g.column,
                    "key_fields": list(g.key_fields),
                    "rows": g.rows,
                    "keys": g.keys,
                    "delivered": g.delivered,
                    "clean": g.clean,
                }
                entry.update(g.extra)
                groups.append(entry)
            out[name] = {
                "source": dc.source,
                "description": dc.description,
                "unit": dc.unit,
                "default_rate": dc.rate,
                "rate": dc.rate * params.defect_rate_scale,
                "repairable": dc.repairable,
                "count": sum(len(g.rows) for g in self._groups[name].values()),
                "instances": groups,
            }
        return out
