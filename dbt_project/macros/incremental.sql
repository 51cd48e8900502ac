{#- Incremental event models (staging tracker events, sessionized events, sessions) recompute whole keys, never
    slices of time: in an incremental run, a key (an anonymous id) is recomputed when

    * it has rows loaded after the newest load already in the model (dlt load ids, compared as text): this catches
      new days, backfills of old days and late files of any age; or
    * it has rows inside the late-event lookback (`incremental_lookback_hours`, default 72, before the newest event
      in the model) that the model does not hold yet: late events are caught even if load markers were unreliable
      (e.g. a load id written by a machine with a skewed clock).

    Recomputing everything of such a key gives exactly what a full refresh gives for it; keys with nothing new keep
    their rows untouched. -#}

{#- The keys (column `key` of `relation`, a CTE or ref) an incremental run must recompute, see above. `row_key` is
    the column identifying a row both upstream and in this model; `time_column`/`this_time_column` the event time
    upstream and in this model. -#}
{% macro incremental_keys(relation, key, row_key, time_column='event_at', this_time_column=none,
                          load_column='load_id') -%}
    select {{ key }} from {{ relation }}
    where {{ load_column }} > (select coalesce(max({{ load_column }}), '') from {{ this }})
    union
    select {{ key }} from {{ relation }} as upstream
    where upstream.{{ time_column }} >= (
            select {{ dbt.dateadd('hour', -1 * var('incremental_lookback_hours') | int,
                                  'max(' ~ (this_time_column or time_column) ~ ')') }}
            from {{ this }}
        )
        and not exists (select 1 from {{ this }} as existing where existing.{{ row_key }} = upstream.{{ row_key }})
{%- endmacro %}
