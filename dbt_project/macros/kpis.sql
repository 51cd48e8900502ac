{#- The standard performance ratios from summed columns, NULL when a denominator is zero:
    ctr = clicks / impressions, cvr = conversions / clicks, cpc = spend / clicks, cpm = 1000 × spend / impressions,
    cpa = spend / conversions, roas = revenue / spend. -#}
{% macro kpis(impressions, clicks, spend, conversions, revenue) -%}
    cast({{ clicks }} as {{ type_double() }}) / nullif({{ impressions }}, 0) as ctr,
    cast({{ conversions }} as {{ type_double() }}) / nullif({{ clicks }}, 0) as cvr,
    cast({{ spend }} as {{ type_double() }}) / nullif({{ clicks }}, 0) as cpc,
    1000 * cast({{ spend }} as {{ type_double() }}) / nullif({{ impressions }}, 0) as cpm,
    cast({{ spend }} as {{ type_double() }}) / nullif({{ conversions }}, 0) as cpa,
    cast({{ revenue }} as {{ type_double() }}) / nullif(cast({{ spend }} as {{ type_double() }}), 0) as roas
{%- endmacro %}

{#- The common tail of the performance marts: given CTEs `spend` (keys + impressions, clicks, spend, and any
    `spend_attributes`) and `credits` (keys + model, conversions, revenue), repeat spend for every attribution model,
    join the credits on the keys and the model, and compute the KPIs. Emits CTEs `models` … `final`. -#}
{% macro spend_and_credits_by_model(keys, spend_attributes=[]) -%}
models as (

    select distinct model from credits

),

spend_by_model as (

    select spend.*, models.model from spend cross join models

),

joined as (

    select
        {%- for key in keys %}
        coalesce(spend_by_model.{{ key }}, credits.{{ key }}) as {{ key }},
        {%- endfor %}
        {%- for attribute in spend_attributes %}
        spend_by_model.{{ attribute }},
        {%- endfor %}
        coalesce(spend_by_model.model, credits.model) as model,
        coalesce(spend_by_model.impressions, 0) as impressions,
        coalesce(spend_by_model.clicks, 0) as clicks,
        coalesce(spend_by_model.spend, 0) as spend,
        coalesce(credits.conversions, 0) as conversions,
        coalesce(credits.revenue, 0) as revenue
    from spend_by_model
    full outer join credits
        on {% for key in keys %}spend_by_model.{{ key }} = credits.{{ key }} and {% endfor -%}
        spend_by_model.model = credits.model

),

final as (

    select
        {%- for column in keys + spend_attributes %}
        {{ column }},
        {%- endfor %}
        model,
        cast(impressions as bigint) as impressions,
        cast(clicks as bigint) as clicks,
        cast(spend as decimal(30, 12)) as spend,
        cast(conversions as {{ type_double() }}) as conversions,
        cast(revenue as {{ type_double() }}) as revenue,
        {{ kpis('impressions', 'clicks', 'spend', 'conversions', 'revenue') }}
    from joined

)
{%- endmacro %}
