"""`loaders.star.scd2` on both engines: a new key gets a version, an unchanged one nothing, a changed one a
closed and a new version, an inferred member is completed in place, and publishing again changes nothing."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from loaders import star

ATTRS = ["premise_type", "city"]
DAY1, DAY2, DAY3 = datetime(2026, 1, 5), datetime(2026, 1, 6), datetime(2026, 1, 7)


def _publish(engine: Engine, rows: dict[str, tuple[str, str]], batch_id: int, ts: datetime) -> None:
    source = " UNION ALL ".join(f"SELECT '{k}' AS premise_id, '{t}' AS premise_type, '{c}' AS city"
                                for k, (t, c) in rows.items())
    with engine.begin() as conn:
        star.scd2(conn, "dim_premise", "premise_id", ATTRS, source, batch_id, ts)


def _versions(engine: Engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(
            "SELECT premise_id, premise_type, city, effective_from, effective_to, is_current, is_inferred, batch_id "
            "FROM dim_premise ORDER BY premise_id, effective_from, premise_sk"))]


def test_versions_inferred_members_and_republish(migrated: Engine) -> None:
    _publish(migrated, {"0000000001": ("house", "AUSTIN"), "0000000002": ("flat", "DALLAS")}, 1, DAY1)
    with migrated.begin() as conn:  # a bill line arrived before premise 3
        star.infer(conn, "dim_premise", "premise_id", "SELECT '0000000003' AS premise_id", 2, DAY1)
    # premise 1 unchanged, 2 changed, 3 completes its inferred member, 4 is new
    day2 = {"0000000001": ("house", "AUSTIN"), "0000000002": ("flat", "HOUSTON"), "0000000003": ("shop", "WACO"),
            "0000000004": ("farm", "TYLER")}
    _publish(migrated, day2, 3, DAY2)
    expected = [
        ("0000000001", "house", "AUSTIN", DAY1, None, True, False, 1),
        ("0000000002", "flat", "DALLAS", DAY1, DAY2, False, False, 1),
        ("0000000002", "flat", "HOUSTON", DAY2, None, True, False, 3),
        ("0000000003", "shop", "WACO", DAY1, None, True, False, 3),  # completed in place: keeps its first date
        ("0000000004", "farm", "TYLER", DAY2, None, True, False, 3),
    ]
    assert _versions(migrated) == expected
    _publish(migrated, day2, 4, DAY3)  # the same rows again
    assert _versions(migrated) == expected
