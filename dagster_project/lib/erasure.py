"""Right to erasure (GDPR Art. 17): remove a person's rows from every layer of the warehouse, in one transaction.

A deletion request (`raw_first_party.deletion_requests`: customer id and/or e-mail hash) names a subject. Its
identifiers are closed over the data: the anonymous ids, devices, e-mail hashes, orders and sessions found on rows
that belong to the subject, until no new one turns up. A row belongs to the subject when

* an *owner* column holds the subject's account: `user_id` or `customer_id` equal to its customer id, or
  `person_id` equal to ``user:<customer id>`` or ``anon:<one of its anonymous ids>``; or
* every owner column the table has is NULL and a *secondary* column (`anonymous_id`, `device_id`, `email_hash`,
  `order_id`, `session_id`, `touchpoint_id`) holds one of its identifiers — so a shared device's events that carry
  another person's user id are never removed; or
* a `raw` text column (quarantined tracker lines) contains its customer id, an anonymous id or a device id as a
  quoted JSON string.

Tables are found by column name, not by a list: every base table in the person-level raw datasets (tracker and
first-party, with dlt's `_staging` copies) and in `staging`, `intermediate`, `marts` and `analytics`. Views hold no
rows and follow their tables. The request rows themselves stay: they are the record that the request was made.

Another party's records about the subject are pseudonymized instead: the affiliate network's actions
(`raw_affiliate.actions`) are its commission ledger, and a commission is owed whoever bought, so the row, its amount
and payout stay and only the shop's order id (`oid`) is blanked (the accounting duty of GDPR Art. 17(3)(b); spend
stays as it was). A later reload of the action brings the id back, and the resweep blanks it again.

Each identifier is remembered only as a keyed hash (`adledger.privacy.erased_key_hash`, keyed with the e-mail
salt) in `quality.erased_subjects`. Every later run hashes the distinct identifiers of the raw tables, and rows
whose identifiers were erased before — brought back by a re-exported file or a re-read tracker file, since dlt's
merge only knows the keys still present — are removed again (a *resweep*) before dbt reads raw. A resweep is
reported in the asset's metadata, not in the audit: the shop's full exports bring an erased customer back on every
run until its own system forgets them, and the audit must not grow with every run.
`quality.erasure_audit` gets one row per request done: request id, hashed subject, tables touched, rows removed
per table, when; never the identifiers themselves.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone

import duckdb

REQUESTS = ("raw_first_party", "deletion_requests")
#: datasets that hold person-level rows (dlt writes `<dataset>_staging` copies while merging)
PERSON_DATASETS = ("raw_tracker", "raw_first_party")
LAYERS = ("staging", "intermediate", "marts", "analytics")
#: datasets of another party's records (identifier column → kind): a subject's value is set to NULL, the row stays
RECORD_DATASETS = {"raw_affiliate": {"oid": "order_id"}}
OWNER_COLUMNS = ("user_id", "customer_id")
PERSON_COLUMN = "person_id"
#: secondary identifier columns and the kind of identifier each holds
SECONDARY_COLUMNS = {"anonymous_id": "anonymous_id", "device_id": "device_id", "email_hash": "email_hash",
                     "order_id": "order_id", "session_id": "session_id", "touchpoint_id": "session_id"}
RAW_TEXT_COLUMN = "raw"
RAW_TEXT_KINDS = ("user", "anonymous_id", "device_id")
AUDIT = "quality.erasure_audit"
ERASED = "quality.erased_subjects"
#: closure rounds: user → devices → their anonymous browsing → sessions and orders is three
MAX_ROUNDS = 6

_DDL = (
    "create schema if not exists quality",
    f"""create table if not exists {AUDIT} (
        request_id varchar not null, subject_hash varchar not null,
        requested_at timestamptz, done_at timestamptz not null, tables_touched varchar[] not null,
        rows_removed varchar not null, rows_removed_total bigint not null)""",
    # audits written before pseudonymization existed get the column (NULL: nothing was pseudonymized then)
    f"alter table {AUDIT} add column if not exists rows_pseudonymized varchar",
    f"""create table if not exists {ERASED} (
        kind varchar not null, key_hash varchar not null, request_id varchar not null, erased_at timestamptz not null,
        primary key (kind, key_hash))""",
)


@dataclass(frozen=True)
class Table:
    schema: str
    name: str
    columns: frozenset[str]

    @property
    def qualified(self) -> str:
        return f'"{self.schema}"."{self.name}"'

    @property
    def label(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def is_raw(self) -> bool:
        return self.schema.startswith("raw_")

    @property
    def dataset(self) -> str:
        """The dlt dataset the table belongs to (`raw_x` for dlt's `raw_x_staging` copies too)."""
        return self.schema.removesuffix("_staging")

    @property
    def is_record(self) -> bool:
        """Another party's records: the subject's identifiers are blanked, the rows stay."""
        return self.dataset in RECORD_DATASETS

    @property
    def owners(self) -> list[str]:
        if self.is_record:
            return []
        return [c for c in (*OWNER_COLUMNS, PERSON_COLUMN) if c in self.columns]

    @property
    def secondaries(self) -> dict[str, str]:
        known = RECORD_DATASETS[self.dataset] if self.is_record else SECONDARY_COLUMNS
        return {c: k for c, k in known.items() if c in self.columns}


@dataclass
class ErasureResult:
    #: (request_id, action) → {table: rows removed}
    removed: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    #: (request_id, action) → {table: rows kept with the subject's identifiers blanked}
    pseudonymized: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    tables_scanned: int = 0

    @property
    def requests_done(self) -> list[str]:
        return sorted(r for r, action in self.removed if action == "erasure")

    @property
    def rows_removed(self) -> int:
        return sum(sum(t.values()) for t in self.removed.values())


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create `quality.erasure_audit` and `quality.erased_subjects` if they do not exist."""
    for statement in _DDL:
        con.execute(statement)


def person_tables(con: duckdb.DuckDBPyConnection) -> list[Table]:
    """Every base table that can hold a person's rows: it has an owner, secondary or raw-text column."""
    raw = (*PERSON_DATASETS, *RECORD_DATASETS)
    schemas = [*raw, *(f"{d}_staging" for d in raw), *LAYERS]
    rows = con.execute(
        """
        select c.table_schema, c.table_name, list(c.column_name)
        from information_schema.columns c
        join information_schema.tables t using (table_catalog, table_schema, table_name)
        where t.table_type = 'BASE TABLE' and c.table_schema in (select unnest($schemas))
          and c.table_name not like '\\_dlt\\_%' escape '\\'
          and not (c.table_name = $req_table and c.table_schema like $req_schema || '%')
        group by all order by all
        """,
        {"schemas": schemas, "req_table": REQUESTS[1], "req_schema": REQUESTS[0]},
    ).fetchall()
    tables = [Table(s, n, frozenset(cols)) for s, n, cols in rows]
    return [t for t in tables if t.owners or t.secondaries or (t.is_raw and RAW_TEXT_COLUMN in t.columns)]


def _exists(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    return con.execute("select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
                       [schema, name]).fetchone()[0] > 0


def _hash_sql(kind: str, value: str) -> str:
    return f"sha256($salt || ':' || {kind} || ':' || {value})"


def _hits_sql(table: Table) -> str:
    """`rid, request_id, action` of the rows of `table` that belong to a subject in `_keys`."""
    t = table.qualified
    head = f"select t.rowid as rid, k.request_id, k.action from {t} t join _keys k"
    parts = []
    for column in table.owners:
        if column == PERSON_COLUMN:
            parts.append(f"{head} "
                         f"on k.kind = 'user' and t.{column} = 'user:' || k.value")
            parts.append(f"{head} "
                         f"on k.kind = 'anonymous_id' and t.{column} = 'anon:' || k.value")
        else:
            parts.append(f"{head} "
                         f"on k.kind = 'user' and t.{column} = k.value")
    no_owner = " and ".join(f"t.{c} is null" for c in table.owners) or "true"
    for column, kind in table.secondaries.items():
        parts.append(f"{head} "
                     f"on k.kind = '{kind}' and t.{column} = k.value where {no_owner}")
    if table.is_raw and RAW_TEXT_COLUMN in table.columns:
        kinds = ", ".join(f"'{k}'" for k in RAW_TEXT_KINDS)
        parts.append(f"{head} "
                     f"on k.kind in ({kinds}) and contains(t.{RAW_TEXT_COLUMN}, '\"' || k.value || '\"')")
    return "\nunion\n".join(parts)


def _identifiers_sql(table: Table) -> str:
    """New identifiers carried by `table`'s rows that belong to a subject (one closure step)."""
    carried = {**{c: "user" for c in table.owners if c != PERSON_COLUMN}, **table.secondaries}
    return "\nunion\n".join(
        f"select h.request_id, h.action, '{kind}' as kind, t.{column}::varchar as value "
        f"from _hits h join {table.qualified} t on t.rowid = h.rid where t.{column} is not null"
        for column, kind in carried.items()
    )


def _load_pending(con: duckdb.DuckDBPyConnection) -> None:
    """`_requests`: requests not done yet; `_keys`: their customer ids and e-mail hashes."""
    con.execute("create or replace temp table _requests (request_id varchar, subject_kind varchar, "
                "subject_value varchar, requested_at timestamptz)")
    con.execute("create or replace temp table _keys (request_id varchar, action varchar, kind varchar, value varchar)")
    if not _exists(con, *REQUESTS):
        return
    con.execute(
        f"""
        insert into _requests
        select request_id,
               case when nullif(trim(customer_id), '') is not null then 'user' else 'email_hash' end,
               coalesce(nullif(trim(customer_id), ''), email_hash), requested_at
        from {'.'.join(REQUESTS)}
        where request_id not in (select request_id from {AUDIT})
          and coalesce(nullif(trim(customer_id), ''), email_hash) is not null
        """
    )
    con.execute(
        f"""
        insert into _keys
        select distinct request_id, 'erasure', 'user', trim(customer_id) from {'.'.join(REQUESTS)}
        where request_id in (select request_id from _requests) and nullif(trim(customer_id), '') is not null
        union
        select distinct request_id, 'erasure', 'email_hash', email_hash from {'.'.join(REQUESTS)}
        where request_id in (select request_id from _requests) and email_hash is not null
        """
    )


def _load_resurrected(con: duckdb.DuckDBPyConnection, tables: list[Table], salt: str) -> None:
    """Add to `_keys` the identifiers in raw tables whose keyed hash was erased before (action ``resweep``)."""
    if not con.execute(f"select count(*) from {ERASED}").fetchone()[0]:
        return
    values = []
    for table in (t for t in tables if t.is_raw):
        for column in (c for c in table.owners if c != PERSON_COLUMN):
            values.append(f"select distinct 'user' as kind, {column}::varchar as value from {table.qualified}")
        for column, kind in table.secondaries.items():
            values.append(f"select distinct '{kind}' as kind, {column}::varchar as value from {table.qualified}")
    if not values:
        return
    con.execute(
        f"""
        insert into _keys
        select distinct e.request_id, 'resweep', v.kind, v.value
        from ({' union '.join(values)}) v
        join {ERASED} e on e.kind = v.kind and e.key_hash = {_hash_sql('v.kind', 'v.value')}
        anti join _keys k on k.kind = v.kind and k.value = v.value
        where v.value is not null
        """,
        {"salt": salt},
    )


def _close_over(con: duckdb.DuckDBPyConnection, tables: list[Table]) -> None:
    """Grow `_keys` with the identifiers found on the subjects' rows until a round finds none."""
    for _ in range(MAX_ROUNDS):
        before = con.execute("select count(*) from _keys").fetchone()[0]
        for table in tables:
            found = _identifiers_sql(table)
            if not found:
                continue
            con.execute(f"create or replace temp table _hits as {_hits_sql(table)}")
            con.execute(f"insert into _keys select distinct f.* from ({found}) f "
                        "anti join _keys k using (request_id, action, kind, value)")
        if con.execute("select count(*) from _keys").fetchone()[0] == before:
            return


def _delete(con: duckdb.DuckDBPyConnection, tables: list[Table], result: ErasureResult) -> None:
    for table in tables:
        con.execute(f"create or replace temp table _hits as {_hits_sql(table)}")
        counts = con.execute("select request_id, action, count(distinct rid) from _hits group by all").fetchall()
        if not counts:
            continue
        if table.is_record:
            blank = ", ".join(f"{c} = null" for c in table.secondaries)
            con.execute(f"update {table.qualified} set {blank} where rowid in (select rid from _hits)")
        else:
            con.execute(f"delete from {table.qualified} where rowid in (select rid from _hits)")
        done = result.pseudonymized if table.is_record else result.removed
        for request_id, action, rows in counts:
            done.setdefault((request_id, action), {})[table.label] = int(rows)


def _record(con: duckdb.DuckDBPyConnection, result: ErasureResult, done_at: datetime, salt: str) -> None:
    con.execute(
        f"""
        insert into {ERASED}
        select kind, {_hash_sql('kind', 'value')}, min(request_id), $done_at from _keys
        group by all
        on conflict do nothing
        """,
        {"salt": salt, "done_at": done_at},
    )
    subjects = dict(con.execute(
        f"select request_id, {_hash_sql('subject_kind', 'subject_value')} from _requests", {"salt": salt}).fetchall())
    requested = dict(con.execute("select request_id, requested_at from _requests").fetchall())
    for request_id in subjects:
        per_table = result.removed.setdefault((request_id, "erasure"), {})
        blanked = result.pseudonymized.get((request_id, "erasure"), {})
        con.execute(
            f"insert into {AUDIT} (request_id, subject_hash, requested_at, done_at, tables_touched, rows_removed, "
            "rows_removed_total, rows_pseudonymized) values (?, ?, ?, ?, ?, ?, ?, ?)",
            [request_id, subjects[request_id], requested[request_id], done_at, sorted({*per_table, *blanked}),
             json.dumps(dict(sorted(per_table.items()))), sum(per_table.values()),
             json.dumps(dict(sorted(blanked.items())))],
        )


def erase(con: duckdb.DuckDBPyConnection, salt: str, done_at: datetime | None = None) -> ErasureResult:
    """Carry out every deletion request not done yet and remove resurrected rows of earlier ones, in one transaction.

    `salt` keys the hashes of erased identifiers (the e-mail salt); `done_at` stamps the audit (default: now, UTC).
    A second call with no new request and no resurrected row changes nothing.
    """
    if not salt:
        raise ValueError("the erasure needs the e-mail salt (SOURCES__EMAIL_SALT) to hash erased identifiers")
    done_at = done_at or datetime.now(timezone.utc)
    ensure_tables(con)
    result = ErasureResult()
    con.execute("begin transaction")
    try:
        tables = person_tables(con)
        result.tables_scanned = len(tables)
        _load_pending(con)
        _load_resurrected(con, tables, salt)
        if con.execute("select count(*) from _keys").fetchone()[0]:
            _close_over(con, tables)
            _delete(con, tables, result)
        _record(con, result, done_at, salt)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        for temp in ("_requests", "_keys", "_hits"):
            con.execute(f"drop table if exists temp.{temp}")
    return result
