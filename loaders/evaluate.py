"""Measure a load against the generator's manifest: repair accuracy per defect class, clean rows wrongly
quarantined, golden customer count and pairwise match precision/recall.

    from loaders.evaluate import evaluate
    ev = evaluate(engine, "out/")   # after load_directory(engine, "out/")
    ev.repair_accuracy["cis.address_variant"]  -> (repaired, instances)

Used by the accuracy tests and `benchmarks/bench_load.py`; it reads the warehouse and the manifest only.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from loaders.run import read_manifest

# defect class -> (cleansed table, SQL expression over it that should equal the manifest's clean value)
REPAIRS: dict[str, tuple[str, str]] = {
    "cis.stripped_leading_zeros": ("cln_cis_account", "{column}_std"),
    "cis.multi_party_name": ("cln_cis_customer", "upper(last_name_std || ' ' || first_name_std)"),
    "cis.address_variant": ("cln_cis_customer", "mail_address_std"),
    "cis.day_month_swap": ("cln_cis_customer", "move_in_date_std"),
    "cis.fake_contact": ("cln_cis_customer", "CASE WHEN '{column}' = 'email' THEN email_std ELSE phone_e164 END"),
    "crm.account_format": ("cln_{feed}", "account_number_std"),
    "crm.unlinked_interaction": ("cln_{feed}", "account_number_std"),
    "payments.miskeyed_account": ("cln_{feed}", "account_number_std"),
    "payments.cents_dollars": ("cln_{feed}", "amount_std"),
    "mdm.unit_mixup": ("cln_mdm_interval", "value_std"),
    "mdm.negative": ("cln_mdm_interval", "value_std"),
    "gis.swapped_coordinates": ("cln_gis_premise", "longitude || ' ' || latitude"),
    "gis.null_island": ("cln_gis_premise", "longitude || ' ' || latitude"),
}


@dataclass
class Evaluation:
    repair_accuracy: dict[str, tuple[int, int]] = field(default_factory=dict)  # class -> (repaired, instances)
    quarantined_rows: int = 0
    clean_rows_quarantined: int = 0
    true_customers: int = 0
    golden_customers: int = 0
    precision: float = 0.0
    recall: float = 0.0
    true_pairs: int = 0
    found_pairs: int = 0

    @property
    def golden_error(self) -> float:
        return abs(self.golden_customers - self.true_customers) / max(self.true_customers, 1)


def _same(got: object, want: object) -> bool:
    if want is None:
        return got is None
    if got is None:
        return False
    if hasattr(got, "strftime"):
        got = got.strftime("%Y%m%d")
    try:
        return abs(float(got) - float(want)) < 1e-6  # type: ignore[arg-type]
    except (TypeError, ValueError):
        pass
    if " " in str(want) and str(want).startswith("POINT"):
        want = str(want)[7:-1]
        try:
            return all(abs(float(a) - float(b)) < 1e-6 for a, b in zip(str(got).split(), want.split(), strict=True))
        except ValueError:
            return False
    return str(got).strip().upper() == str(want).strip().upper()


def evaluate(engine: Engine, out_dir: str | Path) -> Evaluation:
    """Compare the loaded warehouse with the manifest of `out_dir`."""
    root = Path(out_dir)
    manifest = read_manifest(root)
    if not manifest:
        raise FileNotFoundError(f"{root}/manifest.json not found")
    ev = Evaluation(true_customers=int(manifest["truth"]["true_customer_count"]))
    with engine.connect() as conn:
        batch_of = {f: b for f, b in conn.execute(sa.text(
            "SELECT file_name, batch_id FROM dim_batch WHERE status = 'loaded'"))}
        defect_rows: set[tuple[str, int]] = set()
        for name, cls in manifest["defects"].items():
            for inst in cls["instances"]:
                for row in inst.get("rows") or []:
                    if row is not None:
                        defect_rows.add((inst["file"], int(row)))
            if name not in REPAIRS:
                continue
            done = total = 0
            for inst in cls["instances"]:
                batch = batch_of.get(inst["file"])
                table, expr = REPAIRS[name]
                table, expr = table.format(feed=inst["feed"]), expr.format(column=inst.get("column"))
                rows = [int(r) for r in inst["rows"] if r is not None]
                clean = inst.get("clean") or [None] * len(rows)
                if batch is None or not rows:
                    total += len(rows)
                    continue
                got: dict[int, object] = dict(conn.execute(sa.text(
                    f"SELECT source_row_number, {expr} FROM {table} WHERE batch_id = :b AND source_row_number IN "
                    f"({', '.join(str(r) for r in rows)})"), {"b": batch}).all())
                for r, want in zip(rows, clean, strict=False):
                    total += 1
                    done += r in got and _same(got[r], want)
            ev.repair_accuracy[name] = (done, total)
        file_of = {b: f for f, b in batch_of.items()}
        q = conn.execute(sa.text(  # a batch still loading (or killed) has not quarantined anything yet
            "SELECT batch_id, source_row_number, reason_code FROM quarantine WHERE batch_id IN "
            "(SELECT batch_id FROM dim_batch WHERE status = 'loaded')")).all()
        ev.quarantined_rows = len(q)
        ev.clean_rows_quarantined = sum(1 for b, r, _ in q if (file_of.get(b), int(r)) not in defect_rows)
        xref = pd.read_sql(sa.text("SELECT source, source_key, golden_customer_id FROM customer_xref WHERE is_current"),
                           conn)
        ev.golden_customers = int(conn.execute(sa.text(
            "SELECT COUNT(*) FROM dim_customer WHERE is_current AND customer_type <> 'placeholder'")).scalar_one())
    truth = _identity(root / manifest["truth"]["identity"]["path"])
    _pairs(ev, xref, truth)
    return ev


def _identity(path: Path) -> pd.DataFrame:
    with path.open(newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["feed"] in ("cis_customer", "crm_contact")]
    df = pd.DataFrame(rows)
    df["source"] = df["source"]
    return df.drop_duplicates(["source", "record_key"], keep="last")


def _pairs(ev: Evaluation, xref: pd.DataFrame, truth: pd.DataFrame) -> None:
    m = truth.merge(xref, left_on=["source", "record_key"], right_on=["source", "source_key"], how="inner")
    m = m[m["person_id"] != ""]

    def pairs(sizes: pd.Series) -> int:
        return int((sizes * (sizes - 1) // 2).sum())
    both = pairs(m.groupby(["golden_customer_id", "person_id"]).size())
    ev.found_pairs = pairs(m.groupby("golden_customer_id").size())
    ev.true_pairs = pairs(m.groupby("person_id").size())
    ev.precision = both / ev.found_pairs if ev.found_pairs else 1.0
    ev.recall = both / ev.true_pairs if ev.true_pairs else 1.0
