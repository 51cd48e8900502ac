{#- Affiliate actions (orders credited to partners). Dates are the program's local dates, as the API writes
    them with the program's UTC offset. -#}
with source as (

    select * from {{ source('affiliate', 'actions') }}

),

renamed as (

    select
        cast(id as {{ dbt.type_string() }}) as action_id,
        cast(oid as {{ dbt.type_string() }}) as order_id,
        cast(media_partner_id as {{ dbt.type_string() }}) as partner_id,
        media_partner_name as partner_name,
        cast(campaign_id as {{ dbt.type_string() }}) as program_id,
        cast(event_day as date) as event_date,
        cast(left(referring_date, 10) as date) as click_date,
        cast(event_date as timestamp with time zone) as event_at,
        cast(referring_date as timestamp with time zone) as clicked_at,
        cast(amount as decimal(18, 6)) as amount,
        cast(payout as decimal(18, 6)) as payout,
        upper(currency) as currency,
        upper(state) as state
    from source

)

select * from renamed
