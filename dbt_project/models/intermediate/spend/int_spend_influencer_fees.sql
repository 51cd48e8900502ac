{#- Influencer flat fees: the contracted fee is spent on the UTC day the contract's tracked link first brought a
    visit (its utm_campaign = link_code); a link that never activated has cost nothing yet. -#}
with contracts as (

    select * from {{ ref('stg_first_party__influencer_contracts') }}

),

activations as (

    select utm_campaign as link_code, min(session_started_at) as activated_at
    from {{ ref('int_sessions_classified') }}
    where utm_campaign is not null
    group by utm_campaign

),

final as (

    select
        {{ utc_date('activations.activated_at') }} as report_date,
        'influencer' as cost_source,
        cast(null as {{ dbt.type_string() }}) as source_channel,
        contracts.contract_id as account_id,
        contracts.handle as account_name,
        contracts.currency as account_currency,
        'UTC' as account_timezone,
        contracts.link_code as campaign_id,
        contracts.handle as campaign_name,
        {{ null_text_columns(['ad_group_id', 'ad_group_name', 'ad_id', 'ad_name', 'keyword_id', 'keyword_text', 'match_type']) }}
        cast(0 as bigint) as impressions,
        cast(0 as bigint) as clicks,
        contracts.fee as spend,
        cast(null as {{ type_double() }}) as platform_conversions,
        cast(null as decimal(18, 6)) as platform_conversion_value,
        'flat_fee' as cost_type,
        'first_party:influencer_contracts' as origin
    from contracts
    inner join activations on contracts.link_code = activations.link_code

)

select * from final
