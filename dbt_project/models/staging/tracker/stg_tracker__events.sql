with source as (

    select * from {{ source('tracker', 'events') }}

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

)

select * from renamed
