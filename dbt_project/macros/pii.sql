{#- `column` (free text, e.g. a raw quarantined line) with personal data masked: e-mail addresses, IPv4 addresses,
    and the values of the Segment-spec `ip` and `userAgent` fields (IPv6 included). Everything else is kept, so a
    refused line still shows why it was refused. Plain POSIX-style patterns, the same on DuckDB and PostgreSQL. -#}
{% macro redact_pii(column) -%}
    regexp_replace(regexp_replace(regexp_replace(regexp_replace({{ column }},
        '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}', '<email>', 'g'),
        '"(ip|userAgent)"[[:space:]]*:[[:space:]]*"([^"\\]|\\.)*"', '"\1":"<redacted>"', 'g'),
        '[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}', '<ip>', 'g'),
        '(Mozilla|AppleWebKit|Gecko|Chrome|Safari|Opera)/[0-9][^"]*', '<user agent>', 'g')
{%- endmacro %}
