{#- Meta ad performance per ad account-local day, in the shared ad-performance shape (ad set → ad group;
    no keywords). -#}
with source as (

    select * from {{ source('meta_ads', 'ad_insights') }}

),

renamed as (

    select
        {{- ad_performance_columns('meta_ads', {
            'report_date': 'date_start',
            'account_id': 'account_id',
            'account_name': 'account_name',
            'account_currency': 'account_currency',
            'account_timezone': 'account_timezone',
            'campaign_id': 'campaign_id',
            'campaign_name': 'campaign_name',
            'ad_group_id': 'adset_id',
            'ad_group_name': 'adset_name',
            'ad_id': 'ad_id',
            'ad_name': 'ad_name',
            'impressions': 'impressions',
            'clicks': 'clicks',
            'spend': 'spend',
            'platform_conversions': 'conversions',
            'platform_conversion_value': 'conversion_value',
        }, cost_type='cpm', origin='meta_ads:insights') }}
    from source

)

select * from renamed
