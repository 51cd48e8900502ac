{#- The ad platforms' own reports (Google Ads, Microsoft Advertising, Meta, TikTok) in one shape, one row per
    account-local day and their finest delivery unit. -#}
{%- set platforms = ['google_ads', 'microsoft_ads', 'meta_ads', 'tiktok_ads'] -%}
with unioned as (

    {% for platform in platforms -%}
    select * from {{ ref('stg_' ~ platform ~ '__ad_performance') }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        report_date,
        platform as cost_source,
        cast(null as {{ dbt.type_string() }}) as source_channel,
        account_id,
        account_name,
        account_currency,
        account_timezone,
        campaign_id,
        campaign_name,
        ad_group_id,
        ad_group_name,
        ad_id,
        ad_name,
        keyword_id,
        keyword_text,
        match_type,
        impressions,
        clicks,
        spend,
        platform_conversions,
        platform_conversion_value,
        cost_type,
        origin
    from unioned

)

select * from final
