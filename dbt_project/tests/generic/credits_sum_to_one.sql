{#- Fails for every group (e.g. conversion × model) whose credits do not sum to 1 (within 1e-9). -#}
{% test credits_sum_to_one(model, group_by, column_name='credit') %}
select {{ group_by | join(', ') }}, sum({{ column_name }}) as total_credit
from {{ model }}
group by {{ group_by | join(', ') }}
having abs(sum({{ column_name }}) - 1) > 1e-9
{% endtest %}
