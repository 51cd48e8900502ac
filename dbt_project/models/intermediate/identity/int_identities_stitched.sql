{#- Every anonymous id (a browser or app install) mapped to a person. A person is a known user id when the
    anonymous id was ever seen with one (identify or any event carrying userId), or when it identified with an
    e-mail hash that another device identified with a user id (cross-device through the hashed e-mail); else the
    anonymous id itself. The first link in time wins. Only events with analytics consent build the graph. -#}
with events as (

    select anonymous_id, user_id, email_hash, event_at, message_id
    from {{ ref('stg_tracker__events') }}
    where anonymous_id is not null and {{ has_analytics_consent('consent_analytics') }}

),

user_links as (

    select anonymous_id, user_id, event_at, 'user_id' as link_type
    from events
    where user_id is not null

),

email_owner as (

    {#- the first user id each e-mail hash identified with -#}
    select email_hash, user_id
    from (
        select
            email_hash,
            user_id,
            row_number() over (partition by email_hash order by event_at, message_id) as n
        from events
        where email_hash is not null and user_id is not null
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

    select anonymous_id, min(event_at) as first_seen_at
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
        anonymous_ids.first_seen_at
    from anonymous_ids
    left join first_link on anonymous_ids.anonymous_id = first_link.anonymous_id

)

select * from final
