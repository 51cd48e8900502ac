{#- Google Ads keyword performance per customer-local day, in the shared ad-performance shape. Google reports
    cost per keyword or per ad, never per ad × keyword: this model keeps the keyword grain (ad_id is null). -#}
with source as (

    select * from {{ source('google_ads', 'keyword_stats') }}

),

renamed as (

    select
        {{- ad_performance_columns('google_ads', {
            'report_date': 'date',
            'account_id': 'customer_id',
            'account_name': 'customer_name',
            'account_currency': 'currency_code',
            'account_timezone': 'time_zone',
            'campaign_id': 'campaign_id',
            'campaign_name': 'campaign_name',
            'ad_group_id': 'ad_group_id',
            'ad_group_name': 'ad_group_name',
            'keyword_id': 'criterion_id',
            'keyword_text': 'keyword_text',
            'match_type': 'match_type',
            'impressions': 'impressions',
            'clicks': 'clicks',
            'spend': 'cost_micros * 0.000001',
            'platform_conversions': 'conversions',
            'platform_conversion_value': 'conversions_value',
        }, cost_type='cpc', origin='google_ads:searchStream') }}
    from source

)

select * from renamed
