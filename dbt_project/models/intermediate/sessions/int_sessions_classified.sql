{#- One row per session with the channel of its landing event, from the editable `channel_rules` seed:
    the lowest-priority rule whose every non-empty pattern matches wins.
    Incremental per visitor, like int_events_sessionized (after an edit of the channel_rules seed, run with
    --full-refresh so old sessions are classified again). -#}
{{ config(materialized='incremental', unique_key='anonymous_id', incremental_strategy='delete+insert',
          on_schema_change='fail') }}

with all_events as (

    select * from {{ ref('int_events_sessionized') }}

),

events as (

    select all_events.* from all_events
    {%- if is_incremental() %}
    inner join (
        {{ incremental_keys(ref('int_events_sessionized'), 'anonymous_id', row_key='session_id',
                            this_time_column='session_started_at') }}
    ) as recomputed on all_events.anonymous_id = recomputed.anonymous_id
    {%- endif %}

),

session_loads as (

    select session_id, max(load_id) as load_id from events group by session_id

),

rules as (

    select * from {{ ref('channel_rules') }}

),

landings as (

    select * from events where is_session_start

),

signatures as (

    {#- classify each distinct landing signature once, not each session -#}
    select distinct click_id_type, utm_medium, utm_source, referrer_host from landings

),

matches as (

    select
        signatures.*,
        rules.priority,
        rules.channel
    from signatures
    inner join rules
        on (rules.click_id_pattern is null
            or (signatures.click_id_type is not null
                and {{ regexp_imatch('signatures.click_id_type', 'rules.click_id_pattern') }}))
        and (rules.utm_medium_pattern is null
            or (signatures.utm_medium is not null
                and {{ regexp_imatch('signatures.utm_medium', 'rules.utm_medium_pattern') }}))
        and (rules.utm_source_pattern is null
            or (signatures.utm_source is not null
                and {{ regexp_imatch('signatures.utm_source', 'rules.utm_source_pattern') }}))
        and (rules.referrer_host_pattern is null
            or (signatures.referrer_host is not null
                and {{ regexp_imatch('signatures.referrer_host', 'rules.referrer_host_pattern') }}))

),

classified as (

    select click_id_type, utm_medium, utm_source, referrer_host, channel
    from (
        select
            *,
            row_number() over (
                partition by click_id_type, utm_medium, utm_source, referrer_host order by priority
            ) as rule_rank
        from matches
    ) as ranked
    where rule_rank = 1

),

conversions as (

    select
        session_id,
        count(distinct order_id) as conversions,
        sum(revenue) as revenue
    from events
    where is_conversion
    group by session_id

),

final as (

    select
        landings.session_id,
        landings.anonymous_id,
        landings.has_analytics_consent,
        landings.event_at as session_started_at,
        landings.event_date as session_date,
        classified.channel,
        landings.utm_source,
        landings.utm_medium,
        landings.utm_campaign,
        landings.click_id_type,
        landings.click_id,
        coalesce(conversions.conversions, 0) as conversions,
        coalesce(conversions.revenue, 0) as revenue,
        session_loads.load_id
    from landings
    inner join classified
        on {{ null_safe_equal('landings.click_id_type', 'classified.click_id_type') }}
        and {{ null_safe_equal('landings.utm_medium', 'classified.utm_medium') }}
        and {{ null_safe_equal('landings.utm_source', 'classified.utm_source') }}
        and {{ null_safe_equal('landings.referrer_host', 'classified.referrer_host') }}
    left join conversions
        on landings.session_id = conversions.session_id
    inner join session_loads
        on landings.session_id = session_loads.session_id

)

select * from final
