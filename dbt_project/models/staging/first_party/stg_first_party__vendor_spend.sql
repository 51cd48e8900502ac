with source as (

    select * from {{ source('first_party', 'vendor_spend') }}

)

select
    date as report_date,
    vendor_id,
    campaign_id,
    campaign_name,
    cast(impressions as bigint) as impressions,
    cast(clicks as bigint) as clicks,
    cast(spend as decimal(18, 6)) as spend,
    upper(currency) as currency
from source
