-- One GCRA bucket, taken once per request signature (joined after gcra.lua). Both keys share
-- the bucket's hash tag: atomic on a cluster too.
-- KEYS[1] the stored theoretical arrival time
-- KEYS[2] the request signature's replay mark
-- ARGV[1] now in seconds, or '' for the store's own clock; ARGV[2] interval (seconds per
-- unit), ARGV[3] burst, ARGV[4] cost
-- ARGV[5] when the signature expires (unix seconds; the mark is kept until then, at least a
-- second)
-- Returns {allowed (0/1), remaining, retry_after, reset_after} (times as strings), or false
-- (nil to the caller) when the signature was marked before: nothing taken.
local now = clock(ARGV[1])
if not redis.call('SET', KEYS[2], '1', 'NX', 'PX',
    math.max(1000, math.ceil((tonumber(ARGV[5]) - now) * 1000))) then
  return false
end
return gcra(KEYS[1], now, tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]))
