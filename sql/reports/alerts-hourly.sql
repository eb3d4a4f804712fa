-- SPDX-License-Identifier: MIT OR Apache-2.0
-- alerts-hourly: alerts raised per hour, by severity (the dashboard's "alerts per hour").
-- {since}, {until}: Unix seconds, the period [since, until).
SELECT
    toStartOfHour(raised_at) AS hour,
    count() AS alerts,
    countIf(severity = 'critical') AS critical,
    countIf(severity = 'high') AS high,
    countIf(severity = 'medium') AS medium,
    countIf(severity = 'low') AS low,
    countIf(action = 'block') AS blocking,
    uniqExact(rule) AS rules
FROM alerts
WHERE event_date >= toDate(toDateTime({since})) AND raised_at >= toDateTime({since}) AND raised_at < toDateTime({until})
GROUP BY hour
ORDER BY hour
