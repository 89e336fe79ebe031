"""Same seed -> byte-identical files; another seed -> different data; the trend moves the defect rates."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from loaders.synth.generator import generate
from loaders.synth.params import GenerateParams


def _run(out: Path, seed: int, **kw: object) -> dict[str, str]:
    params = dict(customers=150, days=2, start=date(2027, 3, 13), seed=seed, out=out)
    params.update(kw)
    generate(GenerateParams(**params))  # type: ignore[arg-type]
    return {str(p.relative_to(out)): p.read_bytes().hex() for p in sorted(out.rglob("*")) if p.is_file()}


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    a = _run(tmp_path / "a", 5)
    b = _run(tmp_path / "b", 5)
    assert a.keys() == b.keys() and a == b


def test_another_seed_gives_other_data(tmp_path: Path) -> None:
    a = _run(tmp_path / "a", 5)
    b = _run(tmp_path / "b", 6)
    m = json.loads((tmp_path / "a" / "manifest.json").read_text())
    # every file with records differs, except the tariff table (the same reference data for every seed)
    with_data = {d["path"] for d in m["deliveries"] if d["rows"] > 0 and d["feed"] != "cis_tariff"}
    same = sorted(k for k in with_data if a[k] == b.get(k))
    assert with_data and not same, same


def test_spring_forward_day_has_92_quarter_hours(tmp_path: Path) -> None:
    _run(tmp_path, 5, defect_rate_scale=0.0)
    lines = (tmp_path / "mdm" / "mdm_interval_20270314.csv").read_text().splitlines()[1:]
    per_sp: dict[str, int] = {}
    for line in lines:
        f = line.split(",")
        if f[5] == "15":
            per_sp[f[0]] = per_sp.get(f[0], 0) + 1
    assert set(per_sp.values()) == {92}
    assert not any(",2027-03-14T02:" in line for line in lines)  # 02:00-02:59 does not exist that day


def test_zero_scale_injects_nothing(tmp_path: Path) -> None:
    _run(tmp_path, 5, defect_rate_scale=0.0)
    m = json.loads((tmp_path / "manifest.json").read_text())
    assert {k: v["count"] for k, v in m["defects"].items() if v["count"]} == {}


def test_improving_trend_lowers_rates_over_the_run(tmp_path: Path) -> None:
    params = dict(
        customers=400,
        days=8,
        start=date(2026, 11, 2),
        seed=3,
        out=tmp_path,
        trend="improving",
        defect_rate_scale=3.0,
    )
    generate(GenerateParams(**params))  # type: ignore[arg-type]
    m = json.loads((tmp_path / "manifest.json").read_text())
    per_day: dict[str, int] = {}
    for cls in ("mdm.gap", "mdm.spike", "mdm.unit_mixup", "mdm.start_of_interval", "mdm.flat_line"):
        for g in m["defects"][cls]["instances"]:
            day = g["file"].rsplit("_", 1)[1][:8]
            per_day[day] = per_day.get(day, 0) + len(g["rows"])
    days = sorted(per_day)
    assert per_day[days[0]] + per_day[days[1]] > 2 * (per_day.get(days[-1], 0) + per_day.get(days[-2], 0))
