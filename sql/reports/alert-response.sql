-- SPDX-License-Identifier: MIT OR Apache-2.0
-- alert-response: how fast the SOC answers, per severity, from the alert lifecycle log
-- (`alert_events`). Triage = the first status change away from 'new' (to investigating,
-- resolved or false_positive); resolution = the first change to resolved or false_positive.
-- Times in seconds from the alert being raised (`alerts.raised_at_ms`); p50/p90 over the
-- alerts that got there. {since}, {until}: Unix seconds, [since, until) of the raise time.
SELECT
    severity,
    uniqExact(alert_id) AS alerts,
    countIf(triaged_ms > 0) AS triaged,
    countIf(resolved_ms > 0) AS resolved,
    countIf(resolved_ms = 0) AS open,
    round(quantileExactIf(0.5)(triaged_ms - raised_at_ms, triaged_ms > 0) / 1000, 1) AS triage_p50_s,
    round(quantileExactIf(0.9)(triaged_ms - raised_at_ms, triaged_ms > 0) / 1000, 1) AS triage_p90_s,
    round(quantileExactIf(0.5)(resolved_ms - raised_at_ms, resolved_ms > 0) / 1000, 1) AS resolve_p50_s,
    round(quantileExactIf(0.9)(resolved_ms - raised_at_ms, resolved_ms > 0) / 1000, 1) AS resolve_p90_s,
    round(maxIf(resolved_ms - raised_at_ms, resolved_ms > 0) / 1000, 1) AS resolve_max_s
FROM
(
    SELECT alert_id, severity, raised_at_ms
    FROM alerts
    WHERE event_date >= toDate(toDateTime({since})) AND event_date <= toDate(toDateTime({until}))
      AND raised_at >= toDateTime({since}) AND raised_at < toDateTime({until})
) AS raised
ANY LEFT JOIN
(
    SELECT
        alert_id,
        minIf(at_ms, kind = 'status' AND to_status != 'new') AS triaged_ms,
        minIf(at_ms, kind = 'status' AND to_status IN ('resolved', 'false_positive')) AS resolved_ms
    FROM alert_events
    GROUP BY alert_id
) AS lifecycle USING (alert_id)
GROUP BY severity
ORDER BY transform(severity, ['critical', 'high', 'medium', 'low'], [1, 2, 3, 4], 5), severity
