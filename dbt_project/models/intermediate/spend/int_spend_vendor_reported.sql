{#- Spend that vendors without an API report in the first-party export (display, CTV, voice, in-app, retail
    media), one row per vendor-local day and vendor campaign. -#}
with spend as (

    select * from {{ ref('stg_first_party__vendor_spend') }}

),

vendors as (

    select * from {{ ref('stg_first_party__vendors') }}

),

final as (

    select
        spend.report_date,
        'vendor' as cost_source,
        vendors.channel as source_channel,
        spend.vendor_id as account_id,
        vendors.vendor_name as account_name,
        spend.currency as account_currency,
        vendors.timezone as account_timezone,
        spend.campaign_id,
        spend.campaign_name,
        {{ null_text_columns(['ad_group_id', 'ad_group_name', 'ad_id', 'ad_name', 'keyword_id', 'keyword_text', 'match_type']) }}
        spend.impressions,
        spend.clicks,
        spend.spend,
        cast(null as {{ type_double() }}) as platform_conversions,
        cast(null as decimal(18, 6)) as platform_conversion_value,
        vendors.cost_model as cost_type,
        'first_party:vendor_spend' as origin
    from spend
    inner join vendors on spend.vendor_id = vendors.vendor_id

)

select * from final
