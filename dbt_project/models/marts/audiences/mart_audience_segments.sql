{#- Named high-intent pools of first-party customers for advertising audiences (grain: customer_id × segment; a
    customer can be in several). Only customers whose latest advertising-consent signal is a yes, who have a hashed
    e-mail and no erasure request are in any pool; e-mail addresses appear only as the salted SHA-256 email_hash.
    Pools (as of the audience day, macro audience_as_of_date):
      champions       — recency, frequency and monetary scores all 4 or 5
      loyal           — frequency score 4 or 5 (repeat buyers, recent or not)
      at_risk         — frequency or monetary score 4 or 5 but recency score 1 or 2, not yet lapsed
      new_customers   — a single order in the last 30 days
      lapsed          — no order for more than `audience_lapsed_days` days
      cart_abandoners — added to cart or started checkout in the last `audience_cart_window_days` days, no order since -#}
with rfm as (

    select * from {{ ref('int_customers_rfm_scored') }}

),

carts as (

    select * from {{ ref('int_cart_abandoners_identified') }}

),

as_of as (

    select {{ audience_as_of_date() }} as as_of_date

),

pools as (

    select customer_id, 'champions' as segment from rfm
    where recency_score >= 4 and frequency_score >= 4 and monetary_score >= 4
    union all
    select customer_id, 'loyal' as segment from rfm
    where frequency_score >= 4
    union all
    select customer_id, 'at_risk' as segment from rfm
    where (frequency_score >= 4 or monetary_score >= 4) and recency_score <= 2
        and recency_days <= {{ var('audience_lapsed_days') }}
    union all
    select customer_id, 'new_customers' as segment from rfm
    where frequency = 1 and recency_days <= 30
    union all
    select customer_id, 'lapsed' as segment from rfm
    where recency_days > {{ var('audience_lapsed_days') }}
    union all
    select customer_id, 'cart_abandoners' as segment from carts

),

customers as (

    select customer_id, email_hash from {{ ref('stg_first_party__customers') }}

),

consent as (

    select * from {{ ref('int_advertising_consent_resolved') }}

),

erased as (

    select distinct customer_id from {{ ref('stg_first_party__deletion_requests') }} where customer_id is not null

),

final as (

    select
        pools.customer_id,
        pools.segment,
        customers.email_hash,
        as_of.as_of_date,
        rfm.last_order_date,
        rfm.recency_days,
        rfm.frequency,
        rfm.monetary,
        rfm.recency_score,
        rfm.frequency_score,
        rfm.monetary_score,
        carts.last_cart_at,
        consent.consent_at,
        consent.consent_source
    from pools
    cross join as_of
    inner join customers on pools.customer_id = customers.customer_id
    inner join consent on pools.customer_id = consent.customer_id
    left join rfm on pools.customer_id = rfm.customer_id
    left join carts on pools.customer_id = carts.customer_id
    left join erased on pools.customer_id = erased.customer_id
    where consent.consent_advertising
        and customers.email_hash is not null
        and erased.customer_id is null

)

select * from final
