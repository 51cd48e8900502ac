{#- Affiliate commissions: what the network pays its partners for credited orders (every action not reversed), on
    the action's program-local day, per partner. The commission rate of the terms explains the payout
    (payout = commission_rate × order amount); mart_spend_reconciliation checks that it does. -#}
with actions as (

    select * from {{ ref('stg_affiliate__actions') }}
    where state <> 'REVERSED'

),

final as (

    select
        event_date as report_date,
        'affiliate' as cost_source,
        cast(null as {{ dbt.type_string() }}) as source_channel,
        program_id as account_id,
        max(partner_name) as account_name,
        max(currency) as account_currency,
        cast(null as {{ dbt.type_string() }}) as account_timezone,
        program_id as campaign_id,
        cast(null as {{ dbt.type_string() }}) as campaign_name,
        partner_id as ad_group_id,
        max(partner_name) as ad_group_name,
        {{ null_text_columns(['ad_id', 'ad_name', 'keyword_id', 'keyword_text', 'match_type']) }}
        cast(0 as bigint) as impressions,
        cast(count(*) as bigint) as clicks,
        sum(payout) as spend,
        cast(count(*) as {{ type_double() }}) as platform_conversions,
        cast(sum(amount) as decimal(18, 6)) as platform_conversion_value,
        'commission' as cost_type,
        'affiliate:actions' as origin
    from actions
    group by event_date, program_id, partner_id

)

select * from final
