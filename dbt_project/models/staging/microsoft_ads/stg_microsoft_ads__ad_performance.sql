{#- Microsoft Advertising keyword × ad performance per account-local day, in the shared ad-performance shape.
    Match types are upper-cased to read like Google's (EXACT, PHRASE, BROAD). -#}
with source as (

    select * from {{ source('microsoft_ads', 'keyword_stats') }}

),

renamed as (

    select
        {{- ad_performance_columns('microsoft_ads', {
            'report_date': 'time_period',
            'account_id': 'account_id',
            'account_name': 'account_name',
            'account_currency': 'currency_code',
            'account_timezone': 'report_time_zone',
            'campaign_id': 'campaign_id',
            'campaign_name': 'campaign_name',
            'ad_group_id': 'ad_group_id',
            'ad_group_name': 'ad_group_name',
            'ad_id': 'ad_id',
            'keyword_id': 'keyword_id',
            'keyword_text': 'keyword',
            'match_type': 'upper(bid_match_type)',
            'impressions': 'impressions',
            'clicks': 'clicks',
            'spend': 'spend',
            'platform_conversions': 'conversions',
            'platform_conversion_value': 'revenue',
        }, cost_type='cpc', origin='microsoft_ads:KeywordPerformanceReport') }}
    from source

)

select * from renamed
