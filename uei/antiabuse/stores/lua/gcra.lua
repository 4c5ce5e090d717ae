-- GCRA on one key (see antiabuse/quotas/gcra.py for the same arithmetic in Python).
-- KEYS[1] the stored theoretical arrival time
-- ARGV[1] now in seconds, or '' for the store's own clock (TIME: one clock for every replica)
-- ARGV[2] interval (seconds per unit), ARGV[3] burst, ARGV[4] cost
-- Returns {allowed (0/1), remaining, retry_after, reset_after}; times as strings.
local now
if ARGV[1] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
else
  now = tonumber(ARGV[1])
end
local interval = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local tat = tonumber(redis.call('GET', KEYS[1]))
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
redis.call('SET', KEYS[1], string.format('%.6f', new_tat), 'PX', math.ceil((new_tat - now) * 1000) + 1000)
local remaining = math.max(0, math.floor((now - allow_at) / interval))
return {1, remaining, '0', tostring(new_tat - now)}
