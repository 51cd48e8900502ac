{#- Each order's last ad click (grain: order_id): the latest session of the same browser (anonymous id) that landed
    from an ad click id or a tagged campaign link, at most `attribution_lookback_days` before the order and not after
    it, with its channel, its publisher (macro `fraud_publisher`) and the click-to-order time in seconds (CTIT, the
    statistic of the click-flooding rule in `int_click_flooding_sources`). Orders without such a click are left out.
    The light ledger of `adledger.analytics.anomalies.world` computes the same from a world's files. -#}
with events as (

    select * from {{ ref('int_events_sessionized') }}

),

sessions as (

    select * from {{ ref('int_sessions_classified') }}
    where click_id is not null or utm_source is not null or utm_medium is not null

),

landings as (

    select session_id, utm_content from events where is_session_start

),

clicks as (

    select
        sessions.session_id,
        sessions.anonymous_id,
        sessions.session_started_at as clicked_at,
        sessions.channel,
        {{ fraud_publisher('sessions.channel', 'landings.utm_content', 'sessions.utm_campaign') }} as publisher
    from sessions
    inner join landings on sessions.session_id = landings.session_id

),

orders as (

    select order_id, anonymous_id, converted_at
    from (
        select
            order_id,
            anonymous_id,
            event_at as converted_at,
            row_number() over (partition by order_id order by event_at, message_id) as delivery
        from events
        where is_conversion and order_id is not null
    ) as deliveries
    where delivery = 1

),

candidates as (

    select
        orders.order_id,
        orders.converted_at,
        clicks.session_id,
        clicks.clicked_at,
        clicks.channel,
        clicks.publisher,
        row_number() over (
            partition by orders.order_id order by clicks.clicked_at desc, clicks.session_id desc
        ) as recency
    from orders
    inner join clicks
        on orders.anonymous_id = clicks.anonymous_id
        and {{ within_attribution_lookback('clicks.clicked_at', 'orders.converted_at') }}

),

final as (

    select
        order_id,
        converted_at,
        session_id,
        clicked_at,
        channel,
        publisher,
        {{ dbt.datediff('clicked_at', 'converted_at', 'second') }} as seconds_to_order
    from candidates
    where recency = 1

)

select * from final
