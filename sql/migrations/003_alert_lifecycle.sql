-- 003_alert_lifecycle: each alert's severity, and the append-only log of what happened to it
-- (raised, status changes, notes, assignments, actions) with who did it. The latest entry of
-- kind 'status' (or 'raised') is the alert's status. Runs on ClickHouse 18.16 and later.

ALTER TABLE {db}.alerts ADD COLUMN severity String DEFAULT '';

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
