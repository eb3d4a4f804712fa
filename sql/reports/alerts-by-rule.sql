-- SPDX-License-Identifier: MIT OR Apache-2.0
-- alerts-by-rule: how many alerts each rule raised, on how many distinct keys, and when.
-- {since}, {until}: Unix seconds, the period [since, until).
SELECT
    rule,
    action,
    mode,
    count() AS alerts,
    uniqExact(key) AS distinct_keys,
    sum(count) AS calls_counted,
    min(raised_at) AS first_raised,
    max(raised_at) AS last_raised
FROM alerts
WHERE event_date >= toDate(toDateTime({since})) AND raised_at >= toDateTime({since}) AND raised_at < toDateTime({until})
GROUP BY rule, action, mode
ORDER BY alerts DESC, rule, action, mode
