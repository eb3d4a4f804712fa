-- SPDX-License-Identifier: MIT OR Apache-2.0
-- acm: withdraw an alert the engine held back (contract::Withdrawal): end
-- the window's cooldown when its alert is still that one, so that the next
-- update at or over the threshold raises a new alert. The learned state that
-- shares the HASH is left as it is; a missing key stays missing.
-- Lua 5.1 and 5.4; the one key it touches is KEYS[1].
-- KEYS[1] the window's cooldown HASH (u = until, event ms; id = alert id)
-- ARGV: alert_id
-- Returns OK.
if redis.call('HGET', KEYS[1], 'id') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'u', '0')
end
return redis.status_reply('OK')
