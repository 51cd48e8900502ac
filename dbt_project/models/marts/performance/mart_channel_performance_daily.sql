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

models as (

    select distinct model from credits

),

spend_by_model as (

    select spend.*, models.model from spend cross join models

),

joined as (

    select
        coalesce(spend_by_model.day, credits.day) as day,
        coalesce(spend_by_model.channel, credits.channel) as channel,
        coalesce(spend_by_model.model, credits.model) as model,
        coalesce(spend_by_model.impressions, 0) as impressions,
        coalesce(spend_by_model.clicks, 0) as clicks,
        coalesce(spend_by_model.spend, 0) as spend,
        coalesce(credits.conversions, 0) as conversions,
        coalesce(credits.revenue, 0) as revenue
    from spend_by_model
    full outer join credits
        on spend_by_model.day = credits.day
        and spend_by_model.channel = credits.channel
        and spend_by_model.model = credits.model

),

final as (

    select
        day,
        channel,
        model,
        cast(impressions as bigint) as impressions,
        cast(clicks as bigint) as clicks,
        cast(spend as decimal(30, 12)) as spend,
        cast(conversions as {{ type_double() }}) as conversions,
        cast(revenue as {{ type_double() }}) as revenue,
        {{ kpis('impressions', 'clicks', 'spend', 'conversions', 'revenue') }}
    from joined

)

select * from final
