{#- The columns every stg_<platform>__ad_performance model outputs, in one order and with one type each, so the
    spend mart can union the platforms. `columns` maps a contract column to the source expression that fills it;
    a column the platform does not have (Google's ad, the keywords of social platforms) is null of its type. -#}
{% macro ad_performance_columns(platform, columns, cost_type, origin) -%}
    {%- set contract = [
        ('report_date', 'date'),
        ('account_id', 'string'), ('account_name', 'string'), ('account_currency', 'string'),
        ('account_timezone', 'string'),
        ('campaign_id', 'string'), ('campaign_name', 'string'),
        ('ad_group_id', 'string'), ('ad_group_name', 'string'),
        ('ad_id', 'string'), ('ad_name', 'string'),
        ('keyword_id', 'string'), ('keyword_text', 'string'), ('match_type', 'string'),
        ('impressions', 'bigint'), ('clicks', 'bigint'),
        ('spend', 'money'),
        ('platform_conversions', 'double'), ('platform_conversion_value', 'money'),
    ] -%}
    {%- set types = {'date': 'date', 'string': dbt.type_string(), 'bigint': 'bigint',
                     'money': 'decimal(18, 6)', 'double': type_double()} -%}
    {%- for name, kind in contract %}
        cast({{ columns.get(name, 'null') }} as {{ types[kind] }}) as {{ name }},
        {%- if name == 'report_date' %}
        '{{ platform }}' as platform,
        {%- endif %}
    {%- endfor %}
        '{{ cost_type }}' as cost_type,
        '{{ origin }}' as origin
{%- endmacro %}
