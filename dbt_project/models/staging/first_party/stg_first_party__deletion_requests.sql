{#- Erasure requests with when they were carried out (`erased_at`, NULL while pending). The audit table is written
    by the erasure asset; before its first run there is none and every request is pending. -#}
{%- set audit_relation = source('privacy', 'erasure_audit') -%}
with source as (

    select * from {{ source('first_party', 'deletion_requests') }}

),

audit as (

{%- if load_relation(audit_relation) is not none %}
    select request_id, min(done_at) as erased_at
    from {{ audit_relation }}
    group by request_id
{%- else %}
    select cast(null as {{ dbt.type_string() }}) as request_id, cast(null as {{ dbt.type_timestamp() }}) as erased_at
    where 1 = 0
{%- endif %}

)

select
    source.request_id,
    source.customer_id,
    source.email_hash,
    source.requested_at,
    source.type as request_type,
    audit.erased_at
from source
left join audit on source.request_id = audit.request_id
