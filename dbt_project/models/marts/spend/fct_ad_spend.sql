{#- Unified ad spend (grain: report_date × cost_source × account × campaign × ad group × ad × keyword × cost_type).
    Every row keeps its origin, its account currency and the spend converted to the reporting currency with that
    day's rate: spend × usd_per_unit(account currency) / usd_per_unit(reporting currency). Days are the account's
    local days (platforms report no finer grain): see docs/decisions.md. Platform-reported conversions stay on
    their platform's rows and are never summed across platforms by this model. -#}
{%- set parts = [
    ref('int_spend_platforms'),
    ref('int_spend_affiliate_commissions'),
    ref('int_spend_email_sends'),
    ref('int_spend_vendor_reported'),
    ref('int_spend_influencer_fees'),
] -%}
with unioned as (

    {% for part in parts -%}
    select * from {{ part }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

channels as (

    select * from {{ ref('spend_channels') }}

),

fx as (

    select * from {{ ref('stg_first_party__fx_rates') }}

),

reporting_fx as (

    select rate_date, usd_per_unit from fx where currency = '{{ var("reporting_currency") }}'

),

final as (

    select
        {{ surrogate_key(['unioned.report_date', 'unioned.cost_source', 'unioned.account_id', 'unioned.campaign_id',
                          'unioned.ad_group_id', 'unioned.ad_id', 'unioned.keyword_id', 'unioned.cost_type']) }}
            as spend_id,
        unioned.report_date,
        unioned.cost_source,
        coalesce(by_source_channel.channel, by_source.channel) as channel,
        unioned.account_id,
        unioned.account_name,
        unioned.account_timezone,
        unioned.campaign_id,
        unioned.campaign_name,
        unioned.ad_group_id,
        unioned.ad_group_name,
        unioned.ad_id,
        unioned.ad_name,
        unioned.keyword_id,
        unioned.keyword_text,
        unioned.match_type,
        unioned.cost_type,
        unioned.origin,
        cast(unioned.impressions as bigint) as impressions,
        cast(unioned.clicks as bigint) as clicks,
        cast(unioned.spend as decimal(18, 6)) as spend,
        unioned.account_currency,
        cast(fx.usd_per_unit / reporting_fx.usd_per_unit as decimal(24, 12)) as fx_rate,
        cast(unioned.spend * fx.usd_per_unit / reporting_fx.usd_per_unit as decimal(30, 12)) as spend_reporting,
        '{{ var("reporting_currency") }}' as reporting_currency,
        cast(unioned.platform_conversions as {{ type_double() }}) as platform_conversions,
        cast(unioned.platform_conversion_value as decimal(18, 6)) as platform_conversion_value
    from unioned
    left join channels as by_source_channel
        on unioned.cost_source = by_source_channel.cost_source
        and unioned.source_channel = by_source_channel.source_channel
    left join channels as by_source
        on unioned.cost_source = by_source.cost_source
        and by_source.source_channel is null
    left join fx
        on unioned.report_date = fx.rate_date and unioned.account_currency = fx.currency
    left join reporting_fx
        on unioned.report_date = reporting_fx.rate_date

)

select * from final
