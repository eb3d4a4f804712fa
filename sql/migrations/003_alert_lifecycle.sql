-- SPDX-License-Identifier: MIT OR Apache-2.0
-- 003_alert_lifecycle: each alert's severity, and the append-only log of what happened to it
-- (raised, status changes, notes, assignments, actions) with who did it. The latest entry of
-- kind 'status' (or 'raised') is the alert's status. Runs on ClickHouse 18.16 and later.
-- 18.16 has no ADD COLUMN IF NOT EXISTS: `acm schema apply` skips an ADD COLUMN whose column
-- exists (a re-run after a half-applied migration).

CREATE TABLE IF NOT EXISTS {db}.alert_events
(
    event_date  Date,
    at          DateTime,
    at_ms       Int64,
    alert_id    String,
    kind        String,
    from_status String,
    to_status   String,
    actor       String,
    note        String,
    node        String
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(event_date)
ORDER BY (alert_id, at_ms);

ALTER TABLE {db}.alerts ADD COLUMN severity String DEFAULT '';
