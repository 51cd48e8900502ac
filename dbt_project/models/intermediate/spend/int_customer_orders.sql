{#- Every completed shop order of an acquired customer with its day offset from the customer's first order and its
    revenue in the reporting currency (grain: order_id). Customers the tracker never saw get channel `untracked`. -#}
with orders as (

    select * from {{ ref('stg_first_party__orders') }}
    where status = 'completed'

),

fx as (

    select * from {{ ref('stg_first_party__fx_rates') }}

),

users as (

    select user_id, first_touch_channel from {{ ref('dim_users') }} where user_id is not null

),

firsts as (

    select customer_id, min(order_date) as acquisition_date
    from {{ ref('stg_first_party__orders') }}
    group by customer_id

),

final as (

    select
        orders.order_id,
        orders.customer_id,
        firsts.acquisition_date,
        {{ dbt.date_trunc('month', 'firsts.acquisition_date') }} as cohort_month,
        coalesce(users.first_touch_channel, 'untracked') as channel,
        orders.order_date,
        {{ dbt.datediff('firsts.acquisition_date', 'orders.order_date', 'day') }} as days_since_acquisition,
        cast(orders.revenue * order_fx.usd_per_unit / reporting_fx.usd_per_unit as decimal(30, 12)) as revenue
    from orders
    inner join firsts on orders.customer_id = firsts.customer_id
    left join users on orders.customer_id = users.user_id
    left join fx as order_fx on orders.order_date = order_fx.rate_date and orders.currency = order_fx.currency
    left join fx as reporting_fx
        on orders.order_date = reporting_fx.rate_date and reporting_fx.currency = '{{ var("reporting_currency") }}'

)

select * from final
