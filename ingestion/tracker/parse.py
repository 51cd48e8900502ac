"""Turn Segment-spec JSON-lines files into typed event rows and quarantined rows, in DuckDB.

Two paths produce identical rows:

* fast path: DuckDB `read_json` with a fixed column spec over a batch of files, then the contract check in SQL.
  It is taken when every line of every file parses and passes the contract.
* exact path: each line is read as text with its line number (`read_csv` on a delimiter JSON never contains
  unescaped, `WITH ORDINALITY`), parsed with `json_transform`, and every line that fails parsing or the contract is
  quarantined with its file, line and reason. Lines that are not valid UTF-8 are caught by DuckDB's reject table and
  quarantined too. Files whose fast path fails are re-read this way.

Either way: lines read = valid rows + quarantined rows, per file (reported in `FileStats`). Blank lines are not
records and are skipped, as DuckDB's JSON reader does.
"""

from __future__ import annotations

from dataclasses import dataclass
import hashlib
import json
from typing import Sequence

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

#: click ids read from the landing URL (`context.page.url`), in the order they are checked for `click_id_type`
CLICK_IDS = ("gclid", "gbraid", "wbraid", "dclid", "msclkid", "fbclid", "ttclid", "li_fat_id", "irclickid", "sccid")
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
EVENT_TYPES = ("page", "track", "identify", "screen", "alias", "group")

#: the shape read from each line (unknown fields are ignored; `properties`, `traits` and consent stay JSON)
_CONTEXT = {
    "page": {"url": "VARCHAR", "path": "VARCHAR", "referrer": "VARCHAR", "title": "VARCHAR"},
    "campaign": {k: "VARCHAR" for k in ("source", "medium", "name", "content", "term")},
    "ip": "VARCHAR",
    "ip_hash": "VARCHAR",
    "ip_prefix": "VARCHAR",
    "userAgent": "VARCHAR",
    "consent": {"categoryPreferences": "JSON"},
    "device": {"id": "VARCHAR"},
    "locale": "VARCHAR",
    "timezone": "VARCHAR",
}
_TOP = ("type", "messageId", "timestamp", "receivedAt", "sentAt", "anonymousId", "userId", "event", "name")


def _duck_type(spec: object) -> str:
    if isinstance(spec, dict):
        return "STRUCT(" + ", ".join(f'"{k}" {_duck_type(v)}' for k, v in spec.items()) + ")"
    return str(spec)


EVENT_SHAPE: dict[str, object] = {**{k: "VARCHAR" for k in _TOP}, "properties": "JSON", "traits": "JSON",
                                  "context": _CONTEXT}
#: for `json_transform` (exact path)
EVENT_STRUCT = json.dumps(EVENT_SHAPE)
#: for `read_json(columns=...)` (fast path)
READ_JSON_COLUMNS = "{" + ", ".join(f"\"{k}\": '{_duck_type(v)}'" for k, v in EVENT_SHAPE.items()) + "}"


@dataclass(frozen=True)
class FileStats:
    file: str
    lines_read: int
    rows_valid: int
    rows_quarantined: int


@dataclass(frozen=True)
class ParsedBatch:
    events: pa.Table
    quarantined: pa.Table
    files: list[FileStats]


def _url_param(key: str) -> str:
    """Value of query parameter `key` in `_query` ('&' + the URL's query string), URL-decoded, or NULL."""
    return f"case when contains(_query, '&{key}=') then nullif(url_decode(split_part(split_part(_query, '&{key}=', 2), '&', 1)), '') end"


def _reason_sql() -> str:
    """The first contract rule a parsed row breaks, or NULL."""
    types = ", ".join(f"'{t}'" for t in EVENT_TYPES)
    return f"""
    case
      when j.messageId is null or j.messageId = '' then 'missing field: messageId'
      when j.type is null then 'missing field: type'
      when j.type not in ({types}) then 'unknown value in field: type'
      when j.timestamp is null then 'missing field: timestamp'
      when try_cast(j.timestamp as timestamptz) is null then 'invalid timestamp in field: timestamp'
      when coalesce(j.anonymousId, j.userId) is null then 'missing field: anonymousId or userId'
      when j.type = 'track' and (j.event is null or j.event = '') then 'missing field: event'
      when j.properties is not null and json_type(j.properties) <> 'OBJECT' then 'not an object: properties'
      when j.event = 'Order Completed' and (j.properties->>'$.order_id') is null
        then 'missing field: properties.order_id'
      when j.event = 'Order Completed' and try_cast(j.properties->>'$.revenue' as decimal(18, 4)) is null
        then 'invalid number in field: properties.revenue'
      when j.event = 'Order Completed' and try_cast(j.properties->>'$.revenue' as decimal(18, 4)) < 0
        then 'negative value in field: properties.revenue'
      else null
    end"""


def _ip_prefix_sql(ip: str) -> str:
    """Truncated network of an address: /24 for IPv4, /48 for IPv6 (for fraud rules without the address)."""
    return f"""
    case
      when {ip} is null then null
      when regexp_matches({ip}, '^\\d{{1,3}}\\.\\d{{1,3}}\\.\\d{{1,3}}\\.\\d{{1,3}}$')
        then regexp_extract({ip}, '^(\\d+\\.\\d+\\.\\d+)\\.', 1) || '.0/24'
      when contains({ip}, ':') then lower(array_to_string(list_concat(
          list_filter(string_split(split_part({ip}, '::', 1), ':'), lambda x: x <> ''), ['0', '0', '0'])[1:3], ':'))
        || '::/48'
      else null
    end"""


def _shape_sql(relation: str, with_reason: bool = False) -> str:
    """SQL that turns parsed rows (`j` struct, `_file`) into the raw event row, PII hashed.

    With `with_reason`, a `_reason` column carries the first contract rule each row breaks (NULL when none), so
    the fast path checks the contract in the same pass. IP addresses repeat, so each distinct one is hashed once.
    """
    reason = f", {_reason_sql()} as _reason" if with_reason else ""
    utm = ",\n      ".join(
        f"coalesce(nullif(j.context.campaign.{k.removeprefix('utm_').replace('campaign', 'name')}, ''), "
        f"{_url_param(k)}) as {k}"
        for k in UTM_KEYS
    )
    clicks = ",\n      ".join(f"{_url_param(k)} as {k}" for k in CLICK_IDS)
    click_type = " ".join(f"when {k} is not null then '{k}'" for k in CLICK_IDS)
    return f"""
    with parsed as (
      select *, j.context.page.url as page_url,
             json_extract_string(j.properties, ['$.order_id', '$.revenue', '$.currency', '$.experiment_id',
                                                '$.variation_id']) as _props,
             '&' || split_part(split_part(j.context.page.url, '#', 1), '?', 2) as _query,
             j.context.ip as _ip{reason}
      from {relation}
    ), ips as (
      select _ip, sha256($ip_opad || unhex(sha256($ip_ipad || encode(_ip)))) as _ip_hash, {_ip_prefix_sql("_ip")} as _ip_net
      from (select distinct _ip from parsed where _ip is not null)
    ), shaped as (
      select
        j.messageId as message_id,
        j.type as event_type,
        case when j.type = 'track' then j.event when j.type = 'page' then j.name end as event_name,
        try_cast(j.timestamp as timestamptz) as event_at,  -- never null here: the contract checked it
        try_cast(j.receivedAt as timestamptz) as received_at,
        nullif(j.anonymousId, '') as anonymous_id,
        nullif(j.userId, '') as user_id,
        j.context.device.id as device_id,
        page_url,
        j.context.page.path as page_path,
        nullif(j.context.page.referrer, '') as page_referrer,
        j.context.page.title as page_title,
      {utm},
      {clicks},
        coalesce(j.context.ip_hash, ips._ip_hash) as ip_hash,
        coalesce(j.context.ip_prefix, ips._ip_net) as ip_prefix,
        j.context.userAgent as user_agent,
        try_cast(j.context.consent.categoryPreferences->>'$.advertising' as boolean) as consent_advertising,
        try_cast(j.context.consent.categoryPreferences->>'$.analytics' as boolean) as consent_analytics,
        case when nullif(trim(j.traits->>'$.email'), '') is not null
             then sha256($email_salt || ':' || lower(trim(j.traits->>'$.email'))) end as email_hash,
        j.context.locale as locale,
        j.context.timezone as timezone,
        _props[1] as order_id,
        try_cast(_props[2] as decimal(18, 4)) as revenue,
        upper(_props[3]) as currency,
        _props[4] as experiment_id,
        _props[5] as variation_id,
        case when contains(j.properties::varchar, '"email"') or contains(j.properties::varchar, '"phone"')
             then json_remove(json_remove(j.properties, '$.email'), '$.phone') else j.properties end as properties,
        _file,
        $load_id as _load_id{", _reason" if with_reason else ""}
      from parsed left join ips using (_ip)
    )
    select *, case {click_type} end as click_id_type from shaped
    """


def hmac_pads(key: str | bytes) -> tuple[bytes, bytes]:
    """The inner and outer padded keys of HMAC-SHA256 (RFC 2104), so SQL can compute
    `sha256(opad || unhex(sha256(ipad || message)))` — the same value as `adledger.privacy.hash_ip`."""
    raw = key.encode("utf-8") if isinstance(key, str) else key
    if not raw:
        raise ValueError("the IP hashing key is empty: set SOURCES__IP_HASH_KEY or sources.ip_hash_key in secrets")
    if len(raw) > 64:
        raw = hashlib.sha256(raw).digest()
    raw = raw.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in raw), bytes(b ^ 0x5C for b in raw)


def _first_deliveries_sql(relation: str) -> str:
    """Rows of `relation` whose messageId is new to this run, the first received of repeats within it."""
    return f"""
    with batch as (select * from {relation}),
    repeated as (select message_id from batch group by message_id having count(*) > 1),
    once as (
      select b.* from batch b anti join repeated using (message_id)
      union all
      select * from (select b.* from batch b semi join repeated using (message_id))
      qualify row_number() over (partition by message_id order by received_at nulls last, _file, event_at) = 1
    )
    select * from once anti join _seen using (message_id)
    """


class TrackerParser:
    """Parses batches of local JSON-lines files (plain or gzip) with one DuckDB connection.

    `email_salt` and `ip_key` are secrets: they are passed as bound parameters and never appear in SQL text.
    E-mails become `sha256(salt || ':' || lower(trim(email)))` and IPs the HMAC-SHA256 under `ip_key`, the same
    values `adledger.privacy.hash_email` and `hash_ip` compute, so collector and ingestion pseudonyms agree.
    """

    def __init__(self, email_salt: str, ip_key: str, threads: int | None = None) -> None:
        self._con = duckdb.connect()
        if threads:
            self._con.execute(f"set threads = {int(threads)}")
        ipad, opad = hmac_pads(ip_key)
        self._params = {"email_salt": email_salt, "ip_ipad": ipad, "ip_opad": opad}
        self._con.execute("create temp table _seen (message_id varchar)")

    def close(self) -> None:
        self._con.close()

    def parse(self, files: Sequence[str], names: Sequence[str] | None = None, load_id: str = "") -> ParsedBatch:
        """Parse `files` (local paths); `names` are recorded in `_file` (default: the paths), `load_id` in `_load_id`."""
        names = list(names or files)
        self._params["load_id"] = load_id
        try:
            batch = self._fast(list(files), names)
        except duckdb.Error:
            batch = self._exact(list(files), names)
        return ParsedBatch(self._first_deliveries(batch.events), batch.quarantined, batch.files)

    def _first_deliveries(self, events: pa.Table) -> pa.Table:
        """Drop events whose messageId this parser already returned (earlier files of the same run) and keep the
        first received of repeats inside the batch: a run yields each messageId once."""
        con = self._con
        con.register("_batch", events)
        fresh = con.sql(_first_deliveries_sql("_batch")).to_arrow_table()
        con.unregister("_batch")
        self._remember(fresh)
        return fresh

    def _remember(self, events: pa.Table) -> None:
        con = self._con
        con.register("_fresh", events)
        con.execute("insert into _seen select message_id from _fresh")
        con.unregister("_fresh")

    # -- fast path ------------------------------------------------------------------------------------------------
    def _fast(self, files: list[str], names: list[str]) -> ParsedBatch:
        con = self._con
        con.register("_names", pa.table({"path": files, "name": names}))
        lines = f"""(
            select struct_pack(r.type, r.messageId, r.timestamp, r.receivedAt, r.sentAt, r.anonymousId, r.userId,
                               r.event, r."name", r.properties, r.traits, r.context) as j,
                   n.name as _file
            from read_json($files, format = 'newline_delimited', columns = {READ_JSON_COLUMNS},
                           filename = true, maximum_object_size = 1048576) r
            join _names n on n.path = r.filename
        )"""
        shaped = con.sql(_shape_sql(lines, with_reason=True), params={**self._params, "files": files})
        events = shaped.to_arrow_table()
        con.unregister("_names")
        if events.column("_reason").null_count != events.num_rows:
            raise duckdb.InvalidInputException("contract violations: re-read line by line")
        events = events.drop_columns(["_reason"])
        counts = pc.value_counts(events.column("_file")).to_pylist()
        per_file = {c["values"]: c["counts"] for c in counts}
        stats = [FileStats(n, per_file.get(n, 0), per_file.get(n, 0), 0) for n in names]
        return ParsedBatch(events=events, quarantined=_empty_quarantine(), files=stats)

    # -- exact path -----------------------------------------------------------------------------------------------
    def _exact(self, files: list[str], names: list[str]) -> ParsedBatch:
        """Every line of every file with its file and line number; bad lines quarantined with their reason."""
        con = self._con
        con.register("_names", pa.table({"path": files, "name": names}))
        con.execute(
            """
            create or replace temp table _raw_lines as
            select raw, filename as _path,
                   row_number() over (partition by filename order by ordinality)::bigint as _line
            from read_csv($files, columns = {'raw': 'VARCHAR'}, header = false, delim = '\x01', quote = '',
                          escape = '', auto_detect = false, strict_mode = false, ignore_errors = true,
                          store_rejects = true, rejects_table = '_rejects', rejects_scan = '_rejects_scan',
                          max_line_size = 2097152, filename = true) with ordinality
            """,
            {"files": files},
        )
        con.execute(
            """
            create or replace temp table _rejected as
            select s.file_path as _path, r.line::bigint as line, r.csv_line, r.error_message
            from _rejects r join _rejects_scan s using (scan_id, file_id)
            """
        )
        if con.execute("select count(*) from _rejected").fetchone()[0]:
            # rejected lines are missing from the numbering of their file: good line k of a file is the k-th line
            # number that was not rejected
            con.execute(
                """
                create or replace temp table _raw_lines as
                with affected as (
                  select _path, count(*) as good from _raw_lines
                  where _path in (select _path from _rejected) group by _path
                ), numbers as (
                  select a._path, unnest(range(1, a.good + (select count(*) from _rejected j where j._path = a._path)
                                              + 1)) as line
                  from affected a
                ), line_map as (
                  select _path, line, row_number() over (partition by _path order by line) as k
                  from numbers anti join _rejected using (_path, line)
                )
                select r.raw, r._path, coalesce(m.line, r._line)::bigint as _line
                from _raw_lines r left join line_map m on m._path = r._path and m.k = r._line
                """
            )
        con.execute(
            f"""
            create or replace temp table _checked as
            with parsed as (
              select _line, raw, n.name as _file,
                     case when not json_valid(raw) then 'malformed JSON'
                          when json_type(raw::json) <> 'OBJECT' then 'not a JSON object' end as _parse_error,
                     case when _parse_error is null then json_transform(raw, '{EVENT_STRUCT}') end as j
              from _raw_lines join _names n on n.path = _raw_lines._path
              where raw is not null and trim(raw) <> ''  -- blank lines are no records (as for read_json)
            )
            select *, coalesce(_parse_error, {_reason_sql()}) as _reason from parsed
            """
        )
        con.unregister("_names")
        events = con.sql(_shape_sql("(select * from _checked where _reason is null)"), params=self._params)
        events = events.to_arrow_table()
        con.register("_names", pa.table({"path": files, "name": names}))
        quarantined = con.sql(
            """
            select 'tracker' as source, _file as file, _line::bigint as line, _reason as reason,
                   replace(left(coalesce(raw, ''), 4096), chr(0), '\\u0000') as raw, $load_id as _load_id
            from _checked where _reason is not null
            union all
            select 'tracker', n.name, r.line, 'not valid UTF-8 text: ' || r.error_message, replace(left(r.csv_line, 4096), chr(0), '\\u0000'),
                   $load_id
            from _rejected r join _names n on n.path = r._path
            order by file, line
            """,
            params={"load_id": self._params["load_id"]},
        ).to_arrow_table()
        per_file = dict(con.execute(
            "select n.name, count(*) from (select _path from _raw_lines where raw is not null and trim(raw) <> '' "
            "union all select _path from _rejected) x join _names n on n.path = x._path group by n.name"
        ).fetchall())
        con.unregister("_names")
        bad = {}
        for row in quarantined.column("file").to_pylist():
            bad[row] = bad.get(row, 0) + 1
        con.execute("drop table if exists _rejects; drop table if exists _rejects_scan")
        stats = [FileStats(n, per_file.get(n, 0), per_file.get(n, 0) - bad.get(n, 0), bad.get(n, 0)) for n in names]
        return ParsedBatch(events=events, quarantined=quarantined, files=stats)


def _empty_quarantine() -> pa.Table:
    return pa.table(
        {
            "source": pa.array([], pa.string()),
            "file": pa.array([], pa.string()),
            "line": pa.array([], pa.int64()),
            "reason": pa.array([], pa.string()),
            "raw": pa.array([], pa.string()),
            "_load_id": pa.array([], pa.string()),
        }
    )
