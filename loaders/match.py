"""Customer matching: CIS customers and CRM/web contacts -> one stable golden customer id.

Rules run in order and each links records into clusters (connected components of the link graph):

1. `account_number`: a CRM contact's typed account number is a CIS contract account -> that account's
   business partner.
2. `email_last_name`: same standardised email and same last name.
3. `phone_last_name`: same E.164 phone and same last name, ignoring phones shared by more than 5 records
   (switchboards, family plans, placeholders that slipped through).
4. `address_name`: same address key (address + unit + zip5) and name similarity >= 90 (rapidfuzz
   token_sort_ratio on first + last name).
5. `probabilistic`: Fellegi-Sunter on the pairs the rules left apart, blocked on zip5 + the first four
   letters of the last name, with fixed m/u probabilities per comparison level (see `FS_LEVELS`), linked
   above `FS_THRESHOLD` bits. Why not splink: it is a heavy dependency whose EM training would re-estimate
   on every run (unstable golden ids when parameters move); after the deterministic rules the residue is
   small, and fixed, documented weights keep results reproducible and explainable per pair.

Golden ids are stable: a cluster keeps the id most of its members already hold in `customer_xref`
(ties -> the smallest id); a new cluster gets `G` + 15 hex digits of the sha1 of its smallest member key,
so a re-run from scratch on the same data yields the same ids. A split gives the smaller part a new id;
every change closes the member's current xref row and opens a new one (history of merges and splits).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from rapidfuzz import fuzz, process
from rapidfuzz.distance import JaroWinkler
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from sqlalchemy.engine import Engine

from loaders import star
from loaders.bulk import insert_frame
from loaders.cleanse import arrow_strings
from loaders.golden import publish_customers
from warehouse.engine import driver_connection

MAX_PHONE_SHARE = 5
NAME_SIMILARITY = 90
MAX_BLOCK = 50
PAIR_CHUNK = 1_000_000  # candidate pairs scored at a time
FS_THRESHOLD = 14.0
# comparison -> (m, u) for agree; disagreement uses (1-m, 1-u); missing on either side contributes 0.
FS_LEVELS = {"first_exact": (0.88, 0.02), "first_fuzzy": (0.08, 0.03), "last_exact": (0.92, 0.01),
             "last_fuzzy": (0.05, 0.02), "email": (0.6, 0.0005), "phone": (0.6, 0.001),
             "address": (0.75, 0.02)}

# A batch still `running` (a large file committing chunk by chunk on DuckDB) is not data yet: skipped here.
_RECORDS = f"""
INSERT INTO match_record (source, source_key, account_number_std, first_name_std, last_name_std, organisation_std,
    email_std, phone_e164, address_key, zip5, batch_id)
SELECT 'cis', partner_id_std, NULL, first_name_std, last_name_std, organisation_std, email_std, phone_e164,
    mail_address_std || '|' || COALESCE(unit_std, '') || '|' || COALESCE(zip5, ''), zip5, batch_id
FROM (SELECT t.*, ROW_NUMBER() OVER (PARTITION BY partner_id_std ORDER BY batch_id DESC, source_row_number DESC)
      AS rn FROM cln_cis_customer t
      WHERE t.batch_id NOT IN ({star.RUNNING})) c WHERE rn = 1
UNION ALL
SELECT 'crm', trim(contact_id), account_number_std, first_name_std, last_name_std, NULL, email_std, phone_e164,
    address_std || '|' || COALESCE(unit_std, '') || '|' || COALESCE(zip5, ''), zip5, batch_id
FROM (SELECT t.*, ROW_NUMBER() OVER (PARTITION BY trim(contact_id) ORDER BY batch_id DESC, source_row_number DESC)
      AS rn FROM cln_crm_contact t
      WHERE t.batch_id NOT IN ({star.RUNNING})) k WHERE rn = 1
"""

_ACCOUNT_EDGES = f"""
SELECT r.source_key AS a, acct.partner_id_std AS b
FROM match_record r JOIN (SELECT contract_account_std, partner_id_std FROM (SELECT t.*, ROW_NUMBER() OVER (
     PARTITION BY contract_account_std ORDER BY batch_id DESC, source_row_number DESC) AS rn FROM cln_cis_account t
     WHERE t.batch_id NOT IN ({star.RUNNING})) x WHERE rn = 1) acct
     ON acct.contract_account_std = r.account_number_std
WHERE r.source = 'crm' AND acct.partner_id_std IN (SELECT source_key FROM match_record WHERE source = 'cis')
"""

# each record with the golden id it holds now (at most one current xref row per record)
_MATCH_RECORDS = """
SELECT r.source, r.source_key, r.first_name_std, r.last_name_std, r.email_std, r.phone_e164, r.address_key, r.zip5,
       x.golden_customer_id AS previous_id
FROM match_record r LEFT JOIN customer_xref x ON x.source = r.source AND x.source_key = r.source_key AND x.is_current
"""


@dataclass
class MatchSummary:
    records: int
    golden_customers: int
    links_by_rule: dict[str, int]
    changed_xref: int

    @property
    def match_rate(self) -> float:
        """Share of source records that were linked to at least one other record."""
        return 0.0 if not self.records else 1 - self.singletons / self.records

    singletons: int = 0


RULES = ("account_number", "email_last_name", "phone_last_name", "address_name", "probabilistic")


def _read(conn: sa.Connection, sql: str) -> pd.DataFrame:
    """A query's rows as a DataFrame with Arrow-backed strings. On DuckDB through Arrow: row tuples via
    SQLAlchemy cost 51 s and a 4.2 GB peak for the 2.9 M match records of a 2 M-customer utility."""
    if conn.engine.dialect.name == "duckdb":
        return driver_connection(conn).sql(sql).to_arrow_table().to_pandas()
    return pd.read_sql(sa.text(sql), conn, dtype_backend="pyarrow")


class Records:
    """The match records in node order, with every compared value as an integer code.

    A node is `source:source_key`; node order is the order of those strings, so a node is its position here
    (the smallest member of a cluster is its first position). Equality of two values is equality of their
    codes (-1: missing). Strings stay in Arrow; Python strings are made only for the distinct names and for
    the pairs being scored. At 2 M customers the previous object-column frames held ~4.5 GB."""

    def __init__(self, df: pd.DataFrame) -> None:
        # (source, source_key) in code point order (Arrow compares strings by bytes, which for UTF-8 is code
        # point order) is the order of "source:source_key", as sources have no ':'
        keys = pa.table({"source": arrow_strings(df["source"]), "source_key": arrow_strings(df["source_key"])})
        order = pc.sort_indices(keys, sort_keys=[("source", "ascending"), ("source_key", "ascending")])
        keys, at = keys.take(order), order.to_numpy()
        self.n = len(df)
        self.source, self.source_key = keys["source"].combine_chunks(), keys["source_key"].combine_chunks()
        # codes are taken in the delivered order and then put in node order: no copy of the strings
        (self.first, self.first_values), (self.last, self.last_values) = (
            _codes(df["first_name_std"], at), _codes(df["last_name_std"], at))
        self.email, self.phone = _codes(df["email_std"], at)[0], _codes(df["phone_e164"], at)[0]
        self.address, self.zip5 = _codes(df["address_key"], at)[0], _codes(df["zip5"], at)[0]
        self.previous, self.previous_values = _codes(df["previous_id"], at, sort=True)  # code order is id order

    def node(self, positions: np.ndarray | list[int]) -> pa.Array:
        """`source:source_key` of the nodes at `positions`."""
        idx = pa.array(positions, type=pa.int64())
        return pc.binary_join_element_wise(self.source.take(idx), self.source_key.take(idx), ":")

    def names(self, positions: np.ndarray) -> list[str]:
        return self.node(positions).to_pylist()

    def positions(self, nodes: pa.Array) -> np.ndarray:
        """Positions of `source:source_key` names (-1 where there is no such record)."""
        found = pc.index_in(nodes, value_set=self.node(np.arange(self.n)))
        return found.fill_null(-1).to_numpy().astype(np.int64)


def _codes(values: pd.Series, order: np.ndarray | None = None, sort: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (-1: missing), in `order` if given, and the distinct values as Python strings (sorted if
    `sort`)."""
    codes, uniques = pd.factorize(values, sort=sort)
    codes = codes.astype(np.int64)
    return (codes if order is None else codes[order]), np.asarray(uniques.astype(object), dtype=object)


def _blank_missing(codes: np.ndarray, values: np.ndarray) -> np.ndarray:
    """`codes` with the code of '' made missing (-1)."""
    empty = np.flatnonzero(values == "")
    return np.where(codes == empty[0], -1, codes) if len(empty) else codes


def _strings(codes: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The values of `codes` as Python strings, '' for missing."""
    return np.where(codes >= 0, values[np.maximum(codes, 0)], "") if len(values) else np.full(len(codes), "", object)


@dataclass
class Edges:
    """Links between nodes (positions), in the order the rules found them."""
    a: np.ndarray
    b: np.ndarray
    rule: np.ndarray  # index into RULES
    score: np.ndarray

    @classmethod
    def of(cls, a: np.ndarray, b: np.ndarray, rule: str, score: np.ndarray | float = 1.0) -> Edges:
        return cls(np.asarray(a, np.int64), np.asarray(b, np.int64), np.full(len(a), RULES.index(rule), np.int8),
                   np.broadcast_to(np.asarray(score, np.float64), (len(a),)).copy())

    @classmethod
    def concat(cls, parts: list[Edges]) -> Edges:
        parts = parts or [cls.of(np.empty(0), np.empty(0), RULES[0])]
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("a", "b", "rule", "score")))

    def sorted(self) -> Edges:
        """Ordered by (a, b), so that results do not depend on how blocks were grouped."""
        o = np.lexsort((self.b, self.a))
        return Edges(self.a[o], self.b[o], self.rule[o], self.score[o])

    def __len__(self) -> int:
        return len(self.a)


def _account_edges(r: Records, acct: pd.DataFrame) -> Edges:
    """A CRM contact (`a`) -> the CIS partner (`b`) of the account number it gave."""
    found = r.positions(arrow_strings(pd.concat(["crm:" + acct["a"].astype(str), "cis:" + acct["b"].astype(str)])))
    a, b = found[:len(acct)], found[len(acct):]  # one lookup table for both sides
    both = (a >= 0) & (b >= 0)  # the query returns only keys of match records; kept safe all the same
    return Edges.of(a[both], b[both], "account_number")


def _group_edges(keys: list[np.ndarray], rows: np.ndarray, rule: str) -> Edges:
    """Every row sharing all `keys` (none missing) with another row -> the group's smallest node (the hub:
    order-independent)."""
    pos = np.flatnonzero(rows & np.logical_and.reduce([k >= 0 for k in keys]))
    combined = keys[0][pos]
    for k in keys[1:]:
        combined = combined * (int(k.max()) + 1) + k[pos]
    group = pd.Series(pos).groupby(combined)
    hub, size = group.transform("min").to_numpy(), group.transform("size").to_numpy()
    keep = (size > 1) & (hub != pos)
    return Edges.of(pos[keep], hub[keep], rule)


def _pairs_within(keys: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Positions (a, b), a < b, of rows sharing a key (>= 0) in blocks of 2..MAX_BLOCK rows, in chunks of about
    PAIR_CHUNK pairs from blocks of one size. Only positions: a pair carries no values until it is scored (at
    2 M customers the probabilistic blocks hold ~39 M pairs; a merge of every column of both sides took 22 GB)."""
    order = np.argsort(keys, kind="stable")  # by block, then position
    order = order[keys[order] >= 0]
    block = keys[order]
    starts = np.flatnonzero(np.r_[True, block[1:] != block[:-1]])
    sizes = np.diff(np.r_[starts, len(block)])
    for size in range(2, MAX_BLOCK + 1):
        first = starts[sizes == size]
        if not len(first):
            continue
        i, j = np.triu_indices(size, 1)
        per_chunk = max(1, PAIR_CHUNK // len(i))  # blocks per chunk: a bounded number of pairs in memory
        for k in range(0, len(first), per_chunk):
            members = order[first[k:k + per_chunk, None] + np.arange(size)]  # blocks x size, in node order
            yield members[:, i].ravel(), members[:, j].ravel()


def _address_edges(r: Records) -> Edges:
    """Same address key and name similarity >= NAME_SIMILARITY, among records with a last name."""
    keys = np.where(r.last >= 0, r.address, -1)
    found = []
    for a, b in _pairs_within(keys):
        na, nb = _full_name(r, a), _full_name(r, b)
        score = process.cpdist(na, nb, scorer=fuzz.token_sort_ratio, dtype=np.float64, workers=-1)
        keep = score >= NAME_SIMILARITY
        found.append(Edges.of(a[keep], b[keep], "address_name", score[keep] / 100))
    return Edges.concat(found).sorted()


def _full_name(r: Records, at: np.ndarray) -> list[str]:
    first, last = _strings(r.first[at], r.first_values), _strings(r.last[at], r.last_values)
    return [f"{f} {la}".strip() for f, la in zip(first, last, strict=True)]


def _fs_weight(agree: np.ndarray, both: np.ndarray, level: str) -> np.ndarray:
    m, u = FS_LEVELS[level]
    return np.where(~both, 0.0, np.where(agree, math.log2(m / u), math.log2((1 - m) / (1 - u))))


def _name_weight(x: np.ndarray, y: np.ndarray, values: np.ndarray, exact: str, fuzzy: str,
                 threshold: float) -> np.ndarray:
    """Exact agreement, else Jaro-Winkler >= threshold (computed only where the two differ), else disagreement;
    nothing where either is missing."""
    both = (x >= 0) & (y >= 0)
    same = x == y
    similar = np.zeros(len(x), dtype=bool)
    differ = np.flatnonzero(~same)
    if len(differ):
        sim = process.cpdist(_strings(x[differ], values), _strings(y[differ], values),
                             scorer=JaroWinkler.similarity, dtype=np.float64, workers=-1)
        similar[differ] = sim >= threshold
    fuzzy_w = math.log2(FS_LEVELS[fuzzy][0] / FS_LEVELS[fuzzy][1])
    return np.where(same, _fs_weight(np.ones(len(x), bool), both, exact),
                    np.where(similar, fuzzy_w, _fs_weight(np.zeros(len(x), bool), both, exact)))


def _exact_weights(r: Records, a: np.ndarray, b: np.ndarray) -> list[np.ndarray]:
    """Each pair's email, phone and address weights (values compared by code: equal or not)."""
    out = []
    for codes, level in ((r.email, "email"), (r.phone, "phone"), (r.address, "address")):
        x, y = codes[a], codes[b]
        both = (x >= 0) & (y >= 0)
        out.append(_fs_weight(both & (x == y), both, level))
    return out


def _name_bound(x: np.ndarray, y: np.ndarray, exact: str, fuzzy: str) -> np.ndarray:
    """The most `_name_weight` can give each pair: exact agreement where the two are equal, fuzzy agreement where
    they differ (before comparing them), nothing where either is missing."""
    both = (x >= 0) & (y >= 0)
    fuzzy_w = math.log2(FS_LEVELS[fuzzy][0] / FS_LEVELS[fuzzy][1])
    return np.where(both, np.where(x == y, math.log2(FS_LEVELS[exact][0] / FS_LEVELS[exact][1]), fuzzy_w), 0.0)


def _probabilistic(r: Records, labels: np.ndarray) -> Edges:
    """Fellegi-Sunter on pairs in different clusters, blocked on zip5 + the first four letters of the last name."""
    prefix = pd.factorize(pd.Series(r.last_values, dtype=object).str[:4])[0] if len(r.last_values) else np.empty(0)
    blocks = np.where((r.last >= 0) & (r.zip5 >= 0),
                      r.zip5 * (len(r.last_values) + 1) + prefix[np.maximum(r.last, 0)] if len(prefix) else -1, -1)
    first, last = _blank_missing(r.first, r.first_values), _blank_missing(r.last, r.last_values)  # '' = no name
    found = []
    for a, b in _pairs_within(blocks):
        apart = labels[a] != labels[b]  # the rules already joined the rest
        a, b = a[apart], b[apart]
        # string similarity is the costly part and nearly every pair falls short without it: only pairs that
        # would reach the threshold if both differing names were similar are compared (same result: a pair's
        # weight is never above this bound)
        exact = _exact_weights(r, a, b)
        could = _name_bound(first[a], first[b], "first_exact", "first_fuzzy") + \
            _name_bound(last[a], last[b], "last_exact", "last_fuzzy")
        for part in exact:
            could = could + part
        candidate = could >= FS_THRESHOLD
        a, b = a[candidate], b[candidate]
        if not len(a):
            continue
        w = _name_weight(first[a], first[b], r.first_values, "first_exact", "first_fuzzy", 0.88)
        w = w + _name_weight(last[a], last[b], r.last_values, "last_exact", "last_fuzzy", 0.9)
        for part in exact:  # added in the same order as before the bound, so each weight is the same float
            w = w + part[candidate]
        keep = w >= FS_THRESHOLD
        found.append(Edges.of(a[keep], b[keep], "probabilistic", w[keep]))
    return Edges.concat(found).sorted()


def _components(n: int, edges: Edges) -> np.ndarray:
    graph = coo_matrix((np.ones(len(edges)), (edges.a, edges.b)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def _new_id(member: str) -> str:
    return "G" + hashlib.sha1(member.encode("utf-8")).hexdigest()[:15].upper()


def _cluster_ids(labels: np.ndarray, previous: np.ndarray, previous_values: np.ndarray,
                 smallest_member: Callable[[np.ndarray], list[str]]) -> np.ndarray:
    """Golden id per cluster: the majority previous id of its members (ties -> the smallest id; one cluster
    per id, so in a split the bigger part keeps it), else derived from its smallest member.

    `labels` and `previous` (codes into the sorted `previous_values`) are per node in node order."""
    has = previous >= 0
    votes = pd.DataFrame({"cluster": labels[has], "prev": previous[has]}).groupby(["cluster", "prev"]).size()
    votes = votes.rename("n").reset_index().sort_values(["n", "prev"], ascending=[False, True])
    votes = votes.drop_duplicates("cluster").drop_duplicates("prev")
    ids = np.full(int(labels.max()) + 1 if len(labels) else 0, None, dtype=object)
    ids[votes["cluster"].to_numpy()] = previous_values[votes["prev"].to_numpy()]
    new = np.flatnonzero(pd.isna(ids))
    first = np.unique(labels, return_index=True)[1]  # labels are 0..k-1; the first position is the smallest node
    members = smallest_member(first[new])
    # one id per cluster (a per-row lambda cost ~25 s per million records)
    derived = [_new_id(m) for m in members]
    ids[new] = derived
    taken = set(ids)
    kept = set(previous_values[votes["prev"].to_numpy()])
    for i in np.flatnonzero([d in kept for d in derived]):
        ids[new[i]] = _unused_id(members[i], taken)
        taken.add(ids[new[i]])
    return ids


def _unused_id(member: str, taken: set[str]) -> str:
    """An id derived from `member` that no cluster has. Needed when a cluster whose id came from `member` splits
    and the bigger part (without `member`) keeps that id: `member`'s part needs another one."""
    n = 1
    while (gid := _new_id(f"{member}#{n}")) in taken:
        n += 1
    return gid


def assign_golden_ids(nodes: pd.Series, labels: np.ndarray, previous: dict[str, str]) -> pd.Series:
    """Stable golden id per node (any order): see `_cluster_ids`."""
    order = np.argsort(nodes.to_numpy(dtype=object).astype(str), kind="stable")
    sorted_nodes = nodes.to_numpy(dtype=object)[order]
    prev, values = _codes(pd.Series([previous.get(n) for n in sorted_nodes], dtype=object), sort=True)
    labels = np.unique(np.asarray(labels), return_inverse=True)[1]  # any labels -> 0..k-1
    ids = _cluster_ids(labels[order], prev, values, lambda at: list(sorted_nodes[at]))
    return pd.Series(ids[labels], index=nodes.to_numpy())


def _first_link(n: int, edges: Edges) -> np.ndarray:
    """Per node, the index of the first edge naming it (as `a`, else as `b`); -1 for a node no rule linked."""
    first = np.full(n, -1, dtype=np.int64)
    for side in (edges.b, edges.a):  # `a` last: it wins
        nodes, at = np.unique(side, return_index=True)
        first[nodes] = at
    return first


def match_customers(engine: Engine, batch_id: int | None = None) -> MatchSummary:
    """Run every rule, assign golden ids, write xref history, dim_customer (SCD2), and link facts."""
    ts = datetime.now(UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM match_record"))
        conn.execute(sa.text(_RECORDS))
        r = Records(_read(conn, _MATCH_RECORDS))
        if not r.n:
            return MatchSummary(0, 0, {}, 0)
        acct = _read(conn, _ACCOUNT_EDGES)
        phones = np.bincount(r.phone[r.phone >= 0], minlength=1)
        phone_ok = (r.phone >= 0) & (phones[np.maximum(r.phone, 0)] <= MAX_PHONE_SHARE)
        everyone = np.ones(r.n, dtype=bool)
        edges = Edges.concat([_account_edges(r, acct),
                              _group_edges([r.email, r.last], everyone, "email_last_name"),
                              _group_edges([r.phone, r.last], phone_ok, "phone_last_name"),
                              _address_edges(r)])
        labels = _components(r.n, edges)
        fs = _probabilistic(r, labels)
        if len(fs):
            edges = Edges.concat([edges, fs])
            labels = _components(r.n, edges)
        ids = _cluster_ids(labels, r.previous, r.previous_values, r.names)
        golden = ids[labels]
        first = _first_link(r.n, edges)
        rule, score = np.full(r.n, "seed", dtype=object), np.full(r.n, np.nan)
        linked = np.flatnonzero(first >= 0)
        rule[linked] = np.asarray(RULES, dtype=object)[edges.rule[first[linked]]]
        score[linked] = edges.score[first[linked]]
        previous = _strings(r.previous, r.previous_values)
        changed = np.flatnonzero(previous != golden)
        _write_xref(conn, r, changed, golden[changed], rule[changed], score[changed], ts, batch_id)
        _write_pairs(conn, r, edges)
        rules, links = np.unique(edges.rule, return_counts=True)
        summary = MatchSummary(r.n, len(ids), {RULES[k]: int(v) for k, v in zip(rules, links, strict=True)},
                               len(changed), singletons=int((np.bincount(labels) == 1).sum()))
        del r, edges, labels, golden, rule, score, previous  # the survivorship SQL below needs the memory
        publish_customers(conn, ts, batch_id)
        high = high_water(conn)
        seen = conn.execute(sa.text("SELECT 1 FROM match_run WHERE high_water_batch_id = :h"), {"h": high}).first()
        if high is not None and not seen:  # a repeat run on the same data records nothing new
            conn.execute(sa.text("INSERT INTO match_run (high_water_batch_id, matched_at, records, golden_customers, "
                                 "xref_changes) VALUES (:h, :t, :r, :g, :c)"),
                         {"h": high, "t": ts, "r": summary.records, "g": summary.golden_customers,
                          "c": summary.changed_xref})
        return summary


CUSTOMER_FEEDS = ("cis_customer", "cis_account", "crm_contact")


def high_water(conn: sa.Connection) -> int | None:
    """The newest loaded batch of a feed that matching reads."""
    feeds = ", ".join(f"'{f}'" for f in CUSTOMER_FEEDS)
    value = conn.execute(sa.text(f"SELECT MAX(batch_id) FROM dim_batch WHERE status = 'loaded' AND feed IN ({feeds})"
                                 )).scalar()
    return None if value is None else int(value)


def is_stale(engine: Engine) -> bool:
    """True when customer data loaded after the last match run (or there never was one)."""
    with engine.connect() as conn:
        high = high_water(conn)
        done = conn.execute(sa.text("SELECT MAX(high_water_batch_id) FROM match_run")).scalar()
    return high is not None and (done is None or int(done) < high)


def _write_xref(conn: sa.Connection, r: Records, changed: np.ndarray, golden: np.ndarray, rule: np.ndarray,
               score: np.ndarray, ts: datetime, batch_id: int | None) -> None:
    """Close the current xref row of every node at `changed` (positions) and open one with its new golden id."""
    if not len(changed):
        return
    idx = pa.array(changed, type=pa.int64())
    keys = pd.DataFrame({"source": r.source.take(idx).to_pandas(), "source_key": r.source_key.take(idx).to_pandas()})
    held = r.previous[changed] >= 0  # only a node with a golden id has a current row to close (none on a first run)
    if held.any():
        conn.execute(sa.text("DROP TABLE IF EXISTS uf_xref"))
        conn.execute(sa.text("CREATE TEMPORARY TABLE uf_xref (source VARCHAR(16), source_key VARCHAR(64))"))
        insert_frame(conn, "uf_xref", keys[held])
        conn.execute(sa.text("UPDATE customer_xref SET valid_to = :ts, is_current = FALSE WHERE is_current AND "
                             "EXISTS (SELECT 1 FROM uf_xref u WHERE u.source = customer_xref.source AND u.source_key "
                             "= customer_xref.source_key)"), {"ts": ts})
        conn.execute(sa.text("DROP TABLE uf_xref"))
    insert_frame(conn, "customer_xref", keys.assign(
        golden_customer_id=golden, match_rule=rule, match_score=pd.array(score, dtype="Float64"), valid_from=ts,
        valid_to=None, is_current=True, batch_id=batch_id))


def _write_pairs(conn: sa.Connection, r: Records, edges: Edges) -> None:
    """Each linked pair once (the smaller node first), with the first rule that linked it."""
    conn.execute(sa.text("DELETE FROM match_pair"))
    if not len(edges):
        return
    lo, hi = np.minimum(edges.a, edges.b), np.maximum(edges.a, edges.b)
    first = np.unique(lo * r.n + hi, return_index=True)[1]  # the first edge of each pair
    lo_at, hi_at = pa.array(lo[first]), pa.array(hi[first])
    insert_frame(conn, "match_pair", pd.DataFrame({
        "source_a": r.source.take(lo_at).to_pandas(), "key_a": r.source_key.take(lo_at).to_pandas(),
        "source_b": r.source.take(hi_at).to_pandas(), "key_b": r.source_key.take(hi_at).to_pandas(),
        "match_rule": np.asarray(RULES, dtype=object)[edges.rule[first]], "match_score": edges.score[first]}))
