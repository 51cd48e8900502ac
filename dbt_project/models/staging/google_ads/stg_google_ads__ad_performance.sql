{#- Google Ads keyword performance per customer-local day, in the shared ad-performance shape. Google reports
    cost per keyword or per ad, never per ad × keyword: this model keeps the keyword grain (ad_id is null). -#}
with source as (

    select * from {{ source('google_ads', 'keyword_stats') }}

),

renamed as (

    select
        cast(date as date) as report_date,
        'google_ads' as platform,
        cast(customer_id as {{ dbt.type_string() }}) as account_id,
        customer_name as account_name,
        currency_code as account_currency,
        time_zone as account_timezone,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        campaign_name,
        cast(ad_group_id as {{ dbt.type_string() }}) as ad_group_id,
        ad_group_name,
        cast(null as {{ dbt.type_string() }}) as ad_id,
        cast(null as {{ dbt.type_string() }}) as ad_name,
        cast(criterion_id as {{ dbt.type_string() }}) as keyword_id,
        keyword_text,
        match_type,
        cast(impressions as bigint) as impressions,
        cast(clicks as bigint) as clicks,
        cast(cost_micros * 0.000001 as decimal(18, 6)) as spend,
        cast(conversions as {{ type_double() }}) as platform_conversions,
        cast(conversions_value as decimal(18, 6)) as platform_conversion_value,
        'cpc' as cost_type,
        'google_ads:searchStream' as origin
    from source

)

select * from renamed
