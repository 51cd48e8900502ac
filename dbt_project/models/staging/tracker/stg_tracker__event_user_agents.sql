{#- Whether each tracker event came from a robot user agent (grain: message_id), from the editable
    `bot_user_agents` seed. Only the flag leaves raw_tracker: no staging table keeps the user agent string. Kept apart
    from stg_tracker__events so the events view depends on its source alone. -#}
with source as (

    select message_id, user_agent from {{ source('tracker', 'events') }}

),

bot_patterns as (

    select pattern from {{ ref('bot_user_agents') }}

),

user_agents as (

    {#- each distinct user agent is matched once -#}
    select
        agents.user_agent,
        max(case when bot_patterns.pattern is not null then 1 else 0 end) = 1 as is_bot_user_agent
    from (select distinct user_agent from source where user_agent is not null) as agents
    left join bot_patterns on {{ regexp_imatch('agents.user_agent', 'bot_patterns.pattern') }}
    group by agents.user_agent

),

final as (

    select
        source.message_id,
        coalesce(user_agents.is_bot_user_agent, false) as is_bot_user_agent
    from source
    left join user_agents on source.user_agent = user_agents.user_agent

)

select * from final
