"""S6 GIS: the monthly full export of premises and service points, CSV with WKT point geometry.

Delivered on day 1 and on every later day that is the 1st of a month. `geometry_wkt` is
`POINT (<longitude> <latitude>)` in WGS84 (x = longitude, as WKT requires).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from loaders.synth import formats as F
from loaders.synth import people as P
from loaders.synth.defects import DefectLog, rate
from loaders.synth.formats import Deliveries
from loaders.synth.mdm import sp_ids
from loaders.synth.params import GenerateParams, rng
from loaders.synth.workorders import feeder_ids, tx_ids
from loaders.synth.world import GIS_ONLY_PREMISE_BASE, World
from warehouse.schema.staging import FEEDS


def due(params: GenerateParams, d: int) -> bool:
    """Whether the GIS export is delivered on day d."""
    return d == 0 or params.dates[d].day == 1


def point(lon: np.ndarray, lat: np.ndarray) -> pa.Array:
    """WKT points from degrees (6 decimals)."""
    return F.cat(
        "POINT (",
        F.decimal(np.round(lon * 1e6).astype(np.int64), 6),
        " ",
        F.decimal(np.round(lat * 1e6).astype(np.int64), 6),
        ")",
    )


def write_export(
    world: World, params: GenerateParams, d: int, deliveries: Deliveries, log: DefectLog
) -> None:
    """Write the GIS premise and service point exports for day d."""
    day = params.dates[d]
    r = rng(params.seed, "gis", d)
    npr = world.n_premises
    omitted = r.random(npr) < rate(params, "gis.premise_only_in_cis", d)
    prem = np.nonzero(~omitted)[0]
    n_extra = int(r.binomial(npr, rate(params, "gis.premise_only_in_gis", d)))
    like = r.integers(0, max(npr, 1), n_extra)  # new construction next to an existing premise
    n = len(prem)
    lat = np.concatenate([world.lat[prem], world.lat[like] + 0.0002])
    lon = np.concatenate([world.lon[prem], world.lon[like] + 0.0002])
    src = np.concatenate([prem, like])
    true_geom = point(lon, lat)
    null = np.concatenate([r.random(n) < rate(params, "gis.null_island", d), np.zeros(n_extra, bool)])
    swap = (
        np.concatenate([r.random(n) < rate(params, "gis.swapped_coordinates", d), np.zeros(n_extra, bool)])
        & ~null
    )
    geom = pc.if_else(pa.array(null), "POINT (0 0)", pc.if_else(pa.array(swap), point(lat, lon), true_geom))
    has_unit = world.unit[src] > 0
    no_unit = has_unit & np.concatenate(
        [r.random(n) < rate(params, "gis.missing_unit", d), np.zeros(n_extra, bool)]
    )
    true_unit = P.unit_std(world, src)
    unit = pc.if_else(pa.array(no_unit), "", true_unit)
    gis_tx = np.concatenate([world.gis_transformer[prem], world.transformer[like]])
    true_tx = np.concatenate([world.transformer[prem], world.transformer[like]])
    wrong = gis_tx != true_tx
    pid = pa.concat_arrays([P.premise_ids(prem), F.zpad(GIS_ONLY_PREMISE_BASE + np.arange(n_extra), 10)])
    fid = F.cat("GP", F.zpad(np.concatenate([prem, npr + np.arange(n_extra)]), 9))
    with deliveries.open("gis", "gis_premise", day, "csv", suffix="full", kind="full") as sink:
        sink.header(FEEDS["gis_premise"].columns, ",")
        sink.lines(
            F.cat(
                fid,
                pid,
                P.street_std(world, src),
                unit,
                P.city(world, src),
                P.state(world, src),
                P.zip5(world, src),
                tx_ids(gis_tx),
                feeder_ids(gis_tx),
                geom,
                sep=",",
            )
        )
        rows = np.arange(1, n + n_extra + 1)

        def rec(
            cls: str, m: np.ndarray, column: str | None, delivered: pa.Array | None, clean: pa.Array | None
        ) -> None:
            s = pa.array(m)
            log.add(
                cls,
                file=sink.rel,
                feed="gis_premise",
                column=column,
                key_fields=("gis_facility_id",),
                rows=rows[m],
                keys=fid.filter(s).to_pylist(),
                delivered=None if delivered is None else delivered.filter(s).to_pylist(),
                clean=None if clean is None else clean.filter(s).to_pylist(),
            )

        rec("gis.null_island", null, "geometry_wkt", geom, true_geom)
        rec("gis.swapped_coordinates", swap, "geometry_wkt", geom, true_geom)
        rec("gis.missing_unit", no_unit, "unit", unit, true_unit)
        rec("gis.wrong_transformer", wrong, "transformer_id", tx_ids(gis_tx), tx_ids(true_tx))
        rec("gis.premise_only_in_gis", np.arange(n + n_extra) >= n, "premise_id", pid, None)
        om = np.nonzero(omitted)[0]
        log.add(
            "gis.premise_only_in_cis",
            file=sink.rel,
            feed="gis_premise",
            column="premise_id",
            key_fields=("premise_id",),
            rows=[None] * len(om),
            keys=P.premise_ids(om).to_pylist(),
        )
    sp = np.nonzero(~omitted[world.sp_premise])[0]
    sp_prem = world.sp_premise[sp]
    tx = world.gis_transformer[sp_prem]
    with deliveries.open("gis", "gis_service_point", day, "csv", suffix="full", kind="full") as sink:
        sink.header(FEEDS["gis_service_point"].columns, ",")
        sink.lines(
            F.cat(
                F.cat("GS", F.zpad(sp, 9)),
                sp_ids(sp),
                P.premise_ids(sp_prem),
                tx_ids(tx),
                feeder_ids(tx),
                point(world.lon[sp_prem] + 0.00001 * (1 + world.sp_commodity[sp]), world.lat[sp_prem]),
                sep=",",
            )
        )
