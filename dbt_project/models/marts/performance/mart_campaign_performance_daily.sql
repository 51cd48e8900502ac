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

{{ spend_and_credits_by_model(['day', 'channel', 'campaign_id'], ['campaign_name']) }}

select * from final
