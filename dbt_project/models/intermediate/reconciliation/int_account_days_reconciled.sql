{#- What each spend account reported per account-local day next to what the tracker saw from its campaigns
    (grain: platform × account_id × report_date). A tracker session belongs to an account when its landing's
    utm_campaign is one of the account's campaign ids and the session's channel is the account's spend channel;
    its day is the session start in the account's time zone (UTC when the account has none). Tracker conversions
    are last-non-direct conversions whose credited session (or, without a user-level path, the converting session)
    belongs to the account, on the conversion's account-local day (the rule-based credits, so this model runs
    before the Python analytics and needs none of them). -#}
with spend as (

    select * from {{ ref('fct_ad_spend') }}

),

accounts as (

    select
        cost_source as platform,
        account_id,
        max(account_currency) as account_currency,
        coalesce(max(account_timezone), 'UTC') as account_timezone
    from spend
    group by cost_source, account_id

),

campaigns as (

    {#- each (channel, campaign id) belongs to one account; a collision keeps the first platform and account -#}
    select channel, campaign_id, platform, account_id
    from (
        select
            channel,
            campaign_id,
            cost_source as platform,
            account_id,
            row_number() over (partition by channel, campaign_id order by cost_source, account_id) as n
        from (select distinct channel, campaign_id, cost_source, account_id from spend) as distinct_campaigns
        where campaign_id is not null
    ) as ranked
    where n = 1

),

sessions as (

    select
        sessions.session_id,
        sessions.session_started_at,
        sessions.click_id,
        campaigns.platform,
        campaigns.account_id
    from {{ ref('int_sessions_classified') }} as sessions
    inner join campaigns
        on sessions.utm_campaign = campaigns.campaign_id
        and sessions.channel = campaigns.channel

),

platform_days as (

    select
        cost_source as platform,
        account_id,
        report_date,
        sum(spend) as platform_spend,
        sum(spend_reporting) as platform_spend_reporting,
        sum(clicks) as platform_clicks,
        sum(platform_conversions) as platform_conversions
    from spend
    group by cost_source, account_id, report_date

),

session_days as (

    select
        sessions.platform,
        sessions.account_id,
        {{ local_date('sessions.session_started_at', 'accounts.account_timezone') }} as report_date,
        count(*) as tracker_sessions,
        count(sessions.click_id) as tracker_sessions_with_click_id
    from sessions
    inner join accounts
        on sessions.platform = accounts.platform and sessions.account_id = accounts.account_id
    group by 1, 2, 3

),

credited as (

    select
        credits.order_id,
        credits.converted_at,
        coalesce(credits.touchpoint_id, conversions.session_id) as session_id
    from {{ ref('int_attributed_conversions_rules') }} as credits
    inner join {{ ref('fct_conversions') }} as conversions on credits.order_id = conversions.order_id
    where credits.model = 'last_non_direct'

),

conversion_days as (

    select
        sessions.platform,
        sessions.account_id,
        {{ local_date('credited.converted_at', 'accounts.account_timezone') }} as report_date,
        count(distinct credited.order_id) as tracker_conversions
    from credited
    inner join sessions on credited.session_id = sessions.session_id
    inner join accounts
        on sessions.platform = accounts.platform and sessions.account_id = accounts.account_id
    group by 1, 2, 3

),

keys as (

    select platform, account_id, report_date from platform_days
    union
    select platform, account_id, report_date from session_days
    union
    select platform, account_id, report_date from conversion_days

),

final as (

    select
        keys.platform,
        keys.account_id,
        accounts.account_currency,
        keys.report_date,
        cast(coalesce(platform_days.platform_spend, 0) as decimal(18, 6)) as platform_spend,
        cast(coalesce(platform_days.platform_spend_reporting, 0) as decimal(30, 12)) as platform_spend_reporting,
        cast(coalesce(platform_days.platform_clicks, 0) as bigint) as platform_clicks,
        cast(platform_days.platform_conversions as {{ type_double() }}) as platform_conversions,
        cast(coalesce(session_days.tracker_sessions, 0) as bigint) as tracker_sessions,
        cast(coalesce(session_days.tracker_sessions_with_click_id, 0) as bigint) as tracker_sessions_with_click_id,
        cast(coalesce(conversion_days.tracker_conversions, 0) as bigint) as tracker_conversions
    from keys
    inner join accounts on keys.platform = accounts.platform and keys.account_id = accounts.account_id
    left join platform_days
        on keys.platform = platform_days.platform and keys.account_id = platform_days.account_id
        and keys.report_date = platform_days.report_date
    left join session_days
        on keys.platform = session_days.platform and keys.account_id = session_days.account_id
        and keys.report_date = session_days.report_date
    left join conversion_days
        on keys.platform = conversion_days.platform and keys.account_id = conversion_days.account_id
        and keys.report_date = conversion_days.report_date

)

select * from final
