-- SPDX-License-Identifier: MIT OR Apache-2.0
-- top-targets: B-numbers hit by the most suspicious traffic (fan-in targets), from the hourly rollup.
-- {since}, {until}: Unix seconds, the period [since, until) (whole hours are counted from the hour containing it).
-- By hand: sed -e "s/{since}/$(date -d "-24 hours" +%s)/" -e "s/{until}/$(date +%s)/" top-targets.sql | clickhouse-client -d acm
SELECT
    b_number,
    countMerge(calls) AS calls_total,
    sumMerge(flags) AS flagged,
    sumMerge(blocks) AS blocked,
    uniqMerge(callers) AS distinct_callers,
    uniqMerge(sources) AS distinct_sources
FROM calls_by_target_hourly
WHERE hour >= toStartOfHour(toDateTime({since})) AND hour < toDateTime({until})
GROUP BY b_number
ORDER BY flagged + blocked DESC, distinct_callers DESC, b_number
LIMIT 50
