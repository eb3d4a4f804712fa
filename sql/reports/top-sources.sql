-- SPDX-License-Identifier: MIT OR Apache-2.0
-- top-sources: source IPs / trunks sending the most suspicious traffic and rotating the most CLIs.
-- {since}, {until}: Unix seconds, the period [since, until) (whole hours).
SELECT
    source_ip,
    trunk,
    countMerge(calls) AS calls_total,
    sumMerge(flags) AS flagged,
    sumMerge(blocks) AS blocked,
    uniqMerge(clis) AS distinct_clis,
    uniqMerge(targets) AS distinct_targets,
    sumMerge(degraded) AS degraded_calls
FROM calls_by_source_hourly
WHERE hour >= toStartOfHour(toDateTime({since})) AND hour < toDateTime({until})
GROUP BY source_ip, trunk
ORDER BY flagged + blocked DESC, distinct_clis DESC, source_ip, trunk
LIMIT 50
