-- SPDX-License-Identifier: MIT OR Apache-2.0
-- 004_operator_ranges: which operator a number range belongs to, for the top-ranges report.
-- Filled by the operator from the regulator's number allocation list, e.g.
--   clickhouse-client -q "INSERT INTO acm.operator_ranges (prefix, operator) FORMAT CSV" < ranges.csv
-- with lines like "+234803,MTN". A number belongs to its longest matching prefix (E.164, "+").
-- (003 is left to the alert lifecycle migration.)

CREATE TABLE IF NOT EXISTS {db}.operator_ranges
(
    prefix    String,
    operator  String,
    note      String
)
ENGINE = MergeTree
ORDER BY prefix;
