{#- Consent: the periods in which a recorded consent choice is in force, and how two signals combine. -#}

{#- A CTE `name` with one row per consent change of each `subject_column` value (anonymous_id or customer_id):
    `subject`, `valid_from` (the change's timestamp, inclusive), `valid_to` (the subject's next change, exclusive;
    NULL while in force) and the choice. Changes of one subject at the same instant (two devices of a customer)
    merge into the least permissive choice. -#}
{% macro consent_periods(changes, subject_column, name) -%}
{{ name }} as (

    select
        subject,
        valid_from,
        lead(valid_from) over (partition by subject order by valid_from) as valid_to,
        consent_analytics,
        consent_advertising
    from (
        select
            {{ subject_column }} as subject,
            changed_at as valid_from,
            bool_and(consent_analytics) as consent_analytics,
            bool_and(consent_advertising) as consent_advertising
        from {{ changes }}
        where {{ subject_column }} is not null and {{ subject_column }} <> '' and changed_at is not null
        group by {{ subject_column }}, changed_at
    ) as merged

)
{%- endmacro %}

{#- Two consent signals (either may be NULL: no signal) combined: false if either says no, true if one says yes and
    the other does not say no, NULL when neither says anything. -#}
{% macro least_permissive(a, b) -%}
    case
        when {{ a }} is null then {{ b }}
        when {{ b }} is null then {{ a }}
        else ({{ a }} and {{ b }})
    end
{%- endmacro %}

{#- Whether an event's advertising consent admits it to audiences and platform uploads (same rule as analytics:
    var require_explicit_consent decides what no signal means). -#}
{% macro has_advertising_consent(column) -%}
    {{ has_analytics_consent(column) }}
{%- endmacro %}
