{#- For each user-level conversion, the person's touchpoints that started at most `attribution_lookback_days` before
    it and not after it, numbered in time order (grain: order_id × touchpoint_id). With var `exclude_suspected_fraud`,
    touchpoints flagged in `int_sessions_fraud_flagged` are left out before any model credits them. -#}
-- depends_on: {{ ref('int_sessions_fraud_flagged') }}
with conversions as (

    select order_id, person_id, converted_at
    from {{ ref('fct_conversions') }}
    where is_user_level and person_id is not null

),

touchpoints as (

    select touchpoint_id, person_id, channel, touched_at from {{ ref('fct_touchpoints') }}
    {%- if var('exclude_suspected_fraud') %}
    where touchpoint_id not in (
        select session_id from {{ ref('int_sessions_fraud_flagged') }} where is_suspected_fraud
    )
    {%- endif %}

),

joined as (

    select
        conversions.order_id,
        conversions.converted_at,
        touchpoints.touchpoint_id,
        touchpoints.channel,
        touchpoints.touched_at,
        {{ dbt.datediff('touchpoints.touched_at', 'conversions.converted_at', 'second') }} / 86400.0 as days_before
    from conversions
    inner join touchpoints
        on conversions.person_id = touchpoints.person_id
        and {{ within_attribution_lookback('touchpoints.touched_at', 'conversions.converted_at') }}

),

final as (

    select
        *,
        row_number() over (partition by order_id order by touched_at, touchpoint_id) as touch_position,
        count(*) over (partition by order_id) as touch_count
    from joined

)

select * from final
