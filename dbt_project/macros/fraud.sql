{#- The publisher a click is judged by in the fraud rate rules (click flooding, abnormal conversion rate): the
    affiliate partner (`utm_content` of an affiliate link), else the campaign (`utm_campaign`). Python says the same
    in `adledger.analytics.anomalies.fraud.publisher_of`. -#}
{% macro fraud_publisher(channel, utm_content, utm_campaign) -%}
    case when {{ channel }} = 'affiliate' then {{ utm_content }} else {{ utm_campaign }} end
{%- endmacro %}

{#- With `exclude_suspected_fraud`: for each order of `conversions` (a relation or CTE with order_id, session_id,
    converted_at), the channel of the latest session of the same browser that started at or before the order and
    that no fraud rule flagged. An injected click starts a session seconds before the order, so the order lands in
    it; the session it interrupted is the one the person bought in. Used for conversions without a user-level path,
    which are credited to a session's channel rather than to touchpoints. -#}
{% macro unflagged_session_channels(conversions) -%}
    select order_id, channel
    from (
        select
            {{ conversions }}.order_id,
            earlier.channel,
            row_number() over (
                partition by {{ conversions }}.order_id order by earlier.session_started_at desc, earlier.session_id desc
            ) as recency
        from {{ conversions }}
        inner join {{ ref('int_sessions_classified') }} as own on {{ conversions }}.session_id = own.session_id
        inner join {{ ref('int_sessions_classified') }} as earlier
            on own.anonymous_id = earlier.anonymous_id
            and earlier.session_started_at <= {{ conversions }}.converted_at
        where earlier.session_id not in (
            select session_id from {{ ref('int_sessions_fraud_flagged') }} where is_suspected_fraud
        )
    ) as ranked
    where recency = 1
{%- endmacro %}
