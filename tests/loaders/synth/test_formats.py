"""Every delivery parses with a standard parser, matches the FEEDS contract and its manifest entry."""

from __future__ import annotations

import hashlib
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from synth_files import PARAMS, files, read_delimited, read_jsonl, records

from warehouse.schema.staging import FEEDS, SOURCES

NAME = re.compile(
    r"^(?P<source>[a-z]+)/(?P<feed>[a-z_]+)_(?P<date>\d{8})(?:_(?P<suffix>[a-z]+))?\.(?P<ext>[a-z]+)$"
)
ATOM = "{http://www.w3.org/2005/Atom}"
ESPI = "{http://naesb.org/espi}"


def test_every_delivery_is_listed_hashed_and_counted(out: Path, manifest: dict[str, Any]) -> None:
    listed = {d["path"] for d in manifest["deliveries"]}
    on_disk = {
        str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and p.parts[len(out.parts)] in SOURCES
    }
    assert listed == on_disk
    for d in manifest["deliveries"]:
        data = (out / d["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == d["sha256"], d["path"]
        assert len(data) == d["bytes"]
        m = NAME.match(d["path"])
        assert m, d["path"]
        feed = FEEDS[m["feed"]]
        assert (m["source"], m["ext"], d["feed"]) == (feed.source, feed.extension, feed.name)
        text = data.decode()
        if feed.format in ("pipe", "csv", "csv_wkt"):
            header = text.split("\n", 1)[0].split("|" if feed.format == "pipe" else ",")
            assert tuple(header) == feed.columns, d["path"]
            assert len(records(out, d)) == d["rows"]  # csv module; a short or long row fails zip(strict=True)
        elif feed.format in ("jsonl", "lockbox"):
            assert len(text.splitlines()) == d["rows"]
        elif feed.format == "espi_xml":
            root = ET.fromstring(data)
            assert len(root.findall(f".//{ESPI}IntervalReading")) == d["rows"]


def test_deliveries_are_in_load_order(manifest: dict[str, Any]) -> None:
    seqs = [d["seq"] for d in manifest["deliveries"]]
    assert seqs == list(range(1, len(seqs) + 1))
    keys = [(d["date"], SOURCES.index(d["source"])) for d in manifest["deliveries"]]
    assert keys == sorted(keys)
    first_day = [d for d in manifest["deliveries"] if d["date"] == manifest["deliveries"][0]["date"]]
    assert {d["feed"] for d in first_day if d["kind"] == "full"} >= {
        "cis_customer",
        "cis_account",
        "gis_premise",
    }
    assert {d["feed"] for d in manifest["deliveries"]} == set(FEEDS) - {"workorders_interruption"}


def test_json_lines_have_exactly_the_contract_keys(out: Path, manifest: dict[str, Any]) -> None:
    for feed in ("crm_contact", "crm_case", "crm_interaction", "workorders_order", "workorders_outage"):
        for d in files(manifest, feed):
            for obj in read_jsonl(out / d["path"]):
                if feed == "workorders_outage":
                    inter = obj.pop("interruptions")
                    assert obj["customers_affected"] == len(inter)
                    for i in inter:
                        assert tuple(i) == FEEDS["workorders_interruption"].columns
                assert tuple(obj) == FEEDS[feed].columns


def test_espi_is_green_button_atom(out: Path, manifest: dict[str, Any]) -> None:
    for d in files(manifest, "mdm_espi"):
        root = ET.parse(out / d["path"]).getroot()
        assert root.tag == f"{ATOM}feed"
        rt = root.find(f".//{ESPI}ReadingType")
        assert rt is not None and rt.findtext(f"{ESPI}uom") == "72"
        assert rt.findtext(f"{ESPI}powerOfTenMultiplier") == "0"
        titles = {
            e.findtext(f"{ATOM}title")
            for e in root.findall(f"{ATOM}entry")
            if e.find(f".//{ESPI}UsagePoint") is not None
        }
        assert titles and all(t.startswith("SP") for t in titles)
        for e in root.findall(f"{ATOM}entry"):
            block = e.find(f".//{ESPI}IntervalBlock")
            if block is None:
                continue
            up = e.find(f"{ATOM}link[@rel='up']").get("href")  # type: ignore[union-attr]
            assert re.search(r"/UsagePoint/(SP\d+)/", up)[1] in titles  # type: ignore[index]
            readings = block.findall(f"{ESPI}IntervalReading")
            starts = [int(r.findtext(f"{ESPI}timePeriod/{ESPI}start")) for r in readings]  # type: ignore[arg-type]
            assert all(b - a == 900 for a, b in zip(starts, starts[1:], strict=False))
            # a local day is 24 h of UTC time except on DST days: 25 h on 2026-11-01
            assert len(readings) == (100 if d["date"] == "2026-11-01" else 96)


def test_lockbox_layout_and_control_totals(out: Path, manifest: dict[str, Any]) -> None:
    mismatched = {
        (g["file"], k[0])
        for g in manifest["defects"]["payments.batch_total_mismatch"]["instances"]
        for k in g["keys"]
    }
    for d in files(manifest, "payments_lockbox"):
        lines = (out / d["path"]).read_text().splitlines()
        assert all(len(x) == 80 for x in lines)
        types = [x[0] for x in lines]
        assert types[0] == "1" and types[-1] == "9" and set(types) <= {"1", "5", "6", "7", "9"}
        details: dict[str, list[int]] = {}
        total = 0
        for x in lines:
            if x[0] == "6":
                details.setdefault(x[17:22], []).append(int(x[47:59]))
                total += int(x[47:59])
                assert x[69:77] == d["date"].replace("-", "")
            if x[0] == "7":
                batch, count, amount = x[17:22], int(x[22:28]), int(x[28:42])
                assert count == len(details[batch])
                agrees = amount == sum(details[batch])
                assert agrees != (
                    (d["path"], batch) in mismatched
                    or (d["kind"] == "resend" and (d["path"].replace("_resend", ""), batch) in mismatched)
                )
        trailer = lines[-1]
        assert int(trailer[17:25]) == len(lines)
        assert int(trailer[25:41]) == total


def test_dst_days_have_92_or_100_quarter_hours_and_offsets_tell_the_repeated_hour_apart(
    out: Path, manifest: dict[str, Any]
) -> None:
    d = next(x for x in files(manifest, "mdm_interval") if x["date"] == "2026-11-01")
    header, rows = read_delimited(out / d["path"], ",")
    ix = {c: i for i, c in enumerate(header)}
    per_sp: dict[str, set[tuple[str, str]]] = {}
    for r in rows:
        if r[ix["interval_minutes"]] == "15" and r[ix["received_at"]] == "2026-11-02T02:00:00":
            per_sp.setdefault(r[ix["service_point_id"]], set()).add(
                (r[ix["interval_end_local"]], r[ix["utc_offset"]])
            )
    counts = [len(v) for v in per_sp.values()]
    assert max(set(counts), key=counts.count) == 100
    full = next(v for v in per_sp.values() if len(v) == 100)
    assert ("2026-11-01T01:30:00", "-05:00") in full and ("2026-11-01T01:30:00", "-06:00") in full
    assert PARAMS["start"].isoformat() == "2026-10-31"


def test_manifest_parameters_and_truth(out: Path, manifest: dict[str, Any]) -> None:
    p = manifest["parameters"]
    assert (p["customers"], p["days"], p["seed"]) == (PARAMS["customers"], PARAMS["days"], PARAMS["seed"])
    ident = manifest["truth"]["identity"]
    data = (out / ident["path"]).read_bytes()
    assert hashlib.sha256(data).hexdigest() == ident["sha256"]
    lines = data.decode().splitlines()
    assert lines[0].split(",") == ident["columns"] and len(lines) - 1 == ident["rows"]
    persons = {ln.split(",")[5] for ln in lines[1:] if ln.split(",")[1] == "cis_customer"} - {""}
    assert len(persons) == manifest["truth"]["true_customer_count"]
    json.dumps(manifest)  # plain JSON all the way down
