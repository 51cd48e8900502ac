{#- The day audiences are measured from: var `audience_as_of_date` when set, else the day of the latest shop order
    (so a rebuild of the same data gives the same audiences). -#}
{% macro audience_as_of_date() -%}
    {%- if var('audience_as_of_date') -%}
    cast('{{ var("audience_as_of_date") }}' as date)
    {%- else -%}
    (select max(order_date) from {{ ref('stg_first_party__orders') }})
    {%- endif -%}
{%- endmacro %}

{#- A 1–5 quintile score of `order_by` (ascending: the largest values score 5) that gives tied values one score,
    the lower one: floor(5 × (rank − 1) / n) + 1, in integer arithmetic so every warehouse agrees. -#}
{% macro quintile_score(order_by) -%}
    cast((5 * (rank() over (order by {{ order_by }}) - 1)
          - mod(5 * (rank() over (order by {{ order_by }}) - 1), count(*) over ()))
         / count(*) over () + 1 as integer)
{%- endmacro %}
