-- SPDX-License-Identifier: MIT OR Apache-2.0
-- top-callers: A-numbers (CLIs) with the most flagged or blocked calls: candidates for barring.
-- {since}, {until}: Unix seconds, the period [since, until). Reads the calls table (only non-allowed rows).
SELECT
    a_number,
    count() AS suspicious_calls,
    countIf(action = 'block') AS blocked,
    uniqExact(b_number) AS distinct_targets,
    uniqExact(source_ip) AS distinct_sources,
    arrayStringConcat(arraySlice(arraySort(groupUniqArray(trunk)), 1, 3), ',') AS trunks,
    min(event_time) AS first_seen,
    max(event_time) AS last_seen
FROM calls
WHERE event_date >= toDate(toDateTime({since})) AND event_date <= toDate(toDateTime({until})) AND event_time >= toDateTime({since}) AND event_time < toDateTime({until}) AND action != 'allow'
GROUP BY a_number
ORDER BY suspicious_calls DESC, distinct_targets DESC, a_number
LIMIT 50
