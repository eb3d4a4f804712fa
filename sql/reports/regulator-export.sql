-- SPDX-License-Identifier: MIT OR Apache-2.0
-- regulator-export: every flagged or blocked call of the period, one line each, for the daily
-- upload to the regulator (the NCC's): `acm report regulator-export --day 2026-12-01
-- --out ncc-2026-12-01.csv.gz` writes it as gzipped CSV. Times in UTC. A call delivered twice
-- (a batch re-sent after a crash) appears once. {since}, {until}: Unix seconds, [since, until).
SELECT
    toString(event_time, 'UTC') AS call_time_utc,
    event_time_ms,
    call_id,
    a_number,
    b_number,
    source_ip,
    trunk,
    pai,
    attestation,
    toString(action) AS action,
    arrayStringConcat(reasons, ';') AS reasons,
    alert_id,
    mode,
    node
FROM calls
WHERE event_date >= toDate(toDateTime({since})) AND event_date <= toDate(toDateTime({until}))
  AND event_time >= toDateTime({since}) AND event_time < toDateTime({until})
  AND action != 'allow'
ORDER BY event_time_ms, call_id, node
LIMIT 1 BY call_id, event_time_ms
