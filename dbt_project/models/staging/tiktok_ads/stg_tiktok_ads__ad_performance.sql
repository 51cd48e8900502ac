{#- TikTok ad performance per advertiser-local day, in the shared ad-performance shape (advertiser → account;
    no keywords; the report carries no conversion value). -#}
with source as (

    select * from {{ source('tiktok_ads', 'ad_report') }}

),

renamed as (

    select
        cast(stat_date as date) as report_date,
        'tiktok_ads' as platform,
        cast(advertiser_id as {{ dbt.type_string() }}) as account_id,
        advertiser_name as account_name,
        currency as account_currency,
        advertiser_timezone as account_timezone,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        campaign_name,
        cast(adgroup_id as {{ dbt.type_string() }}) as ad_group_id,
        adgroup_name as ad_group_name,
        cast(ad_id as {{ dbt.type_string() }}) as ad_id,
        ad_name,
        cast(null as {{ dbt.type_string() }}) as keyword_id,
        cast(null as {{ dbt.type_string() }}) as keyword_text,
        cast(null as {{ dbt.type_string() }}) as match_type,
        cast(impressions as bigint) as impressions,
        cast(clicks as bigint) as clicks,
        cast(spend as decimal(18, 6)) as spend,
        cast(conversion as {{ type_double() }}) as platform_conversions,
        cast(null as decimal(18, 6)) as platform_conversion_value,
        'cpm' as cost_type,
        'tiktok_ads:report/integrated' as origin
    from source

)

select * from renamed
