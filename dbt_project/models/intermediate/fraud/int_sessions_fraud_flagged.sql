{#- Per-click fraud flags: one row per session that came from an ad click or a tagged campaign link (grain:
    session_id = touchpoint_id), with the rules it breaks. Rules follow the mobile measurement partners' published
    fraud rules (docs/anomalies.md): a landing from a datacenter network (seed `datacenter_ip_prefixes`, matched on
    the first two octets of the stored /24 prefix), a robot user agent (seed `bot_user_agents`, flagged in `stg_tracker__event_user_agents`),
    and click injection: a click whose session converts at most `click_injection_max_seconds` after it (a person
    cannot land, browse, fill a cart and pay that fast). Click flooding is a verdict on a publisher, not a click
    (`int_click_flooding_sources`): every click of a flooding publisher is flagged. The other rate rules (bursts per
    IP prefix or device, abnormal CTR/CVR) need counts over time and are scored in Python
    (`adledger.analytics.anomalies.fraud`). With var `exclude_suspected_fraud`, `int_conversion_paths` drops the
    flagged sessions before attribution.
    Incremental per visitor, like int_sessions_classified: a visitor with new or late sessions (macro
    incremental_keys) has every flagged session recomputed, each from its own events only, and so has a visitor with
    a session whose publisher's flooding verdict changed since it was stored, so the rows equal a full refresh
    (after an edit of the datacenter_ip_prefixes or bot_user_agents seed, run with --full-refresh). -#}
{{ config(materialized='incremental', unique_key='anonymous_id', incremental_strategy='delete+insert',
          on_schema_change='fail') }}
{%- set tagged = 'click_id is not null or utm_source is not null or utm_medium is not null' %}

with flooding as (

    select channel, publisher from {{ ref('int_click_flooding_sources') }} where is_click_flooding

),

sessions as (

    select all_sessions.* from {{ ref('int_sessions_classified') }} as all_sessions
    {%- if is_incremental() %}
    inner join (
        {{ incremental_keys(ref('int_sessions_classified'), 'anonymous_id', row_key='session_id',
                            time_column='session_started_at', where=tagged) }}
        union
        {#- visitors with a session whose publisher's flooding verdict is not the one stored with it #}
        select distinct stored.anonymous_id
        from {{ this }} as stored
        left join flooding
            on stored.channel = flooding.channel
            and {{ fraud_publisher('stored.channel', 'stored.utm_content', 'stored.utm_campaign') }}
                = flooding.publisher
        where stored.is_click_flooding <> (flooding.publisher is not null)
    ) as recomputed on all_sessions.anonymous_id = recomputed.anonymous_id
    {%- endif %}
    where ({{ tagged }})

),

events as (

    select all_events.* from {{ ref('int_events_sessionized') }} as all_events
    {%- if is_incremental() %}
    inner join (select distinct anonymous_id from sessions) as recomputed
        on all_events.anonymous_id = recomputed.anonymous_id
    {%- endif %}

),

landing_events as (

    select session_id, message_id, device_id from events where is_session_start

),

landing_context as (

    {#- only the landings' events: the user-agent flags are grouped for those rows, not for every event -#}
    select tracked.message_id, tracked.utm_content, tracked.ip_prefix, agents.is_bot_user_agent
    from {{ ref('stg_tracker__events') }} as tracked
    left join (
        select message_id, max(case when is_bot_user_agent then 1 else 0 end) = 1 as is_bot_user_agent
        from {{ ref('stg_tracker__event_user_agents') }}
        where message_id in (select message_id from landing_events)
        group by message_id
    ) as agents on tracked.message_id = agents.message_id
    where tracked.message_id in (select message_id from landing_events)

),

datacenters as (

    select * from {{ ref('datacenter_ip_prefixes') }}

),

landings as (

    select
        landing_events.session_id,
        landing_events.device_id,
        landing_context.utm_content,
        landing_context.ip_prefix,
        landing_context.is_bot_user_agent
    from landing_events
    inner join landing_context on landing_events.message_id = landing_context.message_id

),

session_events as (

    select
        session_id,
        count(*) as events,
        min(case when is_conversion then event_at end) as first_converted_at
    from events
    group by session_id

),

datacenter_landings as (

    select distinct landings.session_id, datacenters.provider
    from landings
    inner join datacenters
        on landings.ip_prefix like '%.%.%.%'
        and cast({{ dbt.split_part('landings.ip_prefix', "'.'", 1) }} as integer) = datacenters.first_octet
        and cast({{ dbt.split_part('landings.ip_prefix', "'.'", 2) }} as integer)
            between datacenters.second_octet_low and datacenters.second_octet_high

),

flagged as (

    select
        sessions.session_id,
        sessions.anonymous_id,
        landings.device_id,
        sessions.session_started_at,
        sessions.session_date,
        sessions.channel,
        sessions.utm_source,
        sessions.utm_medium,
        sessions.utm_campaign,
        landings.utm_content,
        sessions.click_id_type,
        landings.ip_prefix,
        datacenter_landings.provider as datacenter_provider,
        session_events.events,
        {{ dbt.datediff('sessions.session_started_at', 'session_events.first_converted_at', 'second') }}
            as seconds_to_conversion,
        datacenter_landings.session_id is not null as is_datacenter_ip,
        coalesce(landings.is_bot_user_agent, false) as is_bot_user_agent,
        coalesce(
            {{ dbt.datediff('sessions.session_started_at', 'session_events.first_converted_at', 'second') }}
                <= {{ var('click_injection_max_seconds') }},
            false
        ) as is_click_injection,
        flooding.publisher is not null as is_click_flooding,
        sessions.load_id
    from sessions
    left join landings on sessions.session_id = landings.session_id
    left join session_events on sessions.session_id = session_events.session_id
    left join datacenter_landings on sessions.session_id = datacenter_landings.session_id
    left join flooding
        on sessions.channel = flooding.channel
        and {{ fraud_publisher('sessions.channel', 'landings.utm_content', 'sessions.utm_campaign') }}
            = flooding.publisher

),

final as (

    select
        *,
        is_datacenter_ip or is_bot_user_agent or is_click_injection or is_click_flooding as is_suspected_fraud
    from flagged

)

select * from final
