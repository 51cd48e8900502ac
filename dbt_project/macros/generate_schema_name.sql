{#- Models land in the schema their folder names (staging, intermediate, marts, quality), not <target>_<schema>:
    BI tools and the published snapshot address `marts.<table>` on every target. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
