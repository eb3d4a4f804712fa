-- SPDX-License-Identifier: MIT OR Apache-2.0
-- top-ranges: the most attacked B-numbers of each operator's number range. Ranges are the
-- rows of `operator_ranges` (prefix, operator: fill it from the regulator's allocation list);
-- a number belongs to the longest matching prefix, 'unknown' without one. Ten numbers per
-- range, from the hourly rollup. {since}, {until}: Unix seconds, [since, until), whole hours.
SELECT
    if(owner = '', 'unknown', owner) AS operator,
    range_prefix,
    b_number,
    suspicious_calls,
    flagged,
    blocked,
    distinct_callers,
    distinct_sources
FROM
(
    SELECT
        b_number,
        argMax(range_operator, if(range_operator = '', 0, length(prefix))) AS owner,
        argMax(if(range_operator = '', '', prefix), if(range_operator = '', 0, length(prefix))) AS range_prefix,
        any(suspicious_calls) AS suspicious_calls,
        any(flagged) AS flagged,
        any(blocked) AS blocked,
        any(distinct_callers) AS distinct_callers,
        any(distinct_sources) AS distinct_sources
    FROM
    (
        SELECT b_number, flagged, blocked, suspicious_calls, distinct_callers, distinct_sources, prefix
        FROM
        (
            SELECT
                b_number,
                sumMerge(flags) AS flagged,
                sumMerge(blocks) AS blocked,
                flagged + blocked AS suspicious_calls,
                uniqMerge(callers) AS distinct_callers,
                uniqMerge(sources) AS distinct_sources
            FROM calls_by_target_hourly
            WHERE hour >= toStartOfHour(toDateTime({since})) AND hour < toDateTime({until})
            GROUP BY b_number
            HAVING suspicious_calls > 0
        ) AS targets
        ARRAY JOIN arrayMap(i -> substring(b_number, 1, i + 1), range(length(b_number))) AS prefix
    ) AS prefixes
    ANY LEFT JOIN
    (
        SELECT prefix, any(operator) AS range_operator
        FROM operator_ranges
        GROUP BY prefix
    ) AS ranges USING (prefix)
    GROUP BY b_number
)
ORDER BY owner = '', operator, range_prefix, suspicious_calls DESC, distinct_callers DESC, b_number
LIMIT 10 BY operator, range_prefix
