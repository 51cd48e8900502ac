{#- Spend reconciliation per platform × account × calendar month of the account's report days (grain: platform ×
    account_id × month): the spend the platform reported (fct_ad_spend, account currency), the invoiced amount,
    and what the tracker saw (sessions from the account's campaigns, last-non-direct conversions), with
    differences, relative differences (observed − expected) / expected, tolerance flags (vars
    `reconciliation_*_tolerance`) and a status of the money: ok, over_tolerance, missing_invoice, awaiting_invoice
    (the month ended less than `reconciliation_invoice_grace_days` ago), missing_platform_spend (an invoice for a
    month without reported spend), currency_mismatch, no_spend (tracker traffic only). -#}
with days as (

    select * from {{ ref('int_account_days_reconciled') }}

),

invoices as (

    select * from {{ ref('stg_first_party__invoices') }}

),

months as (

    select
        platform,
        account_id,
        max(account_currency) as account_currency,
        cast({{ dbt.date_trunc('month', 'report_date') }} as date) as month,
        count(case when platform_spend <> 0 then 1 end) as days_with_spend,
        sum(platform_spend) as platform_spend,
        sum(platform_spend_reporting) as platform_spend_reporting,
        sum(platform_clicks) as platform_clicks,
        sum(platform_conversions) as platform_conversions,
        sum(tracker_sessions) as tracker_sessions,
        sum(tracker_sessions_with_click_id) as tracker_sessions_with_click_id,
        sum(tracker_conversions) as tracker_conversions
    from days
    group by platform, account_id, cast({{ dbt.date_trunc('month', 'report_date') }} as date)

),

joined as (

    select
        coalesce(months.platform, invoices.platform) as platform,
        coalesce(months.account_id, invoices.account_id) as account_id,
        coalesce(months.month, invoices.invoice_month) as month,
        coalesce(months.account_currency, invoices.currency) as currency,
        coalesce(months.days_with_spend, 0) as days_with_spend,
        coalesce(months.platform_spend, 0) as platform_spend,
        coalesce(months.platform_spend_reporting, 0) as platform_spend_reporting,
        invoices.invoice_id,
        invoices.amount as invoice_amount,
        invoices.currency as invoice_currency,
        invoices.issued_at as invoice_issued_at,
        coalesce(months.platform_clicks, 0) as platform_clicks,
        coalesce(months.tracker_sessions, 0) as tracker_sessions,
        coalesce(months.tracker_sessions_with_click_id, 0) as tracker_sessions_with_click_id,
        months.platform_conversions,
        coalesce(months.tracker_conversions, 0) as tracker_conversions
    from months
    full outer join invoices
        on months.platform = invoices.platform
        and months.account_id = invoices.account_id
        and months.month = invoices.invoice_month

),

final as (

    select
        platform,
        account_id,
        month,
        currency,
        cast(days_with_spend as bigint) as days_with_spend,
        cast(platform_spend as decimal(18, 6)) as platform_spend,
        cast(platform_spend_reporting as decimal(30, 12)) as platform_spend_reporting,
        invoice_id,
        cast(invoice_amount as decimal(18, 6)) as invoice_amount,
        invoice_issued_at,
        cast(invoice_amount - platform_spend as decimal(18, 6)) as spend_difference,
        {{ relative_difference('invoice_amount', 'platform_spend') }} as spend_relative_difference,
        {{ within_tolerance('invoice_amount', 'platform_spend', var('reconciliation_spend_tolerance')) }}
            as spend_within_tolerance,
        cast(platform_clicks as bigint) as platform_clicks,
        cast(tracker_sessions as bigint) as tracker_sessions,
        cast(tracker_sessions_with_click_id as bigint) as tracker_sessions_with_click_id,
        cast(tracker_sessions - platform_clicks as bigint) as click_difference,
        {{ relative_difference('tracker_sessions', 'platform_clicks') }} as click_relative_difference,
        case when platform_clicks > 0 then
            {{ within_tolerance('tracker_sessions', 'platform_clicks', var('reconciliation_click_tolerance')) }}
        end as clicks_within_tolerance,
        cast(platform_conversions as {{ type_double() }}) as platform_conversions,
        cast(tracker_conversions as bigint) as tracker_conversions,
        cast(platform_conversions - tracker_conversions as {{ type_double() }}) as conversion_difference,
        {{ relative_difference('platform_conversions', 'tracker_conversions') }} as conversion_relative_difference,
        {{ within_tolerance('platform_conversions', 'tracker_conversions',
                            var('reconciliation_conversion_tolerance')) }} as conversions_within_tolerance,
        case
            when invoice_id is null and platform_spend = 0 then 'no_spend'
            when invoice_id is null
                and {{ dbt.dateadd('day', var('reconciliation_invoice_grace_days'),
                                   dbt.dateadd('month', 1, 'month')) }} > current_date then 'awaiting_invoice'
            when invoice_id is null then 'missing_invoice'
            when days_with_spend = 0 and invoice_amount <> 0 then 'missing_platform_spend'
            when invoice_currency <> currency then 'currency_mismatch'
            when {{ within_tolerance('invoice_amount', 'platform_spend', var('reconciliation_spend_tolerance')) }}
                then 'ok'
            else 'over_tolerance'
        end as status
    from joined

)

select * from final
