{#- Helpers of the reconciliation marts: how far an observed figure is from the expected one, and whether that is
    within a relative tolerance. Both are NULL when either side is missing. -#}

{#- (observed − expected) / expected as a double; NULL when expected is 0. -#}
{% macro relative_difference(observed, expected) -%}
    cast({{ observed }} - {{ expected }} as {{ type_double() }}) / nullif(cast({{ expected }} as {{ type_double() }}), 0)
{%- endmacro %}

{#- |observed − expected| ≤ tolerance × |expected| (exact on decimals); with expected 0 only observed 0 passes. -#}
{% macro within_tolerance(observed, expected, tolerance) -%}
    case
        when {{ observed }} is null or {{ expected }} is null then null
        else abs({{ observed }} - {{ expected }}) <= {{ tolerance }} * abs({{ expected }})
    end
{%- endmacro %}
