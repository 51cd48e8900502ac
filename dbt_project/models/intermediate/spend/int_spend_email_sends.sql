{#- Email: each newsletter send costs emails_sent × the ESP's per-send rate from the vendor list, on the UTC send
    day. -#}
with sends as (

    select * from {{ ref('stg_esp__campaign_sends') }}

),

esp as (

    select * from {{ ref('stg_first_party__vendors') }}
    where cost_model = 'per_send' and channel = 'email'

),

final as (

    select
        sends.send_date as report_date,
        'esp' as cost_source,
        cast(null as {{ dbt.type_string() }}) as source_channel,
        esp.vendor_id as account_id,
        esp.vendor_name as account_name,
        esp.currency as account_currency,
        esp.timezone as account_timezone,
        sends.campaign_id,
        sends.campaign_title as campaign_name,
        {{ null_text_columns(['ad_group_id', 'ad_group_name', 'ad_id', 'ad_name', 'keyword_id', 'keyword_text', 'match_type']) }}
        sends.emails_sent as impressions,
        sends.clicks,
        cast(sends.emails_sent * esp.rate as decimal(18, 6)) as spend,
        cast(null as {{ type_double() }}) as platform_conversions,
        cast(null as decimal(18, 6)) as platform_conversion_value,
        'per_send' as cost_type,
        'esp:reports' as origin
    from sends
    cross join esp

)

select * from final
