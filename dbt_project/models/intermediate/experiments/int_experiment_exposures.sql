{#- Who saw which experiment variation, and when: one row per experiment and person with the person's first
    `Experiment Viewed` (its variation and time), the last exposure, and how many distinct variations the person was
    shown (more than one means the assignment leaked across devices or ids; the analysis excludes those people).
    Only events with analytics consent, as for every user-level table (grain: experiment_id × person_id). -#}
with views as (

    select message_id, anonymous_id, event_at, experiment_id, variation_id
    from {{ ref('stg_tracker__events') }}
    where event_type = 'track'
        and event_name = 'Experiment Viewed'
        and experiment_id is not null
        and variation_id is not null
        and anonymous_id is not null
        and {{ has_analytics_consent('consent_analytics') }}

),

identities as (

    select anonymous_id, person_id from {{ ref('int_identities_stitched') }}

),

exposures as (

    select views.*, identities.person_id
    from views
    inner join identities on views.anonymous_id = identities.anonymous_id

),

ranked as (

    select
        *,
        row_number() over (partition by experiment_id, person_id order by event_at, message_id) as exposure_number
    from exposures

),

per_person as (

    select
        experiment_id,
        person_id,
        max(event_at) as last_exposed_at,
        count(*) as exposures,
        count(distinct variation_id) as variations
    from exposures
    group by experiment_id, person_id

),

final as (

    select
        ranked.experiment_id,
        ranked.person_id,
        ranked.variation_id,
        ranked.event_at as first_exposed_at,
        per_person.last_exposed_at,
        per_person.exposures,
        per_person.variations
    from ranked
    inner join per_person
        on ranked.experiment_id = per_person.experiment_id and ranked.person_id = per_person.person_id
    where ranked.exposure_number = 1

)

select * from final
