{#- Tracker events renamed and typed, with the consent in force when each event happened (grain: message_id).

    `consent_analytics` / `consent_advertising` combine the event's own signal (the browser's CMP state it carried)
    with the latest recorded consent change (`stg_first_party__consent_changes`) of its visitor at or before
    `event_at`: a change applies from its timestamp on, never to earlier events. A change is the visitor's when it
    names the event's anonymous id, or its customer id equals the event's user id (the customer's other, logged-in
    devices); when both kinds match, the later change wins. Where the event and the change disagree the less
    permissive wins (consent is given only when every signal we hold gives it). The consent is decided when the
    event is staged: a change recorded after its events were staged reaches them with a full refresh.

    Incremental: raw_tracker.events is insert-only (deduplicated on messageId at ingestion), so each run adds the
    rows of the loads newer than the newest load already here; keyed on message_id so a rerun never duplicates.
    The depends_on line makes the erasure asset (which cleans raw_tracker before staging reads it) a parent of this
    model in every dbt step, whatever the step's selection. -#}
-- depends_on: {{ source('privacy', 'erasure_audit') }}
{{ config(materialized='incremental', unique_key='message_id', incremental_strategy='delete+insert',
          on_schema_change='fail') }}

with source as (

    select * from {{ source('tracker', 'events') }}
    {% if is_incremental() -%}
    where _load_id > (select coalesce(max(load_id), '') from {{ this }})
    {%- endif %}

),

changes as (

    select * from {{ ref('stg_first_party__consent_changes') }}

),

{{ consent_periods('changes', 'anonymous_id', 'by_anonymous_id') }},

{{ consent_periods('changes', 'customer_id', 'by_customer_id') }},

consented as (

    select
        source.*,
        case
            when by_customer_id.valid_from is not null
                and (by_anonymous_id.valid_from is null or by_customer_id.valid_from > by_anonymous_id.valid_from)
                then by_customer_id.consent_analytics
            else by_anonymous_id.consent_analytics
        end as recorded_analytics,
        case
            when by_customer_id.valid_from is not null
                and (by_anonymous_id.valid_from is null or by_customer_id.valid_from > by_anonymous_id.valid_from)
                then by_customer_id.consent_advertising
            else by_anonymous_id.consent_advertising
        end as recorded_advertising
    from source
    left join by_anonymous_id
        on source.anonymous_id = by_anonymous_id.subject
        and source.event_at >= by_anonymous_id.valid_from
        and (by_anonymous_id.valid_to is null or source.event_at < by_anonymous_id.valid_to)
    left join by_customer_id
        on source.user_id = by_customer_id.subject
        and source.event_at >= by_customer_id.valid_from
        and (by_customer_id.valid_to is null or source.event_at < by_customer_id.valid_to)

),

renamed as (

    select
        message_id,
        event_type,
        event_name,
        event_at,
        {{ utc_date('event_at') }} as event_date,
        received_at,
        anonymous_id,
        user_id,
        device_id,
        page_url,
        page_path,
        page_referrer,
        lower({{ url_host('page_referrer') }}) as referrer_host,
        lower(utm_source) as utm_source,
        lower(utm_medium) as utm_medium,
        utm_campaign,
        utm_content,
        utm_term,
        click_id_type,
        coalesce(gclid, gbraid, wbraid, dclid, msclkid, fbclid, ttclid, li_fat_id, irclickid, sccid) as click_id,
        ip_hash,
        ip_prefix,
        {{ least_permissive('consent_advertising', 'recorded_advertising') }} as consent_advertising,
        {{ least_permissive('consent_analytics', 'recorded_analytics') }} as consent_analytics,
        email_hash,
        order_id,
        cast(revenue as decimal(18, 4)) as revenue,
        currency,
        experiment_id,
        variation_id,
        event_type = 'track' and event_name = 'Order Completed' as is_conversion,
        _file as source_file,
        _load_id as load_id
    from consented

)

select * from renamed
