-- SPDX-License-Identifier: MIT OR Apache-2.0
-- 001_base: one row per checked call, one row per raised alert.
-- Runs on ClickHouse 18.16 and later: no DateTime64 (time = DateTime + ms column), no
-- LowCardinality (experimental on 18.16), no TTL here (added by `acm schema apply` on >= 19.6).
-- {db} is replaced by the configured database name (a validated identifier).

CREATE TABLE IF NOT EXISTS {db}.calls
(
    event_date       Date,
    event_time       DateTime,
    event_time_ms    Int64,
    call_id          String,
    a_number         String,
    b_number         String,
    source_ip        String,
    trunk            String,
    pai              String,
    attestation      String,
    action           Enum8('allow' = 1, 'flag' = 2, 'block' = 3),
    reasons          Array(String),
    alert_id         String,
    distinct_callers UInt32,
    cli_calls        UInt32,
    rotation_clis    UInt32,
    check_us         UInt32,
    degraded         UInt8,
    mode             String,
    node             String
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(event_date)
ORDER BY (event_date, b_number, event_time);

CREATE TABLE IF NOT EXISTS {db}.alerts
(
    event_date   Date,
    raised_at    DateTime,
    raised_at_ms Int64,
    alert_id     String,
    rule         String,
    key          String,
    action       Enum8('allow' = 1, 'flag' = 2, 'block' = 3),
    window_ms    UInt32,
    threshold    UInt32,
    count        UInt32,
    a_numbers    Array(String),
    call_ids     Array(String),
    sources      Array(String),
    mode         String,
    node         String
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(event_date)
ORDER BY (event_date, rule, raised_at);
