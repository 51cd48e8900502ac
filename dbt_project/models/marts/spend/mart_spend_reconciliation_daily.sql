{#- The platform-versus-tracker side of the reconciliation per account-local day (grain: platform × account_id ×
    report_date); invoices are monthly, so money against invoices lives in mart_spend_reconciliation. -#}
with days as (

    select * from {{ ref('int_account_days_reconciled') }}

),

final as (

    select
        platform,
        account_id,
        report_date,
        account_currency as currency,
        platform_spend,
        platform_spend_reporting,
        platform_clicks,
        tracker_sessions,
        tracker_sessions_with_click_id,
        cast(tracker_sessions - platform_clicks as bigint) as click_difference,
        {{ relative_difference('tracker_sessions', 'platform_clicks') }} as click_relative_difference,
        case when platform_clicks > 0 then
            {{ within_tolerance('tracker_sessions', 'platform_clicks', var('reconciliation_click_tolerance')) }}
        end as clicks_within_tolerance,
        platform_conversions,
        tracker_conversions,
        cast(platform_conversions - tracker_conversions as {{ type_double() }}) as conversion_difference,
        {{ relative_difference('platform_conversions', 'tracker_conversions') }} as conversion_relative_difference
    from days

)

select * from final
