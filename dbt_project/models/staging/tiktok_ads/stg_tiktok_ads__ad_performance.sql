{#- TikTok ad performance per advertiser-local day, in the shared ad-performance shape (advertiser → account;
    no keywords; the report carries no conversion value). -#}
with source as (

    select * from {{ source('tiktok_ads', 'ad_report') }}

),

renamed as (

    select
        {{- ad_performance_columns('tiktok_ads', {
            'report_date': 'stat_date',
            'account_id': 'advertiser_id',
            'account_name': 'advertiser_name',
            'account_currency': 'currency',
            'account_timezone': 'advertiser_timezone',
            'campaign_id': 'campaign_id',
            'campaign_name': 'campaign_name',
            'ad_group_id': 'adgroup_id',
            'ad_group_name': 'adgroup_name',
            'ad_id': 'ad_id',
            'ad_name': 'ad_name',
            'impressions': 'impressions',
            'clicks': 'clicks',
            'spend': 'spend',
            'platform_conversions': 'conversion',
        }, cost_type='cpm', origin='tiktok_ads:report/integrated') }}
    from source

)

select * from renamed
