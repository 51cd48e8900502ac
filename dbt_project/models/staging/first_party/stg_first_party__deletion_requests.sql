with source as (

    select * from {{ source('first_party', 'deletion_requests') }}

)

select
    request_id,
    customer_id,
    email_hash,
    requested_at,
    type as request_type
from source
