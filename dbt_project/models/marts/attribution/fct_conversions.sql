{#- One row per order (`Order Completed`, first event per order_id wins), with the session it happened in and, when
    the visitor consented to analytics, the person who placed it (grain: order_id). -#}
with orders as (

    select
        order_id,
        message_id,
        event_at,
        event_date,
        anonymous_id,
        session_id,
        revenue,
        currency,
        has_analytics_consent,
        row_number() over (partition by order_id order by event_at, message_id) as delivery
    from {{ ref('int_events_sessionized') }}
    where is_conversion

),

sessions as (

    select session_id, channel from {{ ref('int_sessions_classified') }}

),

identities as (

    select anonymous_id, person_id from {{ ref('int_identities_stitched') }}

),

fx as (

    select * from {{ ref('stg_first_party__fx_rates') }}

),

firsts as (

    select * from orders where delivery = 1

),

final as (

    select
        firsts.order_id,
        firsts.message_id,
        firsts.event_at as converted_at,
        firsts.event_date as conversion_date,
        case when firsts.has_analytics_consent then identities.person_id end as person_id,
        firsts.session_id,
        sessions.channel as session_channel,
        cast(firsts.revenue as decimal(18, 4)) as revenue,
        firsts.currency,
        cast(firsts.revenue * order_fx.usd_per_unit / reporting_fx.usd_per_unit as decimal(30, 12)) as revenue_reporting,
        firsts.has_analytics_consent as is_user_level,
        case
            when not firsts.has_analytics_consent or identities.person_id is null then null
            else row_number() over (
                partition by case when firsts.has_analytics_consent then identities.person_id end
                order by firsts.event_at, firsts.order_id
            ) = 1
        end as is_first_order
    from firsts
    left join sessions on firsts.session_id = sessions.session_id
    left join identities on firsts.anonymous_id = identities.anonymous_id
    left join fx as order_fx
        on firsts.event_date = order_fx.rate_date and firsts.currency = order_fx.currency
    left join fx as reporting_fx
        on firsts.event_date = reporting_fx.rate_date and reporting_fx.currency = '{{ var("reporting_currency") }}'

)

select * from final
