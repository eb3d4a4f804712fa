-- SPDX-License-Identifier: MIT OR Apache-2.0
-- acm: withdraw an alert the engine held back (contract::Withdrawal): end
-- the window's cooldown when its alert is still that one, so that the next
-- update at or over the threshold raises a new alert. The learned state that
-- shares the HASH is left as it is; a missing key stays missing.
-- A spell's alert (contract::Spell; ARGV[2] given): mark the spell's
-- STRING withdrawn when its spell still began in that minute, so that it
-- answers no alert until a new spell (check.lua keeps the string).
-- Lua 5.1 and 5.4; the one key it touches is KEYS[1].
-- KEYS[1] the window's cooldown HASH (u = until, event ms; id = alert id),
--   or the spell's STRING
-- ARGV: alert_id [, the spell's start minute]
-- Returns OK.
if ARGV[2] then
  local v = redis.call('GET', KEYS[1])
  if v then
    v = v + 0
    local q = math.floor(v / 4)
    local f = v % 4
    if f < 2 and math.floor(q / 65536) - q % 65536 == ARGV[2] + 0 then
      local ttl = redis.call('PTTL', KEYS[1])
      if ttl > 0 then
        redis.call('SET', KEYS[1], string.format('%d', v + 2), 'PX', ttl)
      end
    end
  end
elseif redis.call('HGET', KEYS[1], 'id') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'u', '0')
end
return redis.status_reply('OK')
