{#- The upload lists of the audience pools (grain: segment × email_hash): one row per hashed e-mail of a consenting
    customer in the pool. Export one pool with a BI query or `COPY (select email_hash from
    marts.mart_audience_exports where segment = 'champions') TO 'champions.csv'` (docs/audiences.md). -#}
with members as (

    select * from {{ ref('mart_audience_segments') }}

),

final as (

    select
        segment,
        email_hash,
        max(as_of_date) as as_of_date,
        cast(count(*) as bigint) as customers
    from members
    group by segment, email_hash

)

select * from final
