"""Turn Segment-spec JSON-lines files into typed event rows and quarantined rows, in DuckDB, in one pass.

Each batch of files is read once as lines of text with their position (`read_csv` with a delimiter JSON never
contains unescaped, `WITH ORDINALITY`), every line is parsed once with `json_transform` and checked against the
event contract in the same query, and the result is kept in a temporary table: valid rows become events (one Arrow
table per batch), invalid ones are quarantined with their file, line and reason, and the per-file counts come from
the same table. Lines that are not valid UTF-8
are caught by DuckDB's reject table and quarantined too.

Lines read = valid rows + quarantined rows, per file (reported in `FileStats`). Blank lines are not records and are
skipped, as DuckDB's JSON reader does.
"""

from __future__ import annotations

from dataclasses import dataclass
import hashlib
import json
from typing import Sequence

import duckdb
import pyarrow as pa

#: click ids read from the landing URL (`context.page.url`), in the order they are checked for `click_id_type`
CLICK_IDS = ("gclid", "gbraid", "wbraid", "dclid", "msclkid", "fbclid", "ttclid", "li_fat_id", "irclickid", "sccid")
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
EVENT_TYPES = ("page", "track", "identify", "screen", "alias", "group")
#: the primary key of `events` (never null: the contract quarantines events without it)
EVENT_KEY = "message_id"

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


EVENT_SHAPE: dict[str, object] = {**{k: "VARCHAR" for k in _TOP}, "properties": "JSON", "traits": "JSON",
                                  "context": _CONTEXT}
#: for `json_transform`
EVENT_STRUCT = json.dumps(EVENT_SHAPE)

#: every line of a batch of files as text, numbered in reading order; lines DuckDB cannot read (not UTF-8) land in
#: the `_rejects` tables with their line number. The delimiter never occurs unescaped in JSON, so a line is one value.
_READ_LINES = """read_csv($files, columns = {'raw': 'VARCHAR'}, header = false, delim = '\x01', quote = '', escape = '',
                       auto_detect = false, strict_mode = false, ignore_errors = true, store_rejects = true,
                       rejects_table = '_rejects', rejects_scan = '_rejects_scan', max_line_size = 2097152,
                       filename = true) with ordinality"""


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


def _shape_sql(relation: str) -> str:
    """SQL that turns parsed rows (`j` struct, `_file`) into the raw event row, PII hashed.

    IP addresses repeat, so each distinct one is hashed once beforehand, into `_ips` (see `_IPS_SQL`).
    """
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
             j.context.ip as _ip
      from {relation}
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
        coalesce(j.context.ip_hash, _ips._ip_hash) as ip_hash,
        coalesce(j.context.ip_prefix, _ips._ip_net) as ip_prefix,
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
        $load_id as _load_id
      from parsed left join _ips using (_ip)
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


#: the positions of the valid lines of the staged batch that become events: messageIds new to this run, and of
#: repeats within the batch the first received (then the first file, the earliest event time). Decided on the keys
#: alone, so only the kept rows are shaped. `_seen` holds `md5_number(message_id)` of the valid events of earlier
#: batches (16 bytes each: 160 MB for 10M events; a 128-bit collision between distinct ids is no practical concern).
_KEEP_SQL = """
create or replace temp table _keep as
with keys as (
  select _ord, _file, j.messageId as message_id, try_cast(j.receivedAt as timestamptz) as received_at,
         try_cast(j.timestamp as timestamptz) as event_at
  from _lines where _reason is null and not _blank
), fresh as (
  select k.* from keys k anti join _seen s on s.id = md5_number(k.message_id)
), repeated as (select message_id from fresh group by message_id having count(*) > 1)
select _ord from fresh anti join repeated using (message_id)
union all
select _ord from (select f.* from fresh f semi join repeated using (message_id))
qualify row_number() over (partition by message_id order by received_at nulls last, _file, event_at) = 1
"""

#: each distinct IP address of the staged batch once, with its keyed hash (HMAC-SHA256, RFC 2104) and network prefix
_IPS_SQL = f"""
create or replace temp table _ips as
select _ip, sha256($ip_opad || unhex(sha256($ip_ipad || encode(_ip)))) as _ip_hash, {_ip_prefix_sql("_ip")} as _ip_net
from (select distinct j.context.ip as _ip from _lines where _reason is null and not _blank and j.context.ip is not null)
"""


#: parse every line of a batch once: `_blank` lines are no records; `_reason` is why a line is quarantined (NULL
#: for a valid event); `raw` is kept only for quarantined lines. A valid JSON text is an object exactly when its
#: first non-blank character is `{`, so no second parse is needed to tell objects from other values. Lines are long
#: (about 1 kB), so the common case (a line that starts with `{`) skips the trims, which copy the whole line.
_STAGE_SQL = f"""
create or replace temp table _lines as
with parsed as (
  select raw, l.filename as _path, n.name as _file, l.ordinality as _ord,
         case when starts_with(raw, '{{') then false else raw is null or trim(raw) = '' end as _blank,
         case when _blank then null
              when not json_valid(raw) then 'malformed JSON'
              when starts_with(raw, '{{') then null
              when not starts_with(ltrim(raw, ' ' || chr(9) || chr(10) || chr(13)), '{{') then 'not a JSON object'
         end as _parse_error,
         case when not _blank and _parse_error is null then json_transform(raw, '{EVENT_STRUCT}') end as j
  from {_READ_LINES} l
  join _names n on n.path = l.filename
)
select _path, _file, _ord, _blank, j,
       case when not _blank then coalesce(_parse_error, {_reason_sql()}) end as _reason,
       case when _reason is not null then raw end as raw
from parsed
"""

#: per file: lines read (blank lines excluded), lines quarantined, and where its lines start in the reading order;
#: `contiguous` says the file's lines got consecutive positions, so a line's number is its offset from the first
_FILES_SQL = """
create or replace temp table _files as
with lines as (
  select _path, any_value(_file) as _file, count(*) as positions, count(*) filter (where not _blank) as lines,
         count(*) filter (where _reason is not null) as bad, min(_ord) as first_ord,
         max(_ord) - min(_ord) + 1 = count(*) as contiguous
  from _lines group by _path
), rejected as (select _path, count(*) as rejected from _rejected group by _path)
select n.path as _path, n.name as _file, coalesce(l.positions, 0) as positions,
       coalesce(l.lines, 0) + coalesce(r.rejected, 0) as lines_read,
       coalesce(l.bad, 0) + coalesce(r.rejected, 0) as bad,
       coalesce(r.rejected, 0) as rejected, l.first_ord, coalesce(l.contiguous, true) as contiguous
from _names n left join lines l on l._path = n.path left join rejected r on r._path = n.path
"""

#: quarantined lines with their line number in the file: the offset from the file's first position (or the rank of
#: the position, should a file's positions not be consecutive), then, in files with unreadable lines, the k-th
#: readable line mapped to the k-th line number not rejected (the rejected lines are missing from the positions)
_QUARANTINE_SQL = """
with ranked as (
  select _path, _ord, row_number() over (partition by _path order by _ord) as k
  from _lines where _path in (select _path from _files where not contiguous)
), bad as (
  select l._path, l._file, l._reason, l.raw,
         case when f.contiguous then l._ord - f.first_ord + 1 else r.k end as k
  from _lines l join _files f using (_path) left join ranked r using (_path, _ord)
  where l._reason is not null
), line_map as (
  select _path, line, row_number() over (partition by _path order by line) as k
  from (select _path, unnest(range(1, positions + rejected + 1)) as line from _files where rejected > 0)
  anti join _rejected using (_path, line)
)
select 'tracker' as source, b._file as file, coalesce(m.line, b.k)::bigint as line, b._reason as reason,
       replace(left(coalesce(b.raw, ''), 4096), chr(0), '\\u0000') as raw, $load_id as _load_id
from bad b left join line_map m on m._path = b._path and m.k = b.k
union all
select 'tracker', f._file, r.line, 'not valid UTF-8 text: ' || r.error_message,
       replace(left(r.csv_line, 4096), chr(0), '\\u0000'), $load_id
from _rejected r join _files f using (_path)
order by file, line
"""

#: the events of the staged batch: shaped, PII hashed, first deliveries only
_EVENTS_SQL = _shape_sql("(select j, _file from _lines semi join _keep using (_ord))")


class TrackerParser:
    """Parses batches of local JSON-lines files (plain or gzip) with one DuckDB connection.

    `email_salt` and `ip_key` are secrets: they are passed as bound parameters and never appear in SQL text.
    E-mails become `sha256(salt || ':' || lower(trim(email)))` and IPs the HMAC-SHA256 under `ip_key`, the same
    values `adledger.privacy.hash_email` and `hash_ip` compute, so collector and ingestion pseudonyms agree.

    The connection remembers the messageIds it returned, so a run yields each messageId once. `memory_limit`
    (DuckDB syntax, e.g. `'1GB'`) bounds DuckDB's buffers; beyond it DuckDB spills to its temporary directory.
    """

    def __init__(self, email_salt: str, ip_key: str, threads: int | None = None,
                 memory_limit: str | None = None) -> None:
        self._con = duckdb.connect()
        self._con.execute("set TimeZone = 'UTC'")  # Arrow timestamps tagged `UTC`, as dlt's schema has them
        if threads:
            self._con.execute(f"set threads = {int(threads)}")
        if memory_limit:
            self._con.execute("set memory_limit = $limit", {"limit": memory_limit})
        ipad, opad = hmac_pads(ip_key)
        self._ip_pads = {"ip_ipad": ipad, "ip_opad": opad}
        self._events_params = {"email_salt": email_salt, "load_id": ""}
        self._names: dict[str, str] = {}
        self._con.execute("create temp table _seen (id uhugeint)")

    def close(self) -> None:
        self._con.close()

    def parse(self, files: Sequence[str], names: Sequence[str] | None = None, load_id: str = "") -> ParsedBatch:
        """Parse `files` (local paths) into Arrow; `names` are recorded in `_file` (default: the paths), `load_id`
        in `_load_id`. Timestamps come tagged `UTC`, as dlt's schema has them, so dlt writes the table as it is."""
        self._stage(files, names, load_id)
        events = self._con.sql(_EVENTS_SQL, params=self._events_params).to_arrow_table()
        quarantined, stats = self._accounting()
        return ParsedBatch(events, quarantined, stats)

    def _stage(self, files: Sequence[str], names: Sequence[str] | None, load_id: str) -> None:
        """Read and check every line of `files` into `_lines`, unreadable lines into `_rejected`, counts into
        `_files`."""
        con = self._con
        files = list(files)
        self._events_params["load_id"] = load_id
        con.execute("drop table if exists _rejects; drop table if exists _rejects_scan")
        self._names = dict(zip(files, names or files))
        con.register("_names", pa.table({"path": list(self._names), "name": list(self._names.values())}))
        con.execute(_STAGE_SQL, {"files": files})
        con.execute(
            """
            create or replace temp table _rejected as
            select s.file_path as _path, r.line::bigint as line, r.csv_line, r.error_message
            from _rejects r join _rejects_scan s using (scan_id, file_id)
            """
        )
        con.execute(_FILES_SQL)
        con.execute(_KEEP_SQL)
        con.execute(_IPS_SQL, self._ip_pads)

    def _accounting(self) -> tuple[pa.Table, list[FileStats]]:
        """The quarantined rows and per-file counts of the staged batch; its valid messageIds become seen."""
        con = self._con
        con.execute("insert into _seen select md5_number(j.messageId) from _lines where _reason is null and not _blank")
        quarantined = con.sql(_QUARANTINE_SQL, params={"load_id": self._events_params["load_id"]}).to_arrow_table()
        counts = {path: (lines, bad)
                  for path, lines, bad in con.execute("select _path, lines_read, bad from _files").fetchall()}
        stats = [FileStats(name, counts[path][0], counts[path][0] - counts[path][1], counts[path][1])
                 for path, name in self._names.items()]
        con.unregister("_names")
        con.execute("drop table _lines")
        return quarantined, stats
