{#- The spend mart_spend_reconciliation calls "reported by the platform" is exactly fct_ad_spend's spend, per
    platform and month (account currency, and reporting currency). Returns the months that differ. -#}
with reconciled as (

    select
        platform,
        month,
        sum(platform_spend) as spend,
        sum(platform_spend_reporting) as spend_reporting
    from {{ ref('mart_spend_reconciliation') }}
    group by platform, month

),

ledger as (

    select
        cost_source as platform,
        cast({{ dbt.date_trunc('month', 'report_date') }} as date) as month,
        sum(spend) as spend,
        sum(spend_reporting) as spend_reporting
    from {{ ref('fct_ad_spend') }}
    group by cost_source, cast({{ dbt.date_trunc('month', 'report_date') }} as date)

)

select
    coalesce(reconciled.platform, ledger.platform) as platform,
    coalesce(reconciled.month, ledger.month) as month,
    reconciled.spend as reconciled_spend,
    ledger.spend as ledger_spend
from reconciled
full outer join ledger on reconciled.platform = ledger.platform and reconciled.month = ledger.month
where coalesce(reconciled.spend, 0) <> coalesce(ledger.spend, 0)
    or coalesce(reconciled.spend_reporting, 0) <> coalesce(ledger.spend_reporting, 0)
