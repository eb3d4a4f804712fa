-- top-targets: B-numbers hit by the most suspicious traffic (fan-in targets), from the hourly rollup.
-- {since}: Unix seconds (whole hours are counted from the hour containing it).
-- By hand: sed "s/{since}/$(date -d '-24 hours' +%s)/" top-targets.sql | clickhouse-client -d acm
SELECT
    b_number,
    countMerge(calls) AS calls_total,
    sumMerge(flags) AS flagged,
    sumMerge(blocks) AS blocked,
    uniqMerge(callers) AS distinct_callers,
    uniqMerge(sources) AS distinct_sources
FROM calls_by_target_hourly
WHERE hour >= toStartOfHour(toDateTime({since}))
GROUP BY b_number
ORDER BY flagged + blocked DESC, distinct_callers DESC, b_number
LIMIT 50
