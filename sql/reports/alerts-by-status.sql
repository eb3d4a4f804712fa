-- SPDX-License-Identifier: MIT OR Apache-2.0
-- alerts-by-status: alerts by severity and current status. The status is the latest status
-- change in the alert lifecycle log (`alert_events`, kind 'status'); an alert without one is
-- 'new'. {since}, {until}: Unix seconds, the period [since, until) of the alerts' raise time.
SELECT
    severity,
    if(last_status = '', 'new', last_status) AS status,
    uniqExact(alert_id) AS alerts,
    uniqExact(rule) AS rules,
    uniqExact(key) AS distinct_keys,
    min(raised_at) AS first_raised,
    max(raised_at) AS last_raised
FROM
(
    SELECT alert_id, severity, rule, key, raised_at
    FROM alerts
    WHERE event_date >= toDate(toDateTime({since})) AND event_date <= toDate(toDateTime({until}))
      AND raised_at >= toDateTime({since}) AND raised_at < toDateTime({until})
) AS raised
ANY LEFT JOIN
(
    SELECT alert_id, argMax(to_status, at_ms) AS last_status
    FROM alert_events
    WHERE kind = 'status'
    GROUP BY alert_id
) AS lifecycle USING (alert_id)
GROUP BY severity, status
ORDER BY
    transform(severity, ['critical', 'high', 'medium', 'low'], [1, 2, 3, 4], 5),
    transform(status, ['new', 'investigating', 'resolved', 'false_positive'], [1, 2, 3, 4], 5),
    severity, status
