{{ config(tags=['after_analytics']) }}
{#- Credit per conversion, attribution model and touchpoint: the rule-based models computed in SQL
    (int_attributed_conversions_rules) and the data-driven models (markov, shapley) computed in Python by the
    analytics assets into analytics.attribution_credits (absent until those assets first ran). -#}
{#- The data-driven part's refs sit inside a conditional dbt cannot see when parsing; these hints declare them. -#}
-- depends_on: {{ ref('fct_conversions') }}
-- depends_on: {{ ref('fct_touchpoints') }}
{% set data_driven = load_relation(source('analytics', 'attribution_credits')) -%}
with rules as (

    select
        order_id, model, touchpoint_id, channel, touched_at, converted_at, conversion_date, credit,
        revenue_credit, currency, revenue_credit_reporting, is_user_level
    from {{ ref('int_attributed_conversions_rules') }}

){% if data_driven is not none %},

data_driven as (

    select
        credits.order_id,
        credits.model,
        credits.touchpoint_id,
        credits.channel,
        touchpoints.touched_at,
        conversions.converted_at,
        conversions.conversion_date,
        cast(round(cast(credits.credit as decimal(30, 15)), 12) as {{ type_double() }}) as credit,
        cast(round(cast(credits.credit * conversions.revenue as decimal(30, 15)), 6) as {{ type_double() }})
            as revenue_credit,
        conversions.currency,
        cast(round(cast(credits.credit * conversions.revenue_reporting as decimal(30, 15)), 6) as {{ type_double() }})
            as revenue_credit_reporting,
        credits.touchpoint_id is not null as is_user_level
    from {{ data_driven }} as credits
    inner join {{ ref('fct_conversions') }} as conversions on credits.order_id = conversions.order_id
    left join {{ ref('fct_touchpoints') }} as touchpoints on credits.touchpoint_id = touchpoints.touchpoint_id
    where credits.credit > 0

){% endif %}

select * from rules
{% if data_driven is not none -%}
union all
select * from data_driven
{%- endif %}
