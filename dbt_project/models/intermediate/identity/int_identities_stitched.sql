{#- Every anonymous id (a browser or app install) mapped to a person. A person is a known user id when the
    anonymous id was ever seen with one (identify or any event carrying userId), or when it identified with an
    e-mail hash that another device identified with a user id (cross-device through the hashed e-mail); else the
    anonymous id itself. The first link in time wins. Only events with analytics consent build the graph.
    Incremental per anonymous id: an id is recomputed when it has consented events from a load newer than the
    newest load here, and so is every id that shares an e-mail hash with such an id (a new event can change which
    user owns a hash, and with it the person of every device that identified with it); each e-mail's owner is
    ranked over all its events. Other ids cannot change, so the rows equal a full refresh
    (dbt_project/docs/decisions.md). -#}
{{ config(materialized='incremental', unique_key='anonymous_id', incremental_strategy='delete+insert',
          on_schema_change='fail') }}
with all_events as not materialized (

    select anonymous_id, user_id, email_hash, event_at, message_id, load_id
    from {{ ref('stg_tracker__events') }}
    where anonymous_id is not null and {{ has_analytics_consent('consent_analytics') }}

),

{% if is_incremental() -%}
new_ids as (

    {{ incremental_keys('all_events', 'anonymous_id', row_key=none) }}

),

new_hashes as (

    select distinct all_events.email_hash
    from all_events
    inner join new_ids on all_events.anonymous_id = new_ids.anonymous_id
    where all_events.email_hash is not null

),

recomputed as (

    select anonymous_id from new_ids
    union
    select all_events.anonymous_id
    from all_events
    inner join new_hashes on all_events.email_hash = new_hashes.email_hash

),

events as (

    select all_events.*
    from all_events
    inner join recomputed on all_events.anonymous_id = recomputed.anonymous_id

),

{% else -%}
events as (

    select * from all_events

),

{% endif -%}
user_links as (

    select anonymous_id, user_id, event_at, 'user_id' as link_type
    from events
    where user_id is not null

),

email_owner as (

    {#- the first user id each e-mail hash identified with, over every event with the hash -#}
    select email_hash, user_id
    from (
        select
            email_hash,
            user_id,
            row_number() over (partition by email_hash order by event_at, message_id) as n
        from all_events
        where email_hash is not null and user_id is not null
        {%- if is_incremental() %}
            and email_hash in (select email_hash from events where email_hash is not null)
        {%- endif %}
    ) as ranked
    where n = 1

),

email_links as (

    select events.anonymous_id, email_owner.user_id, events.event_at, 'email_hash' as link_type
    from events
    inner join email_owner on events.email_hash = email_owner.email_hash
    where events.user_id is null

),

links as (

    select * from user_links
    union all
    select * from email_links

),

first_link as (

    select anonymous_id, user_id, link_type, event_at as linked_at
    from (
        select
            *,
            row_number() over (partition by anonymous_id order by event_at, link_type desc, user_id) as n
        from links
    ) as ranked
    where n = 1

),

anonymous_ids as (

    select anonymous_id, min(event_at) as first_seen_at, max(load_id) as load_id
    from events
    group by anonymous_id

),

final as (

    select
        anonymous_ids.anonymous_id,
        case
            when first_link.user_id is not null then 'user:' || first_link.user_id
            else 'anon:' || anonymous_ids.anonymous_id
        end as person_id,
        first_link.user_id,
        coalesce(first_link.link_type, 'none') as link_type,
        first_link.linked_at,
        anonymous_ids.first_seen_at,
        anonymous_ids.load_id
    from anonymous_ids
    left join first_link on anonymous_ids.anonymous_id = first_link.anonymous_id

)

select * from final
