with source as (

    select * from {{ source('first_party', 'affiliate_terms') }}

)

select
    partner_id,
    partner_name,
    cast(commission_rate as decimal(9, 6)) as commission_rate,
    upper(currency) as currency,
    cookie_window_days,
    valid_from,
    program_id
from source
