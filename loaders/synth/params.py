"""Generator parameters, the scale profiles and the seeded random streams."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

import numpy as np

Trend = Literal["improving", "flat", "degrading"]
Profile = Literal["full", "utility-month"]

TIMEZONE = "America/Chicago"


@dataclass(frozen=True)
class GenerateParams:
    """Everything that determines the generated deliveries (same params -> byte-identical files)."""

    customers: int
    days: int
    start: date
    seed: int
    out: Path
    defect_rate_scale: float = 1.0
    trend: Trend = "flat"
    profile: Profile = "full"

    @property
    def dates(self) -> list[date]:
        """The business days delivered, in order."""
        return [self.start + timedelta(days=i) for i in range(self.days)]

    def trend_factor(self, day_index: int) -> float:
        """Multiplier on every defect rate for day `day_index` (0-based).

        `improving` falls linearly from 1.6x to 0.2x of the base rate over the run, `degrading` rises
        from 0.2x to 1.6x, `flat` is 1x; the mean over the run is about 0.9x for the sloped trends.
        """
        if self.trend == "flat" or self.days <= 1:
            return 1.0
        t = day_index / (self.days - 1)
        return 1.6 - 1.4 * t if self.trend == "improving" else 0.2 + 1.4 * t

    def as_dict(self) -> dict[str, object]:
        """The parameters as recorded in the manifest (the output folder is not recorded)."""
        return {
            "customers": self.customers,
            "days": self.days,
            "start": self.start.isoformat(),
            "seed": self.seed,
            "defect_rate_scale": self.defect_rate_scale,
            "trend": self.trend,
            "profile": self.profile,
            "timezone": TIMEZONE,
        }


def rng(seed: int, *labels: object) -> np.random.Generator:
    """An independent random stream for (seed, labels...), stable across Python runs and platforms.

    Every file gets its own stream, so adding a defect to one file never shifts the data of another.
    """
    words = [seed & 0xFFFFFFFF, (seed >> 32) & 0xFFFFFFFF]
    words += [zlib.crc32(str(label).encode()) for label in labels]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(words)))
