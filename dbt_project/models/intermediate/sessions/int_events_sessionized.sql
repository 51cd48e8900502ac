{#- Assigns every page and track event to a session: a visitor's events with no gap longer than
    `session_timeout_minutes` (default 30, the common web-analytics definition); an event carrying a new ad click id
    (another click than the visitor's previous click) also starts a session, as a new campaign does in web analytics, so
    every ad click is a touchpoint of its own.
    Incremental per visitor: a visitor with new events (macro incremental_keys) is sessionized again
    from their first event, so session numbers and ids equal a full refresh. -#}
{{ config(materialized='incremental', unique_key='anonymous_id', incremental_strategy='delete+insert',
          on_schema_change='fail') }}

with all_events as (

    select * from {{ ref('stg_tracker__events') }}
    where event_type in ('page', 'track') and anonymous_id is not null

),

events as (

    select all_events.* from all_events
    {%- if is_incremental() %}
    {#- a join, not `in (...)`: DuckDB then hashes the few keys, not every event #}
    inner join (
        {{ incremental_keys(ref('stg_tracker__events'), 'anonymous_id', row_key='message_id',
                            where="event_type in ('page', 'track') and anonymous_id is not null") }}
    ) as recomputed on all_events.anonymous_id = recomputed.anonymous_id
    {%- endif %}

),

gaps as (

    select
        *,
        lag(event_at) over (partition by anonymous_id order by event_at, message_id) as previous_event_at,
        {#- the click id of the visitor's previous event that carried one (a return to the landing URL is no new click) -#}
        lag(click_id) over (
            partition by anonymous_id, case when click_id is null then 0 else 1 end order by event_at, message_id
        ) as previous_click_id
    from events

),

flagged as (

    select
        *,
        case
            when previous_event_at is null then 1
            when {{ dbt.datediff('previous_event_at', 'event_at', 'second') }}
                 > {{ var('session_timeout_minutes') }} * 60 then 1
            when click_id is not null and not {{ null_safe_equal('click_id', 'previous_click_id') }} then 1
            else 0
        end as is_session_start
    from gaps

),

numbered as (

    select
        *,
        sum(is_session_start) over (
            partition by anonymous_id order by event_at, message_id rows between unbounded preceding and current row
        ) as session_number
    from flagged

),

final as (

    select
        {{ surrogate_key(['anonymous_id', 'session_number']) }} as session_id,
        session_number,
        message_id,
        anonymous_id,
        {#- who the visitor is only with analytics consent; aggregates need the anonymous id alone -#}
        case when {{ has_analytics_consent('consent_analytics') }} then user_id end as user_id,
        event_type,
        event_name,
        event_at,
        event_date,
        is_session_start = 1 as is_session_start,
        page_url,
        page_referrer,
        referrer_host,
        utm_source,
        utm_medium,
        utm_campaign,
        utm_content,
        utm_term,
        click_id_type,
        click_id,
        is_conversion,
        {{ has_analytics_consent('consent_analytics') }} as has_analytics_consent,
        consent_advertising,
        device_id,
        case when {{ has_analytics_consent('consent_analytics') }} then email_hash end as email_hash,
        order_id,
        revenue,
        currency,
        load_id
    from numbered

)

select * from final
