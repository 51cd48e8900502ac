with source as (

    select * from {{ source('first_party', 'fx_rates') }}

)

select
    date as rate_date,
    upper(currency) as currency,
    cast(usd_per_unit as decimal(18, 6)) as usd_per_unit
from source
