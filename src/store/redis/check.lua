-- SPDX-License-Identifier: MIT OR Apache-2.0
-- acm: the sliding-window updates of one check, and its auto-block lookup, in
-- one script call (semantics: src/store/mod.rs; reference implementation:
-- src/store/memory/mod.rs; layout and reasoning: docs/redis-store.md).
-- Lua 5.1 (Redis) and 5.4 (Dragonfly): locals only, no unpack, every key it
-- touches is in KEYS. On a cluster the client sends one call per hash slot.
--
-- Cost is what this script is about: on Redis every redis.call, every ARGV
-- entry and every Lua string costs about as much as a small command. So
-- numbers reach redis.call as the client's strings, the common path runs four
-- commands per window, and the reply is one flat array of integers. A string
-- known to hold a number is read with '+ 0' (Lua 5.1's tonumber parses it
-- twice, each a strtod), and the library functions are locals.
--
-- KEYS, per window in order: a ZSET members (member -> latest event ms) plus
--   three markers below every member: NEW (constant score; only a new key
--   lacks it), BKT (start of the 30 s bucket of the key's latest time, as a
--   score) and HW (the key's latest time, as a score); a LIST evidence
--   payloads, newest first; a HASH cooldown: u = until (event ms), id = alert
--   id. A window whose cap is negative counts in the previous window's ZSET
--   and reads its LIST (the burst tier in the slow tier's: the slow tier
--   pushes for both, marking with '~' a record the burst tier would not
--   have kept) and has only its HASH.
--   A count-only window (threshold 0: contract::WindowOp::count_only) has
--   only its ZSET: no evidence, no cooldown, never an alert. One that learns
--   (its rare string starts 'c') has its ZSET and its HASH, for its learned
--   state: no evidence, never an alert.
--   A learning window whose rare string starts 'q' is judged by its key's
--   repeats (contract::Repeats): ' <share milli> <factor> <span s> <ingress>q'
--   follows its learned fields, its run is 'rl'/'rn' in its HASH and the last
--   two ingresses recorded 'ri' (the last + 256 x the one before; an ingress
--   that is neither is a move, which counts as a repeat; ingress 0: none), and its member's previous time is read (ZSCORE) before
--   the ZADD. A repeat below the learning floor is recorded too once the
--   key has two members (a fresh learned state when there is none or it is
--   gone).
--   A window whose rare string ends in 'r' has a fourth key: a STRING, the
--   event ms its key (a number) was last called at (contract::Called).
--   A count-only window sent with an eighth on its cap has one more key
--   after its own: a STRING, its key's spell (contract::Spell; below).
--   A last key after the windows' is an auto-block HASH to read.
-- ARGV: 1 mode ('0' ZADD GT, '1' ZADD GT and retry, '2' no ZADD GT, '3' no
--   ZADD GT and retry; retry: these updates may already have been applied, a
--   cluster pipeline re-sent after NOSCRIPT, so each is applied once),
--   2 t (event ms, 0 to 2.6e14), 3 HW score (t - 1e15), 4 BKT score (bucket
--   start - 2e15; NEW scores -3e15: all exact integers, all below members),
--   5 evidence payload (shared by the windows),
--   then 6 per window from 6i: member, cutoff (t - window; '(t - window' for a
--   window sharing the previous one's set), cap (minus it when sharing; plus
--   a half when the window answers its span, a quarter when it answers its
--   recent count: a count-only window whose rare string then ends
--   ' <recent ms>w', an eighth when a count-only window is judged by its
--   key's spell: its rare string then holds ' <quiet min> <at> <window start
--   min> <ttl ms>s' before any recent part),
--   threshold (0: count only),
--   ttl (window + slack + bucket, ms), rare ('<window> <until> <cooldown ttl>
--   <alert id>', '<window>' for a count-only window: read only for late
--   events and alerts). A window that learns
--   its key's level (contract::Learn) passes minus its threshold (the floor
--   of learning) as the threshold, and its rare string has between its
--   window and its until '<threshold> <interval> <k milli> <window ms>
--   <keep ms> <hold after, +64 holding known keys only, +128 keeping known
--   keys, +256 holding keys not called lately only, +512 holding
--   machine-paced keys> <keep ttl> <weight divisor> <most members>' (what
--   every check at the floor reads first, what only a fold reads last); it
--   may end ' <share milli> <factor> <span s> <ingress>q' (see above), either may end
--   ' <factor> <within ms>r' (a called stamp key follows); its learned
--   state (l level in thousandths, b open interval, p peak, k event time it is
--   gone from, o the history: intervals in a row at or over the threshold,
--   up to 63, plus 64 times the intervals closed under it, up to 3) shares
--   the cooldown HASH, read and written only when the count reaches the
--   learning floor.
-- Returns {code_1 .. code_n, extras..., [block u, block id]}: code = count * 8
--   + state (0 none, 1 raised, 2 active) + 4 when a span follows; extras in
--   window order: a learning
--   window at or over its floor: its threshold and level * 256 + its history
--   (o); a window with a called stamp at or over its threshold: the
--   threshold it was judged against; a window sent with a half on its cap,
--   at its cap: its span (ms from its cap-th newest member to t); a window
--   sent with a quarter on its cap, at 2 members or more: its recent count
--   (members in its last recent ms, at most its count); a window judged by
--   its spell, raised or active: the spell's start minute; then active: the
--   alert id; raised: hw, k, then the newest k <= 16 evidence payloads.
-- The library functions used, as locals (a global and a field lookup fewer
-- a use).
local rcall = redis.call
local rpcall = redis.pcall
local byte = string.byte
local find = string.find
local format = string.format
local match = string.match
local sub = string.sub
local floor = math.floor
local ceil = math.ceil
local max = math.max
local n = floor((#ARGV - 5) / 6)
local mode = ARGV[1]
local retry = mode == '1' or mode == '3'
local gt = mode == '0' or mode == '1'
local ts = ARGV[2]
local hs = ARGV[3]
local bs = ARGV[4]
local ev = ARGV[5]
local t
local HW = '\255'
local BKT = '\255\255'
local NEW = '\255\255\255'
-- Written short: ZADD parses every score with strtod, and a 16-digit
-- string costs it several times what '-3e15' (the same double) does.
local NEW_SCORE = '-3e15'
local out = {}
local extra
-- Whether the number whose stamp key is rk was called in a minute within
-- <within> ms (the window's rare string ends '<factor> <within>r') of event
-- time t (contract::Called).
local function called_lately(rk, rare, t)
  local st = rcall('GET', rk)
  return st and floor(tonumber(st) / 60000)
    >= floor((t - tonumber(match(rare, '(%d+)r$'))) / 60000)
end
-- Whether the newest members of the set z (up to 32, at least 8; the markers
-- sit below 0) are machine-paced: four in five of the gaps between their
-- times within a factor two of the lower median gap (contract::paced).
local function paced(z)
  local r = rcall('ZREVRANGEBYSCORE', z, '+inf', '0', 'WITHSCORES', 'LIMIT', '0', '32')
  local k = #r / 2 - 1
  if k < 7 then
    return false
  end
  local g = {}
  for j = 1, k do
    g[j] = tonumber(r[2 * j]) - tonumber(r[2 * j + 2])
  end
  table.sort(g)
  local m = g[floor((k - 1) / 2) + 1]
  local near = 0
  for j = 1, k do
    if 2 * g[j] >= m and g[j] <= 2 * m then
      near = near + 1
    end
  end
  return 5 * near >= 4 * k
end
-- A key's run of repeats (last second rl, length rn) after a repeat in second
-- sec: a new run when the last one ended more than the span (in rare's
-- ' <span s> <ingress>q') ago (contract::Repeats::record).
local function repeat_run(rl, rn, sec, rare)
  if rn == 0 or sec > rl + match(rare, ' (%d+) %d+q') then
    return sec, 1
  end
  if sec > rl then
    rl = sec
  end
  if rn < 65535 then
    rn = rn + 1
  end
  return rl, rn
end
-- The learned fields' middle part of a learning window's rare string, from
-- after its byte fe: the end of the part, window ms, keep ms and hold flags.
local function mid(rare, fe)
  local _, f, wms, kms, ha = find(rare, '^ (%d+) (%d+) (%d+)', fe + 1)
  return f, wms + 0, kms + 0, ha + 0
end
-- The next unread key; the previous window's members set, ZADD answer and
-- latest time (read by a window that shares its members set).
local kp = 1
local lz
local le
local r
local hw
for i = 1, n do
  local a = 6 * i
  local cap = ARGV[a + 2] + 0
  local thr = ARGV[a + 3] + 0
  -- A window that learns its key's level (minus its floor as threshold).
  local learn = thr < 0
  -- Threshold 0: only the count is wanted (the burst tier's all-ingress
  -- companion): the members set is its only key, nothing is pushed, no
  -- cooldown is read.
  local only = thr == 0
  -- A count-only window that learns: no evidence list, no alert.
  local lead = learn and byte(ARGV[a + 5])
  local quiet = lead == 99
  -- A negative cap: this window counts in the previous window's members set
  -- (the burst tier in the slow tier's set, same key, member and time): no
  -- ZADD, no trim, its count is the members after its own cutoff, at most
  -- its cap. Its keys are its evidence list and cooldown only.
  local shared = cap < 0
  if shared then
    cap = -cap
  end
  -- A cap sent with a half ('64.5'): the window answers its span
  -- (contract::WindowOutcome::span_ms), always, as an extra; with a quarter
  -- ('64.25', both '64.75'): its recent count (contract::WindowOutcome::recent).
  -- An eighth: judged by its key's spell (contract::Spell; its string key
  -- follows the window's own, its rare string holds ' <quiet min> <at>
  -- <window start min> <ttl>s' before any recent part).
  local fr = cap % 1
  local span = fr >= 0.5
  local rec = (fr * 4) % 2 >= 1
  local sp = (fr * 8) % 2 >= 1
  if fr > 0 then
    cap = floor(cap)
  end
  local z
  if shared then
    z = lz
  else
    z = KEYS[kp]
    kp = kp + 1
    lz = z
    hw = nil
  end
  local e
  local ck
  if shared then
    -- The owner's evidence list: its entries this window did not keep
    -- are marked (below); its own cooldown.
    e = le
    ck = KEYS[kp]
    kp = kp + 1
  elseif quiet then
    ck = KEYS[kp]
    kp = kp + 1
  elseif not only then
    e = KEYS[kp]
    ck = KEYS[kp + 1]
    kp = kp + 2
    le = e
  end
  -- A window judged more leniently when its key was called lately: its rare
  -- string ends '<factor> <within ms>r' and its stamp key follows its own.
  local rk
  if not shared and not only and byte(ARGV[a + 5], -1) == 114 then
    rk = KEYS[kp]
    kp = kp + 1
  end
  local sk
  if sp then
    sk = KEYS[kp]
    kp = kp + 1
  end
  -- The next window counts in this one's members set (its cap is negative)
  -- and reads its evidence list: this window pushes for both.
  local nc = ARGV[a + 8]
  local paired = nc and byte(nc) == 45
  local owner = paired and not shared
  -- This call's evidence is pushed marked ('~') when the next window (the
  -- shorter burst tier) would not have kept it: a late event before its
  -- cutoff.
  local mark = false
  -- The most members the set keeps: also the sharing window's cap.
  local keep = cap
  if paired then
    keep = max(keep, floor(-nc))
  end
  local m = ARGV[a]
  -- A learning window judged by its key's repeats (contract::Repeats): its
  -- rare string starts with 'q' and holds ' <share milli> <factor>
  -- <span s> <ingress>q', and the member's latest time before this update
  -- is read first (a repeat: after t - window).
  local rq = lead == 113
  local om
  local rl
  local rn
  local ri
  if rq then
    om = rcall('ZSCORE', z, m)
  end
  -- What changed, counted as ZADD GT CH counts it: 4 a new key (the member
  -- and every marker were added), 3 the latest time moved into a new bucket,
  -- 2 it moved within its bucket, 0 or 1 it did not move (a late or
  -- same-millisecond event). Each marker moves only when the one above it in
  -- that list does, so the count says which case this is.
  if shared then
    -- r and hw as the sharing window found them.
  elseif gt then
    r = rpcall('ZADD', z, 'GT', 'CH', ts, m, hs, HW, bs, BKT, NEW_SCORE, NEW)
    if type(r) ~= 'number' then
      r = nil
      gt = false
    end
  end
  if not shared and not gt then
    -- Without ZADD GT (Redis < 6.2): the same answer from ZSCOREs.
    t = t or ts + 0
    local old = rcall('ZSCORE', z, HW)
    if not old then
      rcall('ZADD', z, ts, m, hs, HW, bs, BKT, NEW_SCORE, NEW)
      r = 4
    elseif tonumber(old) < tonumber(hs) then
      rcall('ZADD', z, ts, m, hs, HW)
      r = 2
      if tonumber(rcall('ZSCORE', z, BKT)) < tonumber(bs) then
        rcall('ZADD', z, bs, BKT)
        r = 3
      end
    else
      local om = rcall('ZSCORE', z, m)
      r = 0
      if (not om) or tonumber(om) < t then
        rcall('ZADD', z, ts, m)
        r = 1
      end
    end
  end
  -- A new key holds this member only: count 1, nothing to trim.
  local count = 1
  local push = not only and not shared and not quiet
  local rare
  -- This window's cutoff as ZCOUNT reads it (nil for a new key).
  local cut
  if r < 4 then
    local cutoff = ARGV[a + 1]
    if r < 2 then
      -- The window ends at the key's latest time, not at this event's.
      t = t or ts + 0
      rare = ARGV[a + 5]
      hw = hw or rcall('ZSCORE', z, HW) + 1000000000000000
      local c = hw - match(rare, '^[cq]?(%d+)')
      cutoff = format(shared and '(%d' or '%d', c)
      push = push and t > c
      if push and owner then
        mark = t <= hw - tonumber(match(ARGV[a + 11], '^%d+'))
      end
    end
    cut = cutoff
    if shared then
      -- The client sent the cutoff as '(<t - window>' (exclusive).
      count = rcall('ZCOUNT', z, cutoff, '+inf')
      if count > cap then
        count = cap
      end
    else
      -- The window is (hw - window, hw]; the markers sit below -5e14.
      rcall('ZREMRANGEBYSCORE', z, '-500000000000000', cutoff)
      count = rcall('ZCARD', z) - 3
    end
  end
  -- The members in the window before the cap.
  local raw = count
  local lc
  -- The alert's parts of rare, read only for an alert (a learning window's
  -- after its learned fields).
  local untl
  local cttl
  local id
  if learn then
    -- A learning window: below its floor the count can never matter.
    if count >= -thr then
      rare = rare or ARGV[a + 5]
      -- Its learned fields are read in parts, each only where a path needs
      -- it (scanning the string is most of a parse's cost): threshold,
      -- interval and k milli always; window ms, keep ms and hold flags when
      -- the state changes or the key repeats (mid); the rest on a fold.
      local _, fe, th, iv, km = find(rare, '^[cq]?%d+ (%d+) (%d+) (%d+)')
      th = th + 0
      iv = iv + 0
      km = km + 0
      local wms
      local kms
      local ha
      local j = 0
      if rq then
        lc = rcall('HMGET', ck, 'u', 'id', 'l', 'b', 'p', 'k', 'o', 'rl', 'rn', 'ri')
      elseif quiet then
        -- Never a cooldown: its learned state only.
        lc = rcall('HMGET', ck, 'l', 'b', 'p', 'k', 'o')
        j = -2
      else
        lc = rcall('HMGET', ck, 'u', 'id', 'l', 'b', 'p', 'k', 'o')
      end
      t = t or ts + 0
      local iw = floor(t / iv)
      -- Each field a string, or false when absent (a string + 0 reads it
      -- once; tonumber reads it twice).
      local lvl = lc[3 + j]
      lvl = lvl and lvl + 0
      local ivl = lc[4 + j]
      ivl = ivl and ivl + 0
      local peak = lc[5 + j]
      peak = peak and peak + 0
      local gone = lc[6 + j]
      gone = gone and gone + 0
      local runs = lc[7 + j]
      runs = runs and runs + 0 or 0
      local over = runs % 64
      local calm = floor(runs / 64)
      local fresh = not lvl and (quiet or not lc[1])
      if rq then
        rl = lc[8]
        rl = rl and rl + 0 or 0
        rn = lc[9]
        rn = rn and rn + 0 or 0
        ri = lc[10]
        ri = ri and ri + 0 or 0
      end
      if lvl and t >= gone then
        -- Gone, whatever the key's TTL says (event time rules).
        lvl = nil
      end
      local changed = false
      local folded = false
      local kttl
      local wd
      if not lvl or iw > ivl then
        -- A fold: every learned field.
        fe, wms, kms, ha = mid(rare, fe)
        kttl, wd = match(rare, '^ (%d+) (%d+)', fe + 1)
        wd = wd + 0
      end
      if not lvl then
        lvl = 0
        ivl = iw
        peak = 0
        over = 0
        calm = 0
        rl = 0
        rn = 0
        ri = 0
        changed = true
        folded = true
      elseif iw > ivl then
        -- Close the open interval: its peak, clipped, moves the level 1/wd of
        -- the way, unless it is past the first ha of a run at or over the
        -- key's threshold.
        local top = th * 1000
        if 2 * lvl > top then
          top = 2 * lvl
        end
        local obs = peak * 1000
        if obs > top then
          obs = top
        end
        local bar = ceil(lvl * km / 1000000)
        if bar < th then
          bar = th
        end
        if peak >= bar then
          over = over + 1
          if over > 63 then
            over = 63
          end
        else
          over = 0
          if peak > 0 and calm < 3 then
            calm = calm + 1
          end
        end
        -- Held after the first (ha % 64) intervals of a run at or over the
        -- bar; only once known (64 added); only when not called lately (256
        -- added); while machine-paced (512 added).
        local after = ha % 64
        local held = after > 0 and over > after and over < 63 and (ha % 128 < 64 or calm >= 3)
        if held and ha % 512 >= 256 and rk then
          -- Not held when its key was called lately.
          held = not called_lately(rk, ARGV[a + 5], t)
        end
        if ha >= 512 and not held and peak > 0 and over < 63 then
          held = paced(z)
        end
        if held then
          -- Held: the level stays.
        elseif obs >= lvl then
          lvl = lvl + floor((obs - lvl) / wd)
        else
          lvl = lvl - floor((lvl - obs) / wd)
        end
        local gap = iw - ivl - 1
        if gap > 0 then
          over = 0
        end
        if gap >= 64 then
          lvl = 0
        else
          for _ = 1, gap do
            lvl = lvl - floor(lvl / wd)
          end
        end
        ivl = iw
        peak = 0
        changed = true
        folded = true
      end
      local eff = ceil(lvl * km / 1000000)
      if eff < th then
        eff = th
      end
      if 2 * eff > cap then
        cap = 2 * eff
        local most = tonumber(match(rare, '^[cq]?%d+ %d+ %d+ %d+ %d+ %d+ %d+ %d+ %d+ (%d+)'))
        if cap > most then
          cap = most
        end
      end
      if keep < cap then
        keep = cap
      end
      if count > keep then
        rcall('ZREMRANGEBYRANK', z, '3', count == keep + 1 and '3' or format('%d', count - keep + 2))
      end
      if count > cap then
        count = cap
      end
      if count > peak then
        peak = count
        changed = true
      end
      -- A move: this call's ingress is neither of the last two recorded
      -- (ri: the last + 256 x the one before; none in a fresh state); a
      -- change of ingress is recorded either way (contract::Repeats::moved).
      local moved = false
      if rq then
        local ing = match(rare, ' (%d+)q') + 0
        local last = ri % 256
        if ing ~= 0 and ing ~= last then
          moved = last ~= 0 and ing ~= floor(ri / 256)
          ri = ing + 256 * last
          changed = true
        end
      end
      if rq and om and not wms then
        fe, wms, kms, ha = mid(rare, fe)
      end
      if rq and (moved or (om and om + 0 > t - wms)) then
        -- A repeat (or a move): a new run when the last one ended more
        -- than a span ago.
        rl, rn = repeat_run(rl, rn, floor(t / 1000), rare)
        changed = true
      end
      if changed then
        -- Gone from the end of the open interval plus keep ms while the level
        -- raises the threshold (or the key is known, with a level, and kept),
        -- else plus the longer of window and interval.
        if not wms then
          fe, wms, kms, ha = mid(rare, fe)
        end
        local keeps = eff > th or (ha % 256 >= 128 and lvl > 0 and calm >= 3)
        local life = wms
        if keeps then
          life = kms
        elseif iv > life then
          life = iv
        end
        local k = (ivl + 1) * iv + life
        if not folded and k == gone then
          -- No interval closed: the level, interval and history are as
          -- read, and so is k (unless the rule's times changed): only the
          -- peak, and the run of repeats and its ingress, moved.
          if rq then
            rcall('HSET', ck, 'p', format('%d', peak), 'rl', format('%d', rl), 'rn', format('%d', rn), 'ri', format('%d', ri))
          else
            rcall('HSET', ck, 'p', format('%d', peak))
          end
        elseif rq then
          rcall('HSET', ck, 'l', format('%d', lvl), 'b', format('%d', ivl), 'p', format('%d', peak), 'k', format('%d', k), 'o', format('%d', over + 64 * calm), 'rl', format('%d', rl), 'rn', format('%d', rn), 'ri', format('%d', ri))
        else
          rcall('HSET', ck, 'l', format('%d', lvl), 'b', format('%d', ivl), 'p', format('%d', peak), 'k', format('%d', k), 'o', format('%d', over + 64 * calm))
        end
        if folded and keeps then
          rcall('PEXPIRE', ck, kttl)
        elseif fresh then
          rcall('PEXPIRE', ck, ARGV[a + 4])
        end
      end
      thr = eff
      extra = extra or {}
      extra[#extra + 1] = eff
      extra[#extra + 1] = lvl * 256 + over + 64 * calm
    elseif rq and om and count >= 2 then
      -- Below the floor a repeat is recorded too, once the key has two
      -- members, with the call's ingress (no move): in a fresh learned state
      -- when there is none or it is gone.
      rare = rare or ARGV[a + 5]
      local _, fe, iv = find(rare, '^q%d+ %d+ (%d+) %d+')
      local wms
      fe, wms = mid(rare, fe)
      t = t or ts + 0
      if om + 0 > t - wms then
        local s = rcall('HMGET', ck, 'u', 'l', 'k', 'rl', 'rn', 'ri')
        local sec = floor(t / 1000)
        local ing = match(rare, ' (%d+)q') + 0
        if s[2] and t < s[3] + 0 then
          local srl, srn = repeat_run(s[4] and s[4] + 0 or 0, s[5] and s[5] + 0 or 0, sec, rare)
          -- The ingress recorded as above, never a move here.
          local seen = s[6] and s[6] + 0 or 0
          if ing ~= 0 and ing ~= seen % 256 then
            seen = ing + 256 * (seen % 256)
          end
          rcall('HSET', ck, 'rl', format('%d', srl), 'rn', format('%d', srn), 'ri', format('%d', seen))
        else
          iv = iv + 0
          local iw = floor(t / iv)
          local life = wms
          if iv > life then
            life = iv
          end
          rcall('HSET', ck, 'l', '0', 'b', format('%d', iw), 'p', '0', 'k', format('%d', (iw + 1) * iv + life), 'o', '0', 'rl', format('%d', sec), 'rn', '1', 'ri', format('%d', ing))
          if not s[1] and not s[2] then
            rcall('PEXPIRE', ck, ARGV[a + 4])
          end
        end
      end
    end
  elseif count > cap and not shared then
    -- The oldest go first (ranks 0-2 are the markers); a set shared with
    -- the next window keeps as many as either window's cap.
    if count > keep then
      rcall('ZREMRANGEBYRANK', z, '3', count == keep + 1 and '3' or format('%d', count - keep + 2))
    end
    count = cap
  end
  local pev = ev
  if mark then
    pev = '~' .. ev
  end
  if push and retry then
    local kept = rcall('LRANGE', e, '0', '15')
    for j = 1, #kept do
      if kept[j] == pev then
        push = false
      end
    end
  end
  if push then
    -- Trimmed lazily: only the newest 16 (EVIDENCE_MAX) are ever read.
    local len = rcall('LPUSH', e, pev)
    if len > 32 and owner then
      -- Shared with the next window: keep the newest 16 and the newest 16
      -- unmarked (what each window reads), at most 64.
      local all = rcall('LRANGE', e, '0', '63')
      local kl = #all
      local seen = 0
      for j = 1, #all do
        if byte(all[j]) ~= 126 then
          seen = seen + 1
          if seen == 16 then
            kl = j
            break
          end
        end
      end
      if kl < 16 then
        kl = 16
      end
      rcall('LTRIM', e, '0', format('%d', kl - 1))
    elseif len > 32 then
      rcall('LTRIM', e, '0', '15')
    elseif len == 1 and r < 3 then
      rcall('PEXPIRE', e, ARGV[a + 4])
    end
  end
  -- Expiry is refreshed when the key is new or its latest time enters a new
  -- bucket: the keys then outlive their last update by window + slack at
  -- least, window + slack + bucket at most.
  if r > 2 then
    if not shared then
      rcall('PEXPIRE', z, ARGV[a + 4])
    end
    if not only and not shared and not quiet then
      rcall('PEXPIRE', e, ARGV[a + 4])
    end
  end
  if rk and thr > 0 and count >= thr then
    -- Its key was called in a minute within <within> ms: the threshold is
    -- <factor> times as high. Answered as an extra: the judged threshold.
    t = t or ts + 0
    if called_lately(rk, ARGV[a + 5], t) then
      thr = thr * tonumber(match(ARGV[a + 5], '(%d+) %d+r$'))
    end
    extra = extra or {}
    extra[#extra + 1] = thr
  end
  if rq and thr > 0 and count >= thr then
    -- Its key's run of repeats, live (its last within the span's seconds)
    -- and at least <share milli> per thousand of the count: the threshold
    -- is <factor> times as high. Answered as an extra, as above.
    t = t or ts + 0
    local rsh, rfa, rsp = match(ARGV[a + 5], ' (%d+) (%d+) (%d+) %d+q')
    if rn > 0 and floor(t / 1000) <= rl + rsp
      and rn * 1000 >= tonumber(rsh) * count then
      thr = thr * tonumber(rfa)
    end
    extra = extra or {}
    extra[#extra + 1] = thr
  end
  -- At its cap, a window asked for its span answers how far before t its
  -- cap-th newest member called (the members' scores are their times; the
  -- markers sit below them), and its code says so (+4).
  local state = 0
  if span and raw >= cap then
    t = t or ts + 0
    local at = format('%d', -cap)
    local o = rcall('ZRANGE', z, at, at, 'WITHSCORES')
    local sp = t - (o[2] or t)
    if sp < 1 then
      sp = 1
    end
    extra = extra or {}
    extra[#extra + 1] = sp
    state = 4
  end
  -- Asked for its recent count (a count-only window: its rare string ends
  -- ' <recent ms>w'), with two members or more: how many of them called in
  -- the last recent ms up to the key's latest time (hw, read above for a
  -- late or same-millisecond event; else this event's), at most the count,
  -- as an extra (one member: the event's own, the client knows).
  if rec and count >= 2 then
    t = t or ts + 0
    rare = rare or ARGV[a + 5]
    local top = t
    if r < 2 then
      top = hw
    end
    local rc = rcall('ZCOUNT', z, format('(%d', top - match(rare, '(%d+)w$')), '+inf')
    if rc > count then
      rc = count
    end
    extra = extra or {}
    extra[#extra + 1] = rc
  end
  -- Judged by its key's spell: its string holds the minute of its last
  -- update and the spell's age then (minutes), times four, plus 1 once the
  -- spell raised its alert and 2 once that alert was withdrawn
  -- (withdraw.lua). An update in a minute at least <quiet> after the last
  -- begins a spell; one in an earlier minute changes nothing and is not
  -- judged. At <at> members or more, a spell begun no earlier than the
  -- window's start answers its alert (state 1 raised, 2 active; none once
  -- withdrawn) and its start minute as an extra. On a retry, a spell whose
  -- alert is raised answers it raised again at exactly <at> (the first
  -- answer was lost; the id is the same).
  if sp then
    rare = rare or ARGV[a + 5]
    -- Its part is within the string's last 40 bytes (at most 28, then at
    -- most 12 of a recent part): the scan starts there.
    local qm, at, ws, sttl = match(rare, ' (%d+) (%d+) (%d+) (%d+)s', -40)
    t = t or ts + 0
    local now = floor(t / 60000)
    local v = rcall('GET', sk)
    local last
    local age = 0
    local fl = 0
    if v then
      v = v + 0
      fl = v % 4
      local q = floor(v / 4)
      age = q % 65536
      last = floor(q / 65536)
    end
    if not last or now >= last then
      if not last or now - last >= qm + 0 then
        age = 0
        fl = 0
      else
        age = age + now - last
        if age > 65535 then
          age = 65535
        end
      end
      local start = now - age
      if count >= at + 0 and start >= ws + 0 then
        if fl >= 2 then
          -- Withdrawn: no alert this spell.
        elseif fl == 0 or (retry and count == at + 0) then
          state = state + 1
        else
          state = state + 2
        end
        if fl < 2 then
          fl = 1
          extra = extra or {}
          extra[#extra + 1] = start
        end
      end
      local nv = (now * 65536 + age) * 4 + fl
      if nv ~= v then
        rcall('SET', sk, format('%d', nv), 'PX', sttl)
      end
    end
  end
  if thr > 0 and count >= thr and not quiet then
    local c = lc or rcall('HMGET', ck, 'u', 'id')
    t = t or ts + 0
    -- An alert in its cooldown answers its id: the alert's parts of rare
    -- are read only to raise one, or on a retry (to know this call's own).
    local live = c[1] and c[2] and t < tonumber(c[1])
    -- Past its cooldown, the members that raised the alert do not raise
    -- another: that takes thr members since it ended (at or after u, and
    -- in this window: after its cutoff). u = '0': withdrawn, none.
    if c[1] and c[2] and not live and c[1] ~= '0' then
      local lo = c[1]
      if cut then
        local cv = cut
        if byte(cv) == 40 then
          cv = sub(cv, 2)
        end
        if cv + 0 >= c[1] + 0 then
          lo = '(' .. cv
        end
      end
      live = rcall('ZCOUNT', z, lo, '+inf') < thr
    end
    if retry or not live then
      rare = rare or ARGV[a + 5]
      if learn then
        -- After the learned fields.
        untl, cttl, id = match(rare, '^q?%d+ %d+ %d+ %d+ %d+ %d+ %d+ %d+ %d+ %d+ (%-?%d+) (%d+) (%S+)')
      else
        untl, cttl, id = match(rare, '^%d+ (%-?%d+) (%d+) (%S+)')
      end
    end
    local mine = retry and c[2] == id and c[1] == untl
    extra = extra or {}
    if live and not mine then
      state = state + 2
      extra[#extra + 1] = c[2]
    else
      if not mine then
        rcall('HSET', ck, 'u', untl, 'id', id)
        rcall('PEXPIRE', ck, cttl)
      end
      state = state + 1
      local recent
      if shared then
        -- The owner's list: its newest 16 unmarked entries.
        recent = {}
        local all = rcall('LRANGE', e, '0', '-1')
        for j = 1, #all do
          if byte(all[j]) ~= 126 then
            recent[#recent + 1] = all[j]
            if #recent == 16 then
              break
            end
          end
        end
      else
        recent = rcall('LRANGE', e, '0', '15')
      end
      extra[#extra + 1] = hw or t
      extra[#extra + 1] = #recent
      for j = 1, #recent do
        extra[#extra + 1] = recent[j]
      end
    end
  end
  out[i] = count * 8 + state
end
if extra then
  for j = 1, #extra do
    out[n + j] = extra[j]
  end
end
if #KEYS >= kp then
  local b = rcall('HMGET', KEYS[kp], 'u', 'id')
  out[#out + 1] = b[1] or ''
  out[#out + 1] = b[2] or ''
end
return out
