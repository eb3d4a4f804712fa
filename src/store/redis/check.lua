-- acm: the sliding-window updates of one check, and its auto-block lookup, in
-- one script call (see src/store/mod.rs for the semantics and
-- src/store/memory.rs for the reference implementation).
-- Runs on Lua 5.1 (Redis) and 5.4 (Dragonfly): locals only, no unpack, and
-- every key it touches is declared in KEYS. On a single server the keys may
-- carry several hash tags; on a cluster the client sends one call per hash
-- slot, so all keys of one call are then on one node.
--
-- KEYS, per window i = 1..n: KEYS[3i-2] ZSET member -> latest event time,
--   plus the member '\255' whose score is the key's hw, KEYS[3i-1] LIST recent evidence payloads,
--   newest first (opaque to this script; at most 2 * evidence_max kept, the
--   newest evidence_max read), KEYS[3i] HASH cooldown: u = until (event ms),
--   id = alert id. Then, when ARGV[6] == '1', KEYS[3n+1]: an auto-block HASH.
-- ARGV[1] n, ARGV[2] retry ('1' when these updates may already have been
--   applied: a cluster pipeline re-sent after NOSCRIPT; each is applied once),
--   ARGV[3] max_members, ARGV[4] evidence_max, ARGV[5] '1' when the last key
--   is an auto-block to read, ARGV[6] '1' when the server has ZADD GT (Redis
--   >= 6.2, Dragonfly; a hint: checked below), then 10 per window from
--   7 + 10(i-1): member, time_ms, window_ms, threshold, cooldown_until_ms,
--   alert_id, evidence ('' = the previous window's), window_ttl_ms,
--   cooldown_ttl_ms, member_cap (the window keeps at most
--   min(member_cap, max_members) members, the newest).
-- Numbers go to redis.call as strings (ARGV as is, or '%d'): a Lua number
-- would be formatted with '%.17g', which costs more than the command.
-- Returns one entry per window, {count, state (0 none, 1 raised, 2 active),
--   alert id, evidence list (only when raised), cutoff = hw - window}, then the
--   auto-block's {u, id} when asked for.
local n = tonumber(ARGV[1])
local retry = ARGV[2] == '1'
local max_members = tonumber(ARGV[3])
local evidence_max = tonumber(ARGV[4])
local gt = ARGV[6] == '1'
local last = string.format('%d', evidence_max - 1)
local SENT = '\255'
local out = {}
local evidence = ''
for i = 1, n do
  local wkey = KEYS[3 * i - 2]
  local ekey = KEYS[3 * i - 1]
  local a = 10 * i - 4
  local member = ARGV[a + 1]
  local cap = math.min(tonumber(ARGV[a + 10]), max_members)
  local ts = ARGV[a + 2]
  local t = tonumber(ts)
  local window = tonumber(ARGV[a + 3])
  if ARGV[a + 7] ~= '' then
    evidence = ARGV[a + 7]
  end
  -- A member's time only moves forward (ZADD GT). The member SENT ('\255',
  -- above every UTF-8 member among equal scores) holds hw, the key's latest
  -- time: adding both in one ZADD GT CH answers 2 exactly when hw moved to t
  -- (SENT changed, so the member, at or below the old hw, changed too).
  local hw
  if gt then
    local r = redis.pcall('ZADD', wkey, 'GT', 'CH', ts, member, ts, SENT)
    if r == 2 then
      hw = t
    elseif type(r) == 'number' then
      hw = tonumber(redis.call('ZSCORE', wkey, SENT))
    end
  end
  if not hw then
    local old = redis.call('ZSCORE', wkey, member)
    if (not old) or tonumber(old) < t then
      redis.call('ZADD', wkey, ts, member)
    end
    old = redis.call('ZSCORE', wkey, SENT)
    if (not old) or tonumber(old) < t then
      redis.call('ZADD', wkey, ts, SENT)
      hw = t
    else
      hw = tonumber(old)
    end
  end
  local cutoff = hw - window
  -- The window is (hw - window, hw]: a member exactly window before hw has left.
  redis.call('ZREMRANGEBYSCORE', wkey, '-inf', string.format('%d', cutoff))
  -- SENT (score hw, never trimmed) is not a member.
  local count = redis.call('ZCARD', wkey) - 1
  if count > cap then
    redis.call('ZREMRANGEBYRANK', wkey, '0', string.format('%d', count - cap - 1))
    count = cap
  end
  local ttl = ARGV[a + 8]
  redis.call('PEXPIRE', wkey, ttl)
  local push = t > cutoff
  if push and retry then
    local kept = redis.call('LRANGE', ekey, '0', last)
    for j = 1, #kept do
      if kept[j] == evidence then
        push = false
      end
    end
  end
  if push then
    -- Trimmed lazily: only the newest evidence_max are ever read.
    if redis.call('LPUSH', ekey, evidence) > 2 * evidence_max then
      redis.call('LTRIM', ekey, '0', last)
    end
    redis.call('PEXPIRE', ekey, ttl)
  end

  local state = 0
  local id = ''
  local recent = {}
  if count >= tonumber(ARGV[a + 4]) then
    local ckey = KEYS[3 * i]
    local c = redis.call('HMGET', ckey, 'u', 'id')
    local mine = retry and c[2] == ARGV[a + 6] and c[1] == ARGV[a + 5]
    if c[1] and c[2] and t < tonumber(c[1]) and not mine then
      state = 2
      id = c[2]
    else
      if not mine then
        redis.call('HSET', ckey, 'u', ARGV[a + 5], 'id', ARGV[a + 6])
        redis.call('PEXPIRE', ckey, ARGV[a + 9])
      end
      state = 1
      id = ARGV[a + 6]
      recent = redis.call('LRANGE', ekey, '0', last)
    end
  end
  out[i] = {count, state, id, recent, cutoff}
end
if ARGV[5] == '1' then
  out[n + 1] = redis.call('HMGET', KEYS[3 * n + 1], 'u', 'id')
end
return out
