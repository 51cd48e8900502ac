{#- Marketing touchpoints: every session with analytics consent, with the person it belongs to and the channel of
    its landing (grain: touchpoint_id = session_id). Sessions without consent stay in aggregates only.
    Incremental per visitor (anonymous id): a visitor is rebuilt when int_sessions_classified has new or late
    sessions of theirs (macro incremental_keys), or when int_identities_stitched now maps them to another person than
    the one their touchpoints carry; a row depends on its session and its visitor's person only, so every other
    visitor's rows equal a full refresh (dbt_project/docs/decisions.md). -#}
{{ config(materialized='incremental', unique_key='anonymous_id', incremental_strategy='delete+insert',
          on_schema_change='fail') }}
with all_sessions as (

    select * from {{ ref('int_sessions_classified') }}
    where has_analytics_consent

),

identities as (

    select anonymous_id, person_id from {{ ref('int_identities_stitched') }}

),

{% if is_incremental() -%}
recomputed as (

    {{ incremental_keys(ref('int_sessions_classified'), 'anonymous_id', row_key='session_id',
                        time_column='session_started_at', this_row_key='touchpoint_id', this_time_column='touched_at',
                        where='has_analytics_consent') }}
    union
    select identities.anonymous_id
    from identities
    inner join (select distinct anonymous_id, person_id from {{ this }}) as current_people
        on identities.anonymous_id = current_people.anonymous_id
    where identities.person_id <> current_people.person_id

),

sessions as (

    select all_sessions.*
    from all_sessions
    inner join recomputed on all_sessions.anonymous_id = recomputed.anonymous_id

),

{% else -%}
sessions as (

    select * from all_sessions

),

{% endif -%}
final as (

    {#- strings cast to the contract's varchar: on PostgreSQL, `||`, lower() and md5() give `text`, and an incremental
        run refuses a column whose type differs from the table's (on_schema_change) -#}
    select
        cast(sessions.session_id as varchar) as touchpoint_id,
        cast(identities.person_id as varchar) as person_id,
        sessions.anonymous_id,
        sessions.channel,
        sessions.session_started_at as touched_at,
        sessions.session_date as touch_date,
        cast(sessions.utm_source as varchar) as utm_source,
        cast(sessions.utm_medium as varchar) as utm_medium,
        sessions.utm_campaign,
        sessions.click_id_type,
        sessions.click_id,
        cast(sessions.load_id as varchar) as load_id
    from sessions
    inner join identities on sessions.anonymous_id = identities.anonymous_id

)

select * from final
