"""S1 CIS billing: bill headers and bill lines for the day's bill cycle, cancel/rebill pairs.

Bills go out on business days; the i-th business day of the run bills cycle (i mod 21) + 1, so a
21-business-day month bills every account once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from loaders.synth import formats as F
from loaders.synth import people as P
from loaders.synth import vocab
from loaders.synth.cis_master import tariff_index
from loaders.synth.defects import DefectLog, rate
from loaders.synth.formats import Deliveries
from loaders.synth.params import GenerateParams, rng
from loaders.synth.world import World
from warehouse.schema.staging import FEEDS

BILL_BASE = 800_000_000_000
PREV_BILL_BASE = 700_000_000_000
RATE_MILLI = np.array([int(round(float(t[3]) * 10000)) for t in vocab.TARIFFS])  # 1/10000 $ per unit
FIXED_CENTS = np.array([int(round(float(t[4]) * 100)) for t in vocab.TARIFFS])
GAS_TARIFF = 4
LEGIT_REBILL = 0.0005  # per earlier bill and day: about 1.5% of bills are cancelled and rebilled a month


@dataclass
class BillState:
    """Bills issued so far in the run (for cancel/rebill)."""

    next_id: int = 0
    ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    accounts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    totals: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    kwh: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    rebilled: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))


def business_day_index(params: GenerateParams, d: int) -> int | None:
    """Index of day d among the run's business days, or None on a weekend."""
    dates = params.dates
    if dates[d].weekday() >= 5:
        return None
    return sum(1 for x in dates[:d] if x.weekday() < 5)


def _amounts(world: World, acc: np.ndarray, noise: np.ndarray) -> tuple[Any, ...]:
    """kWh, CCF, has-gas, tariff and the charges in cents (fixed, energy, gas, tax, total) of a bill."""
    prem = world.account_premise[acc]
    e_sp = np.nonzero(world.sp_commodity == 0)[0]  # one electric service point per premise, in premise order
    gas_sp = np.full(world.n_premises, -1)
    g = np.nonzero(world.sp_commodity == 1)[0]
    gas_sp[world.sp_premise[g]] = g
    kwh = np.round(world.sp_base_daily[e_sp[prem]] * 30 / 1000 * noise).astype(np.int64)
    tariff = tariff_index(world, world.account_num[acc], prem)
    gsp = gas_sp[prem]
    has_gas = gsp >= 0
    ccf = np.where(has_gas, np.round(world.sp_base_daily[np.maximum(gsp, 0)] * 30 / 1000), 0).astype(np.int64)
    fixed = FIXED_CENTS[tariff]
    energy = kwh * RATE_MILLI[tariff] // 100
    gas = np.where(has_gas, ccf * RATE_MILLI[GAS_TARIFF] // 100, 0)
    tax = (fixed + energy + gas) * 5 // 100
    return kwh, ccf, has_gas, tariff, (fixed, energy, gas, tax, fixed + energy + gas + tax)


def init_state(world: World) -> BillState:
    """Last month's bills (not delivered; ids PREV_BILL_BASE + account index) may be rebilled too."""
    acc = np.nonzero(np.isnat(world.account_close))[0]
    kwh, *_, charges = _amounts(world, acc, np.ones(len(acc)))
    return BillState(
        ids=PREV_BILL_BASE + acc, accounts=acc, totals=charges[-1], kwh=kwh, rebilled=np.zeros(len(acc), bool)
    )


def write_bills(
    world: World,
    params: GenerateParams,
    d: int,
    state: BillState,
    deliveries: Deliveries,
    log: DefectLog,
    closed_in_run: np.ndarray,
) -> None:
    """Write day d's bill and bill line files (header-only on weekends)."""
    day = params.dates[d]
    today = np.datetime64(day, "D")
    r = rng(params.seed, "cis_bill", d)
    b = business_day_index(params, d)
    if b is None:
        acc = np.zeros(0, np.int64)
    else:
        open_ = np.isnat(world.account_close) & ~closed_in_run
        acc = np.nonzero((world.account_cycle == b % 21 + 1) & open_)[0]
    n = len(acc)
    kwh, ccf, has_gas, tariff, (fixed, energy, gas, tax, total) = _amounts(world, acc, r.lognormal(0, 0.1, n))
    ids = BILL_BASE + state.next_id + np.arange(n)
    state.next_id += n
    estimated = r.random(n) < 0.02

    # cancel/rebill of earlier bills: correct pairs (C + R), and the defect: R without its C
    prev_ids, prev_acc, prev_tot, prev_kwh = state.ids, state.accounts, state.totals, state.kwh
    u = r.random(len(prev_ids))
    p_bad = rate(params, "cis.cancel_rebill_double", d)
    fresh = ~state.rebilled
    good = fresh & (u < LEGIT_REBILL)
    bad = fresh & (u >= LEGIT_REBILL) & (u < LEGIT_REBILL + p_bad)
    state.ids = np.concatenate([prev_ids, ids])
    state.accounts = np.concatenate([prev_acc, acc])
    state.totals = np.concatenate([prev_tot, total])
    state.kwh = np.concatenate([prev_kwh, kwh])
    state.rebilled = np.concatenate([state.rebilled | good | bad, np.zeros(n, bool)])

    gi, bi = np.nonzero(good)[0], np.nonzero(bad)[0]
    # rows after today's normal bills: for each good pair C then R, then the lone R of the bad ones
    adj_orig = np.concatenate([np.repeat(gi, 2), bi])
    adj_type = np.array(["C", "R"] * len(gi) + ["R"] * len(bi), dtype=object)
    n_adj = len(adj_orig)
    adj_ids = BILL_BASE + state.next_id + np.arange(n_adj)
    state.next_id += n_adj
    factor = 0.9 + 0.2 * r.random(n_adj)
    adj_total = np.where(adj_type == "C", -prev_tot[adj_orig], (prev_tot[adj_orig] * factor).astype(np.int64))
    adj_kwh = np.where(adj_type == "C", -prev_kwh[adj_orig], prev_kwh[adj_orig])

    period_end = today - 1
    all_ids = np.concatenate([ids, adj_ids])
    all_acc = np.concatenate([acc, prev_acc[adj_orig]])
    bill_type = np.concatenate([np.full(n, "N", dtype=object), adj_type]).astype(str)
    orig = np.concatenate([np.full(n, -1), prev_ids[adj_orig]])
    est = np.concatenate([estimated, np.zeros(n_adj, bool)])
    with deliveries.open("cis", "cis_bill", day, "dat") as sink:
        sink.header(FEEDS["cis_bill"].columns, "|")
        if len(all_ids):
            sink.lines(
                F.cat(
                    F.zpad(all_ids, 12),
                    P.account_ids(world.account_num[all_acc]),
                    f"{day:%Y%m%d}",
                    F.yyyymmdd(np.full(len(all_ids), period_end - 29)),
                    F.yyyymmdd(np.full(len(all_ids), period_end)),
                    pa.array(bill_type),
                    pa.array(np.where(orig >= 0, np.char.zfill(orig.astype(str), 12), "")),
                    F.decimal(np.concatenate([total, adj_total]), 2),
                    F.as_str(np.concatenate([kwh, adj_kwh])),
                    "KWH",
                    pa.array(np.where(est, "Y", "N")),
                    sep="|",
                )
            )
        lone_r = n + 2 * len(gi) + np.arange(len(bi))
        log.add(
            "cis.cancel_rebill_double",
            file=sink.rel,
            feed="cis_bill",
            column="bill_type",
            key_fields=("bill_id",),
            rows=lone_r + 1,
            keys=F.zpad(all_ids[lone_r], 12).to_pylist(),
            delivered=["R"] * len(bi),
            clean=[None] * len(bi),
            original_bill_id=F.zpad(orig[lone_r], 12).to_pylist() if len(bi) else [],
        )
    _write_lines(
        params, d, deliveries, ids, tariff, kwh, ccf, has_gas, fixed, energy, gas, tax, adj_ids, adj_total
    )


def _write_lines(
    params: GenerateParams,
    d: int,
    deliveries: Deliveries,
    ids: np.ndarray,
    tariff: np.ndarray,
    kwh: np.ndarray,
    ccf: np.ndarray,
    has_gas: np.ndarray,
    fixed: np.ndarray,
    energy: np.ndarray,
    gas: np.ndarray,
    tax: np.ndarray,
    adj_ids: np.ndarray,
    adj_total: np.ndarray,
) -> None:
    n = len(ids)
    slots = np.ones((n, 4), bool)
    slots[:, 2] = has_gas
    line_no = np.cumsum(slots, axis=1)[slots]
    bi = np.repeat(np.arange(n), 4).reshape(n, 4)[slots]
    kind = np.tile(np.arange(4), n).reshape(n, 4)[slots]
    code = np.array(["CUST", "ENERGY", "GAS", "TAX"])[kind]
    desc = np.array(["Customer charge", "Energy charge", "Gas delivery", "Sales tax"])[kind]
    qty = np.choose(kind, [np.ones(n, np.int64)[bi], kwh[bi], ccf[bi], np.ones(n, np.int64)[bi]])
    unit = np.array(["EA", "KWH", "CCF", "EA"])[kind]
    rate_ = np.choose(
        kind,
        [
            fixed[bi] * 100,
            RATE_MILLI[tariff][bi],
            np.full(len(bi), RATE_MILLI[GAS_TARIFF]),
            np.full(len(bi), 500),
        ],
    )
    amount = np.choose(kind, [fixed[bi], energy[bi], gas[bi], tax[bi]])
    with deliveries.open("cis", "cis_bill_line", params.dates[d], "dat") as sink:
        sink.header(FEEDS["cis_bill_line"].columns, "|")
        if len(bi):
            sink.lines(
                F.cat(
                    F.zpad(ids[bi], 12),
                    F.as_str(line_no),
                    pa.array(code),
                    pa.array(desc),
                    F.as_str(qty),
                    pa.array(unit),
                    F.decimal(rate_, 4),
                    F.decimal(amount, 2),
                    sep="|",
                )
            )
        if len(adj_ids):
            sink.lines(
                F.cat(
                    F.zpad(adj_ids, 12),
                    "1",
                    "ADJ",
                    "Cancel/rebill adjustment",
                    "1",
                    "EA",
                    F.decimal(adj_total * 100, 4),
                    F.decimal(adj_total, 2),
                    sep="|",
                )
            )
