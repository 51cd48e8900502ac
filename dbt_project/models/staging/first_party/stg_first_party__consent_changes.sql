with source as (

    select * from {{ source('first_party', 'consent_changes') }}

)

select
    customer_id,
    anonymous_id,
    changed_at,
    advertising as consent_advertising,
    analytics as consent_analytics,
    functional as consent_functional
from source
