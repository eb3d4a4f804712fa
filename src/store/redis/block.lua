-- SPDX-License-Identifier: MIT OR Apache-2.0
-- acm: record an auto-block unless a longer one is already there.
-- Lua 5.1 and 5.4; the one key it touches is KEYS[1].
-- KEYS[1] HASH u = until (event ms), id = alert id
-- ARGV: until_ms, alert_id, ttl_ms (wall-clock reclamation)
-- Returns 1 when written, 0 when a longer block was kept.
local u = redis.call('HGET', KEYS[1], 'u')
if (not u) or tonumber(u) < tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'u', ARGV[1], 'id', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 1
end
return 0
