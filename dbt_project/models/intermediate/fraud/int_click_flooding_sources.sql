{#- Click flooding per publisher (grain: channel × publisher): a source that fires masses of clicks holds some
    click before many orders it did not bring, so its click-to-order times (CTIT) spread flat over hours and days
    where an honest source's peak in the first hour (AppsFlyer/Adjust/Kochava/Singular "click flooding" or "click
    spamming"; docs/anomalies.md). From each order's last click (`int_conversions_last_click`): the publisher's
    orders, the share of them within `click_flooding_quick_seconds` of the click, and the same share pooled over
    every other publisher (leave one out). Flooding: at least `click_flooding_min_orders` orders, a quick share at
    most `click_flooding_max_quick_ratio` of the baseline's, and a quick count at least `click_flooding_min_z`
    binomial standard errors under the baseline. `adledger.analytics.anomalies.flooding` applies the same rule (and
    writes the incident); `int_sessions_fraud_flagged` flags every click of a flooding publisher. -#}
with last_clicks as (

    select * from {{ ref('int_conversions_last_click') }}
    where publisher is not null

),

publishers as (

    select
        channel,
        publisher,
        count(*) as orders,
        sum(case when seconds_to_order <= {{ var('click_flooding_quick_seconds') }} then 1 else 0 end) as quick_orders
    from last_clicks
    group by channel, publisher

),

totals as (

    select sum(orders) as orders, sum(quick_orders) as quick_orders from publishers

),

baselines as (

    select
        publishers.channel,
        publishers.publisher,
        publishers.orders,
        publishers.quick_orders,
        cast(publishers.quick_orders as {{ type_double() }}) / publishers.orders as quick_share,
        cast(totals.quick_orders - publishers.quick_orders as {{ type_double() }})
            / nullif(totals.orders - publishers.orders, 0) as baseline_quick_share
    from publishers
    cross join totals

),

scored as (

    select
        *,
        (quick_orders - orders * baseline_quick_share)
            / nullif(sqrt(orders * baseline_quick_share * (1 - baseline_quick_share)), 0) as z
    from baselines

),

final as (

    select
        *,
        coalesce(
            orders >= {{ var('click_flooding_min_orders') }}
            and quick_share <= {{ var('click_flooding_max_quick_ratio') }} * baseline_quick_share
            and z <= -{{ var('click_flooding_min_z') }},
            false
        ) as is_click_flooding
    from scored

)

select * from final
