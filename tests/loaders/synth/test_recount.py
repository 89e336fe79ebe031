"""Re-count every defect class in the written files, independently of the generator; compare to the manifest.

Where a rule can find a defect in the files alone (a fake email, a negative interval, a batch total that
disagrees with its details), the test counts by that rule and expects the manifest's count exactly. Where
only the truth can tell (a transposed account number, a day/month swap), the test uses the truth file or
checks that each listed row really holds the delivered value and differs from the clean one as described.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from synth_files import all_records, files, instances, records

from loaders.synth.defects import DEFECTS

TZ = ZoneInfo("America/Chicago")


def count(manifest: dict[str, Any], cls: str, feed: str | None = None) -> int:
    if feed is None:
        return int(manifest["defects"][cls]["count"])
    return len(instances(manifest, cls, feed))


def test_every_defect_class_is_present_and_counted(manifest: dict[str, Any]) -> None:
    assert set(manifest["defects"]) == set(DEFECTS)
    for name, entry in manifest["defects"].items():
        assert entry["count"] == sum(len(g["rows"]) for g in entry["instances"]), name
        assert entry["count"] > 0, f"{name} never injected in the test world"


# --- CIS -------------------------------------------------------------------------------------------


def test_cis_customer_rules(out: Path, manifest: dict[str, Any]) -> None:
    recs = all_records(out, manifest, "cis_customer")
    multi = sum(1 for _, _, r in recs if " & " in r["full_name"] or r["full_name"].startswith("ESTATE OF "))
    assert multi == count(manifest, "cis.multi_party_name")
    fakes = {
        "none@none.com",
        "noemail@noemail.com",
        "na@na.com",
        "x@x.com",
        "000-000-0000",
        "999-999-9999",
        "(000) 000-0000",
        "111-111-1111",
    }
    fake = sum((r["email"] in fakes) + (r["phone"] in fakes) for _, _, r in recs)
    assert fake == count(manifest, "cis.fake_contact")
    placeholders = {"OCCUPANT", "VACANT UNIT", "CURRENT RESIDENT", "OWNER UNKNOWN"}
    assert sum(r["full_name"] in placeholders for _, _, r in recs) == count(
        manifest, "cis.placeholder_customer"
    )
    # address variants are spelled out in mixed case; the standard form is upper case
    assert sum(r["mail_street"] != r["mail_street"].upper() for _, _, r in recs) == count(
        manifest, "cis.address_variant"
    )
    for i in instances(manifest, "cis.day_month_swap"):
        d, c = i["delivered"], i["clean"]
        assert d == c[:4] + c[6:8] + c[4:6] and d != c
    # the same person behind more than one business partner: distinct partners minus distinct persons
    person_of: dict[str, str] = {}
    for line in (out / manifest["truth"]["identity"]["path"]).read_text().splitlines()[1:]:
        source, feed, _file, _row, key, person, _acc = line.split(",")
        if feed == "cis_customer" and person:
            person_of[key] = person
    assert len(person_of) - len(set(person_of.values())) == count(manifest, "cis.duplicate_customer")


def test_cis_stripped_zeros(out: Path, manifest: dict[str, Any]) -> None:
    recs = all_records(out, manifest, "cis_account")
    short = [(f, n) for f, n, r in recs for c in ("partner_id", "premise_id") if len(r[c]) != 10]
    assert len(short) == count(manifest, "cis.stripped_leading_zeros")
    for i in instances(manifest, "cis.stripped_leading_zeros"):
        assert i["clean"] == i["delivered"].zfill(10) and len(i["clean"]) == 10


def test_cis_rebill_without_cancel(out: Path, manifest: dict[str, Any]) -> None:
    bills = [r for _, _, r in all_records(out, manifest, "cis_bill")]
    cancelled = {r["original_bill_id"] for r in bills if r["bill_type"] == "C"}
    lone = [r for r in bills if r["bill_type"] == "R" and r["original_bill_id"] not in cancelled]
    assert len(lone) == count(manifest, "cis.cancel_rebill_double")
    lines = Counter(r["bill_id"] for _, _, r in all_records(out, manifest, "cis_bill_line"))
    assert all(lines[r["bill_id"]] >= 1 for r in bills)


# --- MDM -------------------------------------------------------------------------------------------


def _intervals(out: Path, manifest: dict[str, Any]) -> list[tuple[str, str, list[dict[str, str]]]]:
    return [(d["path"], d["date"], records(out, d)) for d in files(manifest, "mdm_interval")]


def _expected(day: str, minutes: int) -> int:
    d = date.fromisoformat(day)
    a = datetime.combine(d, time(0), TZ)
    b = datetime.combine(d + timedelta(days=1), time(0), TZ)
    return int((b.timestamp() - a.timestamp()) // (minutes * 60))


def test_mdm_interval_rules(out: Path, manifest: dict[str, Any]) -> None:
    negative = zero = midnight = dups = 0
    for _path, day, recs in _intervals(out, manifest):
        seen: set[tuple[str, ...]] = set()
        for r in recs:
            v = float(r["value"])
            negative += v < 0
            zero += v == 0
            midnight += r["interval_end_local"] == f"{day}T00:00:00"  # only a start-of-interval stamp
            key = (r["service_point_id"], r["channel"], r["interval_end_local"], r["utc_offset"])
            dups += key in seen
            seen.add(key)
    assert negative == count(manifest, "mdm.negative")
    assert zero == count(manifest, "mdm.zero_run")
    assert midnight == len({i["event"] for i in instances(manifest, "mdm.start_of_interval")})
    assert dups == count(manifest, "mdm.duplicate")


def test_mdm_gaps_counted_in_utc_and_backfilled(out: Path, manifest: dict[str, Any]) -> None:
    gaps = instances(manifest, "mdm.gap")
    for path, day, recs in _intervals(out, manifest):
        on_time = f"{date.fromisoformat(day) + timedelta(days=1)}T02:00:00"
        keys: dict[str, set[tuple[str, str]]] = defaultdict(set)
        minutes: dict[str, int] = {}
        backfilled = 0
        for r in recs:
            if r["received_at"] != on_time:
                backfilled += 1
                continue
            keys[r["service_point_id"]].add((r["interval_end_local"], r["utc_offset"]))
            minutes[r["service_point_id"]] = int(r["interval_minutes"])
        missing = sum(_expected(day, minutes[sp]) - len(k) for sp, k in keys.items())
        assert missing == sum(1 for g in gaps if g["file"] == path), path
        assert backfilled == sum(1 for g in gaps if g["backfill_file"] == path), path
    for g in gaps:
        assert g["row"] is None and (g["backfill_file"] is None) == (g["backfill_row"] is None)


def test_mdm_rows_hold_what_the_manifest_says(out: Path, manifest: dict[str, Any]) -> None:
    cache: dict[str, list[dict[str, str]]] = {}
    for cls in (
        "mdm.spike",
        "mdm.negative",
        "mdm.zero_run",
        "mdm.flat_line",
        "mdm.unit_mixup",
        "mdm.duplicate",
        "mdm.start_of_interval",
    ):
        for i in instances(manifest, cls):
            recs = cache.setdefault(i["file"], records(out, {"path": i["file"]}))
            rec = recs[i["row"] - 1]
            assert rec[i["column"]] == i["delivered"], (cls, i)
            assert [rec["service_point_id"], rec["channel"]] == i["key"][:2]
            if cls == "mdm.spike":
                assert float(i["delivered"]) >= 8 * float(i["clean"])
            if cls == "mdm.unit_mixup" and rec["unit"] == "KWH":
                assert float(i["delivered"]) == pytest.approx(1000 * float(i["clean"]), abs=0.001)
    runs: dict[int, set[str]] = defaultdict(set)
    for i in instances(manifest, "mdm.flat_line"):
        runs[i["event"]].add(i["delivered"])
    assert all(len(v) == 1 and float(next(iter(v))) > 0 for v in runs.values())


def test_mdm_register_rules(out: Path, manifest: dict[str, Any]) -> None:
    snapshot = next(d for d in files(manifest, "cis_service_point") if d["kind"] == "full")
    meters = {r["meter_serial"]: r for r in records(out, snapshot)}
    wrong = removed = 0
    rollover = 0
    prev: dict[tuple[str, str], int] = {}
    two_serials = 0
    for d in files(manifest, "mdm_register"):
        serials: dict[str, set[str]] = defaultdict(set)
        for r in records(out, d):
            m = meters.get(r["meter_serial"])
            serials[r["service_point_id"]].add(r["meter_serial"])
            if m is not None:
                wrong += r["multiplier"] != m["meter_multiplier"]
                removed += m["meter_status"] == "R"
            if r["read_type"] != "SCHEDULED":
                continue
            key = (r["service_point_id"], r["meter_serial"])
            cur, cap = int(r["register_value"]), 10 ** int(r["dials"])
            if key in prev and cur < prev[key] and prev[key] >= 0.9 * cap and cur <= 0.1 * cap:
                rollover += 1
            prev[key] = cur
        two_serials += sum(len(s) > 1 for s in serials.values())
    exchanged_in_run = {i["key"][1] for i in instances(manifest, "mdm.meter_exchange", "mdm_register")}
    wrong_new = sum(1 for i in instances(manifest, "mdm.wrong_multiplier") if i["key"][1] not in meters)
    assert wrong + wrong_new == count(manifest, "mdm.wrong_multiplier")
    assert removed == count(manifest, "mdm.removed_meter_read", "mdm_register")
    assert rollover == count(manifest, "mdm.register_rollover")
    events = {(i["file"], i["key"][0]) for i in instances(manifest, "mdm.meter_exchange", "mdm_register")}
    assert two_serials == len(events) and exchanged_in_run


def test_mdm_exchange_in_intervals_and_cis(out: Path, manifest: dict[str, Any]) -> None:
    ex = {
        (i["file"].split("_")[-1][:8], i["key"][0])
        for i in instances(manifest, "mdm.meter_exchange", "mdm_register")
    }
    seen = set()
    for _path, day, recs in _intervals(out, manifest):
        serials: dict[str, set[str]] = defaultdict(set)
        on_time = f"{date.fromisoformat(day) + timedelta(days=1)}T02:00:00"
        for r in recs:
            if r["received_at"] == on_time:  # a back-fill may still carry the serial of before an exchange
                serials[r["service_point_id"]].add(r["meter_serial"])
        seen |= {(day.replace("-", ""), sp) for sp, s in serials.items() if len(s) > 1}
    assert seen == ex
    cis = instances(manifest, "mdm.meter_exchange", "cis_service_point")
    assert len(cis) == 2 * len(ex)


# --- CRM -------------------------------------------------------------------------------------------


def test_crm_rules(out: Path, manifest: dict[str, Any]) -> None:
    inter = all_records(out, manifest, "crm_interaction")
    assert sum(r["account_text"] is None for _, _, r in inter) == count(manifest, "crm.unlinked_interaction")
    odd = 0
    for feed in ("crm_contact", "crm_case", "crm_interaction"):
        odd += sum(
            1
            for _, _, r in all_records(out, manifest, feed)
            if r["account_text"] is not None and not re.fullmatch(r"\d{12}", r["account_text"])
        )
    assert odd == count(manifest, "crm.account_format")
    for i in instances(manifest, "crm.account_format"):
        assert re.sub(r"\D", "", i["delivered"]).zfill(12) == i["clean"]
    for i in instances(manifest, "crm.utc_timestamp"):
        local = datetime.fromisoformat(i["clean"]).replace(tzinfo=TZ)
        assert datetime.fromisoformat(i["delivered"]) == local.astimezone(ZoneInfo("UTC")).replace(
            tzinfo=None
        )
    contacts = [
        line.split(",")
        for line in (out / manifest["truth"]["identity"]["path"]).read_text().splitlines()
        if ",crm_contact," in line
    ]
    persons = Counter(c[5] for c in contacts)
    assert sum(n - 1 for n in persons.values()) == count(manifest, "crm.duplicate_signup")


# --- Payments --------------------------------------------------------------------------------------


def test_payment_rules(out: Path, manifest: dict[str, Any]) -> None:
    hashes = Counter(d["sha256"] for d in files(manifest, "payments_lockbox"))
    assert sum(n - 1 for n in hashes.values()) == count(manifest, "payments.file_redelivered")
    mismatch = 0
    for d in files(manifest, "payments_lockbox"):
        if d["kind"] == "resend":
            continue
        sums: Counter[str] = Counter()
        for line in (out / d["path"]).read_text().splitlines():
            if line[0] == "6":
                sums[line[17:22]] += int(line[47:59])
            elif line[0] == "7":
                mismatch += int(line[28:42]) != sums[line[17:22]]
    assert mismatch == count(manifest, "payments.batch_total_mismatch")
    card = all_records(out, manifest, "payments_card")
    assert sum("." not in r["amount"] for _, _, r in card) == count(
        manifest, "payments.cents_dollars", "payments_card"
    )
    # against the truth: the account each payment was meant for
    truth = {}
    for line in (out / manifest["truth"]["identity"]["path"]).read_text().splitlines():
        f = line.split(",")
        if f[0] == "payments":
            truth[(f[2], int(f[3]))] = f[6]
    snapshot = next(d for d in files(manifest, "cis_account") if d["kind"] == "full")
    status = {r["contract_account"]: r["account_status"] for r in records(out, snapshot)}
    miskeyed = closed = 0
    for path, row, r in card:
        if r["status"] != "SETTLED":
            continue
        miskeyed += r["account_number"] != truth[(path, row)]
        closed += status.get(truth[(path, row)]) == "C"
    for d in files(manifest, "payments_lockbox"):
        if d["kind"] == "resend":
            continue
        for n, line in enumerate((out / d["path"]).read_text().splitlines(), start=1):
            if line[0] == "6":
                miskeyed += line[27:47].strip() != truth[(d["path"], n)]
                closed += status.get(truth[(d["path"], n)]) == "C"
    assert miskeyed == count(manifest, "payments.miskeyed_account")
    assert closed == count(manifest, "payments.closed_account")
    for i in instances(manifest, "payments.miskeyed_account"):
        a, b = i["delivered"], i["clean"]
        diff = [k for k in range(12) if a[k] != b[k]]
        assert len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]])


# --- Work & outage ---------------------------------------------------------------------------------


def test_workorder_rules(out: Path, manifest: dict[str, Any]) -> None:
    orders = all_records(out, manifest, "workorders_order")
    late = sum(1 for _, _, r in orders if (r["completed_at"] or "").endswith("T23:45:00"))
    assert late == count(manifest, "workorders.late_bulk_completion")
    outages = all_records(out, manifest, "workorders_outage")
    assert sum(r["restored_at"] is None for _, _, r in outages) == count(
        manifest, "workorders.missing_restore"
    )
    by_row = {(f, n): r for f, n, r in outages}
    for i in instances(manifest, "workorders.stale_transformer_map"):
        o = by_row[(i["file"], i["row"])]
        sps = [x["service_point_id"] for x in o["interruptions"]]
        if i["kind"] == "included_wrongly":
            x = o["interruptions"][i["interruption_index"] - 1]
            assert (
                x["service_point_id"] == i["key"][1] and x["transformer_id"] == i["delivered"] != i["clean"]
            )
        else:
            assert i["key"][1] not in sps and i["clean"] == o["transformer_id"]
    snapshot = next(d for d in files(manifest, "cis_service_point") if d["kind"] == "full")
    removed = {r["meter_serial"] for r in records(out, snapshot) if r["meter_status"] == "R"}
    by_order = {(f, n): r for f, n, r in orders}
    for i in instances(manifest, "workorders.old_meter"):
        r = by_order[(i["file"], i["row"])]
        assert r["meter_serial"] == i["delivered"] != i["clean"]
        assert i["delivered"] in removed or i["delivered"][1:].startswith(
            "1"
        )  # pre-run or exchanged-out serial


# --- GIS -------------------------------------------------------------------------------------------


def test_gis_rules(out: Path, manifest: dict[str, Any]) -> None:
    snapshot = next(d for d in files(manifest, "cis_premise") if d["kind"] == "full")
    cis = {r["premise_id"]: r for r in records(out, snapshot)}
    for d in files(manifest, "gis_premise"):
        recs = records(out, d)
        gis_ids = {r["premise_id"] for r in recs}

        def mine(cls: str, path: str = d["path"]) -> int:
            return sum(1 for i in instances(manifest, cls) if i["file"] == path)

        assert len(set(cis) - gis_ids) == mine("gis.premise_only_in_cis")
        assert len(gis_ids - set(cis)) == mine("gis.premise_only_in_gis")
        assert sum(r["geometry_wkt"] == "POINT (0 0)" for r in recs) == mine("gis.null_island")
        xs = [float(r["geometry_wkt"][7:-1].split()[0]) for r in recs]
        assert sum(x > 0 for x in xs) == mine("gis.swapped_coordinates")  # longitudes here are all west (< 0)
        assert sum(
            1 for r in recs if r["premise_id"] in cis and cis[r["premise_id"]]["unit"] and not r["unit"]
        ) == mine("gis.missing_unit")
        for i in instances(manifest, "gis.wrong_transformer"):
            if i["file"] == d["path"]:
                assert recs[i["row"] - 1]["transformer_id"] == i["delivered"] != i["clean"]


# --- every listed row holds the delivered value ----------------------------------------------------

# lockbox detail/total fields by (1-based, inclusive) position, as documented in loaders/synth/payments.py
LOCKBOX = {
    ("6", "account_number"): (28, 47),
    ("6", "amount_cents"): (48, 59),
    ("7", "total_amount_cents"): (29, 42),
}


def test_every_listed_row_holds_the_delivered_value(out: Path, manifest: dict[str, Any]) -> None:
    checked = 0
    for cls, entry in manifest["defects"].items():
        for g in entry["instances"]:
            if (
                g["column"] is None
                or g["feed"] == "workorders_interruption"
                or g["feed"].startswith("mdm_espi")
            ):
                continue
            path = out / g["file"]
            for row, delivered in zip(g["rows"], g["delivered"], strict=True):
                if row is None:
                    continue
                if g["feed"] == "payments_lockbox":
                    line = path.read_text().splitlines()[row - 1]
                    a, b = LOCKBOX[(line[0], g["column"])]
                    assert line[a - 1 : b].strip() == delivered, (cls, g["file"], row)
                else:
                    rec = records(out, {"path": g["file"]})[row - 1]
                    value = rec[g["column"]]
                    assert (str(value) if value is not None else None) == (
                        str(delivered) if delivered is not None else None
                    ), (cls, g["file"], row)
                checked += 1
    assert checked > 1000
