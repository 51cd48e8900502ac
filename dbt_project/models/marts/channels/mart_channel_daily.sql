{#- Sessions, visitors, conversions and revenue per UTC day and channel (session-scoped: a conversion counts
    for the channel of the session it happened in). -#}
with sessions as (

    select * from {{ ref('int_sessions_classified') }}

),

final as (

    select
        session_date as day,
        channel,
        cast(count(*) as bigint) as sessions,
        cast(count(distinct anonymous_id) as bigint) as visitors,
        cast(sum(conversions) as bigint) as conversions,
        cast(sum(revenue) as decimal(18, 4)) as revenue
    from sessions
    group by session_date, channel

)

select * from final
