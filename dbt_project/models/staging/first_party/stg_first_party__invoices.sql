with source as (

    select * from {{ source('first_party', 'invoices') }}

)

select
    invoice_id,
    platform,
    account_id,
    cast(month as date) as invoice_month,
    cast(amount as decimal(18, 6)) as amount,
    upper(currency) as currency,
    issued_at
from source
