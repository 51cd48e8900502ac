{#- RFM scores of every customer with a completed order (grain: customer_id), as of the audience day (macro
    audience_as_of_date): recency = days since the last order, frequency = completed orders, monetary = their
    revenue in the reporting currency, each scored 1–5 by quintile among customers (5 = most recent, most
    frequent, highest spend; ties share the lower score). Orders after the as-of day are ignored. -#}
with as_of as (

    select {{ audience_as_of_date() }} as as_of_date

),

orders as (

    select orders.*
    from {{ ref('int_customer_orders') }} as orders
    cross join as_of
    where orders.order_date <= as_of.as_of_date

),

customers as (

    select
        customer_id,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        count(*) as frequency,
        sum(revenue) as monetary
    from orders
    group by customer_id

),

measured as (

    select
        customers.customer_id,
        as_of.as_of_date,
        customers.first_order_date,
        customers.last_order_date,
        {{ dbt.datediff('customers.last_order_date', 'as_of.as_of_date', 'day') }} as recency_days,
        customers.frequency,
        customers.monetary
    from customers
    cross join as_of

),

final as (

    select
        customer_id,
        as_of_date,
        first_order_date,
        last_order_date,
        cast(recency_days as integer) as recency_days,
        cast(frequency as bigint) as frequency,
        cast(monetary as decimal(30, 6)) as monetary,
        {{ quintile_score('recency_days desc') }} as recency_score,
        {{ quintile_score('frequency') }} as frequency_score,
        {{ quintile_score('monetary') }} as monetary_score
    from measured

)

select * from final
