{#- Every customer's advertising consent now (grain: customer_id): the latest signal wins, from the shop's consent
    changes (by customer id, or by the device's anonymous id once that device is known to belong to the customer)
    and from the consent state every tracker event carries (events with a user id, or of a device stitched to
    one). On equal times the consent change wins. A customer without any signal has not consented. -#}
with changes as (

    select * from {{ ref('stg_first_party__consent_changes') }}

),

device_owners as (

    select anonymous_id, max(customer_id) as customer_id
    from (
        select anonymous_id, nullif(customer_id, '') as customer_id from changes
        union all
        select anonymous_id, user_id as customer_id from {{ ref('int_identities_stitched') }}
    ) as owners
    where customer_id is not null
    group by anonymous_id

),

change_signals as (

    select
        coalesce(nullif(changes.customer_id, ''), device_owners.customer_id) as customer_id,
        changes.changed_at as signal_at,
        changes.consent_advertising,
        'consent_changes' as signal_source,
        1 as source_rank,
        changes.anonymous_id as signal_key
    from changes
    left join device_owners on changes.anonymous_id = device_owners.anonymous_id

),

event_signals as (

    select
        coalesce(events.user_id, device_owners.customer_id) as customer_id,
        events.event_at as signal_at,
        events.consent_advertising,
        'tracker' as signal_source,
        2 as source_rank,
        events.message_id as signal_key
    from {{ ref('stg_tracker__events') }} as events
    left join device_owners on events.anonymous_id = device_owners.anonymous_id
    where events.consent_advertising is not null
        and (events.user_id is not null or device_owners.customer_id is not null)

),

signals as (

    select * from change_signals where customer_id is not null and consent_advertising is not null
    union all
    select * from event_signals

),

ranked as (

    select
        *,
        row_number() over (partition by customer_id order by signal_at desc, source_rank, signal_key) as n
    from signals

),

final as (

    select
        customer_id,
        consent_advertising,
        signal_at as consent_at,
        signal_source as consent_source
    from ranked
    where n = 1

)

select * from final
