{#- Small cross-database helpers (DuckDB default, PostgreSQL) for what dbt's own cross-database macros lack. -#}

{#- Case-insensitive regular-expression match. -#}
{% macro regexp_imatch(value, pattern) -%}
    {{ return(adapter.dispatch('regexp_imatch', 'adledger')(value, pattern)) }}
{%- endmacro %}

{% macro default__regexp_imatch(value, pattern) -%}
    regexp_matches({{ value }}, {{ pattern }}, 'i')
{%- endmacro %}

{% macro postgres__regexp_imatch(value, pattern) -%}
    ({{ value }} ~* {{ pattern }})
{%- endmacro %}

{#- The UTC calendar day of a timestamp with time zone. -#}
{% macro utc_date(ts) -%}
    cast(({{ ts }} at time zone 'UTC') as date)
{%- endmacro %}

{#- A stable text key from several columns (md5 of the values joined by '|', NULL as ''). -#}
{% macro surrogate_key(columns) -%}
    md5({%- for column in columns -%}
        coalesce(cast({{ column }} as {{ dbt.type_string() }}), '') {%- if not loop.last %} || '|' || {% endif -%}
    {%- endfor -%})
{%- endmacro %}

{#- The host of an http(s) URL, or NULL. -#}
{% macro url_host(url) -%}
    {{ return(adapter.dispatch('url_host', 'adledger')(url)) }}
{%- endmacro %}

{% macro default__url_host(url) -%}
    nullif(regexp_extract({{ url }}, '^[a-zA-Z][a-zA-Z0-9+.-]*://([^/?#:]+)', 1), '')
{%- endmacro %}

{% macro postgres__url_host(url) -%}
    substring({{ url }} from '^[a-zA-Z][a-zA-Z0-9+.-]*://([^/?#:]+)')
{%- endmacro %}

{#- Equality that treats two NULLs as equal (portable `is not distinct from`). -#}
{% macro null_safe_equal(left, right) -%}
    ({{ left }} is not distinct from {{ right }})
{%- endmacro %}

{#- Whether an event's analytics consent admits it to user-level tables (see var require_explicit_consent). -#}
{% macro has_analytics_consent(column) -%}
    {%- if var('require_explicit_consent') -%}
    coalesce({{ column }}, false)
    {%- else -%}
    coalesce({{ column }}, true)
    {%- endif -%}
{%- endmacro %}

{#- An 8-byte float on every warehouse (dbt.type_float() is 4 bytes on DuckDB). -#}
{% macro type_double() -%}
    double precision
{%- endmacro %}

{#- `cast(null as <text>) as <name>,` for each name: the spend parts fill the grain columns they do not have. -#}
{% macro null_text_columns(names) -%}
    {%- for name in names %}
        cast(null as {{ dbt.type_string() }}) as {{ name }},
    {%- endfor %}
{%- endmacro %}

{#- The calendar day of a timestamp with time zone in the IANA time zone held by `tz` (a column or a literal). -#}
{% macro local_date(ts, tz) -%}
    cast(({{ ts }} at time zone {{ tz }}) as date)
{%- endmacro %}

{#- `at` falls in the attribution lookback of a conversion at `converted_at`: not after it, and at most
    `attribution_lookback_days` before it. -#}
{% macro within_attribution_lookback(at, converted_at) -%}
    {{ at }} <= {{ converted_at }}
    and {{ at }} >= {{ converted_at }}
        - {{ dbt.safe_cast("'" ~ var('attribution_lookback_days') ~ " days'", 'interval') }}
{%- endmacro %}
