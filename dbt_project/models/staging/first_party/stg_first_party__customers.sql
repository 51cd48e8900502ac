with source as (

    select * from {{ source('first_party', 'customers') }}

)

select
    customer_id,
    email_hash,
    country,
    created_at as registered_at,
    marketing_opt_in
from source
