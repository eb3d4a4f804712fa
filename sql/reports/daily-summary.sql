-- SPDX-License-Identifier: MIT OR Apache-2.0
-- daily-summary: one line per day and mode, fit for a regulator's summary export (--format csv).
-- {since}, {until}: Unix seconds (whole days, server time zone: the days containing them).
-- Both subqueries carry an alias: current servers refuse `JOIN ... USING` on one without.
SELECT
    day,
    mode,
    calls_total,
    calls_total - flagged - blocked AS allowed,
    flagged,
    blocked,
    degraded_calls,
    distinct_callers,
    distinct_targets,
    alerts,
    check_us_p50,
    check_us_p99
FROM
(
    SELECT
        day,
        mode,
        countMerge(calls) AS calls_total,
        sumMerge(flags) AS flagged,
        sumMerge(blocks) AS blocked,
        sumMerge(degraded) AS degraded_calls,
        uniqMerge(callers) AS distinct_callers,
        uniqMerge(targets) AS distinct_targets,
        quantilesMerge(0.5, 0.99)(check_us) AS check_quantiles,
        check_quantiles[1] AS check_us_p50,
        check_quantiles[2] AS check_us_p99
    FROM calls_daily
    WHERE day >= toDate(toDateTime({since})) AND day <= toDate(toDateTime({until}))
    GROUP BY day, mode
) AS calls_part
ANY LEFT JOIN
(
    SELECT event_date AS day, mode, count() AS alerts
    FROM alerts
    WHERE event_date >= toDate(toDateTime({since})) AND event_date <= toDate(toDateTime({until}))
    GROUP BY day, mode
) AS alerts_part USING (day, mode)
ORDER BY day, mode
