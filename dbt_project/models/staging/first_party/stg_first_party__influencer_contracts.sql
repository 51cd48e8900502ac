with source as (

    select * from {{ source('first_party', 'influencer_contracts') }}

)

select
    contract_id,
    handle,
    link_code,
    cast(fee as decimal(18, 6)) as fee,
    upper(currency) as currency,
    signed_date,
    start_date,
    duration_days,
    payment_terms
from source
