with source as (

    select * from {{ source('first_party', 'vendors') }}

)

select
    vendor_id,
    name as vendor_name,
    channel,
    cost_model,
    cast(rate as decimal(18, 6)) as rate,
    upper(currency) as currency,
    timezone
from source
