{#- Identified visitors who added to cart or started checkout in the `audience_cart_window_days` days up to the
    audience day and placed no shop order since (grain: customer_id). Only events with analytics consent count
    (as for every user-level table); the visitor is the event's user id, else the user its device was stitched to. -#}
with as_of as (

    select {{ audience_as_of_date() }} as as_of_date

),

identities as (

    select anonymous_id, user_id from {{ ref('int_identities_stitched') }} where user_id is not null

),

carts as (

    select
        coalesce(events.user_id, identities.user_id) as customer_id,
        events.event_at
    from {{ ref('stg_tracker__events') }} as events
    cross join as_of
    left join identities on events.anonymous_id = identities.anonymous_id
    where events.event_type = 'track'
        and events.event_name in ('Product Added', 'Checkout Started')
        and {{ has_analytics_consent('events.consent_analytics') }}
        and events.event_date <= as_of.as_of_date
        and events.event_date > {{ dbt.dateadd('day', -var('audience_cart_window_days'), 'as_of.as_of_date') }}

),

last_carts as (

    select customer_id, max(event_at) as last_cart_at
    from carts
    where customer_id is not null
    group by customer_id

),

orders as (

    select customer_id, max(ordered_at) as last_ordered_at
    from {{ ref('stg_first_party__orders') }}
    group by customer_id

),

final as (

    select
        last_carts.customer_id,
        last_carts.last_cart_at
    from last_carts
    left join orders on last_carts.customer_id = orders.customer_id
    where orders.last_ordered_at is null or orders.last_ordered_at < last_carts.last_cart_at

)

select * from final
