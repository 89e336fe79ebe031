"""S5 Work & outage management: service orders and outages (with nested customer interruptions), JSON lines.

An outage line's `interruptions` list holds the `workorders_interruption` objects. A defect in an
interruption is located by the outage's line number (`rows`) and its 1-based position in that list
(`interruption_index`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from loaders.synth import formats as F
from loaders.synth import people as P
from loaders.synth.defects import DefectLog, rate
from loaders.synth.formats import Deliveries
from loaders.synth.mdm import serials, sp_ids
from loaders.synth.params import GenerateParams, rng
from loaders.synth.world import TRANSFORMERS_PER_FEEDER, World

ORDER_TYPES = np.array(["INVESTIGATE", "CONNECT", "DISCONNECT", "METER_TEST", "RECONNECT", "HIGH_BILL_CHECK"])
CAUSES = ["WEATHER", "EQUIPMENT", "ANIMAL", "VEGETATION", "VEHICLE", "PLANNED"]


@dataclass
class WorkState:
    """Order and outage numbers so far, and the transformer -> electric service point indexes."""

    next_order: int
    next_outage: int
    oms_order: np.ndarray
    oms_sorted: np.ndarray
    true_order: np.ndarray
    true_sorted: np.ndarray
    e_sp: np.ndarray


def init_state(world: World) -> WorkState:
    """Index premises by the outage system's transformer map and by the true one."""
    oms_order = np.argsort(world.oms_transformer, kind="stable")
    true_order = np.argsort(world.transformer, kind="stable")
    return WorkState(
        0,
        0,
        oms_order,
        world.oms_transformer[oms_order],
        true_order,
        world.transformer[true_order],
        np.nonzero(world.sp_commodity == 0)[0],
    )


def tx_ids(t: np.ndarray) -> pa.Array:
    return F.cat("TX", F.zpad(t, 6))


def feeder_ids(t: np.ndarray) -> pa.Array:
    return F.cat("FDR", F.zpad(np.asarray(t) // TRANSFORMERS_PER_FEEDER, 4))


def write_day(
    world: World, params: GenerateParams, d: int, state: WorkState, deliveries: Deliveries, log: DefectLog
) -> None:
    """Day d's service orders and outages."""
    _orders(world, params, d, state, deliveries, log)
    _outages(world, params, d, state, deliveries, log)


def _orders(
    world: World, params: GenerateParams, d: int, state: WorkState, deliveries: Deliveries, log: DefectLog
) -> None:
    day = params.dates[d]
    r = rng(params.seed, "workorders", d)
    k = int(r.binomial(world.n_sps, 0.0013))
    sp = r.integers(0, world.n_sps, k)
    # a fifth of the orders are follow-ups on service points whose meter was exchanged
    exchanged = np.nonzero(
        world.sp_has_previous | ((world.sp_exchange_day >= 0) & (world.sp_exchange_day < d))
    )[0]
    follow = (r.random(k) < 0.2) & (len(exchanged) > 0)
    sp = np.where(follow, exchanged[r.integers(0, max(len(exchanged), 1), k)] if len(exchanged) else 0, sp)
    ex = np.nonzero(world.sp_exchange_day == d)[0]
    sp = np.concatenate([sp, ex])
    otype = np.concatenate(
        [ORDER_TYPES[r.integers(0, len(ORDER_TYPES), k)], np.full(len(ex), "METER_EXCHANGE")]
    )
    n = len(sp)
    num = state.next_order + np.arange(n)
    state.next_order += n
    order_no = F.cat("4", F.zpad(num, 9))
    which = np.where((world.sp_exchange_day[sp] >= 0) & (world.sp_exchange_day[sp] <= d), 2, 0)
    current = serials(world, sp, which)
    had_old = world.sp_has_previous[sp] | ((world.sp_exchange_day[sp] >= 0) & (world.sp_exchange_day[sp] < d))
    old_which = np.where(world.sp_has_previous[sp] & (world.sp_exchange_day[sp] < 0), 1, 0)
    old_meter = (
        had_old & (otype != "METER_EXCHANGE") & (r.random(n) < rate(params, "workorders.old_meter", d))
    )
    serial = pc.if_else(pa.array(old_meter), serials(world, sp, old_which), current)
    midnight = np.datetime64(day, "s")
    created = (
        midnight
        - (r.integers(1, 10, n) * 86400).astype("timedelta64[s]")
        + r.integers(8 * 3600, 17 * 3600, n).astype("timedelta64[s]")
    )
    completed = (r.random(n) < 0.7) | (otype == "METER_EXCHANGE")
    done_at = (
        midnight
        - (r.integers(0, 3, n) * 86400).astype("timedelta64[s]")
        + r.integers(8 * 3600, 17 * 3600, n).astype("timedelta64[s]")
    )
    done_at = np.where(otype == "METER_EXCHANGE", midnight + np.timedelta64(12 * 3600, "s"), done_at)
    done_at = np.maximum(done_at, created + np.timedelta64(3600, "s"))
    late = (
        completed
        & (otype != "METER_EXCHANGE")
        & (r.random(n) < rate(params, "workorders.late_bulk_completion", d))
    )
    true_done = F.iso_minutes(np.where(completed, done_at, np.datetime64("NaT")))
    delivered_done = pc.if_else(pa.array(late), f"{day}T23:45:00", true_done)
    status = np.where(completed, "COMPLETED", np.where(r.random(n) < 0.5, "OPEN", "SCHEDULED"))
    sched = F.iso_date(
        (midnight + (r.integers(-2, 5, n) * 86400).astype("timedelta64[s]")).astype("datetime64[D]")
    )
    with deliveries.open("workorders", "workorders_order", day, "jsonl") as sink:
        sink.lines(
            F.json_lines(
                [
                    ("order_no", order_no, False),
                    ("order_type", pa.array(otype), False),
                    ("status", pa.array(status), False),
                    ("service_point_id", sp_ids(sp), False),
                    ("premise_id", P.premise_ids(world.sp_premise[sp]), False),
                    ("meter_serial", serial, False),
                    ("created_at", F.iso_minutes(created), False),
                    ("scheduled_date", sched, False),
                    ("completed_at", delivered_done, False),
                    ("crew", F.cat("CREW", F.zpad(r.integers(1, 60, n), 2)), False),
                ],
                n,
            )
            if n
            else pa.array([], pa.string())
        )
        rows = np.arange(1, n + 1)
        for cls, m, col, delivered, clean in (
            ("workorders.late_bulk_completion", late, "completed_at", delivered_done, true_done),
            ("workorders.old_meter", old_meter, "meter_serial", serial, current),
        ):
            s = pa.array(m)
            log.add(
                cls,
                file=sink.rel,
                feed="workorders_order",
                column=col,
                key_fields=("order_no",),
                rows=rows[m],
                keys=order_no.filter(s).to_pylist(),
                delivered=delivered.filter(s).to_pylist(),
                clean=clean.filter(s).to_pylist(),
            )


def _outages(
    world: World, params: GenerateParams, d: int, state: WorkState, deliveries: Deliveries, log: DefectLog
) -> None:
    day = params.dates[d]
    r = rng(params.seed, "outages", d)
    n_tx = int(world.transformer.max()) + 1 if world.n_premises else 0
    k = max(1, int(r.binomial(n_tx, 0.0004))) if n_tx else 0
    txs = np.sort(r.choice(n_tx, size=min(k, n_tx), replace=False)) if k else np.zeros(0, np.int64)
    start_s = r.integers(3 * 3600, 22 * 3600, len(txs))
    dur = r.integers(20 * 60, 6 * 3600, len(txs))
    missing = r.random(len(txs)) < rate(params, "workorders.missing_restore", d)
    midnight = datetime.combine(day, time(0))
    prem_sp = np.full(world.n_premises, -1)
    prem_sp[world.sp_premise[state.e_sp]] = state.e_sp
    lines: list[str] = []
    wrong_rows, wrong_idx, wrong_keys, wrong_del, wrong_clean = [], [], [], [], []
    missed_keys, missed_clean, missed_rows = [], [], []
    miss_rows: list[int] = []
    miss_keys: list[str] = []
    miss_del: list[None] = []
    miss_clean: list[str] = []
    for j, t in enumerate(txs):
        oid = f"OUT{state.next_outage:08d}"
        state.next_outage += 1
        started = midnight + timedelta(seconds=int(start_s[j]))
        restored = started + timedelta(seconds=int(dur[j]))
        st, rs = started.isoformat(), restored.isoformat()
        lo, hi = np.searchsorted(state.oms_sorted, [t, t + 1])
        prem = np.sort(state.oms_order[lo:hi])
        sps = prem_sp[prem]
        tlo, thi = np.searchsorted(state.true_sorted, [t, t + 1])
        true_prem = np.sort(state.true_order[tlo:thi])
        tid = f"TX{t:06d}"
        sp_l, prem_l = sp_ids(sps).to_pylist(), P.premise_ids(prem).to_pylist()
        inter = [
            {
                "outage_id": oid,
                "service_point_id": s,
                "premise_id": p,
                "transformer_id": tid,
                "interrupted_at": st,
                "restored_at": None if missing[j] else rs,
            }
            for s, p in zip(sp_l, prem_l, strict=True)
        ]
        obj = {
            "outage_id": oid,
            "feeder_id": f"FDR{t // TRANSFORMERS_PER_FEEDER:04d}",
            "transformer_id": tid,
            "cause": CAUSES[int(r.integers(0, len(CAUSES)))],
            "started_at": st,
            "restored_at": None if missing[j] else rs,
            "customers_affected": len(inter),
            "interruptions": inter,
        }
        lines.append(json.dumps(obj))
        row = len(lines)
        if missing[j]:
            miss_rows.append(row)
            miss_keys.append(oid)
            miss_del.append(None)
            miss_clean.append(rs)
        for i, pr in enumerate(prem):
            if world.transformer[pr] != t:
                wrong_rows.append(row)
                wrong_idx.append(i + 1)
                wrong_keys.append([oid, sp_l[i]])
                wrong_del.append(tid)
                wrong_clean.append(f"TX{int(world.transformer[pr]):06d}")
        for pr in true_prem[world.oms_transformer[true_prem] != t]:
            missed_rows.append(row)
            missed_keys.append([oid, sp_ids(np.array([prem_sp[pr]])).to_pylist()[0]])
            missed_clean.append(tid)
    with deliveries.open("workorders", "workorders_outage", day, "jsonl") as sink:
        sink.raw("".join(line + "\n" for line in lines).encode(), len(lines))
        log.add(
            "workorders.missing_restore",
            file=sink.rel,
            feed="workorders_outage",
            column="restored_at",
            key_fields=("outage_id",),
            rows=miss_rows,
            keys=miss_keys,
            delivered=miss_del,
            clean=miss_clean,
        )
        key = ("outage_id", "service_point_id")
        log.add(
            "workorders.stale_transformer_map",
            file=sink.rel,
            feed="workorders_interruption",
            column="transformer_id",
            key_fields=key,
            rows=wrong_rows,
            keys=wrong_keys,
            delivered=wrong_del,
            clean=wrong_clean,
            interruption_index=wrong_idx,
            kind=["included_wrongly"] * len(wrong_rows),
        )
        log.add(
            "workorders.stale_transformer_map",
            file=sink.rel,
            feed="workorders_interruption",
            column="service_point_id",
            key_fields=key,
            rows=missed_rows,
            keys=missed_keys,
            delivered=[None] * len(missed_rows),
            clean=missed_clean,
            interruption_index=[None] * len(missed_rows),
            kind=["missed"] * len(missed_rows),
        )
