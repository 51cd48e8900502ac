{{ config(tags=['after_analytics']) }}
{#- KPIs per day, channel and attribution model (grain: day × channel × model). Spend, impressions and clicks
    come from fct_ad_spend (account-local days) and are the same for every model; conversions and revenue are the
    credits each model gives the channel on the conversion's day, revenue in the reporting currency. Ratios are
    NULL when their denominator is zero. Credits are summed as decimals, so a rebuild gives identical numbers (a
    parallel sum of floats need not). -#}
with spend as (

    select
        report_date as day,
        channel,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        sum(spend_reporting) as spend
    from {{ ref('fct_ad_spend') }}
    group by report_date, channel

),

credits as (

    select
        conversion_date as day,
        channel,
        model,
        sum(cast(credit as decimal(30, 12))) as conversions,
        sum(cast(revenue_credit_reporting as decimal(30, 6))) as revenue
    from {{ ref('fct_attributed_conversions') }}
    group by conversion_date, channel, model

),

{{ spend_and_credits_by_model(['day', 'channel']) }}

select * from final
