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
    the column identifying a row upstream, `this_row_key` the same in this model (default: the same name; none: a
    model with no row per upstream row, e.g. one row per key, which uses the load rule alone);
    `time_column`/`this_time_column` the event time upstream and in this model; `where`, a condition on `relation`'s
    rows (those the model reads). Pass the ref itself with `where` rather than a wide CTE read again later: the
    warehouse then reads only the narrow columns the keys need (DuckDB materializes a CTE read more than once, every
    column of every row). -#}
{% macro incremental_keys(relation, key, row_key, time_column='event_at', this_time_column=none,
                          load_column='load_id', where='true', this_row_key=row_key) -%}
    {%- set lookback_start -%}
        select {{ dbt.dateadd('hour', -1 * var('incremental_lookback_hours') | int,
                              'max(' ~ (this_time_column or time_column) ~ ')') }}
        from {{ this }}
    {%- endset %}
    select {{ key }} from {{ relation }}
    where ({{ where }}) and {{ load_column }} > (select coalesce(max({{ load_column }}), '') from {{ this }})
    {%- if row_key is not none %}
    union
    select {{ key }} from {{ relation }} as upstream
    where ({{ where }}) and upstream.{{ time_column }} >= ({{ lookback_start }})
        and not exists (
            select 1 from {{ this }} as existing
            where existing.{{ this_row_key }} = upstream.{{ row_key }}
                and existing.{{ this_time_column or time_column }} >= ({{ lookback_start }})
        )
    {%- endif %}
{%- endmacro %}
