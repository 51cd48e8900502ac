{#- Revenue per acquired customer 30, 90, 180 and 365 days after the first order, by acquisition month and
    acquisition channel (grain: cohort_month × channel). A window is complete only when every customer of the cohort
    has been a customer that long by the last order day in the data (`ltv_<n>d_complete`). -#}
with orders as (

    select * from {{ ref('int_customer_orders') }}

),

horizon as (

    select max(order_date) as last_day from orders

),

customers as (

    select cohort_month, channel, customer_id, max(acquisition_date) as acquisition_date
    from orders
    group by cohort_month, channel, customer_id

),

cohorts as (

    select
        cohort_month,
        channel,
        count(*) as customers,
        max(acquisition_date) as last_acquisition_date
    from customers
    group by cohort_month, channel

),

revenue as (

    select
        cohort_month,
        channel,
        {%- for days in [30, 90, 180, 365] %}
        sum(case when days_since_acquisition < {{ days }} then revenue else 0 end) as revenue_{{ days }}d,
        {%- endfor %}
        sum(revenue) as revenue_to_date
    from orders
    group by cohort_month, channel

),

final as (

    select
        cast(cohorts.cohort_month as date) as cohort_month,
        cohorts.channel,
        cast(cohorts.customers as bigint) as customers,
        {%- for days in [30, 90, 180, 365] %}
        cast(revenue.revenue_{{ days }}d / cohorts.customers as decimal(30, 6)) as ltv_{{ days }}d,
        {{ dbt.datediff('cohorts.last_acquisition_date', 'horizon.last_day', 'day') }} >= {{ days - 1 }}
            as ltv_{{ days }}d_complete,
        {%- endfor %}
        cast(revenue.revenue_to_date / cohorts.customers as decimal(30, 6)) as ltv_to_date
    from cohorts
    inner join revenue on cohorts.cohort_month = revenue.cohort_month and cohorts.channel = revenue.channel
    cross join horizon

)

select * from final
