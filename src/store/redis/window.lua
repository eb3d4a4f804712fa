-- acm: one sliding-window update (see src/store/mod.rs for the semantics and
-- src/store/memory.rs for the reference implementation).
-- Runs on Lua 5.1 (Redis) and 5.4 (Dragonfly): locals only, no unpack, and
-- every key it touches is declared in KEYS, all under one hash tag.
--
-- KEYS[1] ZSET member -> latest event time (its max score is the key's hw)
-- KEYS[2] LIST recent evidence payloads, newest first (opaque to this script)
-- KEYS[3] HASH cooldown: u = until (event ms), id = alert id
-- ARGV: member, time_ms, window_ms, threshold, cooldown_until_ms, alert_id,
--       evidence, max_members, evidence_max, window_ttl_ms, cooldown_ttl_ms,
--       retry ('1' when this exact update may already have been applied: a
--       cluster pipeline re-sent after NOSCRIPT; it is then applied once)
-- Returns {count, state (0 none, 1 raised, 2 active), alert id,
--          evidence list (only when raised), cutoff = hw - window}.
local wkey = KEYS[1]
local ekey = KEYS[2]
local ckey = KEYS[3]
local member = ARGV[1]
local t = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local threshold = tonumber(ARGV[4])
local max_members = tonumber(ARGV[8])
local evidence_max = tonumber(ARGV[9])

-- A member's time only moves forward (ZADD GT, done here for old servers).
local old = redis.call('ZSCORE', wkey, member)
if (not old) or tonumber(old) < t then
  redis.call('ZADD', wkey, ARGV[2], member)
end
local top = redis.call('ZRANGE', wkey, -1, -1, 'WITHSCORES')
local hw = tonumber(top[2])
local cutoff = hw - window
-- The window is (hw - window, hw]: a member exactly window before hw has left.
redis.call('ZREMRANGEBYSCORE', wkey, '-inf', string.format('%.0f', cutoff))
local count = redis.call('ZCARD', wkey)
if count > max_members then
  redis.call('ZREMRANGEBYRANK', wkey, 0, count - max_members - 1)
  count = max_members
end
redis.call('PEXPIRE', wkey, ARGV[10])
local retry = ARGV[12] == '1'
local push = t > cutoff
if push and retry then
  local kept = redis.call('LRANGE', ekey, 0, -1)
  for i = 1, #kept do
    if kept[i] == ARGV[7] then
      push = false
    end
  end
end
if push then
  if redis.call('LPUSH', ekey, ARGV[7]) > evidence_max then
    redis.call('LTRIM', ekey, 0, evidence_max - 1)
  end
  redis.call('PEXPIRE', ekey, ARGV[10])
end

local state = 0
local id = ''
local evidence = {}
if count >= threshold then
  local c = redis.call('HMGET', ckey, 'u', 'id')
  local mine = retry and c[2] == ARGV[6] and c[1] == ARGV[5]
  if c[1] and c[2] and t < tonumber(c[1]) and not mine then
    state = 2
    id = c[2]
  else
    if not mine then
      redis.call('HSET', ckey, 'u', ARGV[5], 'id', ARGV[6])
      redis.call('PEXPIRE', ckey, ARGV[11])
    end
    state = 1
    id = ARGV[6]
    evidence = redis.call('LRANGE', ekey, 0, -1)
  end
end
return {count, state, id, evidence, string.format('%.0f', cutoff)}
