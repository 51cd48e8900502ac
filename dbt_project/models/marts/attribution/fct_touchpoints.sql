{#- Marketing touchpoints: every session with analytics consent, with the person it belongs to and the channel of
    its landing (grain: touchpoint_id = session_id). Sessions without consent stay in aggregates only. -#}
with sessions as (

    select * from {{ ref('int_sessions_classified') }}
    where has_analytics_consent

),

identities as (

    select anonymous_id, person_id from {{ ref('int_identities_stitched') }}

),

final as (

    select
        sessions.session_id as touchpoint_id,
        identities.person_id,
        sessions.anonymous_id,
        sessions.channel,
        sessions.session_started_at as touched_at,
        sessions.session_date as touch_date,
        sessions.utm_source,
        sessions.utm_medium,
        sessions.utm_campaign,
        sessions.click_id_type,
        sessions.click_id
    from sessions
    inner join identities on sessions.anonymous_id = identities.anonymous_id

)

select * from final
