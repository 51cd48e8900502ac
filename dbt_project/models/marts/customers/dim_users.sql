{#- One row per person seen by the tracker with analytics consent (grain: person_id): their first touch and its
    channel (the acquisition channel) and, for customers, the acquisition date (first order, from the shop's
    orders when the person is a known customer, else from tracked conversions). -#}
with touchpoints as (

    select * from {{ ref('fct_touchpoints') }}

),

first_touch as (

    select person_id, channel, touched_at
    from (
        select
            person_id,
            channel,
            touched_at,
            row_number() over (partition by person_id order by touched_at, touchpoint_id) as n
        from touchpoints
    ) as ranked
    where n = 1

),

identities as (

    select person_id, max(user_id) as user_id, min(first_seen_at) as first_seen_at, count(*) as devices
    from {{ ref('int_identities_stitched') }}
    group by person_id

),

shop_orders as (

    select customer_id, min(ordered_at) as first_order_at
    from {{ ref('stg_first_party__orders') }}
    group by customer_id

),

tracked_orders as (

    select person_id, min(converted_at) as first_order_at
    from {{ ref('fct_conversions') }}
    where person_id is not null
    group by person_id

),

final as (

    select
        identities.person_id,
        identities.user_id,
        identities.devices,
        identities.first_seen_at,
        first_touch.touched_at as first_touch_at,
        coalesce(first_touch.channel, 'direct') as first_touch_channel,
        coalesce(shop_orders.first_order_at, tracked_orders.first_order_at) as acquired_at,
        {{ utc_date('coalesce(shop_orders.first_order_at, tracked_orders.first_order_at)') }} as acquisition_date
    from identities
    left join first_touch on identities.person_id = first_touch.person_id
    left join shop_orders on identities.user_id = shop_orders.customer_id
    left join tracked_orders on identities.person_id = tracked_orders.person_id

)

select * from final
