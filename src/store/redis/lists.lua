-- SPDX-License-Identifier: MIT OR Apache-2.0
-- acm: change one shared allow/deny list and bump the lists version, atomically.
-- Lua 5.1 and 5.4; both keys share the {lists} hash tag.
-- KEYS[1] SET the list's entries, KEYS[2] STRING version counter
-- ARGV[1] 'add' or 'remove', ARGV[2..] entries
-- Returns {changed entries, new version}.
local changed = 0
for i = 2, #ARGV do
  if ARGV[1] == 'add' then
    changed = changed + redis.call('SADD', KEYS[1], ARGV[i])
  else
    changed = changed + redis.call('SREM', KEYS[1], ARGV[i])
  end
end
local v
if changed > 0 then
  v = redis.call('INCR', KEYS[2])
else
  v = tonumber(redis.call('GET', KEYS[2]) or '0')
end
return {changed, v}
