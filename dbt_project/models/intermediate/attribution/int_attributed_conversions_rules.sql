{#- Rule-based attribution (the SQL half of fct_attributed_conversions): for each conversion and model, the credit each touchpoint earns (grain: order_id ×
    model × touchpoint). Credits of a conversion sum to exactly 1 in every model. Models:
      first_touch, last_touch; last_non_direct (the last touch that is not `direct`, else the last touch);
      linear (1/n per touch, so a channel touched twice gets two shares);
      time_decay (weight 0.5 ^ (days before the conversion / half-life), normalized);
      position_based (one touch 100 %; two 50/50; else first and last `position_based_endpoint_share` each, the
      middle sharing the rest equally).
    Conversions without a user-level path (no consent, or no consented touch within the lookback) get one
    aggregate-level credit for the channel of the session they happened in, with no touchpoint, in every model
    (with `exclude_suspected_fraud`, of the latest unflagged session: macro `unflagged_session_channels`). -#}
{%- set endpoint = var('position_based_endpoint_share') -%}
{%- set half_life = var('time_decay_half_life_days') -%}
with paths as (

    select * from {{ ref('int_conversion_paths') }}

),

conversions as (

    select * from {{ ref('fct_conversions') }}

),

last_non_direct as (

    select order_id, max(case when channel <> 'direct' then touch_position end) as position
    from paths
    group by order_id

),

decay as (

    select
        order_id,
        touchpoint_id,
        power(0.5, days_before / {{ half_life }}) as weight
    from paths

),

decay_totals as (

    select order_id, sum(weight) as total_weight from decay group by order_id

),

credits as (

    select order_id, touchpoint_id, channel, touched_at, 'first_touch' as model,
           case when touch_position = 1 then 1.0 else 0.0 end as credit
    from paths

    union all

    select order_id, touchpoint_id, channel, touched_at, 'last_touch',
           case when touch_position = touch_count then 1.0 else 0.0 end
    from paths

    union all

    select paths.order_id, touchpoint_id, channel, touched_at, 'last_non_direct',
           case when paths.touch_position = coalesce(last_non_direct.position, paths.touch_count) then 1.0 else 0.0 end
    from paths
    inner join last_non_direct on paths.order_id = last_non_direct.order_id

    union all

    select order_id, touchpoint_id, channel, touched_at, 'linear', 1.0 / touch_count
    from paths

    union all

    select paths.order_id, paths.touchpoint_id, channel, touched_at, 'time_decay',
           decay.weight / decay_totals.total_weight
    from paths
    inner join decay on paths.order_id = decay.order_id and paths.touchpoint_id = decay.touchpoint_id
    inner join decay_totals on paths.order_id = decay_totals.order_id

    union all

    select order_id, touchpoint_id, channel, touched_at, 'position_based',
           case
               when touch_count = 1 then 1.0
               when touch_count = 2 then 0.5
               when touch_position in (1, touch_count) then {{ endpoint }}
               else (1.0 - 2 * {{ endpoint }}) / (touch_count - 2)
           end
    from paths

),

{%- if var('exclude_suspected_fraud') %}

unflagged_sessions as (

    {{ unflagged_session_channels('conversions') }}

),
{%- endif %}

models as (

    select model from (
        values ('first_touch'), ('last_touch'), ('last_non_direct'), ('linear'), ('time_decay'), ('position_based')
    ) as rule_models (model)

),

unattributed as (

    {#- aggregate-level credit for conversions with no user-level path -#}
    select
        conversions.order_id,
        cast(null as {{ dbt.type_string() }}) as touchpoint_id,
        {%- if var('exclude_suspected_fraud') %}
        coalesce(unflagged_sessions.channel, 'direct') as channel,
        {%- else %}
        coalesce(conversions.session_channel, 'direct') as channel,
        {%- endif %}
        conversions.converted_at as touched_at,
        models.model,
        1.0 as credit
    from conversions
    cross join models
    {%- if var('exclude_suspected_fraud') %}
    left join unflagged_sessions on conversions.order_id = unflagged_sessions.order_id
    {%- endif %}
    where not exists (select 1 from paths where paths.order_id = conversions.order_id)

),

final as (

    select
        all_credits.order_id,
        all_credits.model,
        all_credits.touchpoint_id,
        all_credits.channel,
        all_credits.touched_at,
        conversions.converted_at,
        conversions.conversion_date,
        {#- rounded to 12 decimals: identical on every warehouse, and still summing to 1 within 1e-9 -#}
        cast(round(cast(all_credits.credit as decimal(30, 15)), 12) as {{ type_double() }}) as credit,
        cast(round(cast(all_credits.credit * conversions.revenue as decimal(30, 15)), 6) as {{ type_double() }}) as revenue_credit,
        conversions.currency,
        cast(round(cast(all_credits.credit * conversions.revenue_reporting as decimal(30, 15)), 6) as {{ type_double() }})
            as revenue_credit_reporting,
        all_credits.touchpoint_id is not null as is_user_level
    from (
        select * from credits
        union all
        select * from unattributed
    ) as all_credits
    inner join conversions on all_credits.order_id = conversions.order_id
    where all_credits.credit > 0

)

select * from final
