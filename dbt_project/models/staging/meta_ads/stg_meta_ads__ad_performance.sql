{#- Meta ad performance per ad account-local day, in the shared ad-performance shape (ad set → ad group;
    no keywords). -#}
with source as (

    select * from {{ source('meta_ads', 'ad_insights') }}

),

renamed as (

    select
        cast(date_start as date) as report_date,
        'meta_ads' as platform,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        account_name,
        account_currency,
        account_timezone,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        campaign_name,
        cast(adset_id as {{ dbt.type_string() }}) as ad_group_id,
        adset_name as ad_group_name,
        cast(ad_id as {{ dbt.type_string() }}) as ad_id,
        ad_name,
        cast(null as {{ dbt.type_string() }}) as keyword_id,
        cast(null as {{ dbt.type_string() }}) as keyword_text,
        cast(null as {{ dbt.type_string() }}) as match_type,
        cast(impressions as bigint) as impressions,
        cast(clicks as bigint) as clicks,
        cast(spend as decimal(18, 6)) as spend,
        cast(conversions as {{ type_double() }}) as platform_conversions,
        cast(conversion_value as decimal(18, 6)) as platform_conversion_value,
        'cpm' as cost_type,
        'meta_ads:insights' as origin
    from source

)

select * from renamed
