"""The local-time interval grid of a day: end-of-interval stamps, UTC offsets, DST days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa

from loaders.synth.params import TIMEZONE

TZ = ZoneInfo(TIMEZONE)


@dataclass(frozen=True)
class Grid:
    """The intervals of one local day: counted in UTC, so 92 or 100 quarter-hours on DST days."""

    day: date
    minutes: int
    end_local: pa.Array  # 'YYYY-MM-DDTHH:MM:SS', the END of each interval, local wall time
    start_local: pa.Array  # the START of each interval (what a start-of-interval meter stamps)
    end_offset: pa.Array  # UTC offset of the end instant, '-05:00' / '-06:00'
    start_offset: pa.Array
    start_epoch: np.ndarray  # UTC epoch seconds of each interval start (ESPI timePeriod/start)
    hour: np.ndarray  # local hour of the interval start (drives the load shape)

    @property
    def n(self) -> int:
        return len(self.start_epoch)


def _offset(dt: datetime) -> str:
    s = dt.strftime("%z")
    return f"{s[:3]}:{s[3:]}"


@lru_cache(maxsize=256)
def grid(day: date, minutes: int) -> Grid:
    """The interval grid of local `day` for `minutes`-long intervals."""
    t0 = datetime.combine(day, time(0), TZ).astimezone(UTC)
    t1 = datetime.combine(day + timedelta(days=1), time(0), TZ).astimezone(UTC)
    step = timedelta(minutes=minutes)
    n = int((t1 - t0) / step)
    starts = [t0 + k * step for k in range(n)]
    ends_l = [(s + step).astimezone(TZ) for s in starts]
    starts_l = [s.astimezone(TZ) for s in starts]
    fmt = "%Y-%m-%dT%H:%M:%S"
    return Grid(
        day=day,
        minutes=minutes,
        end_local=pa.array([e.strftime(fmt) for e in ends_l]),
        start_local=pa.array([s.strftime(fmt) for s in starts_l]),
        end_offset=pa.array([_offset(e) for e in ends_l]),
        start_offset=pa.array([_offset(s) for s in starts_l]),
        start_epoch=np.array([int(s.timestamp()) for s in starts], dtype=np.int64),
        hour=np.array([s.hour for s in starts_l], dtype=np.int64),
    )


def local_midnight_epoch(day: date) -> int:
    """UTC epoch seconds of local midnight starting `day`."""
    return int(datetime.combine(day, time(0), TZ).timestamp())


# Relative load by local hour: a morning and an evening peak (electric); gas and water follow people too.
LOAD_SHAPE = np.array(
    [
        0.55,
        0.5,
        0.47,
        0.45,
        0.46,
        0.55,
        0.75,
        0.95,
        1.0,
        0.95,
        0.92,
        0.93,
        0.95,
        0.97,
        1.0,
        1.05,
        1.15,
        1.35,
        1.55,
        1.6,
        1.5,
        1.3,
        1.0,
        0.75,
    ]
)
