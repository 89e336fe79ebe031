"""S2 MDM / AMI: what the interval and register files share: ids, true usage, the state carried across days.

The files themselves are written by `mdm_intervals` (interval CSV), `mdm_registers` (register CSV) and
`espi` (Green Button XML).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from loaders.synth import formats as F
from loaders.synth.defects import rate
from loaders.synth.params import GenerateParams, rng
from loaders.synth.world import World

LETTER = np.array(["E", "G", "W"])
UNIT = pa.array(["KWH", "CCF", "CCF"])


def sp_ids(sp: np.ndarray) -> pa.Array:
    """Service point ids: 'SP' + 9 digits."""
    return F.cat("SP", F.zpad(sp, 9))


def serials(world: World, sp: np.ndarray, which: np.ndarray) -> pa.Array:
    """Meter serials of `sp`; which: 0 current, 1 previous (removed before the run), 2 exchanged-in."""
    base = np.choose(np.asarray(which), [10_000_000, 20_000_000, 30_000_000])
    letter = pa.array(LETTER[world.sp_commodity[sp]])
    return F.cat(letter, F.as_str(base + sp))


def day_usage(world: World, params: GenerateParams, d: int) -> np.ndarray:
    """True usage of every service point on day index d, in milli-units (float)."""
    r = rng(params.seed, "usage", d)
    weekly = 1.0 + 0.12 * np.sin(2 * np.pi * (d % 7) / 7)
    return world.sp_base_daily * weekly * r.lognormal(0.0, 0.2, world.n_sps)


@dataclass
class MdmState:
    """What carries from one MDM day to the next: registers, back-fills, the interval sample."""

    register: np.ndarray
    sample: np.ndarray
    backfill: dict[int, list[dict[str, np.ndarray]]] = field(default_factory=dict)
    events: dict[str, int] = field(default_factory=dict)
    last_units: np.ndarray | None = None  # yesterday's register advance, for rollover bookkeeping

    def next_event(self, name: str, n: int = 1) -> np.ndarray:
        start = self.events.get(name, 0)
        self.events[name] = start + n
        return np.arange(start, start + n)


def init_state(world: World, params: GenerateParams) -> MdmState:
    """Register readings before day 1 (rollover meters placed so they wrap on their day) and the sample."""
    units = world.sp_register0.copy()
    roll = np.nonzero(world.sp_rollover_day >= 0)[0]
    if len(roll):
        cap = 10.0 ** world.sp_dials[roll]
        per_unit = 1000.0 * world.sp_multiplier[roll]
        k = world.sp_rollover_day[roll]
        cum = np.zeros(len(roll))
        last = np.zeros(len(roll))
        for d in range(int(k.max())):
            u = day_usage(world, params, d)[roll] / per_unit
            cum += np.where(d < k, u, 0.0)
            last = np.where(d == k - 1, u, last)
        # read k (start of day k) lands a little past the cap, read k-1 just below it
        units[roll] = cap - cum + 0.5 * last
    sample = np.ones(world.n_sps, bool)
    if params.profile == "utility-month":
        sample = rng(params.seed, "mdm", "sample").random(world.n_sps) < 0.05
    return MdmState(register=units, sample=sample & ~world.sp_removed)


def removed_reads(world: World, params: GenerateParams, d: int) -> np.ndarray:
    """Removed meters that (wrongly) report on day d: the same meters in the interval and register files."""
    r = rng(params.seed, "mdm_removed", d)
    return world.sp_removed & (r.random(world.n_sps) < rate(params, "mdm.removed_meter_read", d))
