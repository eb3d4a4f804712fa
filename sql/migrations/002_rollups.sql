-- SPDX-License-Identifier: MIT OR Apache-2.0
-- 002_rollups: pre-aggregated views that keep the reports cheap at any traffic volume.
-- AggregatingMergeTree + -State/-Merge functions (countState, sumState, uniqState) work on
-- 18.16 and every later server. Materialized views only see rows inserted after they exist.

CREATE TABLE IF NOT EXISTS {db}.calls_by_target_hourly
(
    hour      DateTime,
    b_number  String,
    calls     AggregateFunction(count),
    flags     AggregateFunction(sum, UInt64),
    blocks    AggregateFunction(sum, UInt64),
    callers   AggregateFunction(uniq, String),
    sources   AggregateFunction(uniq, String)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (hour, b_number);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.calls_by_target_hourly_mv TO {db}.calls_by_target_hourly AS
SELECT
    toStartOfHour(event_time) AS hour,
    b_number,
    countState() AS calls,
    sumState(toUInt64(action = 'flag')) AS flags,
    sumState(toUInt64(action = 'block')) AS blocks,
    uniqState(a_number) AS callers,
    uniqState(source_ip) AS sources
FROM {db}.calls
GROUP BY hour, b_number;

CREATE TABLE IF NOT EXISTS {db}.calls_by_source_hourly
(
    hour      DateTime,
    source_ip String,
    trunk     String,
    calls     AggregateFunction(count),
    flags     AggregateFunction(sum, UInt64),
    blocks    AggregateFunction(sum, UInt64),
    degraded  AggregateFunction(sum, UInt64),
    clis      AggregateFunction(uniq, String),
    targets   AggregateFunction(uniq, String)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (hour, source_ip, trunk);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.calls_by_source_hourly_mv TO {db}.calls_by_source_hourly AS
SELECT
    toStartOfHour(event_time) AS hour,
    source_ip,
    trunk,
    countState() AS calls,
    sumState(toUInt64(action = 'flag')) AS flags,
    sumState(toUInt64(action = 'block')) AS blocks,
    sumState(toUInt64(degraded)) AS degraded,
    uniqState(a_number) AS clis,
    uniqState(b_number) AS targets
FROM {db}.calls
GROUP BY hour, source_ip, trunk;

CREATE TABLE IF NOT EXISTS {db}.calls_daily
(
    day       Date,
    mode      String,
    calls     AggregateFunction(count),
    flags     AggregateFunction(sum, UInt64),
    blocks    AggregateFunction(sum, UInt64),
    degraded  AggregateFunction(sum, UInt64),
    callers   AggregateFunction(uniq, String),
    targets   AggregateFunction(uniq, String),
    check_us  AggregateFunction(quantiles(0.5, 0.99), UInt32)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (day, mode);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.calls_daily_mv TO {db}.calls_daily AS
SELECT
    event_date AS day,
    mode,
    countState() AS calls,
    sumState(toUInt64(action = 'flag')) AS flags,
    sumState(toUInt64(action = 'block')) AS blocks,
    sumState(toUInt64(degraded)) AS degraded,
    uniqState(a_number) AS callers,
    uniqState(b_number) AS targets,
    quantilesState(0.5, 0.99)(check_us) AS check_us
FROM {db}.calls
GROUP BY day, mode;
