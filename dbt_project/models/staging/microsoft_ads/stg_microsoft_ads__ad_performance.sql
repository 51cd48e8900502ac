{#- Microsoft Advertising keyword × ad performance per account-local day, in the shared ad-performance shape.
    Match types are upper-cased to read like Google's (EXACT, PHRASE, BROAD). -#}
with source as (

    select * from {{ source('microsoft_ads', 'keyword_stats') }}

),

renamed as (

    select
        cast(time_period as date) as report_date,
        'microsoft_ads' as platform,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        account_name,
        currency_code as account_currency,
        report_time_zone as account_timezone,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        campaign_name,
        cast(ad_group_id as {{ dbt.type_string() }}) as ad_group_id,
        ad_group_name,
        cast(ad_id as {{ dbt.type_string() }}) as ad_id,
        cast(null as {{ dbt.type_string() }}) as ad_name,
        cast(keyword_id as {{ dbt.type_string() }}) as keyword_id,
        keyword as keyword_text,
        upper(bid_match_type) as match_type,
        cast(impressions as bigint) as impressions,
        cast(clicks as bigint) as clicks,
        cast(spend as decimal(18, 6)) as spend,
        cast(conversions as {{ type_double() }}) as platform_conversions,
        cast(revenue as decimal(18, 6)) as platform_conversion_value,
        'cpc' as cost_type,
        'microsoft_ads:KeywordPerformanceReport' as origin
    from source

)

select * from renamed
