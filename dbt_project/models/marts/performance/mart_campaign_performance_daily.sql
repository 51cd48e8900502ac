{{ config(tags=['after_analytics']) }}
{#- KPIs per day, channel, campaign and attribution model (grain: day × channel × campaign_id × model). The
    campaign of a conversion credit is its touchpoint's utm_campaign (the platforms' campaign ids by convention,
    see docs/decisions.md); credits without a touchpoint or campaign land on campaign '(none)'. -#}
with spend as (

    select
        report_date as day,
        channel,
        coalesce(campaign_id, '(none)') as campaign_id,
        max(campaign_name) as campaign_name,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        sum(spend_reporting) as spend
    from {{ ref('fct_ad_spend') }}
    group by report_date, channel, coalesce(campaign_id, '(none)')

),

credits as (

    select
        credits.conversion_date as day,
        credits.channel,
        coalesce(touchpoints.utm_campaign, '(none)') as campaign_id,
        credits.model,
        sum(cast(credits.credit as decimal(30, 12))) as conversions,
        sum(cast(credits.revenue_credit_reporting as decimal(30, 6))) as revenue
    from {{ ref('fct_attributed_conversions') }} as credits
    left join {{ ref('fct_touchpoints') }} as touchpoints
        on credits.touchpoint_id = touchpoints.touchpoint_id
    group by credits.conversion_date, credits.channel, coalesce(touchpoints.utm_campaign, '(none)'), credits.model

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
        coalesce(spend_by_model.campaign_id, credits.campaign_id) as campaign_id,
        spend_by_model.campaign_name,
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
        and spend_by_model.campaign_id = credits.campaign_id
        and spend_by_model.model = credits.model

),

final as (

    select
        day,
        channel,
        campaign_id,
        campaign_name,
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
