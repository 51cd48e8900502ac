{#- Every source's quarantined rows in one place (`quality.quarantined_rows`): what was refused and why.
    A source that never refused a row has no quarantine table yet; it contributes no rows. The refused line is shown
    with e-mails, IPs and user agents masked (the original stays in `raw_<source>`). -#}
{%- set sources = [source('tracker', 'quarantined_rows')] -%}
{%- set existing = [] -%}
{%- for relation in sources -%}
    {%- if load_relation(relation) is not none -%}{%- do existing.append(relation) -%}{%- endif -%}
{%- endfor -%}

{%- if existing | length == 0 %}
select
    cast(null as {{ dbt.type_string() }}) as source,
    cast(null as {{ dbt.type_string() }}) as file,
    cast(null as bigint) as line,
    cast(null as {{ dbt.type_string() }}) as reason,
    cast(null as {{ dbt.type_string() }}) as raw,
    cast(null as {{ dbt.type_string() }}) as load_id
where 1 = 0
{%- else %}
{%- for relation in existing %}
select source, file, line, reason, {{ redact_pii("raw") }} as raw, _load_id as load_id from {{ relation }}
{% if not loop.last %}union all{% endif %}
{%- endfor %}
{%- endif %}
