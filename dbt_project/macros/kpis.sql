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
