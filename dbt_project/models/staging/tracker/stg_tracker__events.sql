with source as (

    select * from {{ source('tracker', 'events') }}

),

bot_patterns as (

    select pattern from {{ ref('bot_user_agents') }}

),

user_agents as (

    {#- each distinct user agent is matched once; only the flag leaves this model, never the raw string -#}
    select
        agents.user_agent,
        max(case when bot_patterns.pattern is not null then 1 else 0 end) = 1 as is_bot_user_agent
    from (select distinct user_agent from source where user_agent is not null) as agents
    left join bot_patterns on {{ regexp_imatch('agents.user_agent', 'bot_patterns.pattern') }}
    group by agents.user_agent

),

renamed as (

    select
        message_id,
        event_type,
        event_name,
        event_at,
        {{ utc_date('event_at') }} as event_date,
        received_at,
        anonymous_id,
        user_id,
        device_id,
        page_url,
        page_path,
        page_referrer,
        lower({{ url_host('page_referrer') }}) as referrer_host,
        lower(utm_source) as utm_source,
        lower(utm_medium) as utm_medium,
        utm_campaign,
        utm_content,
        utm_term,
        click_id_type,
        coalesce(gclid, gbraid, wbraid, dclid, msclkid, fbclid, ttclid, li_fat_id, irclickid, sccid) as click_id,
        ip_hash,
        ip_prefix,
        coalesce(user_agents.is_bot_user_agent, false) as is_bot_user_agent,
        consent_advertising,
        consent_analytics,
        email_hash,
        order_id,
        cast(revenue as decimal(18, 4)) as revenue,
        currency,
        experiment_id,
        variation_id,
        event_type = 'track' and event_name = 'Order Completed' as is_conversion,
        _file as source_file,
        _load_id as load_id
    from source
    left join user_agents on source.user_agent = user_agents.user_agent

)

select * from renamed
