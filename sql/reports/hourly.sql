-- SPDX-License-Identifier: MIT OR Apache-2.0
-- hourly: calls and verdict mix per hour.
-- {since}, {until}: Unix seconds, the period [since, until) (whole hours).
SELECT
    hour,
    countMerge(calls) AS calls_total,
    calls_total - flagged - blocked AS allowed,
    sumMerge(flags) AS flagged,
    sumMerge(blocks) AS blocked,
    sumMerge(degraded) AS degraded_calls,
    uniqMerge(clis) AS distinct_callers,
    uniqMerge(targets) AS distinct_targets
FROM calls_by_source_hourly
WHERE hour >= toStartOfHour(toDateTime({since})) AND hour < toDateTime({until})
GROUP BY hour
ORDER BY hour
