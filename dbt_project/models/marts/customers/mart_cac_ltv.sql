{#- Customer acquisition cost against lifetime value by acquisition channel and month (grain: cohort_month ×
    channel). CAC = the channel's spend in the month / customers the channel acquired that month (first-touch
    channel); LTV = revenue per customer to date (and at 90 days); payback = the first day after acquisition on
    which the cohort's cumulative revenue per customer reaches CAC (NULL: not yet). -#}
with cohorts as (

    select * from {{ ref('mart_cohort_ltv') }}

),

spend as (

    select
        cast({{ dbt.date_trunc('month', 'report_date') }} as date) as cohort_month,
        channel,
        sum(spend_reporting) as spend
    from {{ ref('fct_ad_spend') }}
    group by cast({{ dbt.date_trunc('month', 'report_date') }} as date), channel

),

daily_revenue as (

    select cast(cohort_month as date) as cohort_month, channel, days_since_acquisition, sum(revenue) as revenue
    from {{ ref('int_customer_orders') }}
    group by cast(cohort_month as date), channel, days_since_acquisition

),

cumulative as (

    select
        daily_revenue.cohort_month,
        daily_revenue.channel,
        daily_revenue.days_since_acquisition,
        sum(daily_revenue.revenue) over (
            partition by daily_revenue.cohort_month, daily_revenue.channel
            order by daily_revenue.days_since_acquisition
            rows between unbounded preceding and current row
        ) / cohorts.customers as revenue_per_customer
    from daily_revenue
    inner join cohorts
        on daily_revenue.cohort_month = cohorts.cohort_month and daily_revenue.channel = cohorts.channel

),

base as (

    select
        cohorts.cohort_month,
        cohorts.channel,
        cohorts.customers,
        coalesce(spend.spend, 0) as spend,
        case when spend.spend is not null then spend.spend / cohorts.customers end as cac,
        cohorts.ltv_90d,
        cohorts.ltv_to_date
    from cohorts
    left join spend on cohorts.cohort_month = spend.cohort_month and cohorts.channel = spend.channel

),

payback as (

    select
        base.cohort_month,
        base.channel,
        min(cumulative.days_since_acquisition) as payback_days
    from base
    inner join cumulative
        on base.cohort_month = cumulative.cohort_month and base.channel = cumulative.channel
    where base.cac is not null and cumulative.revenue_per_customer >= base.cac
    group by base.cohort_month, base.channel

),

final as (

    select
        base.cohort_month,
        base.channel,
        cast(base.customers as bigint) as customers,
        cast(base.spend as decimal(30, 12)) as spend,
        cast(base.cac as decimal(30, 6)) as cac,
        cast(base.ltv_90d as decimal(30, 6)) as ltv_90d,
        cast(base.ltv_to_date as decimal(30, 6)) as ltv,
        cast(base.ltv_to_date / nullif(base.cac, 0) as {{ type_double() }}) as ltv_to_cac,
        cast(payback.payback_days as integer) as payback_days
    from base
    left join payback on base.cohort_month = payback.cohort_month and base.channel = payback.channel

)

select * from final
