with source as (

    select * from {{ source('first_party', 'orders') }}

),

renamed as (

    select
        order_id,
        customer_id,
        email_hash,
        created_at as ordered_at,
        {{ utc_date('created_at') }} as order_date,
        upper(currency) as currency,
        cast(revenue as decimal(18, 4)) as revenue,
        status,
        refunded_at,
        country
    from source

)

select * from renamed
