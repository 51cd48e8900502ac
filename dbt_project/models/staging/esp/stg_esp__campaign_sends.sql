{#- Newsletter sends with their delivery and engagement counts. Cost is not in the API: it is emails_sent × the
    ESP's per-e-mail rate in the vendor list (first_party). -#}
with source as (

    select * from {{ source('esp', 'campaign_reports') }}

),

renamed as (

    select
        cast(id as {{ dbt.type_string() }}) as campaign_id,
        campaign_title,
        cast(left(send_time, 10) as date) as send_date,
        cast(send_time as timestamp with time zone) as sent_at,
        cast(emails_sent as bigint) as emails_sent,
        cast(opens__unique_opens as bigint) as opens,
        cast(opens__opens_total as bigint) as opens_total,
        cast(clicks__unique_clicks as bigint) as clicks,
        cast(clicks__clicks_total as bigint) as clicks_total,
        cast(unsubscribed as bigint) as unsubscribed,
        cast(bounces__hard_bounces as bigint) as hard_bounces
    from source

)

select * from renamed
