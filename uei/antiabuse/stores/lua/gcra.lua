-- GCRA, once (see uei/antiabuse/quotas/gcra.py for the same arithmetic in Python): a library
-- of local functions that take.lua and check.lua are joined after (uei.storage.lua_source).

-- ARGV's now in seconds, or '' for the store's own clock (TIME: one clock for every replica)
local function clock(given)
  if given == '' then
    local t = redis.call('TIME')
    return tonumber(t[1]) + tonumber(t[2]) / 1000000
  end
  return tonumber(given)
end

-- Take cost units from the bucket whose theoretical arrival time is stored at key; a refusal
-- leaves it unchanged. Returns {allowed (0/1), remaining, retry_after, reset_after}, times
-- as strings.
local function gcra(key, now, interval, burst, cost)
  local tat = tonumber(redis.call('GET', key))
  local base = now
  if tat and tat > now then
    base = tat
  end
  local new_tat = base + cost * interval
  local allow_at = base + (cost - burst) * interval
  if now < allow_at then
    local remaining = math.max(0, math.floor((now - (base - burst * interval)) / interval))
    return {0, remaining, tostring(allow_at - now), tostring(base - now)}
  end
  redis.call('SET', key, string.format('%.6f', new_tat), 'PX',
    math.ceil((new_tat - now) * 1000) + 1000)
  local remaining = math.max(0, math.floor((now - allow_at) / interval))
  return {1, remaining, '0', tostring(new_tat - now)}
end
