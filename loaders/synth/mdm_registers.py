"""S2 MDM: daily register reads (midnight reads), with exchanges, rollover, wrong multipliers."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from loaders.synth import formats as F
from loaders.synth.defects import DefectLog, rate
from loaders.synth.formats import Deliveries
from loaders.synth.mdm import UNIT, MdmState, serials, sp_ids
from loaders.synth.params import GenerateParams, rng
from loaders.synth.world import World
from warehouse.schema.staging import FEEDS

REG_CHUNK = 250_000
REGISTER_KEY = ("service_point_id", "meter_serial", "read_date")


def write_registers(
    world: World,
    params: GenerateParams,
    d: int,
    deliveries: Deliveries,
    log: DefectLog,
    state: MdmState,
    usage: np.ndarray,
    removed_read: np.ndarray,
) -> None:
    """Write day d's register reads (midnight reads at the start of the day) and advance the registers."""
    day = params.dates[d]
    feed = FEEDS["mdm_register"]
    r = rng(params.seed, "mdm_register", d)
    per_unit = 1000.0 * world.sp_multiplier
    cap = 10 ** world.sp_dials.astype(np.int64)
    active = ~world.sp_removed | removed_read
    sps = np.nonzero(active)[0]
    value = np.floor(state.register[sps]).astype(np.int64) % cap[sps]
    which = np.where(world.sp_exchange_day[sps] > 0, np.where(world.sp_exchange_day[sps] < d, 2, 0), 0)
    time_ = np.full(len(sps), "00:00:00", dtype=object)
    rtype = np.full(len(sps), "SCHEDULED", dtype=object)
    # exchanges: the old meter's removal read and the new meter's install read, at noon
    ex = np.nonzero(world.sp_exchange_day[sps] == d)[0]
    half = 0.5 * usage[sps[ex]] / per_unit[sps[ex]]
    ex_val = np.concatenate(
        [
            np.floor(state.register[sps[ex]] + half).astype(np.int64) % cap[sps[ex]],
            np.zeros(len(ex), np.int64),
        ]
    )
    # interleave each exchange's two extra rows right after its scheduled read
    order = np.argsort(np.concatenate([np.arange(len(sps)) * 3, ex * 3 + 1, ex * 3 + 2]), kind="stable")
    all_sp = np.concatenate([sps, sps[ex], sps[ex]])[order]
    all_val = np.concatenate([value, ex_val])[order]
    all_which = np.concatenate([which, np.zeros(len(ex), np.int64), np.full(len(ex), 2)])[order]
    all_time = np.concatenate([time_, np.full(2 * len(ex), "12:00:00", dtype=object)])[order]
    all_type = np.concatenate(
        [rtype, np.full(len(ex), "REMOVAL", dtype=object), np.full(len(ex), "INSTALL", dtype=object)]
    )[order]
    mult = world.sp_multiplier[all_sp].copy()
    wrong = r.random(len(all_sp)) < rate(params, "mdm.wrong_multiplier", d)
    mult_delivered = np.where(wrong, np.where(mult == 1, 10, 1), mult)
    unit = UNIT.take(pa.array(world.sp_commodity[all_sp]))
    with deliveries.open("mdm", "mdm_register", day, "csv") as sink:
        sink.header(feed.columns, ",")
        for lo in range(0, len(all_sp), REG_CHUNK):
            sl = slice(lo, lo + REG_CHUNK)
            s_sp = all_sp[sl]
            sink.lines(
                F.cat(
                    sp_ids(s_sp),
                    serials(world, s_sp, all_which[sl]),
                    day.isoformat(),
                    pa.array(all_time[sl], pa.string()),
                    F.as_str(all_val[sl]),
                    unit.slice(lo, len(s_sp)),
                    F.as_str(world.sp_dials[s_sp]),
                    F.as_str(mult_delivered[sl]),
                    pa.array(all_type[sl], pa.string()),
                    sep=",",
                )
            )

        def pick(mask: np.ndarray) -> tuple[np.ndarray, list[list[str]], pa.Array]:
            idx = np.nonzero(mask)[0]
            ser = serials(world, all_sp[idx], all_which[idx])
            pairs = zip(sp_ids(all_sp[idx]).to_pylist(), ser.to_pylist(), strict=True)
            return idx + 1, [[a, b, day.isoformat()] for a, b in pairs], ser

        rr, kk, _ = pick(wrong)
        log.add(
            "mdm.wrong_multiplier",
            file=sink.rel,
            feed="mdm_register",
            column="multiplier",
            key_fields=REGISTER_KEY,
            rows=rr,
            keys=kk,
            delivered=mult_delivered[wrong],
            clean=mult[wrong],
        )
        rr, kk, _ = pick(world.sp_removed[all_sp])
        log.add(
            "mdm.removed_meter_read",
            file=sink.rel,
            feed="mdm_register",
            column=None,
            key_fields=REGISTER_KEY,
            rows=rr,
            keys=kk,
        )
        ex_mask = world.sp_exchange_day[all_sp] == d
        rr, kk, ser = pick(ex_mask)
        log.add(
            "mdm.meter_exchange",
            file=sink.rel,
            feed="mdm_register",
            column="meter_serial",
            key_fields=REGISTER_KEY,
            rows=rr,
            keys=kk,
            delivered=ser.to_pylist(),
            read_type=list(all_type[ex_mask]),
        )
        roll = (world.sp_rollover_day[all_sp] == d) & (all_type == "SCHEDULED")
        if roll.any():
            rs = all_sp[roll]
            last = state.last_units[rs] if state.last_units is not None else np.zeros(len(rs))
            prev = np.floor(state.register[rs] - last).astype(np.int64) % cap[rs]
            rr, kk, _ = pick(roll)
            log.add(
                "mdm.register_rollover",
                file=sink.rel,
                feed="mdm_register",
                column="register_value",
                key_fields=REGISTER_KEY,
                rows=rr,
                keys=kk,
                delivered=all_val[roll],
                clean=(all_val[roll] + cap[rs] - prev),
                previous=prev,
                dials=world.sp_dials[rs],
            )
    # advance: the register at the start of tomorrow; exchanged meters restart from zero at noon
    units = usage / per_unit
    state.last_units = units
    state.register = state.register + units
    exd = world.sp_exchange_day == d
    state.register[exd] = 0.5 * units[exd]
